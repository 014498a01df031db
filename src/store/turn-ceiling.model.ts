import { Schema, type Connection, type Model } from 'mongoose';

/**
 * The highest turn number of a prefix on a day that Redis may hand out: raised (by blocks) before Redis hands out a
 * number beyond it. A Redis that restarts empty starts the day's sequence above it, so a turn number is never
 * given twice in a day, whatever restarts.
 */
export interface TurnCeilingDoc {
  /** `<Lima day>:<prefix>`, e.g. `2026-12-01:R`. */
  _id: string;
  ceiling: number;
  updatedAt: Date;
}

const turnCeilingSchema = new Schema<TurnCeilingDoc>(
  {
    _id: { type: String, required: true },
    ceiling: { type: Number, required: true, min: 0 },
    updatedAt: { type: Date, required: true },
  },
  { collection: 'turn_ceilings', versionKey: false, strict: 'throw' },
);

export function registerTurnCeilingModel(connection: Connection): Model<TurnCeilingDoc> {
  return connection.model<TurnCeilingDoc>('TurnCeiling', turnCeilingSchema);
}
