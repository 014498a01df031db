import { hallQueueOf } from '../../domain/counter-turns.js';
import type { RemovedEntry } from '../../live/live-script.js';
import type { Ticket } from '../../store/ticket.repository.js';
import type { AppContext } from '../context/index.js';
import { routingEntryOf } from './entries.js';
import { restoreTurn } from './hall-restore.js';

/*
 * Where a ticket sits in the live state follows what it is: a turn of the counter hall is the hall's (its service's
 * queue, its counter), any other ticket agent routing's. These put it, hold it and take it out on the right side.
 */

/** A new ticket counts as waiting in its unit's figures until it is routed (a turn of the hall as one from the start). */
export async function arriveLive(ctx: AppContext, ticket: Ticket): Promise<void> {
  await ctx.live.arrive(routingEntryOf(ticket), hallQueueOf(ticket.turn));
}

/**
 * The ticket leaves the live state, wherever it is there. `abandonedDay` counts it as abandoned that day if it was
 * still waiting. Returns where it was. A ticket that never was a turn is agent routing's; one that was (its turn may
 * have just finished as a case left open) or one known by id alone is asked of the hall first, then of routing: each
 * side lets go only of what is its own.
 */
export async function leaveLive(ctx: AppContext, ticket: Ticket | string, abandonedDay?: string): Promise<RemovedEntry | null> {
  if (typeof ticket !== 'string' && ticket.turn === undefined) return ctx.live.routing.remove(ticket._id.toString(), abandonedDay);
  const id = typeof ticket === 'string' ? ticket : ticket._id.toString();
  return (await ctx.live.hall.remove(id, abandonedDay)) ?? (await ctx.live.routing.remove(id, abandonedDay));
}

/** The store says the ticket's assignee holds it: the hall's counter for a turn, the agent otherwise. */
export async function holdLive(ctx: AppContext, ticket: Ticket): Promise<void> {
  if ((await restoreTurn(ctx, ticket)) !== null || !ticket.assigneeId) return;
  await ctx.live.routing.hold(routingEntryOf(ticket), ticket.assigneeId.toString(), ticket.assignedAt ?? new Date());
}
