import type { Contact } from '../../src/domain/contact.js';
import type { WaitAnnouncement } from '../../src/domain/ivr.js';

/**
 * The phone channel's one inbound port: everything its Twilio webhooks (voice and SMS status) hand the core. The
 * composition root binds it to the core's use cases (`src/wiring/phone.ts`). A caller's contact enters through
 * `submit` like every contact (the phone's intake is queued: one Redis write); the rest queue a job too, so a webhook
 * answers in milliseconds, and each fails with SERVICE_UNAVAILABLE (the webhook answers 503 and Twilio uses its
 * fallback) when it cannot be queued in time.
 */
export interface PhoneInbound {
  /** Hands a caller's contact to the core. */
  submit: (contact: Contact) => Promise<void>;
  /** What a waiting caller is told (reads Redis only); null while the core does not have the call in its queue. */
  waitAnnouncement: (callSid: string) => Promise<WaitAnnouncement | null>;
  /** A waiting caller pressed 1: false when a call back is not possible (the caller keeps waiting). */
  requestCallback: (callSid: string) => Promise<boolean>;
  /** Puts an agent's call about a ticket on its timeline. */
  outgoingCall: (call: { ticketId: string; staffId: string; to: string; callSid: string }) => Promise<void>;
  /** A call ended. */
  callEnded: (callSid: string) => Promise<void>;
  /** How ringing an agent ended. */
  dialResult: (result: { ticketId: string; staffId: string; outcome: 'answered' | 'missed'; dialSid: string; endedAt: string; talkSeconds?: number }) => Promise<void>;
  /** A caller's rating of the attention. */
  surveyAnswer: (answer: { ticketId: string; staffId: string; callSid: string; score: number; at: string }) => Promise<void>;
  /** A recording Twilio reports; the ticket is the call's own when not named. */
  recording: (recording: { callSid: string; ticketId?: string; staffId?: string; recordingSid: string; status: 'completed' | 'absent' | 'failed'; url?: string; seconds?: number }) => Promise<void>;
  /** An SMS to a citizen did not reach the phone (Twilio's status callback). */
  smsReport: (report: { messageId: string; messageSid: string; status: 'undelivered' | 'failed'; errorCode?: number }) => Promise<void>;
}
