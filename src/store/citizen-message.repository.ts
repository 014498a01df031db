import { Types } from 'mongoose';
import { derivedObjectId } from './derived-id.js';
import type { CitizenMessageDoc } from './citizen-message.model.js';
import type { DocumentLocks } from './document-lock.js';
import { guardedStep, type GuardedChange, type GuardedStep, type WriteFilters } from './guarded-update.js';
import type { Models } from './models.js';
import { isDuplicateKeyError, storeCall, toAppError } from './store-errors.js';

export type CitizenMessage = CitizenMessageDoc;
export type NewCitizenMessage = Omit<CitizenMessageDoc, '_id' | 'ticketId' | 'attempts' | 'version' | 'createdAt' | 'updatedAt'> & { ticketId: string };

/** The `_id` of the message with this key: the same key always names the same record. */
export function citizenMessageIdFor(key: string): Types.ObjectId {
  return derivedObjectId('citizen-message', key);
}

/** Messages to citizens (see citizen-message.model.ts), read and written by `_id` only. */
export function createCitizenMessageRepository(models: Models, locks: DocumentLocks, filters: WriteFilters) {
  const { CitizenMessage } = models;
  return {
    async get(id: Types.ObjectId | string): Promise<CitizenMessage | null> {
      if (!Types.ObjectId.isValid(id)) return null;
      return storeCall('citizen message', () => CitizenMessage.findById(new Types.ObjectId(id)).lean());
    },

    /**
     * Stores the message with its first attempt claimed (started `at`) by the caller, unless its key is stored already;
     * answers the record that is stored either way, and whether this call stored it (a draft that loses to another one
     * claims nothing).
     */
    async createClaimed(input: NewCitizenMessage, at: Date): Promise<{ message: CitizenMessage; created: boolean }> {
      const _id = citizenMessageIdFor(input.key);
      try {
        const created = await CitizenMessage.create({ ...input, _id, ticketId: new Types.ObjectId(input.ticketId), attempts: 1, attemptStartedAt: at, version: 0 });
        return { message: created.toObject(), created: true };
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw toAppError(err, 'citizen message');
        const existing = await storeCall('citizen message', () => CitizenMessage.findById(_id).lean());
        if (!existing) throw toAppError(err, 'citizen message');
        return { message: existing, created: false };
      }
    },

    /** A guarded change (see guardedStep): `decide` sees the record as stored and says what to change, or null. */
    async step(id: Types.ObjectId, decide: (current: CitizenMessage) => GuardedChange | null): Promise<GuardedStep<CitizenMessage>> {
      return guardedStep(CitizenMessage, locks, filters, 'citizen message', id, decide);
    },
  };
}

export type CitizenMessageRepository = ReturnType<typeof createCitizenMessageRepository>;
