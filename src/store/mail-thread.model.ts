import { Schema, type Connection, type Model, type Types } from 'mongoose';

export const MAIL_THREAD_KEY_KINDS = ['message_id', 'tracking_code', 'reply_token'] as const;
export type MailThreadKeyKind = (typeof MAIL_THREAD_KEY_KINDS)[number];

/**
 * What ties a mail to its case, found by `_id` alone (the only lookup FerretDB answers from an index): every
 * Message-ID we received or sent on a ticket, the tracking codes we mailed, and the tokens of per-ticket reply
 * addresses (`buzon+token@dominio`) when the outbound side hands them out. The `_id` derives from the kind and
 * the value (`mailThreadKeyId`), so a reply is threaded with one read per id it cites, whatever the history.
 */
export interface MailThreadKeyDoc {
  _id: Types.ObjectId;
  kind: MailThreadKeyKind;
  value: string;
  ticketId: Types.ObjectId;
  /** Received from the citizen, or sent by us. */
  direction: 'in' | 'out';
  at: Date;
}

const mailThreadKeySchema = new Schema<MailThreadKeyDoc>(
  {
    kind: { type: String, enum: MAIL_THREAD_KEY_KINDS, required: true },
    value: { type: String, required: true, maxlength: 1_000 },
    ticketId: { type: Schema.Types.ObjectId, required: true },
    direction: { type: String, enum: ['in', 'out'], required: true },
    at: { type: Date, required: true },
  },
  { collection: 'mail_thread_keys', versionKey: false, strict: 'throw' },
);

export function registerMailThreadKeyModel(connection: Connection): Model<MailThreadKeyDoc> {
  return connection.model<MailThreadKeyDoc>('MailThreadKey', mailThreadKeySchema);
}
