import type { DocumentLocks } from './document-lock.js';
import type { Models } from './models.js';
import { storeCall } from './store-errors.js';

/** Numbers reserved from the store at a time; unused ones are skipped when the process stops. */
const BLOCK = 20;

export function createCounterRepository(models: Models, locks: DocumentLocks) {
  const { Counter } = models;
  const blocks = new Map<string, { next: number; last: number }>();
  const pending = new Map<string, Promise<void>>();

  /** Reserves the next block under the document lock (FerretDB loses concurrent `$inc`s otherwise). */
  async function reserve(name: string): Promise<void> {
    const doc = await locks.withLock(`counter:${name}`, () =>
      storeCall('counter', () => Counter.findOneAndUpdate({ _id: name }, { $inc: { seq: BLOCK } }, { upsert: true, returnDocument: 'after' }).lean()),
    );
    blocks.set(name, { next: doc.seq - BLOCK + 1, last: doc.seq });
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
          reserving = reserve(name).finally(() => pending.delete(name));
          pending.set(name, reserving);
        }
        await reserving;
      }
    },
  };
}

export type CounterRepository = ReturnType<typeof createCounterRepository>;
