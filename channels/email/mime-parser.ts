import { createHash } from 'node:crypto';
import PostalMime, { addressParser, decodeWords, type Address, type Email } from 'postal-mime';
import { addressedTo, parseMessageIds } from '../../src/domain/email-threading.js';
import type { DeliveryReport, InboundAttachment, InboundEmail } from '../../src/domain/inbound-email.js';
import { clampText } from '../../src/domain/text.js';
import { htmlToText, repairWindows1252 } from './mail-text.js';

/*
 * Turns a message as fetched from IMAP into the core's `InboundEmail`. Parsing is postal-mime: it takes the raw bytes
 * and returns text, HTML and attachments as bytes, decodes RFC 2047/2231 names and every charset the Encoding
 * Standard knows, keeps going over broken structure (a missing closing boundary, a truncated base64 part, an unknown
 * charset label) and has no dependencies; mailparser would bring a stream pipeline and iconv-lite for what postal-mime
 * does in one call on a Buffer. What postal-mime refuses outright (nesting beyond its limit, oversized headers) is read
 * here by hand: the headers, and the body as text, and the core keeps the source beside it.
 */

/** The contract's limits (`contactSchema` in src/domain/contact.ts). */
const BODY_MAX = 20_000;
const HINT_TEXT_MAX = 5_000;
/** A Message-ID longer than this is hashed into the contact's key (which is at most 512 characters). */
const EXTERNAL_ID_MAX = 500;
const HEADERS_KEPT_MAX = 64 * 1_024;
const HTML_KEPT_MAX = 1_048_576;

/** A message as the poller fetched it. */
export interface FetchedMail {
  mailbox: { id: string; address: string; aliases: readonly string[] };
  uidValidity: number;
  uid: number;
  /** When it reached the mailbox (IMAP INTERNALDATE). */
  internalDate?: Date;
  /** Its bytes as served, or the first `readBytes` of them. */
  source: Buffer;
  /** RFC822.SIZE. */
  size: number;
  /** Set when only the beginning of a message larger than the channel reads whole was fetched. */
  readBytes?: number;
}

function sha256(content: Uint8Array | string): string {
  return createHash('sha256').update(content).digest('hex');
}

function mailboxesOf(addresses: Address[] | Address | undefined): { name: string; address: string }[] {
  if (addresses === undefined) return [];
  const list: Address[] = Array.isArray(addresses) ? addresses : [addresses];
  return list.flatMap((entry): { name: string; address: string }[] => (entry.group ? entry.group : [{ name: entry.name, address: entry.address }])).filter((entry) => entry.address !== '');
}

function headerValues(email: Email): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const header of email.headers) map.set(header.key, [...(map.get(header.key) ?? []), header.value]);
  return map;
}

function keptHeaders(email: Email): { name: string; value: string }[] {
  const kept: { name: string; value: string }[] = [];
  let size = 0;
  for (const header of email.headers) {
    size += header.originalKey.length + header.value.length;
    if (size > HEADERS_KEPT_MAX) break;
    kept.push({ name: header.originalKey, value: header.value });
  }
  return kept;
}

/** Header lines of a block of `Name: value` lines, unfolded. */
function headerFields(text: string): [string, string][] {
  return text
    .replace(/\r?\n[ \t]+/g, ' ')
    .split(/\r?\n/)
    .map((line) => /^([!-9;-~]+):\s*(.*)$/.exec(line))
    .filter((match) => match !== null)
    .map((match) => [match[1]?.toLowerCase() ?? '', match[2]?.trim() ?? '']);
}

/** The per-recipient entries of a `message/delivery-status` part (RFC 3464). */
export function parseDeliveryStatus(text: string): DeliveryReport[] {
  const reports: DeliveryReport[] = [];
  for (const block of text.split(/\r?\n[ \t]*\r?\n/)) {
    const fields = new Map(headerFields(block));
    const recipient = fields.get('final-recipient') ?? fields.get('original-recipient');
    if (recipient === undefined) continue;
    const address = recipient.replace(/^[^;]*;\s*/, '').replace(/^<|>$/g, '').trim().toLowerCase();
    if (address === '') continue;
    const action = fields.get('action')?.toLowerCase();
    const status = /\d\.\d{1,3}\.\d{1,3}/.exec(fields.get('status') ?? '')?.[0];
    const diagnostic = fields.get('diagnostic-code')?.replace(/^[^;]*;\s*/, '');
    reports.push({ recipient: address, ...(action ? { action } : {}), ...(status ? { status } : {}), ...(diagnostic ? { diagnostic } : {}) });
  }
  return reports;
}

function bytesOf(content: ArrayBuffer | Uint8Array | string): Uint8Array {
  if (typeof content === 'string') return new TextEncoder().encode(content);
  return content instanceof Uint8Array ? content : new Uint8Array(content);
}

/** Reads the report of a delivery status notification: which message bounced and what happened to each recipient. */
async function bounceOf(email: Email, contentType: string | undefined): Promise<InboundEmail['bounce']> {
  const statusParts = email.attachments.filter((part) => part.mimeType === 'message/delivery-status' || part.mimeType === 'message/global-delivery-status');
  if (statusParts.length === 0 && !/report-type\s*=\s*"?delivery-status/i.test(contentType ?? '')) return undefined;
  const decoder = new TextDecoder('utf-8');
  const reports = statusParts.flatMap((part) => parseDeliveryStatus(decoder.decode(bytesOf(part.content))));
  const messageIds: string[] = [];
  for (const part of email.attachments) {
    if (!['text/rfc822-headers', 'message/rfc822', 'message/global-headers', 'message/global'].includes(part.mimeType)) continue;
    try {
      const returned = await PostalMime.parse(bytesOf(part.content));
      for (const id of parseMessageIds(returned.messageId)) if (!messageIds.includes(id)) messageIds.push(id);
    } catch {
      // A returned message the parser cannot read names nothing; the bounce's own headers may still thread it.
    }
  }
  return { messageIds, reports };
}

/**
 * What postal-mime would have given, read by hand from a message it refused: the header block, decoded words in the
 * subject and names, and the rest as text in UTF-8 or, failing that, Windows-1252.
 */
function readByHand(source: Buffer): Email {
  const text = source.toString('latin1');
  const end = /\r?\n\r?\n/.exec(text);
  const headerBlock = end ? text.slice(0, end.index) : text;
  const bodyBytes = end ? source.subarray(end.index + end[0].length) : Buffer.alloc(0);
  const fields = headerFields(headerBlock);
  const value = (name: string) => fields.find(([key]) => key === name)?.[1];
  let body: string;
  try {
    body = new TextDecoder('utf-8', { fatal: true }).decode(bodyBytes);
  } catch {
    body = repairWindows1252(new TextDecoder('windows-1252').decode(bodyBytes));
  }
  const addresses = (name: string) => {
    const raw = value(name);
    return raw === undefined ? undefined : addressParser(raw).map((entry) => ({ ...entry, name: decodeWords(entry.name) }));
  };
  const subject = value('subject');
  const from = addresses('from')?.[0];
  return {
    headers: fields.map(([key, val]) => ({ key, originalKey: key, value: val })),
    headerLines: [],
    attachments: [],
    text: body,
    ...(subject !== undefined ? { subject: decodeWords(subject) } : {}),
    ...(from ? { from } : {}),
    to: addresses('to'),
    cc: addresses('cc'),
    messageId: value('message-id'),
    inReplyTo: value('in-reply-to'),
    references: value('references'),
    date: value('date'),
    deliveredTo: value('delivered-to'),
  };
}

/** A name for a part that gives none, from its type: `adjunto-2.png`, `adjunto-1.txt` for a delivery report. */
function fallbackName(index: number, mimeType: string): string {
  const [type, subtype = ''] = mimeType.split('/');
  const extension =
    mimeType === 'message/rfc822' ? 'eml' : type === 'text' || type === 'message' ? 'txt' : (/^[a-z0-9]{1,8}$/.exec(subtype.replace(/^(x-|vnd\.)/, ''))?.[0] ?? 'bin');
  return `adjunto-${String(index + 1)}.${extension}`;
}

/** Reads one fetched message into what the core takes in. Never throws on the message's content. */
export async function readMail(fetched: FetchedMail): Promise<InboundEmail> {
  let email: Email;
  let problem: string | undefined;
  try {
    email = await PostalMime.parse(fetched.source, { rfc822Attachments: true, attachmentEncoding: 'arraybuffer' });
  } catch (err) {
    problem = err instanceof Error ? err.message : String(err);
    email = readByHand(fetched.source);
  }
  const headers = headerValues(email);
  const contentType = headers.get('content-type')?.[0];
  const fromEntry = mailboxesOf(email.from)[0];
  const from = fromEntry?.address.toLowerCase();
  const to = mailboxesOf(email.to).map((entry) => entry.address.toLowerCase());
  const cc = mailboxesOf(email.cc).map((entry) => entry.address.toLowerCase());
  const delivered = [email.deliveredTo, ...(headers.get('x-original-to') ?? [])].filter((address) => address !== undefined).map((address) => address.replace(/^<|>$/g, '').trim().toLowerCase());
  const recipients = [...new Set([...delivered, ...to, ...cc])];
  const subject = repairWindows1252(email.subject ?? '').trim();
  const html = email.html !== undefined ? repairWindows1252(email.html) : undefined;
  const plain = email.text !== undefined ? repairWindows1252(email.text).replace(/\r\n?/g, '\n').trim() : '';
  const text = plain !== '' ? plain : html !== undefined ? htmlToText(html) : '';
  const messageId = parseMessageIds(email.messageId)[0];
  const { mailbox } = fetched;
  const externalId = messageId === undefined ? `${mailbox.id}/sha256:${sha256(fetched.source)}` : messageId.length <= EXTERNAL_ID_MAX ? messageId : `message-id/sha256:${sha256(messageId)}`;
  const emailTo = addressedTo(recipients, [mailbox.address, ...mailbox.aliases]) ?? mailbox.address;
  const attachments: InboundAttachment[] = email.attachments.map((part, index) => ({
    filename: part.filename ? repairWindows1252(part.filename) : fallbackName(index, part.mimeType),
    contentType: part.mimeType,
    content: bytesOf(part.content),
    inline: part.disposition === 'inline' || part.related === true,
  }));
  const bounce = await bounceOf(email, contentType);

  return {
    contact: {
      channel: 'email',
      externalId,
      receivedAt: fetched.internalDate ?? new Date(),
      citizen: from !== undefined ? { email: from } : {},
      subject,
      ...(text !== '' ? { body: clampText(text, BODY_MAX) } : {}),
      hint: { emailTo, text: clampText(`${subject}\n${text}`, HINT_TEXT_MAX) },
    },
    ...(text.length > BODY_MAX ? { fullText: text } : {}),
    ...(messageId !== undefined ? { messageId } : {}),
    ...(email.inReplyTo !== undefined ? { inReplyTo: email.inReplyTo } : {}),
    ...(email.references !== undefined ? { references: email.references } : {}),
    ...(from !== undefined ? { from } : {}),
    recipients,
    headers,
    ...(contentType !== undefined ? { contentType } : {}),
    attachments,
    ...(bounce ? { bounce } : {}),
    ...(problem !== undefined ? { problem, source: fetched.source } : {}),
    size: fetched.size,
    ...(fetched.readBytes !== undefined ? { readBytes: fetched.readBytes } : {}),
    record: {
      mailboxId: mailbox.id,
      uidValidity: fetched.uidValidity,
      uid: fetched.uid,
      ...(messageId !== undefined ? { messageId } : {}),
      ...(fromEntry ? { from: { name: repairWindows1252(fromEntry.name), address: fromEntry.address } } : {}),
      to,
      cc,
      ...(email.date !== undefined ? { date: email.date } : {}),
      ...(email.inReplyTo !== undefined ? { inReplyTo: email.inReplyTo } : {}),
      ...(email.references !== undefined ? { references: email.references } : {}),
      headers: keptHeaders(email),
      ...(html !== undefined ? { html: html.slice(0, HTML_KEPT_MAX), ...(html.length > HTML_KEPT_MAX ? { htmlTruncated: true } : {}) } : {}),
    },
  };
}
