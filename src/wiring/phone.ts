import type { PhoneInbound } from '../../channels/phone/phone.port.js';
import { phoneApiGroup, phoneWebhookGroup, type PhoneWebhookDeps } from '../../channels/phone/phone.routes.js';
import { smsWebhookGroup } from '../../channels/phone/sms.routes.js';
import { twilioSignatureCheck } from '../../channels/phone/twilio-signature.js';
import type { PhoneChannelEnv } from '../config/env.js';
import { API_PREFIX } from '../http/api.router.js';
import type { RouteGroup } from '../http/route-table.js';
import { submitSmsReport } from '../services/citizen-messages/index.js';
import { calendarOf, WEBHOOK_DEADLINE_MS, withinDeadline, type AppContext } from '../services/context/index.js';
import { receiveContact } from '../services/intake/index.js';
import { callWaitAnnouncement, requestCallback, submitCallEnded, submitDialResult, submitOutgoingCall, submitRecording, submitSurveyAnswer } from '../services/phone/index.js';

/**
 * The phone channel's inbound port bound to the core's use cases in this process, each answering within the webhook
 * deadline (SERVICE_UNAVAILABLE → 503 otherwise, and Twilio tries the fallback URL).
 */
export function phoneInbound(ctx: AppContext): PhoneInbound {
  const promptly =
    <A extends unknown[], R>(what: string, work: (ctx: AppContext, ...args: A) => Promise<R>) =>
    (...args: A): Promise<R> =>
      withinDeadline(WEBHOOK_DEADLINE_MS, what, () => work(ctx, ...args));
  return {
    submit: async (contact) => {
      await receiveContact(ctx, contact);
    },
    dialResult: promptly('The dial result', submitDialResult),
    callEnded: promptly('The end of the call', submitCallEnded),
    waitAnnouncement: promptly('The wait announcement', callWaitAnnouncement),
    requestCallback: promptly('The call back', requestCallback),
    outgoingCall: promptly('The outgoing call', submitOutgoingCall),
    surveyAnswer: promptly('The rating', submitSurveyAnswer),
    recording: promptly('The recording', submitRecording),
    smsReport: (report) => submitSmsReport(ctx, report),
  };
}

/** What the voice webhooks are handed: the port, the IVR menu, the office's hours, and the real clock. */
export function phoneWebhookDeps(ctx: AppContext, phone: PhoneChannelEnv): PhoneWebhookDeps {
  const calendar = calendarOf(ctx);
  return {
    ...phoneInbound(ctx),
    ivr: ctx.catalogue.ivr,
    isOpen: (at) => calendar.isOpen(at),
    now: () => new Date(),
    callerId: phone.callerId,
    verify: twilioSignatureCheck(phone.authToken, phone.publicBaseUrl),
  };
}

/** The phone channel's endpoints when it is configured: voice webhooks, the softphone's token, SMS status reports. */
export function phoneChannelGroups(ctx: AppContext, phone: PhoneChannelEnv): RouteGroup[] {
  const inbound = phoneInbound(ctx);
  return [
    phoneWebhookGroup(phoneWebhookDeps(ctx, phone)),
    phoneApiGroup(API_PREFIX, phone),
    smsWebhookGroup({ smsReport: inbound.smsReport, verify: twilioSignatureCheck(phone.authToken, phone.publicBaseUrl) }),
  ];
}
