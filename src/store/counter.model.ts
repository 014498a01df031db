import { Schema, type Connection, type Model } from 'mongoose';

/** Named monotonic sequences, e.g. `tracking:PL:2026`. Incremented atomically; a number is never reused. */
export interface CounterDoc {
  _id: string;
  seq: number;
}

const counterSchema = new Schema<CounterDoc>(
  { _id: { type: String, required: true }, seq: { type: Number, required: true, default: 0 } },
  { collection: 'counters', versionKey: false },
);

export function registerCounterModel(connection: Connection): Model<CounterDoc> {
  return connection.model<CounterDoc>('Counter', counterSchema);
}
