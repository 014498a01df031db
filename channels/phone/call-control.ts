import twilio from 'twilio';
import type { PhoneChannelEnv } from '../../src/config/env.js';
import type { PhoneCallControl } from '../../src/domain/outbound.js';

const { VoiceResponse } = twilio.twiml;

/** Twilio's REST API; `apiBaseUrl` replaces it (a test's fake Twilio, or an egress proxy). */
const TWILIO_API = 'https://api.twilio.com';

/** How long the agent's softphone rings before the caller goes back to the queue. */
export const AGENT_RING_SECONDS = 20;

/** Twilio answers 400 with code 21220 when the call is no longer in progress (the caller hung up). */
const CALL_NOT_IN_PROGRESS = 21220;

/** Sends every REST request of the client to `base` instead of Twilio's own host. */
export class RebasedRequestClient extends twilio.RequestClient {
  constructor(private readonly base: string) {
    super();
  }

  override request<TData>(opts: Parameters<InstanceType<typeof twilio.RequestClient>['request']>[0] & { data?: TData }) {
    return super.request({ ...opts, uri: opts.uri.replace(TWILIO_API, this.base) });
  }
}

/**
 * The TwiML that rings the agent's softphone (identity = staff id) and reports how the dial ended. With `record`,
 * the conversation is recorded from the moment the agent answers (the caller heard the notice when the call began)
 * and the recording is reported for the ticket's timeline. Sent through the REST API, so its URLs are absolute.
 */
export function connectTwiml(publicBaseUrl: string, call: { ticketId: string; staffId: string }, record = false): string {
  const response = new VoiceResponse();
  const query = new URLSearchParams({ ticketId: call.ticketId, staffId: call.staffId }).toString();
  const webhooks = `${publicBaseUrl}/webhooks/twilio/voice`;
  const dial = response.dial({
    action: `${webhooks}/dial-result?${query}`,
    method: 'POST',
    timeout: AGENT_RING_SECONDS,
    ...(record ? { record: 'record-from-answer-dual', recordingStatusCallback: `${webhooks}/recording?${query}`, recordingStatusCallbackEvent: ['completed', 'absent'] } : {}),
  });
  dial.client(call.staffId);
  return response.toString();
}

function isRestException(err: unknown): err is { status: number; code?: number } {
  return typeof err === 'object' && err !== null && 'status' in err && typeof err.status === 'number';
}

/**
 * Call control through Twilio's REST API with the API key: a waiting call is redirected to TwiML that dials the
 * agent's softphone (the call leaves Twilio's queue; who is next was decided by the core, not by the queue).
 */
export function createTwilioCallControl(phone: PhoneChannelEnv, options: { apiBaseUrl?: string; recordCalls: boolean }): PhoneCallControl {
  const { apiBaseUrl, recordCalls } = options;
  const client = twilio(phone.apiKeySid, phone.apiKeySecret, {
    accountSid: phone.accountSid,
    ...(apiBaseUrl !== undefined ? { httpClient: new RebasedRequestClient(apiBaseUrl) } : {}),
  });
  return {
    async connect(call) {
      try {
        await client.calls(call.callSid).update({ twiml: connectTwiml(phone.publicBaseUrl, call, recordCalls) });
        return true;
      } catch (err) {
        if (isRestException(err) && (err.code === CALL_NOT_IN_PROGRESS || err.status === 404)) return false;
        throw err;
      }
    },
  };
}
