import type { TicketStatus } from '../../domain/ticket-lifecycle.js';
import type { NewTicketEvent } from '../../store/ticket-event.repository.js';
import type { Ticket } from '../../store/ticket.repository.js';
import type { Actor, AppContext } from '../context/index.js';
import { requestQueueStats } from '../figures/index.js';

/** Pushes one audit event of a ticket to everyone who may see the ticket, and refreshes its unit's figures. */
export async function announceTicketEvent(ctx: AppContext, ticket: Ticket, event: { id: string; type: string; at: Date }): Promise<void> {
  ctx.realtime.ticketEvent(ticket, event);
  await requestQueueStats(ctx, ticket.unitCode);
  if (ticket.referral && ticket.referral.fromUnit !== ticket.unitCode) await requestQueueStats(ctx, ticket.referral.fromUnit);
}

export interface EventDetails {
  from?: TicketStatus;
  to?: TicketStatus;
  reason?: string;
  data?: Record<string, unknown>;
}

/** One entry of a ticket's audit trail: its type and what it says. */
export interface EventRecord extends EventDetails {
  type: string;
}

/** Appends to the ticket's audit trail (every change says who, when, from, to and why) and pushes it live. */
export async function recordEvent(ctx: AppContext, ticket: Ticket, actor: Actor, type: string, details: EventDetails = {}): Promise<void> {
  await recordEvents(ctx, ticket, actor, [{ type, ...details }]);
}

/** Several changes of one ticket made together, appended in one write, in order, and pushed live in that order. */
export async function recordEvents(ctx: AppContext, ticket: Ticket, actor: Actor, records: readonly EventRecord[]): Promise<void> {
  const at = new Date();
  const events = await ctx.store.ticketEvents.appendMany(records.map((details) => newEvent(ticket, actor, details, at)));
  // Every recorded change is also pushed live: the audit trail and the live view cannot disagree.
  for (const event of events) await announceTicketEvent(ctx, ticket, { id: event._id.toString(), type: event.type, at: event.at });
}

/**
 * Records an event once under `key`, whatever repeats (the outcome of a job that may run again after a crash): a
 * second call finds it recorded and neither appends nor pushes anything.
 */
export async function recordEventOnce(ctx: AppContext, ticket: Ticket, actor: Actor, key: string, type: string, details: EventDetails = {}): Promise<void> {
  const event = await ctx.store.ticketEvents.appendOnce(key, newEvent(ticket, actor, { type, ...details }, new Date()));
  if (event) await announceTicketEvent(ctx, ticket, { id: event._id.toString(), type: event.type, at: event.at });
}

function newEvent(ticket: Ticket, actor: Actor, details: EventRecord, at: Date): NewTicketEvent {
  return {
    ticketId: ticket._id,
    type: details.type,
    at,
    actorKind: actor.kind,
    ...(actor.id !== undefined ? { actorId: actor.id } : {}),
    ...(details.from ? { fromStatus: details.from } : {}),
    ...(details.to ? { toStatus: details.to } : {}),
    ...(details.reason ? { reason: details.reason } : {}),
    ...(details.data ? { data: details.data } : {}),
  };
}
