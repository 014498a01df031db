import { Types } from 'mongoose';
import type { Channel } from '../domain/ticket-types.js';
import { derivedObjectId } from './derived-id.js';
import type { Models } from './models.js';
import type { SurveyResponseDoc } from './survey.model.js';
import { isDuplicateKeyError, storeCall, toAppError } from './store-errors.js';

export type SurveyResponse = SurveyResponseDoc;

/** The id of the answer that rates one contact (a call's CallSid): the same contact cannot be rated twice. */
export function surveyResponseIdFor(channel: Channel, contactKey: string): Types.ObjectId {
  return derivedObjectId('survey', channel, contactKey);
}

export function createSurveyResponseRepository(models: Models) {
  const { SurveyResponse } = models;
  return {
    /**
     * Stores the answer rating the contact `contactKey` of the channel (a call's CallSid); false when that contact was
     * already rated (a repeated webhook or job), which changes nothing.
     */
    async record(response: Omit<SurveyResponse, '_id' | 'staffId'> & { staffId: string; contactKey: string }): Promise<boolean> {
      const { contactKey, staffId, ...rest } = response;
      try {
        await SurveyResponse.create({ ...rest, _id: surveyResponseIdFor(rest.channel, contactKey), staffId: new Types.ObjectId(staffId) });
        return true;
      } catch (err) {
        if (isDuplicateKeyError(err)) return false;
        throw toAppError(err, 'survey response');
      }
    },

    async get(id: Types.ObjectId): Promise<SurveyResponse | null> {
      return storeCall('survey response', () => SurveyResponse.findById(id).lean());
    },
  };
}

export type SurveyResponseRepository = ReturnType<typeof createSurveyResponseRepository>;
