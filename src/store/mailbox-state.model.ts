import { Schema, type Connection, type Model } from 'mongoose';

/**
 * How far a mailbox has been read: the UIDVALIDITY of its folder and the highest UID taken in under it. A mail is
 * taken in (ticket or interaction stored) before `lastUid` passes it, so a crash re-reads, never skips.
 */
export interface MailboxStateDoc {
  /** The mailbox id of `config/mailboxes.json`. */
  _id: string;
  uidValidity: number;
  lastUid: number;
  updatedAt: Date;
}

const mailboxStateSchema = new Schema<MailboxStateDoc>(
  {
    _id: { type: String, required: true },
    uidValidity: { type: Number, required: true },
    lastUid: { type: Number, required: true },
    updatedAt: { type: Date, required: true },
  },
  { collection: 'mailbox_states', versionKey: false, strict: 'throw' },
);

export function registerMailboxStateModel(connection: Connection): Model<MailboxStateDoc> {
  return connection.model<MailboxStateDoc>('MailboxState', mailboxStateSchema);
}
