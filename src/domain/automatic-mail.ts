/*
 * Mail that no person wrote: bounces, out-of-office and other auto-replies, lists and bulk mail. Answering any of
 * them automatically starts a loop (two auto-responders answering each other) or spams a list, so the email channel
 * never sends an acknowledgement to them, and an auto-reply never reopens or changes a case.
 */

/** What kind of mail it is, for the channel's decisions. */
export type MailOrigin =
  /** A person wrote it: a case, answered automatically with the tracking code. */
  | 'person'
  /** A delivery status notification: one of our messages did not arrive. */
  | 'bounce'
  /** An auto-responder answered (out of office, "we received your mail"). */
  | 'auto_reply'
  /** A list, newsletter or bulk sender. */
  | 'bulk';

export interface MailOriginVerdict {
  origin: MailOrigin;
  /**
   * Whether an automatic answer (the acknowledgement with the tracking code) may be sent: only to a person, and not
   * when the sender asked for none (`X-Auto-Response-Suppress`, set by Exchange on system mail).
   */
  answerable: boolean;
  /** Which header or sender told, for the log and the ticket's timeline. */
  reason?: string;
}

/** The parts of a mail the verdict reads. Header names lower case; values as received (decoded). */
export interface MailOriginInput {
  headers: ReadonlyMap<string, readonly string[]>;
  /** The sender's address (From), lower case. */
  from?: string;
  subject?: string;
  /** The top-level content type with its parameters, e.g. `multipart/report; report-type=delivery-status`. */
  contentType?: string;
  /** Our own mailbox addresses: an `X-Loop` naming one is our own mail coming back. */
  ownAddresses: readonly string[];
}

function first(headers: ReadonlyMap<string, readonly string[]>, name: string): string | undefined {
  return headers.get(name)?.[0]?.trim();
}

const BOUNCE_SENDER = /^(mailer-daemon|postmaster|mail-daemon|mailerdaemon)@/i;
/** Headers older auto-responders (vacation, procmail, cPanel) add. */
const AUTO_REPLY_HEADERS = ['x-autoreply', 'x-autorespond', 'x-autoresponder'];

/**
 * Tells who wrote the mail and whether it may be answered automatically. Checked in an order that puts the
 * strongest evidence first: a delivery report is a bounce even when it also says auto-submitted; an
 * `Auto-Submitted` value other than `no` (RFC 3834) is an auto-reply; list and bulk headers mark bulk mail.
 */
export function classifyMailOrigin(input: MailOriginInput): MailOriginVerdict {
  const verdict = originOf(input);
  if (verdict.origin !== 'person') return { ...verdict, answerable: false };
  if (input.headers.has('x-auto-response-suppress')) return { origin: 'person', answerable: false, reason: 'X-Auto-Response-Suppress' };
  return { origin: 'person', answerable: true };
}

/** Subjects auto-responders write when they say nothing in the headers but `X-Auto-Response-Suppress`. */
const AUTO_REPLY_SUBJECT = /^\s*(respuesta autom[aá]tica|fuera de (la )?oficina|automatic reply|auto(matic)?[- ]?reply|out of (the )?office|r[eé]ponse automatique|abwesenheitsnotiz)\b/i;

function originOf(input: MailOriginInput): Omit<MailOriginVerdict, 'answerable'> {
  const { headers } = input;
  const contentType = (input.contentType ?? '').toLowerCase();
  if (contentType.startsWith('multipart/report') && /report-type\s*=\s*"?delivery-status/.test(contentType)) return { origin: 'bounce', reason: 'delivery-status report' };
  if (input.from !== undefined && BOUNCE_SENDER.test(input.from)) return { origin: 'bounce', reason: `sender ${input.from}` };
  const returnPath = first(headers, 'return-path');
  if (returnPath !== undefined && /^<\s*>$/.test(returnPath)) return { origin: 'bounce', reason: 'empty Return-Path' };

  const loop = headers.get('x-loop') ?? [];
  if (loop.some((value) => input.ownAddresses.some((own) => value.toLowerCase().includes(own.toLowerCase())))) return { origin: 'auto_reply', reason: 'X-Loop names this mailbox' };
  const autoSubmitted = first(headers, 'auto-submitted')?.toLowerCase();
  if (autoSubmitted !== undefined && autoSubmitted !== '' && !autoSubmitted.startsWith('no')) return { origin: 'auto_reply', reason: `Auto-Submitted: ${autoSubmitted}` };
  for (const name of AUTO_REPLY_HEADERS) if (headers.has(name)) return { origin: 'auto_reply', reason: name };
  if (headers.has('x-auto-response-suppress') && AUTO_REPLY_SUBJECT.test(input.subject ?? '')) return { origin: 'auto_reply', reason: 'X-Auto-Response-Suppress and an auto-reply subject' };
  if (loop.length > 0) return { origin: 'auto_reply', reason: 'X-Loop' };

  const precedence = first(headers, 'precedence')?.toLowerCase();
  if (precedence === 'bulk' || precedence === 'list' || precedence === 'junk') return { origin: 'bulk', reason: `Precedence: ${precedence}` };
  if (headers.has('list-id')) return { origin: 'bulk', reason: 'List-Id' };
  if (headers.has('list-unsubscribe')) return { origin: 'bulk', reason: 'List-Unsubscribe' };
  return { origin: 'person' };
}
