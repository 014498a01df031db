import { AppError } from '../errors.js';
import type { DocumentLocks } from './document-lock.js';
import { guardedFilter, type WriteFilters } from './guarded-update.js';
import type { Models } from './models.js';
import { storeCall } from './store-errors.js';

/** Numbers reserved from the store at a time; unused ones are skipped when the process stops. */
const BLOCK = 20;

export function createCounterRepository(models: Models, locks: DocumentLocks, filters: WriteFilters) {
  const { Counter } = models;
  const blocks = new Map<string, { next: number; last: number }>();
  const pending = new Map<string, Promise<void>>();

  /**
   * Reserves the next `count` numbers under the document lock (FerretDB loses concurrent `$inc`s otherwise, and runs
   * them slowly): read, then write the new value guarded on the old one; the first reservation inserts the counter.
   * Answers the last number reserved.
   */
  async function reserve(name: string, count: number): Promise<number> {
    return locks.withLock(`counter:${name}`, async () => {
      const current = await storeCall('counter', () => Counter.findById(name).lean());
      if (!current) {
        await storeCall('counter', () => Counter.create({ _id: name, seq: count }));
        return count;
      }
      const filter = guardedFilter(filters, name, { seq: current.seq });
      const updated = await storeCall('counter', () => Counter.updateOne(filter, { $set: { seq: current.seq + count } }));
      if (updated.matchedCount !== 1) throw new AppError('CONFLICT', `Counter ${name} changed outside its lock.`);
      return current.seq + count;
    });
  }

  return {
    /**
     * Next value of a named sequence (e.g. tracking codes of one year). Values come from blocks reserved
     * atomically in the store, so the hot path touches no shared document. A value handed out is never
     * handed out again, by this or any other process; a restart skips the rest of a block (gaps are fine,
     * reuse is not). With several processes, numbers are unique but not strictly in arrival order.
     */
    async next(name: string): Promise<number> {
      for (;;) {
        const block = blocks.get(name);
        if (block && block.next <= block.last) return block.next++;
        let reserving = pending.get(name);
        if (!reserving) {
          reserving = reserve(name, BLOCK)
            .then((last) => {
              blocks.set(name, { next: last - BLOCK + 1, last });
            })
            .finally(() => pending.delete(name));
          pending.set(name, reserving);
        }
        await reserving;
      }
    },

    /**
     * Reserves `count` consecutive numbers of a sequence at once and answers the first, for a caller that writes the
     * codes itself (a bulk import of past tickets): `next` never hands them out.
     */
    async reserveRange(name: string, count: number): Promise<number> {
      return (await reserve(name, count)) - count + 1;
    },
  };
}

export type CounterRepository = ReturnType<typeof createCounterRepository>;
