import { Schema, type Connection, type Model, type Types } from 'mongoose';

/**
 * The index of open tickets: one small document per ticket that is not resolved, closed or cancelled, keyed by
 * the ticket's id. Rebuilding the live routing state and reconciling it read this collection, whose size is the
 * office's open work, instead of the tickets collection, whose size is its whole history.
 */
export interface OpenTicketDoc {
  _id: Types.ObjectId;
  since: Date;
}

const openTicketSchema = new Schema<OpenTicketDoc>(
  { _id: { type: Schema.Types.ObjectId, required: true }, since: { type: Date, required: true } },
  { collection: 'open_tickets', versionKey: false },
);

export function registerOpenTicketModel(connection: Connection): Model<OpenTicketDoc> {
  return connection.model<OpenTicketDoc>('OpenTicket', openTicketSchema);
}
