import { hallQueueOf } from '../../domain/counter-turns.js';
import { OWNED_STATUSES, WAITING_STATUSES } from '../../domain/ticket-lifecycle.js';
import type { CounterStage } from '../../live/counter-hall.repository.js';
import type { Ticket } from '../../store/ticket.repository.js';
import type { AppContext } from '../context/index.js';
import { hallEntryOf } from './entries.js';

/*
 * The counter hall's part of rebuilding the live state from the store (rebuild.service.ts): counters get their
 * staff back from the counter sessions, waiting turns their place in their service's queue, and turns a counter holds
 * go back to it, current or parked.
 */

/** Seats every counter's staff member again, paused or not, as the sessions in the store say. */
export async function restoreCounters(ctx: AppContext): Promise<number> {
  let seated = 0;
  for (const session of await ctx.store.counterSessions.all()) {
    const counter = ctx.catalogue.kiosk.counterByCode(session._id);
    // A counter taken out of kiosk.json keeps no one: its session is closed.
    if (!counter) {
      await ctx.store.counterSessions.remove(session._id);
      continue;
    }
    if ((await ctx.live.hall.seat(counter.code, session.staffId, counter.services, session.paused)) === 'ok') seated++;
  }
  return seated;
}

/** Where a turn a counter holds stands, from what the store recorded of it. */
function stageOf(ticket: Ticket): CounterStage {
  if (ticket.turn?.stage === 'parked') return 'parked';
  return ticket.status === 'en_atencion' ? 'serving' : 'called';
}

/**
 * Puts an open turn back where the store says it is: waiting in its service's queue, or held by its counter. Answers
 * null for a ticket that is not a turn of the hall (the caller restores it as any ticket).
 */
export async function restoreTurn(ctx: AppContext, ticket: Ticket): Promise<'waiting' | 'held' | null> {
  const service = hallQueueOf(ticket.turn);
  if (service === undefined || ticket.turn === undefined) return null;
  if (WAITING_STATUSES.includes(ticket.status)) {
    await ctx.live.hall.wait(hallEntryOf(ticket), service, false);
    return 'waiting';
  }
  const { counterCode } = ticket.turn;
  if (!OWNED_STATUSES.includes(ticket.status) || !ticket.assigneeId || counterCode === undefined) return null;
  await ctx.live.hall.hold(hallEntryOf(ticket), service, ticket.assigneeId.toString(), counterCode, stageOf(ticket), ticket.assignedAt ?? ticket.updatedAt);
  return 'held';
}
