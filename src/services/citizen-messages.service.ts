import type { TicketAction } from '../domain/ticket-lifecycle.js';
import type { Ticket } from '../store/ticket.repository.js';
import { requestStatusEmail } from './citizen-email.service.js';
import { requestStatusSms } from './citizen-sms.service.js';
import type { AppContext } from './context.js';

/**
 * A ticket's status changed (`applyTransition`, with the ticket as stored after it): the citizen is told on the
 * channel they chose, a case that came by mail by mail (in its thread), the others by SMS. Each side decides whether
 * this change is one a citizen is told of (`statusNoticeReason`) and whether it can reach them.
 */
export async function tellCitizenOfChange(ctx: AppContext, ticket: Ticket, action: TicketAction): Promise<void> {
  await requestStatusSms(ctx, ticket, action);
  await requestStatusEmail(ctx, ticket, action);
}
