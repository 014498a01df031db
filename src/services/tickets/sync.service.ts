import { AppError } from '../../errors.js';
import type { SyncAnswer, TicketEventPayload } from '../../realtime/events.js';
import { ticketSummary } from '../../realtime/publisher.js';
import type { Ticket } from '../../store/ticket.repository.js';
import { heldTickets } from '../assignment/index.js';
import { canSeeTicket, type Actor, type AppContext } from '../context/index.js';

/** Most events one `sync` returns; a client that missed more reloads its lists over REST. */
const SYNC_LIMIT = 500;

/**
 * What a reconnecting client missed: audit events after `since` on tickets it may see (by the tickets' units
 * now), and the tickets assigned to it at this moment. `complete` is false when there was more than one
 * answer holds; the client then reloads over REST.
 */
export async function syncSince(ctx: AppContext, actor: Actor, since: Date): Promise<Omit<Extract<SyncAnswer, { ok: true }>, 'ok'>> {
  if (actor.kind !== 'staff') throw new AppError('FORBIDDEN');
  const events = await ctx.store.ticketEvents.listSince(since, SYNC_LIMIT + 1);
  const complete = events.length <= SYNC_LIMIT;
  const shown = events.slice(0, SYNC_LIMIT);
  const tickets = new Map((await ctx.store.tickets.getMany([...new Set(shown.map((e) => e.ticketId.toString()))])).map((t) => [t._id.toString(), t]));
  const visible = (t: Ticket | undefined): t is Ticket => t !== undefined && (canSeeTicket(actor, t) || t.assigneeId?.toString() === actor.id);
  const payloads: TicketEventPayload[] = [];
  for (const e of shown) {
    const ticket = tickets.get(e.ticketId.toString());
    if (visible(ticket)) payloads.push({ eventId: e._id.toString(), kind: e.type, at: e.at.toISOString(), ticket: ticketSummary(ticket) });
  }
  const assigned = await heldTickets(ctx, actor.id);
  return { events: payloads, assigned: assigned.map(ticketSummary), complete };
}
