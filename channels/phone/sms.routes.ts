import type { Request } from 'express';
import { z } from 'zod';
import { publicRoute, signedByTwilio, type RouteGroup } from '../../src/http/route-table.js';
import type { PhoneInbound } from './phone.port.js';
import { SMS_WEBHOOKS } from './sms-gateway.js';

/*
 * Twilio's reports on the SMS sent to citizens (the `StatusCallback` each message names, `sms-gateway.ts`). Transport
 * only: a message that did not reach the phone is handed to the core, queued, to go on its ticket's timeline.
 */

/** What the SMS status webhook is handed: the port's `smsReport` (503 when it cannot be queued: Twilio retries). */
export interface SmsWebhookDeps extends Pick<PhoneInbound, 'smsReport'> {
  /** Whether a request carries Twilio's signature (see `twilioSignatureCheck`). */
  verify: (req: Request) => boolean;
}

const FAILED = ['undelivered', 'failed'] as const;

/** The query each message's status callback URL carries: our record of the message. */
const statusQuery = z.object({ message: z.string().regex(/^[a-f0-9]{24}$/, { error: 'must be a 24-hex-digit id' }) });
/** What Twilio's message status callback carries that we read; the rest is left as it is. */
const statusForm = z.looseObject({
  MessageSid: z.string().regex(/^(SM|MM)[0-9a-f]{32}$/, { error: 'must be a Twilio Message SID (SM + 32 hex digits)' }),
  // queued, sent, delivered, undelivered, failed, ... (Twilio adds statuses now and then; only failures are read).
  MessageStatus: z.string().regex(/^[a-z_]{1,40}$/, { error: 'must be a message status such as "delivered"' }),
  ErrorCode: z.string().regex(/^\d{1,10}$/, { error: 'must be a Twilio error code' }).optional(),
});

/** The SMS status callback, mounted under {@link SMS_WEBHOOKS}. */
export function smsWebhookGroup(deps: SmsWebhookDeps): RouteGroup {
  const routes = [
    signedByTwilio(
      publicRoute({
        method: 'post',
        path: '/status',
        summary: 'Message status callback: an SMS to a citizen that did not reach the phone goes on its ticket\'s timeline',
        description: 'Named by each SMS the office sends (`StatusCallback`); nothing to set in the console.',
        bodyMediaType: 'application/x-www-form-urlencoded',
        query: statusQuery,
        body: statusForm,
        responses: { 204: { description: 'Noted' } },
        errors: [503],
        handle: async ({ query, body }) => {
          const status = FAILED.find((failed) => failed === body.MessageStatus);
          if (status !== undefined) {
            await deps.smsReport({ messageId: query.message, messageSid: body.MessageSid, status, ...(body.ErrorCode !== undefined ? { errorCode: Number(body.ErrorCode) } : {}) });
          }
          return { status: 204 as const };
        },
      }),
      deps.verify,
    ),
  ];
  return { prefix: SMS_WEBHOOKS, tag: 'phone', routes };
}
