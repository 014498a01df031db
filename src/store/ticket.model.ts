import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { PRIORITY_CLASSES, type PriorityClass } from '../domain/priority.js';
import { TICKET_STATUSES, type TicketStatus } from '../domain/ticket-lifecycle.js';
import { CHANNELS, TICKET_TYPES, type Channel, type TicketType } from '../domain/ticket-types.js';

export interface TicketDoc {
  _id: Types.ObjectId;
  /** Human code the citizen quotes, e.g. PL-2026-000123. */
  trackingCode: string;
  channel: Channel;
  /**
   * The channel's own idempotency key (Twilio CallSid, email Message-ID, kiosk request id). Unique: the same
   * contact delivered twice yields one ticket.
   */
  channelKey: string;
  type: TicketType;
  serviceCode?: string;
  unitCode: string;
  status: TicketStatus;
  priorityClass: PriorityClass;
  priorityScore: number;
  citizenId?: Types.ObjectId;
  subject: string;
  /** Incremented by every guarded update; the guard that makes concurrent changes safe. */
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

const ticketSchema = new Schema<TicketDoc>(
  {
    trackingCode: { type: String, required: true },
    channel: { type: String, enum: CHANNELS, required: true },
    channelKey: { type: String, required: true, maxlength: 512 },
    type: { type: String, enum: TICKET_TYPES, required: true },
    serviceCode: { type: String },
    unitCode: { type: String, required: true },
    status: { type: String, enum: TICKET_STATUSES, required: true, default: 'nuevo' },
    priorityClass: { type: String, enum: PRIORITY_CLASSES, required: true, default: 'normal' },
    priorityScore: { type: Number, required: true, default: 0 },
    citizenId: { type: Schema.Types.ObjectId },
    subject: { type: String, required: true, trim: true, maxlength: 300 },
    version: { type: Number, required: true, default: 0 },
  },
  { timestamps: true, collection: 'tickets', versionKey: false, strict: 'throw' },
);
ticketSchema.index({ trackingCode: 1 }, { unique: true });
ticketSchema.index({ channel: 1, channelKey: 1 }, { unique: true });
ticketSchema.index({ unitCode: 1, status: 1, priorityScore: -1, createdAt: 1 });
ticketSchema.index({ citizenId: 1, createdAt: -1 });

export function registerTicketModel(connection: Connection): Model<TicketDoc> {
  return connection.model<TicketDoc>('Ticket', ticketSchema);
}
