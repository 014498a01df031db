import { Types } from 'mongoose';
import { derivedObjectId } from './derived-id.js';
import type { MailThreadKeyDoc, MailThreadKeyKind } from './mail-thread.model.js';
import type { Models } from './models.js';
import { isDuplicateKeyError, storeCall, toAppError } from './store-errors.js';

export type MailThreadKey = MailThreadKeyDoc;

/** A key to remember: a Message-ID, code or reply token, and whether it came in a citizen's mail or in ours. */
export interface ThreadKeyEntry {
  kind: MailThreadKeyKind;
  value: string;
  direction: 'in' | 'out';
}

/** The `_id` of a thread key: the same Message-ID or code always maps to the same document. */
export function mailThreadKeyId(kind: MailThreadKeyKind, value: string): Types.ObjectId {
  return derivedObjectId(kind, value);
}

export function createMailThreadRepository(models: Models) {
  const { MailThreadKey } = models;
  return {
    /**
     * Remembers keys of a ticket's mail, in one write. A key already known keeps the ticket it had: the first case a
     * Message-ID was seen on is its case.
     */
    async remember(ticketId: Types.ObjectId | string, keys: readonly ThreadKeyEntry[], at: Date): Promise<void> {
      if (keys.length === 0) return;
      const docs = keys.map((key) => ({ _id: mailThreadKeyId(key.kind, key.value), kind: key.kind, value: key.value, ticketId: new Types.ObjectId(ticketId), direction: key.direction, at }));
      try {
        await MailThreadKey.insertMany(docs, { ordered: false });
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw toAppError(err, 'mail thread key');
      }
    },

    /** The ticket of the first of `keys` that is known, trying them in order (one `_id` read each, in parallel). */
    async findTicket(keys: readonly { kind: MailThreadKeyKind; value: string }[]): Promise<{ ticketId: Types.ObjectId; key: MailThreadKey } | null> {
      if (keys.length === 0) return null;
      const found = await storeCall('mail thread key', () => Promise.all(keys.map((key) => MailThreadKey.findById(mailThreadKeyId(key.kind, key.value)).lean())));
      const hit = found.find((doc) => doc !== null);
      return hit ? { ticketId: hit.ticketId, key: hit } : null;
    },
  };
}

export type MailThreadRepository = ReturnType<typeof createMailThreadRepository>;
