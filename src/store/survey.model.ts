import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { CHANNELS, type Channel } from '../domain/ticket-types.js';

/** The lowest and highest answer of the satisfaction question. */
export const SURVEY_SCORES = { min: 1, max: 5 } as const;

/**
 * A citizen's answer to the satisfaction question after being attended: against the ticket, the agent who
 * attended and the unit the ticket belonged to then, so the quarterly report per unit reads this collection alone.
 */
export interface SurveyResponseDoc {
  /** Derived from the channel and the contact it closes (a call's CallSid): a contact is rated once. */
  _id: Types.ObjectId;
  ticketId: Types.ObjectId;
  staffId: Types.ObjectId;
  unitCode: string;
  serviceCode?: string;
  channel: Channel;
  /** From 1 (very bad) to 5 (excellent). */
  score: number;
  at: Date;
}

const surveyResponseSchema = new Schema<SurveyResponseDoc>(
  {
    ticketId: { type: Schema.Types.ObjectId, required: true },
    staffId: { type: Schema.Types.ObjectId, required: true },
    unitCode: { type: String, required: true, maxlength: 40 },
    serviceCode: { type: String, maxlength: 40 },
    channel: { type: String, enum: CHANNELS, required: true },
    score: { type: Number, required: true, min: SURVEY_SCORES.min, max: SURVEY_SCORES.max, validate: { validator: Number.isInteger, message: 'must be a whole number' } },
    at: { type: Date, required: true },
  },
  { collection: 'survey_responses', versionKey: false, strict: 'throw' },
);
// The quarterly report reads a unit's, or an agent's, answers over a period.
surveyResponseSchema.index({ unitCode: 1, at: 1 });
surveyResponseSchema.index({ staffId: 1, at: 1 });

export function registerSurveyResponseModel(connection: Connection): Model<SurveyResponseDoc> {
  return connection.model<SurveyResponseDoc>('SurveyResponse', surveyResponseSchema);
}
