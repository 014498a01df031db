import { Schema, type Connection, type Model } from 'mongoose';

/**
 * Who is signed in to a counter (ventanilla) of the hall, and whether it is paused: the record the live hall in
 * Redis is rebuilt from. One document per counter, its code as `_id`; deleted when its staff member signs out.
 */
export interface CounterSessionDoc {
  /** The counter's code in config/kiosk.json, e.g. `V3`. */
  _id: string;
  staffId: string;
  signedInAt: Date;
  paused: boolean;
  pausedAt?: Date;
  pauseReason?: string;
}

const counterSessionSchema = new Schema<CounterSessionDoc>(
  {
    _id: { type: String, required: true },
    staffId: { type: String, required: true },
    signedInAt: { type: Date, required: true },
    paused: { type: Boolean, required: true, default: false },
    pausedAt: Date,
    pauseReason: { type: String, maxlength: 300 },
  },
  { collection: 'counter_sessions', versionKey: false, strict: 'throw' },
);

export function registerCounterSessionModel(connection: Connection): Model<CounterSessionDoc> {
  return connection.model<CounterSessionDoc>('CounterSession', counterSessionSchema);
}
