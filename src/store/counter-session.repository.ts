import type { CounterSessionDoc } from './counter-session.model.js';
import type { Models } from './models.js';
import { storeCall } from './store-errors.js';

export type CounterSession = CounterSessionDoc;

/**
 * Counter sessions. The live hall decides who may sign in where (atomically, in Redis); this records it by `_id`
 * so a Redis that restarted empty gets its counters back.
 */
export function createCounterSessionRepository(models: Models) {
  const { CounterSession } = models;
  return {
    async save(session: CounterSession): Promise<void> {
      const { _id, ...fields } = session;
      await storeCall('counter session', () => CounterSession.replaceOne({ _id }, fields, { upsert: true }));
    },

    async get(code: string): Promise<CounterSession | null> {
      return storeCall('counter session', () => CounterSession.findById(code).lean());
    },

    /** Every open session (rebuild; one document per counter of the hall). */
    async all(): Promise<CounterSession[]> {
      return storeCall('counter session', () => CounterSession.find({}).lean());
    },

    async remove(code: string): Promise<void> {
      await storeCall('counter session', () => CounterSession.deleteOne({ _id: code }));
    },
  };
}

export type CounterSessionRepository = ReturnType<typeof createCounterSessionRepository>;
