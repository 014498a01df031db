import type { Request } from 'express';
import { z } from 'zod';
import type { PhoneChannelEnv } from '../../src/config/env.js';
import { GENERAL_ATTENTION_KEY, menuAt, resolveIvrInput, resolveSurveyAnswer, type IvrConfig } from '../../src/domain/ivr.js';
import { ASSIGNABLE_ROLES } from '../../src/domain/staff.js';
import { publicRoute, signedByTwilio, staffRoute, type RouteGroup } from '../../src/http/route-table.js';
import type { PhoneInbound } from './phone.port.js';
import { issueSoftphoneToken } from './softphone-token.js';
import { backInQueueTwiml, callbackBookedTwiml, closedTwiml, hangupTwiml, menuTwiml, outgoingTwiml, queuedTwiml, recordingNoticeTwiml, surveyThanksTwiml, surveyTwiml, voicemailSavedTwiml, waitTwiml } from './twiml.js';

/*
 * Twilio's voice webhooks (set in the Twilio console: the number's "A call comes in" → POST
 * `<PUBLIC_BASE_URL>/webhooks/twilio/voice/incoming`). Transport only: the menu's meaning is `resolveIvrInput`,
 * the office's hours come from the business calendar, and a caller becomes a ticket through the core's intake,
 * queued (one Redis write), so a webhook answers in milliseconds and writes nothing to the store itself.
 */

/** What the voice webhooks are handed: the channel's inbound port, and the settings and clock they answer by. */
export interface PhoneWebhookDeps extends Omit<PhoneInbound, 'smsReport'> {
  ivr: IvrConfig;
  /** Whether the office attends at this instant (business hours, holidays). */
  isOpen: (at: Date) => boolean;
  now: () => Date;
  /** The municipality's number, shown to citizens the agents call. */
  callerId: string;
  /** Whether a request carries Twilio's signature (see `twilioSignatureCheck`). */
  verify: (req: Request) => boolean;
}

const callSid = z.string().regex(/^CA[0-9a-f]{32}$/, { error: 'must be a Twilio CallSid (CA + 32 hex digits)' });
const recordingSid = z.string().regex(/^RE[0-9a-f]{32}$/, { error: 'must be a Twilio RecordingSid (RE + 32 hex digits)' });
/** What every voice webhook carries that we read; Twilio sends many more parameters, which are kept as they are. */
const callForm = z.looseObject({ CallSid: callSid, From: z.string().max(64).optional(), To: z.string().max(64).optional() });
const menuForm = callForm.extend({ Digits: z.string().max(20).optional(), SpeechResult: z.string().max(2_000).optional() });
const voicemailForm = callForm.extend({
  RecordingUrl: z.url({ protocol: /^https$/, error: 'must be an https URL' }),
  RecordingSid: recordingSid,
  RecordingDuration: z.coerce.number().int().min(0).max(86_400).optional(),
});
const menuQuery = z.object({
  path: z.string().regex(/^([1-9](\.[1-9])*)?$/, { error: 'must be a path of menu keys such as "2" or "2.1"' }).default(''),
  attempt: z.coerce.number().int().min(0).max(1).default(0),
});

const objectId = z.string().regex(/^[a-f0-9]{24}$/, { error: 'must be a 24-hex-digit id' });
const dialQuery = z.object({ ticketId: objectId, staffId: objectId });
const dialForm = callForm.extend({
  DialCallStatus: z.enum(['completed', 'answered', 'busy', 'no-answer', 'failed', 'canceled']),
  DialCallSid: z.string().regex(/^CA[0-9a-f]{32}$/, { error: 'must be a Twilio CallSid' }).optional(),
  DialCallDuration: z.coerce.number().int().min(0).max(86_400).optional(),
});

const surveyQuery = dialQuery.extend({ attempt: z.coerce.number().int().min(0).max(1).default(0) });
const surveyForm = callForm.extend({ Digits: z.string().max(20).optional() });

const recordingQuery = z.object({ ticketId: objectId.optional(), staffId: objectId.optional() });
const recordingForm = callForm
  .extend({
    RecordingSid: recordingSid,
    RecordingStatus: z.enum(['in-progress', 'completed', 'absent', 'failed']),
    RecordingUrl: z.url({ protocol: /^https$/, error: 'must be an https URL' }).optional(),
    RecordingDuration: z.coerce.number().int().min(-1).max(86_400).optional(),
  })
  .refine((form) => form.RecordingStatus !== 'completed' || form.RecordingUrl !== undefined, { path: ['RecordingUrl'], error: 'is required when the recording is completed' });

const ENDED = ['completed', 'busy', 'no-answer', 'canceled', 'failed'] as const;
const statusForm = callForm.extend({
  CallStatus: z.enum(['queued', 'initiated', 'ringing', 'in-progress', ...ENDED]),
  CallDuration: z.coerce.number().int().min(0).optional(),
});

/** What the browser SDK sends with `device.connect({ params: { To, ticketId } })`, Twilio adding the rest. */
const outgoingForm = callForm.extend({
  From: z.string().regex(/^client:[a-f0-9]{24}$/, { error: 'must be a softphone identity (client:<staff id>)' }),
  To: z.string().regex(/^\+?\d{6,15}$/, { error: 'must be a phone number' }),
  ticketId: objectId.optional(),
});

const twimlAnswer = { description: 'TwiML for Twilio', mediaType: 'text/xml', schema: z.string() } as const;

/** The caller's number when it is a real one (not "anonymous" or a softphone client). */
function callerPhone(from: string | undefined): string | undefined {
  return from !== undefined && /^\+\d{6,15}$/.test(from) ? from : undefined;
}

function twiml(body: string) {
  return { status: 200 as const, body, contentType: 'text/xml' as const };
}

/** The phone channel's webhooks, mounted under `/webhooks/twilio`. */
export function phoneWebhookGroup(deps: PhoneWebhookDeps): RouteGroup {
  const { ivr } = deps;
  const routes = [
    signedByTwilio(
      publicRoute({
        method: 'post',
        path: '/voice/incoming',
        summary: 'A call comes in: greeting and menu in office hours, otherwise the closed notice and voicemail',
        bodyMediaType: 'application/x-www-form-urlencoded',
        body: callForm,
        responses: { 200: twimlAnswer },
        handle: () => twiml(deps.isOpen(deps.now()) ? menuTwiml(ivr, ivr.menu.prompt, { path: '', attempt: 0, greet: true }) : closedTwiml(ivr)),
      }),
      deps.verify,
    ),
    signedByTwilio(
      publicRoute({
        method: 'post',
        path: '/voice/menu',
        summary: 'The caller pressed a key or spoke at a menu: the next menu, the same one again, or the queue',
        description: 'Without a choice (silence, words that name no option) the caller goes to general attention.',
        bodyMediaType: 'application/x-www-form-urlencoded',
        query: menuQuery,
        body: menuForm,
        responses: { 200: twimlAnswer },
        errors: [503],
        handle: async ({ query, body }) => {
          const step = resolveIvrInput(ivr, query.path, query.attempt, { ...(body.Digits !== undefined ? { digits: body.Digits } : {}), ...(body.SpeechResult !== undefined ? { speech: body.SpeechResult } : {}) });
          if (step.kind !== 'chosen') {
            const menu = menuAt(ivr, step.path) ?? ivr.menu;
            return twiml(menuTwiml(ivr, menu.prompt, { path: step.path, attempt: step.kind === 'retry' ? query.attempt + 1 : 0, invalid: step.kind === 'retry' }));
          }
          const phone = callerPhone(body.From);
          const choice = step.ivrDigits === GENERAL_ATTENTION_KEY ? 'atención general' : `opción ${step.ivrDigits}`;
          await deps.submit({
            channel: 'phone',
            externalId: body.CallSid,
            receivedAt: deps.now(),
            citizen: phone ? { phone } : {},
            subject: `Llamada telefónica (${choice})`,
            ...(body.SpeechResult ? { body: `El vecino dijo: «${body.SpeechResult}»` } : {}),
            hint: { ivrDigits: step.ivrDigits },
            raw: { ...body, choice: step },
          });
          return twiml(queuedTwiml(ivr));
        },
      }),
      deps.verify,
    ),
    signedByTwilio(
      publicRoute({
        method: 'post',
        path: '/voice/voicemail',
        summary: 'A voicemail left outside office hours: it becomes a ticket carrying the recording',
        bodyMediaType: 'application/x-www-form-urlencoded',
        body: voicemailForm,
        responses: { 200: twimlAnswer },
        errors: [503],
        handle: async ({ body }) => {
          const phone = callerPhone(body.From);
          const seconds = body.RecordingDuration;
          await deps.submit({
            channel: 'phone',
            externalId: body.CallSid,
            receivedAt: deps.now(),
            citizen: phone ? { phone } : {},
            subject: 'Mensaje de voz fuera del horario de atención',
            body: `Grabación${seconds === undefined ? '' : ` de ${String(seconds)} s`}: ${body.RecordingUrl}`,
            hint: {},
            attachments: [{ filename: `${body.RecordingSid}.wav`, contentType: 'audio/wav', size: 0 }],
            raw: body,
          });
          return twiml(voicemailSavedTwiml(ivr));
        },
      }),
      deps.verify,
    ),
    signedByTwilio(
      publicRoute({
        method: 'post',
        path: '/voice/dial-result',
        summary: "How ringing an agent's softphone ended: after a conversation the call ends; otherwise the caller waits again",
        description: 'Named by the TwiML that connects a call (`channels/phone/call-control.ts`). An agent who did not answer is set away.',
        bodyMediaType: 'application/x-www-form-urlencoded',
        query: dialQuery,
        body: dialForm,
        responses: { 200: twimlAnswer },
        errors: [503],
        handle: async ({ query, body }) => {
          const answered = body.DialCallStatus === 'completed' || body.DialCallStatus === 'answered';
          await deps.dialResult({
            ...query,
            outcome: answered ? 'answered' : 'missed',
            dialSid: body.DialCallSid ?? body.CallSid,
            endedAt: deps.now().toISOString(),
            ...(body.DialCallDuration !== undefined ? { talkSeconds: body.DialCallDuration } : {}),
          });
          if (!answered) return twiml(backInQueueTwiml(ivr));
          // The agent hung up: the caller may rate the attention (the answer is ignored by Twilio if they hung up first).
          return twiml(ivr.survey.enabled ? surveyTwiml(ivr, { ...query, attempt: 0 }) : hangupTwiml());
        },
      }),
      deps.verify,
    ),
    signedByTwilio(
      publicRoute({
        method: 'post',
        path: '/voice/survey',
        summary: 'The caller pressed a key at the post-call question: 1 to 5 rates the attention',
        description: 'Named by the TwiML that answers an attended call when the survey is on (`config/ivr.json`). Another key asks once more; then the call ends unrated.',
        bodyMediaType: 'application/x-www-form-urlencoded',
        query: surveyQuery,
        body: surveyForm,
        responses: { 200: twimlAnswer },
        errors: [503],
        handle: async ({ query, body }) => {
          const step = resolveSurveyAnswer(body.Digits, query.attempt);
          if (step.kind === 'retry') return twiml(surveyTwiml(ivr, { ticketId: query.ticketId, staffId: query.staffId, attempt: query.attempt + 1, invalid: true }));
          if (step.kind === 'unanswered') return twiml(hangupTwiml());
          await deps.surveyAnswer({ ticketId: query.ticketId, staffId: query.staffId, callSid: body.CallSid, score: step.score, at: deps.now().toISOString() });
          return twiml(surveyThanksTwiml(ivr));
        },
      }),
      deps.verify,
    ),
    signedByTwilio(
      publicRoute({
        method: 'post',
        path: '/voice/recording',
        summary: "Recording status callback: a voicemail's or an agent's call's recording goes on the ticket's timeline",
        description:
          'Named by the voicemail `<Record>` (the ticket is the call\'s own) and, when recording is on, by the `<Dial>` of connected and outgoing calls (`ticketId`, `staffId`). Only the final states matter.',
        bodyMediaType: 'application/x-www-form-urlencoded',
        query: recordingQuery,
        body: recordingForm,
        responses: { 204: { description: 'Noted' } },
        errors: [503],
        handle: async ({ query, body }) => {
          if (body.RecordingStatus === 'in-progress') return { status: 204 as const };
          const seconds = body.RecordingDuration;
          await deps.recording({
            callSid: body.CallSid,
            ...(query.ticketId !== undefined ? { ticketId: query.ticketId } : {}),
            ...(query.staffId !== undefined ? { staffId: query.staffId } : {}),
            recordingSid: body.RecordingSid,
            status: body.RecordingStatus,
            ...(body.RecordingUrl !== undefined ? { url: body.RecordingUrl } : {}),
            ...(seconds !== undefined && seconds >= 0 ? { seconds } : {}),
          });
          return { status: 204 as const };
        },
      }),
      deps.verify,
    ),
    signedByTwilio(
      publicRoute({
        method: 'post',
        path: '/voice/recording-notice',
        summary: 'What a citizen an agent calls hears on answering when calls are recorded: the Ley 29733 notice',
        description: 'Named by the `<Number url>` of a recorded outgoing call; played before the agent is bridged.',
        bodyMediaType: 'application/x-www-form-urlencoded',
        body: callForm,
        responses: { 200: twimlAnswer },
        handle: () => twiml(recordingNoticeTwiml(ivr)),
      }),
      deps.verify,
    ),
    signedByTwilio(
      publicRoute({
        method: 'post',
        path: '/voice/wait',
        summary: "The wait URL of Twilio's queue: the caller's place in the core's queue and the expected wait",
        description: 'Named by the `<Enqueue>` of the menu; Twilio asks again each time the answer has played.',
        bodyMediaType: 'application/x-www-form-urlencoded',
        body: callForm,
        responses: { 200: twimlAnswer },
        errors: [503],
        handle: async ({ body }) => twiml(waitTwiml(ivr, await deps.waitAnnouncement(body.CallSid))),
      }),
      deps.verify,
    ),
    signedByTwilio(
      publicRoute({
        method: 'post',
        path: '/voice/wait-choice',
        summary: 'A waiting caller pressed a key during the announcement: 1 books a call back and ends the call',
        description: 'Any other key, or 1 when a call back is not possible, goes back to waiting.',
        bodyMediaType: 'application/x-www-form-urlencoded',
        body: callForm.extend({ Digits: z.string().max(20).optional() }),
        responses: { 200: twimlAnswer },
        errors: [503],
        handle: async ({ body }) => {
          if (body.Digits?.startsWith('1') === true && (await deps.requestCallback(body.CallSid))) return twiml(callbackBookedTwiml(ivr));
          return twiml(waitTwiml(ivr, await deps.waitAnnouncement(body.CallSid)));
        },
      }),
      deps.verify,
    ),
    signedByTwilio(
      publicRoute({
        method: 'post',
        path: '/voice/outgoing',
        summary: "The TwiML App's voice URL: an agent calls a citizen from the softphone, with the municipality's number",
        description: 'Named in the TwiML App the softphone tokens grant. With `ticketId` the call goes on that ticket\'s timeline.',
        bodyMediaType: 'application/x-www-form-urlencoded',
        body: outgoingForm,
        responses: { 200: twimlAnswer },
        errors: [503],
        handle: async ({ body }) => {
          if (body.ticketId !== undefined) {
            await deps.outgoingCall({ ticketId: body.ticketId, staffId: body.From.slice('client:'.length), to: body.To, callSid: body.CallSid });
          }
          const staffId = body.From.slice('client:'.length);
          const recordFor = ivr.recording.enabled && body.ticketId !== undefined ? { ticketId: body.ticketId, staffId } : undefined;
          return twiml(outgoingTwiml(deps.callerId, body.To, recordFor));
        },
      }),
      deps.verify,
    ),
    signedByTwilio(
      publicRoute({
        method: 'post',
        path: '/voice/status',
        summary: 'Call status callback: a caller who hangs up while waiting has abandoned the queue',
        description: 'Set on the number as "Call status changes". Only the end of a call matters here.',
        bodyMediaType: 'application/x-www-form-urlencoded',
        body: statusForm,
        responses: { 204: { description: 'Noted' } },
        errors: [503],
        handle: async ({ body }) => {
          if ((ENDED as readonly string[]).includes(body.CallStatus)) await deps.callEnded(body.CallSid);
          return { status: 204 as const };
        },
      }),
      deps.verify,
    ),
  ];
  return { prefix: '/webhooks/twilio', tag: 'phone', routes };
}

/** The phone channel's endpoints for staff, mounted under the API prefix (`/api/v1/phone`). */
export function phoneApiGroup(apiPrefix: string, phone: PhoneChannelEnv): RouteGroup {
  const routes = [
    staffRoute({
      method: 'post',
      path: '/token',
      summary: "A Twilio Voice access token for the caller's browser softphone",
      description: 'Identity = the staff id; it receives the calls the core connects to this agent and places calls through the TwiML App. Lasts an hour; ask again when the SDK says it will expire.',
      roles: ASSIGNABLE_ROLES,
      responses: {
        200: {
          description: 'The token',
          schema: z.object({ token: z.string(), identity: z.string(), expiresAt: z.iso.datetime() }),
        },
      },
      handle: ({ actor }) => ({ status: 200, body: issueSoftphoneToken(actor, phone) }),
    }),
  ];
  return { prefix: `${apiPrefix}/phone`, tag: 'phone', routes };
}
