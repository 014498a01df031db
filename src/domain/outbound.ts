/**
 * The outbound ports: what the core asks of the channels to reach citizens and callers. Each is implemented by a
 * channel adapter (`channels/phone/call-control.ts`, `channels/phone/sms-gateway.ts`, `channels/email/smtp-sender.ts`)
 * and handed to the core at the composition root when its channel is configured; the core's use cases decide what to
 * send and when, record it, and retry it as a job.
 */

/**
 * What the core asks of the phone channel (Twilio, `channels/phone/call-control.ts`), handed in at the composition
 * root when the channel is configured.
 */
export interface PhoneCallControl {
  /**
   * Takes a waiting caller out of the queue and rings the agent's softphone. `false` when the call is no longer
   * there to connect (the caller hung up, a voicemail): nothing to redirect.
   */
  connect(call: { callSid: string; ticketId: string; staffId: string }): Promise<boolean>;
}

/**
 * What the core asks of an SMS provider (Twilio's Messages API, `channels/phone/sms-gateway.ts`), handed in at the
 * composition root when the phone channel is configured and SMS are not turned off.
 */
export interface SmsGateway {
  /**
   * Sends one SMS. `ref` is the id of our record of it, which the provider's delivery reports carry back.
   *
   * @throws AppError MESSAGE_REFUSED (not retryable) when the provider refuses it for good (not a mobile, an invalid
   *   number, the citizen texted STOP); RATE_LIMITED or SERVICE_UNAVAILABLE (retryable) when a later attempt may succeed
   */
  send(message: { to: string; body: string; ref: string }): Promise<{ sid: string }>;
  /**
   * The message to `to` with exactly `body` that the provider created at or after `since`, if any: what an attempt
   * whose answer was lost (a timeout, a crash) did send.
   */
  find(query: { to: string; body: string; since: Date }): Promise<{ sid: string } | null>;
}

/** One mail from the office to a citizen, as the email channel sends it. */
export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  /** Ours, without angle brackets; stored first, so a retry sends the same id and the citizen's client keeps one copy. */
  messageId: string;
  /** The citizen's message this answers, without angle brackets. */
  inReplyTo?: string;
  /** The conversation so far, oldest first, without angle brackets. */
  references?: readonly string[];
  /**
   * Sent without a person writing it (an acknowledgement, a status notice): marked `Auto-Submitted` (RFC 3834) and
   * asking Exchange for no automatic answers, so two auto-responders never answer each other.
   */
  automatic?: 'auto-replied' | 'auto-generated';
}

/** The office's outgoing mail (the email channel's SMTP sender). */
export interface EmailGateway {
  /** The address mail comes from (EMAIL_FROM); its domain names our Message-IDs. */
  readonly fromAddress: string;
  /**
   * Hands one mail to the SMTP relay.
   *
   * @throws AppError MESSAGE_REFUSED (not retryable) when the relay refuses it for good (5xx: no such mailbox, policy);
   *   SERVICE_UNAVAILABLE (retryable) when it may take it later (4xx, no connection, timeout)
   */
  send(mail: OutgoingEmail): Promise<void>;
  /** Closes the pooled connections (at shutdown). */
  close(): void;
}
