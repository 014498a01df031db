import { AppError } from '../../errors.js';
import { staffRooms, type SyncAnswer } from '../../realtime/events.js';
import { ticketSummary } from '../../realtime/publisher.js';
import { heldTickets } from '../assignment/index.js';
import type { Actor, AppContext } from '../context/index.js';

/**
 * Most events one `sync` returns: a blip's worth at a busy hour. A client that missed more reloads its lists over
 * REST, which pages.
 */
const SYNC_LIMIT = 500;

/**
 * What a reconnecting client missed: the ticket events its rooms received after `since` (kept in Redis beside the
 * pushes, so the cost is what it missed, not the history), and the tickets assigned to it at this moment. `complete`
 * is false when a room had dropped some of them or there were more than one answer holds; the client then reloads
 * over REST.
 */
export async function syncSince(ctx: AppContext, actor: Actor, since: Date): Promise<Omit<Extract<SyncAnswer, { ok: true }>, 'ok'>> {
  if (actor.kind !== 'staff') throw new AppError('FORBIDDEN');
  const [missed, assigned] = await Promise.all([ctx.realtime.missedSince(staffRooms(actor), since, SYNC_LIMIT), heldTickets(ctx, actor.id)]);
  return { events: missed.events, assigned: assigned.map(ticketSummary), complete: missed.complete };
}
