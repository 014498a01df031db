import { recordSmsReport, sendCitizenEmail, sendCitizenSms } from '../src/services/citizen-messages/index.js';
import { takeInQueuedContact } from '../src/services/intake/index.js';
import { bookCallback, connectAssignedCall, handleCallEnded, handleDialResult, recordCallRecording, recordOutgoingCall, recordSurveyAnswer } from '../src/services/phone/index.js';
import type { QueueHandlers } from './handler.js';

/** Whether BullMQ will not run this job again should this attempt fail. */
function isLastAttempt(job: { attemptsMade: number; opts: { attempts?: number } }): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

/** Handlers of the `channel` queue. */
export const channelHandlers: QueueHandlers<'channel'> = {
  'channel.intake': async (payload, ctx) => {
    await takeInQueuedContact(ctx, payload);
  },
  'channel.connect': async (payload, ctx) => {
    await connectAssignedCall(ctx, payload);
  },
  'channel.dial-result': async (payload, ctx) => {
    await handleDialResult(ctx, payload);
  },
  'channel.callback': async (payload, ctx) => {
    await bookCallback(ctx, payload);
  },
  'channel.outgoing': async (payload, ctx) => {
    await recordOutgoingCall(ctx, payload);
  },
  'channel.call-ended': async (payload, ctx) => {
    await handleCallEnded(ctx, payload);
  },
  'channel.sms': async (payload, ctx, job) => {
    await sendCitizenSms(ctx, payload, { final: isLastAttempt(job) });
  },
  'channel.email': async (payload, ctx, job) => {
    await sendCitizenEmail(ctx, payload, { final: isLastAttempt(job) });
  },
  'channel.sms-report': async (payload, ctx) => {
    await recordSmsReport(ctx, payload);
  },
  'channel.survey': async (payload, ctx) => {
    await recordSurveyAnswer(ctx, payload);
  },
  'channel.recording': async (payload, ctx) => {
    await recordCallRecording(ctx, payload);
  },
};
