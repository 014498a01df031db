import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { TICKET_STATUSES, type TicketStatus } from '../domain/ticket-lifecycle.js';

export const ACTOR_KINDS = ['system', 'staff', 'citizen'] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];

/** Append-only audit trail of a ticket: who did what, when, from which state to which, and why. */
export interface TicketEventDoc {
  _id: Types.ObjectId;
  ticketId: Types.ObjectId;
  type: string;
  actorKind: ActorKind;
  actorId?: string;
  fromStatus?: TicketStatus;
  toStatus?: TicketStatus;
  reason?: string;
  data?: Record<string, unknown>;
  at: Date;
}

const ticketEventSchema = new Schema<TicketEventDoc>(
  {
    ticketId: { type: Schema.Types.ObjectId, required: true },
    type: { type: String, required: true, maxlength: 64 },
    actorKind: { type: String, enum: ACTOR_KINDS, required: true },
    actorId: { type: String },
    fromStatus: { type: String, enum: TICKET_STATUSES },
    toStatus: { type: String, enum: TICKET_STATUSES },
    reason: { type: String, maxlength: 2000 },
    data: { type: Schema.Types.Mixed },
    at: { type: Date, required: true, default: () => new Date() },
  },
  { collection: 'ticket_events', versionKey: false, strict: 'throw' },
);
// A ticket's timeline, a page at a time; `q_`: see ticket.model.ts.
ticketEventSchema.index({ ticketId: 1, at: 1, _id: 1 }, { name: 'q_ticket_at' });

export function registerTicketEventModel(connection: Connection): Model<TicketEventDoc> {
  return connection.model<TicketEventDoc>('TicketEvent', ticketEventSchema);
}
