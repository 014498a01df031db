/**
 * When a citizen gets a text message, and where it goes: the rules of the citizen-messages capability (src/services/citizen-messages), without I/O.
 */
import type { TemplateId } from './message-templates.js';
import type { TicketAction, TicketStatus } from './ticket-lifecycle.js';
import type { Channel } from './ticket-types.js';

/**
 * Why an SMS is sent: `call`, the tracking code after a phone call; the others, a status change the citizen cares
 * about. Internal steps (queued, assigned, taken up, waiting for the citizen, closed after resolution) send none: the
 * citizen learns nothing from them, and each SMS costs the office and interrupts the citizen.
 */
export const SMS_REASONS = ['call', 'referred', 'resolved', 'reopened', 'cancelled'] as const;
export type SmsReason = (typeof SMS_REASONS)[number];
export type StatusNoticeReason = Exclude<SmsReason, 'call'>;

/**
 * The status changes a citizen is told of: referral to another unit (who handles it now), resolution (what to do
 * if not satisfied), reopening (the case is alive again) and cancellation (nothing more will happen). Closing a
 * resolved case is not among them: the citizen was told at resolution.
 */
export function statusNoticeReason(to: TicketStatus, action: TicketAction): StatusNoticeReason | undefined {
  if (action === 'refer') return 'referred';
  if (action === 'reopen') return 'reopened';
  if (to === 'resuelto') return 'resolved';
  if (to === 'anulado') return 'cancelled';
  return undefined;
}

/** The templates of text messages to citizens. */
export type SmsTemplateId = Extract<TemplateId, `sms.${string}`>;

export const STATUS_SMS_TEMPLATES = {
  referred: 'sms.referred',
  resolved: 'sms.resolved',
  reopened: 'sms.reopened',
  cancelled: 'sms.cancelled',
} as const satisfies Record<StatusNoticeReason, SmsTemplateId>;

/**
 * Channels whose citizens are told of status changes by SMS. An e-mail contact is not: the office answers it in its
 * own thread, and one notice on the channel the citizen chose is enough.
 */
const STATUS_SMS_CHANNELS: readonly Channel[] = ['phone', 'kiosk', 'manual'];

export function textsStatusChanges(channel: Channel): boolean {
  return STATUS_SMS_CHANNELS.includes(channel);
}

/** What the after-call SMS needs to know of a phone ticket once its call is over. */
export interface EndedCall {
  status: TicketStatus;
  /** The menu choice; a voicemail (left outside office hours) has none. */
  ivrDigits?: string | undefined;
  callbackRequestedAt?: Date | undefined;
}

/**
 * Which SMS carries the tracking code after a call: a voicemail's, a booked call back's (the caller pressed 1 or hung
 * up waiting with a known number), or the plain one. None when the case was resolved or cancelled during the call:
 * the SMS of that status change already carried the code.
 */
export function afterCallTemplate(call: EndedCall): SmsTemplateId | undefined {
  if (call.status === 'resuelto' || call.status === 'cerrado' || call.status === 'anulado') return undefined;
  if (call.ivrDigits === undefined) return 'sms.voicemail_received';
  if (call.callbackRequestedAt !== undefined) return 'sms.callback_booked';
  return 'sms.call_registered';
}

const SEPARATORS = /[\s().-]/g;

/**
 * A Peruvian mobile number in E.164 (`+51` then 9 digits starting with 9), from the ways it is written: `+51 987 654
 * 321`, `51987654321` or the national `987654321`. Null for everything else: Lima and provincial landlines (`+511…`,
 * `+5184…`), foreign numbers, junk. Landlines cannot receive SMS, and Twilio would refuse (21614) or bill them.
 */
export function peruvianMobile(phone: string): string | null {
  const national = /^(?:\+?51)?(9\d{8})$/.exec(phone.trim().replace(SEPARATORS, ''))?.[1];
  return national === undefined ? null : `+51${national}`;
}

/** Where a citizen's SMS go: their most recently learnt Peruvian mobile (a citizen's numbers are kept in the order learnt). */
export function smsNumberOf(phones: readonly string[]): string | undefined {
  for (let i = phones.length - 1; i >= 0; i--) {
    const mobile = peruvianMobile(phones[i] ?? '');
    if (mobile !== null) return mobile;
  }
  return undefined;
}

/**
 * An E.164 Peruvian number as Peruvians write it: Lima `(01) 463-0000`, provinces `(084) 23-4567`, mobiles
 * `987 654 321`. Any other number is returned as it is.
 */
export function nationalPhone(e164: string): string {
  const mobile = /^\+519(\d{2})(\d{3})(\d{3})$/.exec(e164);
  if (mobile) return `9${mobile[1] ?? ''} ${mobile[2] ?? ''} ${mobile[3] ?? ''}`;
  const lima = /^\+511(\d{3})(\d{4})$/.exec(e164);
  if (lima) return `(01) ${lima[1] ?? ''}-${lima[2] ?? ''}`;
  const province = /^\+51([2-8]\d)(\d{2})(\d{4})$/.exec(e164);
  if (province) return `(0${province[1] ?? ''}) ${province[2] ?? ''}-${province[3] ?? ''}`;
  return e164;
}
