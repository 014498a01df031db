import { figuresFromCounters } from '../domain/queue-stats.js';
import { AppError } from '../errors.js';
import type { QueueStatsPayload, SyncAnswer, TicketEventPayload } from '../realtime/events.js';
import { ticketSummary } from '../realtime/publisher.js';
import type { Ticket } from '../store/ticket.repository.js';
import { canSeeUnits, isSupervisorOf, type Actor } from './actor.js';
import { heldTickets } from './assignment.service.js';
import { calendarOf } from './calendar.js';
import type { AppContext } from './context.js';
import { hallFigures } from './counter.service.js';

/** Most events one `sync` returns; a client that missed more reloads its lists over REST. */
const SYNC_LIMIT = 500;

/**
 * Asks for a unit's live figures to be recomputed and pushed. Requests in the same second share one job
 * (its id names the unit and the next second), so a burst of a thousand tickets sends supervisors one
 * update per second, not a thousand; a change during a computation lands in the next second's job.
 */
export async function requestQueueStats(ctx: AppContext, unitCode: string, now = Date.now()): Promise<void> {
  const second = Math.floor(now / 1000) + 1;
  await ctx.queues.enqueue('realtime.stats', { unitCode }, { jobId: `stats-${unitCode}-${second}`, delay: second * 1000 - now, removeOnComplete: true, removeOnFail: true });
}

/** Pushes one audit event of a ticket to everyone who may see the ticket, and refreshes its unit's figures. */
export async function announceTicketEvent(ctx: AppContext, ticket: Ticket, event: { id: string; type: string; at: Date }): Promise<void> {
  ctx.realtime.ticketEvent(ticket, event);
  await requestQueueStats(ctx, ticket.unitCode);
  if (ticket.referral && ticket.referral.fromUnit !== ticket.unitCode) await requestQueueStats(ctx, ticket.referral.fromUnit);
}

export async function queueStats(ctx: AppContext, unitCode: string, now = new Date()): Promise<QueueStatsPayload> {
  // Read from the live routing state's counters: the same cost with a thousand or a million tickets stored.
  const live = await ctx.live.figures(unitCode, calendarOf(ctx).toLocalDate(now));
  const declared = ctx.catalogue.routing.queues.filter((q) => q.unit === unitCode).map((q) => q.code);
  return {
    unitCode,
    queues: figuresFromCounters(declared, live.queues, now),
    agents: live.agents,
    // The attention office runs the counter hall: its supervisors watch the hall with their queues.
    ...(unitCode === ctx.catalogue.attentionOffice.code ? { hall: await hallFigures(ctx, now) } : {}),
    at: now.toISOString(),
  };
}

/** Computes and pushes a unit's figures (the `realtime.stats` job). */
export async function pushQueueStats(ctx: AppContext, unitCode: string): Promise<void> {
  ctx.realtime.queueStats(await queueStats(ctx, unitCode));
}

/** The same figures over REST, for the supervisors of the unit and admins. */
export async function queueStatsFor(ctx: AppContext, actor: Actor, unitCode: string): Promise<QueueStatsPayload> {
  if (!ctx.catalogue.unitByCode(unitCode) || !isSupervisorOf(actor, unitCode)) throw new AppError('NOT_FOUND', 'No such unit.');
  return queueStats(ctx, unitCode);
}

/** The figures of every unit the actor supervises: all units for an admin, none for someone who supervises nothing. */
export async function supervisedQueueStats(ctx: AppContext, actor: Actor): Promise<QueueStatsPayload[]> {
  const units = ctx.catalogue.units.map((u) => u.code).filter((unit) => isSupervisorOf(actor, unit));
  return Promise.all(units.map((unit) => queueStats(ctx, unit)));
}

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
  const visible = (t: Ticket | undefined): t is Ticket =>
    t !== undefined && (canSeeUnits(actor, [t.unitCode, ...(t.referral ? [t.referral.fromUnit] : [])]) || t.assigneeId?.toString() === actor.id);
  const payloads: TicketEventPayload[] = [];
  for (const e of shown) {
    const ticket = tickets.get(e.ticketId.toString());
    if (visible(ticket)) payloads.push({ eventId: e._id.toString(), kind: e.type, at: e.at.toISOString(), ticket: ticketSummary(ticket) });
  }
  const assigned = await heldTickets(ctx, actor.id);
  return { events: payloads, assigned: assigned.map(ticketSummary), complete };
}
