import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { CHANNELS, type Channel } from '../domain/ticket-types.js';
import { ACTOR_KINDS, type ActorKind } from './ticket-event.model.js';

export const INTERACTION_KINDS = ['call', 'email', 'visit', 'sms', 'note', 'web'] as const;
export type InteractionKind = (typeof INTERACTION_KINDS)[number];
export const DIRECTIONS = ['in', 'out', 'internal'] as const;
export type Direction = (typeof DIRECTIONS)[number];
export const DELIVERY_STATUSES = ['queued', 'sent', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface AttachmentMeta {
  filename: string;
  contentType: string;
  size: number;
  /** SHA-256 of the bytes, hex: where the attachment store keeps them (email). Absent when the bytes were not kept. */
  sha256?: string;
  /** Shown inside the message (an image the HTML refers to by Content-ID), not attached by the sender as a file. */
  inline?: boolean;
}

/**
 * One exchange on a ticket: a call, an email in or out, a counter visit, an internal note. Kept in its own
 * collection so a long case never grows its ticket document.
 */
export interface InteractionDoc {
  _id: Types.ObjectId;
  ticketId: Types.ObjectId;
  kind: InteractionKind;
  direction: Direction;
  channel: Channel;
  authorKind: ActorKind;
  authorId?: string;
  subject?: string;
  body: string;
  /** The channel's id of this exchange (CallSid, Message-ID); unique per channel when present. */
  externalId?: string;
  attachments: AttachmentMeta[];
  deliveryStatus?: DeliveryStatus;
  /**
   * Unique. `<ticketId>:<externalId>` for an exchange a channel may deliver twice, a random value otherwise:
   * always present, so the unique index needs no partial or sparse support.
   */
  dedupeKey: string;
  /** The vendor's original payload, kept for audit and reprocessing. */
  raw?: unknown;
  at: Date;
}

const interactionSchema = new Schema<InteractionDoc>(
  {
    ticketId: { type: Schema.Types.ObjectId, required: true },
    kind: { type: String, enum: INTERACTION_KINDS, required: true },
    direction: { type: String, enum: DIRECTIONS, required: true },
    channel: { type: String, enum: CHANNELS, required: true },
    authorKind: { type: String, enum: ACTOR_KINDS, required: true },
    authorId: { type: String },
    subject: { type: String, maxlength: 300 },
    body: { type: String, required: true, maxlength: 100_000 },
    externalId: { type: String, maxlength: 512 },
    attachments: {
      type: [{ _id: false, filename: String, contentType: String, size: Number, sha256: String, inline: Boolean }],
      default: [],
    },
    deliveryStatus: { type: String, enum: DELIVERY_STATUSES },
    dedupeKey: { type: String, required: true },
    raw: { type: Schema.Types.Mixed },
    at: { type: Date, required: true, default: () => new Date() },
  },
  { collection: 'interactions', versionKey: false, strict: 'throw' },
);
// A ticket's exchanges in order (its timeline, the mail thread of a reply); `q_`: see ticket.model.ts.
interactionSchema.index({ ticketId: 1, at: 1, _id: 1 }, { name: 'q_ticket_at' });
interactionSchema.index({ dedupeKey: 1 }, { unique: true });

export function registerInteractionModel(connection: Connection): Model<InteractionDoc> {
  return connection.model<InteractionDoc>('Interaction', interactionSchema);
}
