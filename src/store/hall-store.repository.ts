import { Types } from 'mongoose';
import type { DocumentLocks } from './document-lock.js';
import { guardedStep, type GuardedStep, type WriteFilters } from './guarded-update.js';
import type { Models } from './models.js';
import { storeCall } from './store-errors.js';
import type { TicketChange } from './ticket.repository.js';
import type { TicketDoc, TicketTurn } from './ticket.model.js';
import { hallQueueOf } from '../domain/counter-turns.js';
import { WAITING_STATUSES } from '../domain/ticket-lifecycle.js';

/**
 * The counter hall's store writes: a turn's ticket changed from what is stored now (one read and one write by `_id`
 * under the document lock), and the day's turn-number ceilings.
 */
export function createHallStoreRepository(models: Models, locks: DocumentLocks, filters: WriteFilters) {
  const { Ticket, TurnCeiling } = models;
  return {
    /**
     * Changes a ticket by what `decide` makes of it as stored now (null: nothing to write). `before` and `after` tell
     * the caller what was there and what was written.
     */
    async stepTicket(id: Types.ObjectId | string, decide: (current: TicketDoc) => TicketChange | null): Promise<GuardedStep<TicketDoc>> {
      return guardedStep(Ticket, locks, filters, 'ticket', new Types.ObjectId(id), (current) => {
        const change = decide(current);
        if (!change) return null;
        return { set: { ...change.set, updatedAt: new Date() }, ...(change.unset ? { unset: change.unset } : {}) };
      }, { runValidators: true });
    },

    /**
     * Writes a counter's call: the turn, if still waiting in the hall, becomes the staff member's (`asignado`) with
     * its counter fields from `called`. One read and one write by `_id`; `before` tells a repeat (already this
     * person's) from a refusal (taken, closed, no longer a turn).
     */
    async assignTurn(id: string, staffId: string, at: Date, called: (turn: TicketTurn) => TicketTurn): Promise<GuardedStep<TicketDoc>> {
      return guardedStep(Ticket, locks, filters, 'ticket', new Types.ObjectId(id), (current) =>
        WAITING_STATUSES.includes(current.status) && hallQueueOf(current.turn) !== undefined && current.turn !== undefined
          ? { set: { status: 'asignado', assigneeId: new Types.ObjectId(staffId), assignedAt: at, turn: called(current.turn), updatedAt: at } }
          : null,
      { runValidators: true });
    },

    /** The ceiling of a day's prefix; 0 when no number was reserved yet. */
    async turnCeiling(key: string): Promise<number> {
      return (await storeCall('turn ceiling', () => TurnCeiling.findById(key).lean()))?.ceiling ?? 0;
    },

    /**
     * Makes sure the ceiling is above `seen` (the ceiling Redis had): raises it to `seen + block` unless another
     * process already raised it past `seen`. Answers the ceiling now stored.
     */
    async raiseTurnCeiling(key: string, seen: number, block: number): Promise<number> {
      return locks.withLock(`turn-ceiling:${key}`, async () => {
        const stored = (await storeCall('turn ceiling', () => TurnCeiling.findById(key).lean()))?.ceiling ?? 0;
        if (stored > seen) return stored;
        const ceiling = Math.max(stored, seen) + block;
        await storeCall('turn ceiling', () => TurnCeiling.updateOne({ _id: key }, { $set: { ceiling, updatedAt: new Date() } }, { upsert: true }));
        return ceiling;
      });
    },
  };
}

export type HallStoreRepository = ReturnType<typeof createHallStoreRepository>;
