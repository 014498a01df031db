import type { MailboxStateDoc } from './mailbox-state.model.js';
import type { Models } from './models.js';
import { storeCall } from './store-errors.js';

export type MailboxState = MailboxStateDoc;

/** Where each mailbox's reading stands. One poller per mailbox writes its own document. */
export function createMailboxStateRepository(models: Models) {
  const { MailboxState } = models;
  return {
    async get(mailboxId: string): Promise<MailboxState | null> {
      return storeCall('mailbox state', () => MailboxState.findById(mailboxId).lean());
    },

    /** Records that every mail up to `lastUid` under `uidValidity` is taken in. */
    async save(mailboxId: string, uidValidity: number, lastUid: number): Promise<void> {
      await storeCall('mailbox state', () => MailboxState.updateOne({ _id: mailboxId }, { $set: { uidValidity, lastUid, updatedAt: new Date() } }, { upsert: true }));
    },
  };
}

export type MailboxStateRepository = ReturnType<typeof createMailboxStateRepository>;
