import twilio from 'twilio';
import type { PhoneChannelEnv, SmsFrom } from '../../src/config/env.js';
import type { SmsGateway } from '../../src/domain/outbound.js';
import { AppError } from '../../src/errors.js';
import { RebasedRequestClient } from './call-control.js';

/** Where Twilio reports how an SMS fared (`sms.routes.ts`); the query names our record of the message. */
export const SMS_WEBHOOKS = '/webhooks/twilio/sms';
export const SMS_STATUS_PATH = `${SMS_WEBHOOKS}/status`;

/** How many of the newest messages to a number are searched for one an attempt whose answer was lost may have sent. */
const LOOKBACK = 20;

/**
 * Twilio's answer in the error catalogue's terms. 429 (too many requests) and 5xx may succeed later; any other 4xx is
 * Twilio refusing this message for good (21211 invalid number, 21614 not a mobile, 21610 the citizen texted STOP,
 * 21408 Peru not enabled in the messaging geo permissions, 21606 a sender that cannot text): trying again sends
 * nothing and costs nothing, so it is not retried. No answer at all (a network failure) may succeed later.
 */
function inCatalogueTerms(err: unknown): AppError {
  if (err instanceof twilio.RestException) {
    const details = { provider: 'twilio', status: err.status, ...(err.code !== undefined ? { providerCode: err.code } : {}) };
    if (err.status === 429) return new AppError('RATE_LIMITED', err.message, details);
    if (err.status >= 500) return new AppError('SERVICE_UNAVAILABLE', err.message, details);
    return new AppError('MESSAGE_REFUSED', err.message, details);
  }
  return new AppError('SERVICE_UNAVAILABLE', 'Twilio did not answer.', { provider: 'twilio', cause: err instanceof Error ? err.message : String(err) });
}

/**
 * SMS through Twilio's Messages API with the phone channel's API key, from `from` (a number, or a Messaging Service's
 * sender pool). Each message asks Twilio to report its fate to {@link SMS_STATUS_PATH}.
 */
export function createTwilioSmsGateway(phone: PhoneChannelEnv, from: SmsFrom): SmsGateway {
  const client = twilio(phone.apiKeySid, phone.apiKeySecret, {
    accountSid: phone.accountSid,
    ...(phone.apiBaseUrl !== undefined ? { httpClient: new RebasedRequestClient(phone.apiBaseUrl) } : {}),
  });
  return {
    async send({ to, body, ref }) {
      try {
        const message = await client.messages.create({ to, body, ...from, statusCallback: `${phone.publicBaseUrl}${SMS_STATUS_PATH}?message=${encodeURIComponent(ref)}` });
        return { sid: message.sid };
      } catch (err) {
        throw inCatalogueTerms(err);
      }
    },
    async find({ to, body, since }) {
      try {
        // Newest first; a message still queued has no date sent yet, so the search goes by the creation date.
        const recent = await client.messages.list({ to, limit: LOOKBACK });
        const found = recent.find((m) => m.body === body && m.direction.startsWith('outbound') && m.dateCreated.getTime() >= since.getTime());
        return found ? { sid: found.sid } : null;
      } catch (err) {
        throw inCatalogueTerms(err);
      }
    },
  };
}
