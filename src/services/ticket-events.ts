import type { TicketStatus } from '../domain/ticket-lifecycle.js';
import type { Ticket } from '../store/ticket.repository.js';
import type { Actor } from './actor.js';
import type { AppContext } from './context.js';
import { announceTicketEvent } from './realtime.service.js';

export interface EventDetails {
  from?: TicketStatus;
  to?: TicketStatus;
  reason?: string;
  data?: Record<string, unknown>;
}

/** Appends to the ticket's audit trail (every change says who, when, from, to and why) and pushes it live. */
export async function recordEvent(ctx: AppContext, ticket: Ticket, actor: Actor, type: string, details: EventDetails = {}): Promise<void> {
  const event = await ctx.store.ticketEvents.append({
    ticketId: ticket._id,
    type,
    actorKind: actor.kind,
    ...(actor.id !== undefined ? { actorId: actor.id } : {}),
    ...(details.from ? { fromStatus: details.from } : {}),
    ...(details.to ? { toStatus: details.to } : {}),
    ...(details.reason ? { reason: details.reason } : {}),
    ...(details.data ? { data: details.data } : {}),
  });
  // Every recorded change is also pushed live: the audit trail and the live view cannot disagree.
  await announceTicketEvent(ctx, ticket, { id: event._id.toString(), type, at: event.at });
}
