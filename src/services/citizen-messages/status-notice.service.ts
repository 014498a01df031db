import { mailsStatusChanges } from '../../domain/citizen-email.js';
import { statusNoticeReason, textsStatusChanges } from '../../domain/citizen-sms.js';
import type { TicketAction } from '../../domain/ticket-lifecycle.js';
import type { Ticket } from '../../store/ticket.repository.js';
import type { AppContext } from '../context/index.js';
import { enqueueEmail } from './email.service.js';
import { enqueueSms } from './sms.service.js';

/**
 * A ticket's status changed (`applyTransition`, with the ticket as stored after it): when it is a change a citizen is
 * told of (`statusNoticeReason`), the citizen is told on the channel they chose: a case that came by mail by mail (in
 * its thread), the others by SMS. The message is queued, and a failure to queue it is logged, not thrown: the change
 * is stored already, and reporting it as failed would have staff or a job repeat a change that happened.
 */
export async function tellCitizenOfChange(ctx: AppContext, ticket: Ticket, action: TicketAction): Promise<void> {
  const reason = statusNoticeReason(ticket.status, action);
  if (reason === undefined || ticket.citizenId === undefined) return;
  const job = { ticketId: ticket._id.toString(), reason, version: ticket.version, ...(reason === 'referred' ? { unitCode: ticket.unitCode } : {}) };
  try {
    if (ctx.email !== undefined && mailsStatusChanges(ticket.channel)) await enqueueEmail(ctx, job);
    if (ctx.sms !== undefined && textsStatusChanges(ticket.channel)) await enqueueSms(ctx, job);
  } catch (err) {
    ctx.log.error({ err, ticketId: job.ticketId, reason }, 'the notice of a status change could not be queued; the change stands');
  }
}
