import { Schema, type Connection, type Model, type Types } from 'mongoose';

/**
 * Where a message to a citizen stands: `sending` until the provider took it (or an attempt's answer was lost, see
 * `attempts`), then `sent`; `refused` when the provider refused it for good, `failed` when every attempt failed, and
 * `undelivered` when the provider reported later that it never reached the phone.
 */
export const CITIZEN_MESSAGE_STATUSES = ['sending', 'sent', 'refused', 'failed', 'undelivered'] as const;
export type CitizenMessageStatus = (typeof CITIZEN_MESSAGE_STATUSES)[number];

/**
 * One message the office sends a citizen (an SMS with the tracking code, a mail acknowledging a case, a status change,
 * an agent's reply by mail), kept so it is sent once whatever repeats: its `_id` is derived from `key`
 * (`sms-<ticketId>-<why>`, `email-<ticketId>-<why>`), so every attempt, and every copy of its job, finds the same
 * record by `_id` alone.
 */
export interface CitizenMessageDoc {
  _id: Types.ObjectId;
  key: string;
  ticketId: Types.ObjectId;
  channel: 'sms' | 'email';
  /** Why it is sent (`call`, `resolved`, ...). */
  reason: string;
  template: string;
  /** E.164 for an SMS, an address for a mail. */
  to: string;
  /** A mail's subject. */
  subject?: string;
  /** The text as sent (an SMS folded to GSM-7). */
  body: string;
  /** A mail's own Message-ID, the one it answers and its References (ids without angle brackets). */
  messageId?: string;
  inReplyTo?: string;
  references?: string[];
  /** The interaction this message delivers (an agent's reply), whose delivery status follows it. */
  interactionId?: Types.ObjectId;
  status: CitizenMessageStatus;
  /** Attempts started; an attempt whose answer was lost may have sent it, which the next one checks first. */
  attempts: number;
  attemptStartedAt?: Date;
  /** Set when the last attempt ended without the provider taking the message; absent while one is under way. */
  attemptEndedAt?: Date;
  /** The provider's id of the message (Twilio's Message SID). */
  providerId?: string;
  error?: { code: string; message: string; providerCode?: number };
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

const citizenMessageSchema = new Schema<CitizenMessageDoc>(
  {
    _id: { type: Schema.Types.ObjectId, required: true },
    key: { type: String, required: true, maxlength: 200 },
    ticketId: { type: Schema.Types.ObjectId, required: true },
    channel: { type: String, enum: ['sms', 'email'], required: true },
    reason: { type: String, required: true, maxlength: 40 },
    template: { type: String, required: true, maxlength: 100 },
    to: { type: String, required: true, maxlength: 254 },
    subject: { type: String, maxlength: 300 },
    body: { type: String, required: true, maxlength: 100_000 },
    messageId: { type: String, maxlength: 998 },
    inReplyTo: { type: String, maxlength: 998 },
    references: { type: [String], default: undefined },
    interactionId: { type: Schema.Types.ObjectId },
    status: { type: String, enum: CITIZEN_MESSAGE_STATUSES, required: true },
    attempts: { type: Number, required: true, default: 0 },
    attemptStartedAt: Date,
    attemptEndedAt: Date,
    providerId: { type: String, maxlength: 998 },
    error: { type: new Schema({ code: { type: String, required: true }, message: { type: String, maxlength: 1_000 }, providerCode: Number }, { _id: false }) },
    version: { type: Number, required: true, default: 0 },
  },
  { collection: 'citizen_messages', versionKey: false, timestamps: true, strict: 'throw' },
);

export function registerCitizenMessageModel(connection: Connection): Model<CitizenMessageDoc> {
  return connection.model<CitizenMessageDoc>('CitizenMessage', citizenMessageSchema);
}
