import { parseTrackingCode } from './tracking-code.js';

/*
 * Which case an incoming mail belongs to. Mail clients rewrite subjects (prefixes in every language, the code
 * dropped), forward with or without headers, and reply from another address; the checks below are ordered from the
 * most to the least explicit, and the email channel tries them in that order (`threadKeys`).
 */

/**
 * Reply and forward prefixes as clients write them: English (Re, Fw, Fwd), Spanish Outlook (RE, RV = reenviado),
 * Spanish webmail (Rpta, Resp, Res), German and French Outlook (AW, WG, TR), with a counter (`Re[2]:`, `RE(3):`)
 * and full-width colons. Matched case-insensitively, any number of times at the start.
 */
const PREFIX = /^\s*(?:re|rv|fw|fwd|rpta|resp|res|aw|wg|tr|antw|enc)\s*(?:\[\d{1,3}\]|\(\d{1,3}\))?\s*[:：]\s*/i;
const FORWARD_PREFIX = /^\s*(?:rv|fw|fwd|wg|tr|enc)\s*(?:\[\d{1,3}\]|\(\d{1,3}\))?\s*[:：]/i;

/** The subject without the reply and forward prefixes clients add, for display and comparison. */
export function stripSubjectPrefixes(subject: string): string {
  let rest = subject;
  for (let i = 0; i < 20; i++) {
    const next = rest.replace(PREFIX, '');
    if (next === rest) break;
    rest = next;
  }
  return rest.trim();
}

/** Whether the subject says the mail is a forward (its first prefix is a forward one). */
export function isForwardSubject(subject: string): boolean {
  return FORWARD_PREFIX.test(subject);
}

/**
 * The first tracking code of this office (`prefix`) anywhere in the subject: `[PL-2026-000123]`, `PL-2026-000123`,
 * `pl-2026-000123`, after any prefixes or inside other text. Codes of another prefix are not ours and are ignored.
 */
export function findTrackingCode(subject: string, prefix: string): string | undefined {
  const pattern = new RegExp(`(?<![A-Za-z0-9])${escapeRegExp(prefix)}-\\d{4}-\\d{6,15}(?![0-9])`, 'gi');
  for (const match of subject.matchAll(pattern)) {
    const code = parseTrackingCode(match[0]);
    if (code) return match[0].toUpperCase();
  }
  return undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The most message ids of a References header taken into account (the newest are kept): a long thread stays cheap. */
export const MAX_REFERENCES = 50;

/**
 * The message ids of a `Message-ID`, `In-Reply-To` or `References` header, in order, without angle brackets and
 * duplicates. Ids are compared as written (their local part is case-sensitive), trimmed.
 */
export function parseMessageIds(header: string | undefined): string[] {
  if (header === undefined) return [];
  const ids: string[] = [];
  for (const match of header.matchAll(/<([^<>\s]{1,990})>/g)) {
    const id = match[1];
    if (id !== undefined && !ids.includes(id)) ids.push(id);
  }
  // Some clients write a bare id without brackets.
  if (ids.length === 0) {
    const bare = header.trim();
    if (/^[^<>\s@]{1,900}@[^<>\s@]{1,255}$/.test(bare)) ids.push(bare);
  }
  return ids.slice(-MAX_REFERENCES);
}

/**
 * The token of a per-ticket reply address (`buzon+token@dominio`) among the mail's recipients, for the mailbox
 * `mailbox` (`buzon@dominio`). Tokens are letters and digits only.
 */
export function replyTokenOf(recipients: readonly string[], mailbox: string): string | undefined {
  const at = mailbox.lastIndexOf('@');
  if (at < 1) return undefined;
  const local = mailbox.slice(0, at).toLowerCase();
  const domain = mailbox.slice(at + 1).toLowerCase();
  for (const address of recipients) {
    const match = /^([^@+]+)\+([A-Za-z0-9]{6,64})@(.+)$/.exec(address.trim());
    if (match?.[1]?.toLowerCase() === local && match[3]?.toLowerCase() === domain) return match[2];
  }
  return undefined;
}

/** What an incoming mail offers to find its case, most explicit first. */
export interface ThreadKeys {
  /** Our tracking code found in the subject. */
  trackingCode?: string;
  /** Message ids it answers: In-Reply-To first, then References from the newest. */
  messageIds: string[];
  /** The token of a per-ticket reply address it was sent to. */
  replyToken?: string;
}

/**
 * The keys to look a mail's case up by. The channel tries them in this order: the code (a citizen who writes from
 * another address, or whose client dropped the headers, still joins the case), then the ids of messages we stored
 * or sent (a client that dropped the code from the subject), then the reply address. A forward is a new case
 * unless it carries our code: its References point at a conversation the forwarder had elsewhere.
 */
export function threadKeys(mail: { subject: string; inReplyTo?: string; references?: string; recipients: readonly string[] }, options: { codePrefix: string; mailbox: string }): ThreadKeys {
  const trackingCode = findTrackingCode(mail.subject, options.codePrefix);
  const replyToken = replyTokenOf(mail.recipients, options.mailbox);
  const forward = isForwardSubject(mail.subject);
  const messageIds = forward ? [] : [...parseMessageIds(mail.inReplyTo), ...parseMessageIds(mail.references).reverse()].filter((id, i, all) => all.indexOf(id) === i);
  return { ...(trackingCode !== undefined ? { trackingCode } : {}), messageIds, ...(replyToken !== undefined && !forward ? { replyToken } : {}) };
}

/** An address without its `+tag` and in lower case: `buzon+k7Q2@Dominio.pe` is `buzon@dominio.pe`. */
export function baseAddress(address: string): string {
  const trimmed = address.trim().toLowerCase();
  const at = trimmed.lastIndexOf('@');
  if (at < 1) return trimmed;
  const local = trimmed.slice(0, at);
  const plus = local.indexOf('+');
  return `${plus > 0 ? local.slice(0, plus) : local}@${trimmed.slice(at + 1)}`;
}

/**
 * Which of a mailbox's own addresses (its address and the aliases delivered into it) the mail was written to, in
 * the order the recipients are given (the server's `Delivered-To` first, then To and Cc): the routing hint
 * `emailTo`. Undefined when none is named (a Bcc, a list): the caller falls back to the mailbox's address.
 */
export function addressedTo(recipients: readonly string[], ownAddresses: readonly string[]): string | undefined {
  const own = new Set(ownAddresses.map((address) => address.toLowerCase()));
  for (const recipient of recipients) {
    const base = baseAddress(recipient);
    if (own.has(base)) return base;
  }
  return undefined;
}
