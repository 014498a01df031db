/**
 * What the office mails a citizen, and how each mail threads in the citizen's client: the rules of
 * the citizen-messages capability (src/services/citizen-messages), without I/O.
 */
import type { StatusNoticeReason } from './citizen-sms.js';
import { stripSubjectPrefixes } from './email-threading.js';
import type { TemplateId } from './message-templates.js';
import type { Channel } from './ticket-types.js';

/**
 * Why a mail is sent: `acknowledgement`, the tracking code in answer to a new case written by a person; `reply`, an
 * agent's answer; `notice`, a notice staff issued that the law requires the citizen to receive (the prórroga of
 * Ley 27806), sent as written; the others, the status changes a citizen is told of (`statusNoticeReason`).
 */
export type EmailReason = 'acknowledgement' | 'reply' | 'notice' | StatusNoticeReason;

/** The templates of mails to citizens. */
export type EmailTemplateId = Extract<TemplateId, `email.${string}`>;

export const EMAIL_TEMPLATES = {
  acknowledgement: 'email.acknowledgement',
  reply: 'email.reply',
  referred: 'email.referred',
  resolved: 'email.resolved',
  reopened: 'email.reopened',
  cancelled: 'email.cancelled',
} as const satisfies Record<Exclude<EmailReason, 'notice'>, EmailTemplateId>;

/**
 * Channels whose citizens are told of status changes by mail: the cases that came by mail, answered in their own
 * thread. Others are told by SMS (`textsStatusChanges`): one notice, on the channel the citizen chose.
 */
export function mailsStatusChanges(channel: Channel): boolean {
  return channel === 'email';
}

/**
 * A case's subject as mails about it name it (`{subject}` in the `email.*` templates, whose subject lines put the
 * tracking code in brackets first, so every client and our own threading find it): without the prefixes and
 * bracketed tags clients piled on.
 */
export function bareSubject(subject: string): string {
  const bare = stripSubjectPrefixes(subject).replace(/\[[^\]]*\]\s*/g, '').trim();
  return (bare === '' ? subject.trim() : bare).slice(0, 200);
}

/**
 * Our Message-ID for the mail with this key (`email-<ticket>-<why>[-<n>]`, letters, digits and dashes): fixed before
 * the first attempt, so a retry sends the same id and the citizen's client keeps one copy.
 */
export function ourMessageId(key: string, fromAddress: string): string {
  const domain = fromAddress.slice(fromAddress.lastIndexOf('@') + 1).toLowerCase();
  return `${key}@${domain}`;
}

/** The most ids a References header carries: the first (the conversation's root) and the newest. */
const MAX_REFERENCES = 20;

/**
 * The References of an answer to `inReplyTo` in a conversation whose ids so far are `earlier` (oldest first): the
 * conversation then the message answered, each once, the root kept when the list is cut (RFC 5322 §3.6.4).
 */
export function referencesFor(earlier: readonly string[], inReplyTo: string | undefined): string[] {
  const all = [...earlier, ...(inReplyTo !== undefined ? [inReplyTo] : [])].filter((id, i, list) => list.indexOf(id) === i);
  if (all.length <= MAX_REFERENCES) return all;
  return [all[0] ?? '', ...all.slice(-(MAX_REFERENCES - 1))];
}
