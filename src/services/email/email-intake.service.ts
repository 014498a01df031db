import type { MailboxesCatalogue } from '../../config/catalogue.js';
import { classifyMailOrigin, type MailOriginVerdict } from '../../domain/automatic-mail.js';
import { baseAddress, parseMessageIds, stripSubjectPrefixes, threadKeys, type ThreadKeys } from '../../domain/email-threading.js';
import type { InboundAttachment, InboundEmail } from '../../domain/inbound-email.js';
import { replyEffect, type ReplyEffect } from '../../domain/mail-reply.js';
import { renderMessage } from '../../domain/message-templates.js';
import { clampText } from '../../domain/text.js';
import { AppError, isAppError } from '../../errors.js';
import type { AttachmentFiles } from '../../store/attachment-file.repository.js';
import type { AttachmentMeta } from '../../store/interaction.model.js';
import type { MailThreadKeyKind } from '../../store/mail-thread.model.js';
import type { Ticket } from '../../store/ticket.repository.js';
import { requestAcknowledgement } from '../citizen-messages/index.js';
import type { Actor, AppContext } from '../context/index.js';
import { receiveContact } from '../intake/index.js';
import { applyTransition } from '../tickets/index.js';
import { recordEvent } from '../timeline/index.js';

/*
 * The email channel's use-case: one mail read from a mailbox becomes a new case, joins the case it answers, reopens
 * it, or opens a case that follows up an old one; automatic mail (bounces, out-of-office replies, our own mail
 * coming back) is recorded where it belongs and changes nothing. The channel (`channels/email/`) reads and parses;
 * every decision is here. It resolves only once what the mail became is stored, and the channel marks the mail as
 * taken in only then. Reading the same mail again (a crash before that mark, a mailbox whose UIDVALIDITY changed)
 * finds what the first reading stored and adds nothing.
 */

/** What the email use-case is handed at the composition root, beside the context. */
export interface EmailIntakeDeps {
  attachments: AttachmentFiles;
  /** Acknowledges a new case: {@link acknowledgeMail} in production, a recorder in tests. */
  acknowledge(ticket: Ticket, mail: InboundEmail): Promise<void>;
}

/** What a mail became. */
export type EmailOutcome =
  | { kind: 'created'; ticket: Ticket; acknowledged: boolean }
  | { kind: 'follow_up'; ticket: Ticket; previous: Ticket; acknowledged: boolean }
  | { kind: 'joined' | 'resumed' | 'reopened'; ticket: Ticket }
  | { kind: 'bounce'; ticket: Ticket; failing: string[] }
  | { kind: 'ignored'; reason: string };

/** What a mail became, in a line for the log. */
export function outcomeSummary(outcome: EmailOutcome): { kind: EmailOutcome['kind']; ticketId?: string; trackingCode?: string; reason?: string } {
  if (outcome.kind === 'ignored') return { kind: outcome.kind, reason: outcome.reason };
  return { kind: outcome.kind, ticketId: outcome.ticket._id.toString(), trackingCode: outcome.ticket.trackingCode };
}

/**
 * A new case from a person who may be answered automatically (never a bounce, an auto-reply, list or bulk mail, our
 * own mail, a sender who asked for no automatic answers with `X-Auto-Response-Suppress`, nor a mail that joins an
 * existing case) is acknowledged: the tracking code, threaded under the citizen's mail, to its sender. Called once
 * the case is stored, and again if the mail is read again after a crash: the outbound side sends it once per ticket.
 */
export async function acknowledgeMail(ctx: AppContext, ticket: Ticket, mail: InboundEmail): Promise<void> {
  if (mail.from === undefined) return;
  await requestAcknowledgement(ctx, ticket, { from: mail.from, ...(mail.messageId !== undefined ? { messageId: mail.messageId } : {}), references: parseMessageIds(mail.references) });
}

const EMAIL: Actor = { kind: 'system', id: 'email' };
/** How far a chain of follow-ups is followed (each hop is one `_id` read). */
const MAX_FOLLOW_UP_HOPS = 5;
/** The contract's limits (`contactSchema` in src/domain/contact.ts, the interaction model). */
const SUBJECT_MAX = 300;
const DESCRIPTION_MAX = 20_000;
const INTERACTION_BODY_MAX = 100_000;
const ATTACHMENTS_MAX = 50;
const NO_SUBJECT = '(sin asunto)';
const NO_TEXT = '(correo sin texto)';

function mailboxOf(mailboxes: MailboxesCatalogue, id: string): MailboxesCatalogue['mailboxes'][number] {
  const mailbox = mailboxes.mailboxes.find((candidate) => candidate.id === id);
  if (!mailbox) throw new AppError('INTERNAL', `No mailbox "${id}" in mailboxes.json.`);
  return mailbox;
}

/** Every address the office reads: mail from one of them is the office's own mail coming back. */
function ownAddresses(mailboxes: MailboxesCatalogue): string[] {
  return mailboxes.mailboxes.flatMap((mailbox) => [mailbox.address, ...mailbox.aliases]);
}

/** Who wrote the mail, and whether it may be answered automatically (`src/domain/automatic-mail.ts`). */
function originOf(ctx: AppContext, mail: InboundEmail): MailOriginVerdict {
  return classifyMailOrigin({
    headers: mail.headers,
    subject: mail.contact.subject,
    ownAddresses: ownAddresses(ctx.catalogue.mailboxes),
    ...(mail.from !== undefined ? { from: mail.from } : {}),
    ...(mail.contentType !== undefined ? { contentType: mail.contentType } : {}),
  });
}

type Found = { ticket: Ticket; via: 'own_message_id' | 'bounced_message' | 'tracking_code' | 'references' | 'reply_token' };

async function ticketOfKeys(ctx: AppContext, kind: MailThreadKeyKind, values: readonly string[]): Promise<Ticket | null> {
  const hit = await ctx.store.mailThreads.findTicket(values.map((value) => ({ kind, value })));
  return hit ? ctx.store.tickets.get(hit.ticketId.toString()) : null;
}

/**
 * The case a mail belongs to, from the most to the least explicit evidence: its own Message-ID (read before: it goes
 * where it went), the message a bounce reports on, our tracking code in the subject, the messages it answers, then a
 * per-ticket reply address. The code is found by `_id` among the thread keys; a code that is not one yet (a case
 * opened by phone or at the counter, quoted in a mail) is looked up in the tickets, which reads the whole collection
 * on FerretDB: a fallback, remembered as a key once found, so it is paid once per case.
 */
async function findThread(ctx: AppContext, mail: InboundEmail, keys: ThreadKeys): Promise<Found | null> {
  if (mail.messageId !== undefined) {
    const ticket = await ticketOfKeys(ctx, 'message_id', [mail.messageId]);
    if (ticket) return { ticket, via: 'own_message_id' };
  }
  if (mail.bounce && mail.bounce.messageIds.length > 0) {
    const ticket = await ticketOfKeys(ctx, 'message_id', mail.bounce.messageIds);
    if (ticket) return { ticket, via: 'bounced_message' };
  }
  if (keys.trackingCode !== undefined) {
    const code = keys.trackingCode;
    const known = await ticketOfKeys(ctx, 'tracking_code', [code]);
    const ticket = known ?? (await ctx.store.tickets.findByTrackingCode(code));
    if (ticket) {
      if (!known) await ctx.store.mailThreads.remember(ticket._id, [{ kind: 'tracking_code', value: code, direction: 'out' }], new Date());
      return { ticket, via: 'tracking_code' };
    }
  }
  if (keys.messageIds.length > 0) {
    const ticket = await ticketOfKeys(ctx, 'message_id', keys.messageIds);
    if (ticket) return { ticket, via: 'references' };
  }
  if (keys.replyToken !== undefined) {
    const ticket = await ticketOfKeys(ctx, 'reply_token', [keys.replyToken]);
    if (ticket) return { ticket, via: 'reply_token' };
  }
  return null;
}

/** A case that was continued by a later one hands its mail on to the latest of them. */
async function latestOf(ctx: AppContext, ticket: Ticket): Promise<Ticket> {
  let current = ticket;
  for (let hop = 0; hop < MAX_FOLLOW_UP_HOPS && current.followedUpBy; hop++) {
    const next = await ctx.store.tickets.get(current.followedUpBy.ticketId.toString());
    if (!next) break;
    current = next;
  }
  return current;
}

function formatSize(bytes: number): string {
  const format = (value: number, unit: string) => `${new Intl.NumberFormat('es-PE', { maximumFractionDigits: 1 }).format(value)} ${unit}`;
  if (bytes >= 1_048_576) return format(bytes / 1_048_576, 'MB');
  if (bytes >= 1_024) return format(bytes / 1_024, 'KB');
  return format(bytes, 'bytes');
}

interface KeptFiles {
  attachments: AttachmentMeta[];
  notKept: { filename: string; size: number }[];
}

/**
 * Stores the attachments that fit the limits of `mailboxes.json`, in order, with their bytes as received; lists the
 * rest. The message as received joins them when it could not be parsed (what the parser missed is then still
 * there), and the whole text when it was longer than a case description holds. A crash after this step leaves files
 * no case names yet; reading the mail again stores nothing twice (the files are named by their hash).
 */
async function keepFiles(ctx: AppContext, deps: EmailIntakeDeps, mail: InboundEmail): Promise<KeptFiles> {
  const limits = ctx.catalogue.mailboxes.attachments;
  const files: InboundAttachment[] = [
    ...(mail.problem !== undefined && mail.source ? [{ filename: 'mensaje-original.eml', contentType: 'message/rfc822', content: mail.source, inline: false }] : []),
    ...(mail.fullText !== undefined ? [{ filename: 'texto-completo.txt', contentType: 'text/plain; charset=utf-8', content: new TextEncoder().encode(mail.fullText), inline: false }] : []),
    ...mail.attachments,
  ];
  const kept: KeptFiles = { attachments: [], notKept: [] };
  let total = 0;
  for (const file of files) {
    const size = file.content.byteLength;
    const filename = clampText(file.filename, 255);
    // A message read only in part may have cut any of its files short: none is kept (its bytes might be wrong).
    if (mail.readBytes !== undefined || size > limits.maxFileBytes || total + size > limits.maxMessageBytes || kept.attachments.length >= ATTACHMENTS_MAX) {
      kept.notKept.push({ filename, size });
      continue;
    }
    const stored = await deps.attachments.put(file.content);
    total += size;
    kept.attachments.push({ filename, contentType: clampText(file.contentType, 255), size, sha256: stored.sha256, ...(file.inline ? { inline: true } : {}) });
  }
  return kept;
}

/** The agent's note about what of the mail could not be kept, in es-PE, or undefined when all of it was. */
function keptNote(ctx: AppContext, mail: InboundEmail, kept: KeptFiles): string | undefined {
  const { templates, mailboxes } = ctx.catalogue;
  const lines: string[] = [];
  if (mail.problem !== undefined) lines.push(renderMessage(templates, 'email.partly_read', { problem: mail.problem }).body);
  if (mail.readBytes !== undefined) lines.push(renderMessage(templates, 'email.too_large', { size: formatSize(mail.size), readSize: formatSize(mail.readBytes) }).body);
  if (kept.notKept.length > 0) {
    lines.push(
      renderMessage(templates, 'email.attachments_not_kept', {
        files: kept.notKept.map((file) => `${file.filename} (${formatSize(file.size)})`).join(', '),
        maxFileSize: formatSize(mailboxes.attachments.maxFileBytes),
        maxMessageSize: formatSize(mailboxes.attachments.maxMessageBytes),
      }).body,
    );
  }
  return lines.length > 0 ? lines.join('\n\n') : undefined;
}

/** What the interaction keeps of the mail besides its text: the channel's record, who wrote it and what was not kept. */
function rawOf(mail: InboundEmail, verdict: MailOriginVerdict, kept: KeptFiles): Record<string, unknown> {
  return {
    email: {
      ...mail.record,
      origin: verdict.origin,
      ...(verdict.reason !== undefined ? { originReason: verdict.reason } : {}),
      ...(kept.notKept.length > 0 ? { notKept: kept.notKept } : {}),
      ...(mail.problem !== undefined ? { problem: mail.problem } : {}),
      size: mail.size,
      ...(mail.readBytes !== undefined ? { readBytes: mail.readBytes } : {}),
      ...(mail.bounce ? { bounce: mail.bounce } : {}),
    },
  };
}

function bodyOf(mail: InboundEmail): string {
  const text = mail.fullText ?? mail.contact.body ?? '';
  return text.trim() === '' ? NO_TEXT : text;
}

/** Adds the agent's note about what was not kept, once per mail. */
async function addKeptNote(ctx: AppContext, ticket: Ticket, mail: InboundEmail, kept: KeptFiles): Promise<void> {
  const note = keptNote(ctx, mail, kept);
  if (note === undefined) return;
  await ctx.store.interactions.addOnce({
    ticketId: ticket._id,
    kind: 'note',
    direction: 'internal',
    channel: 'email',
    authorKind: 'system',
    authorId: 'email',
    body: note,
    externalId: `${mail.contact.externalId}#not-kept`,
    at: mail.contact.receivedAt,
  });
}

/** Remembers what later mail of this conversation will cite, in one write: the mail's Message-ID, and a new case's code. */
async function rememberThread(ctx: AppContext, ticket: Ticket, mail: InboundEmail, options: { newCase: boolean }): Promise<void> {
  await ctx.store.mailThreads.remember(
    ticket._id,
    [
      ...(mail.messageId !== undefined ? [{ kind: 'message_id', value: mail.messageId, direction: 'in' } as const] : []),
      ...(options.newCase ? [{ kind: 'tracking_code', value: ticket.trackingCode, direction: 'out' } as const] : []),
    ],
    mail.contact.receivedAt,
  );
}

/**
 * A new case from the mail, or the one an earlier reading made (intake is idempotent on the Message-ID). List and
 * bulk mail goes to triage, where a person decides: routed by its words or by the address it was sent to, a newsletter
 * that mentions the Libro de Reclamaciones, or one sent to reclamos@, would become a reclamo with a legal deadline.
 * Only a person's mail names a citizen (a list or a mailer is nobody the office serves).
 */
async function openCase(
  ctx: AppContext,
  deps: EmailIntakeDeps,
  mail: InboundEmail,
  verdict: MailOriginVerdict,
  kept: KeptFiles,
  options: { previous?: Ticket; knownNew: boolean },
): Promise<{ ticket: Ticket; acknowledged: boolean }> {
  const { previous } = options;
  const { contact } = mail;
  const person = verdict.origin === 'person';
  const subject = clampText(stripSubjectPrefixes(contact.subject) || NO_SUBJECT, SUBJECT_MAX);
  const { ticket } = await receiveContact(
    ctx,
    {
      ...contact,
      channel: 'email',
      subject,
      body: clampText(bodyOf(mail), DESCRIPTION_MAX),
      citizen: person ? contact.citizen : {},
      hint: verdict.origin === 'bulk' ? {} : contact.hint,
      attachments: kept.attachments,
      raw: rawOf(mail, verdict, kept),
    },
    { actor: EMAIL, knownNew: options.knownNew, ...(previous ? { followUpOf: { ticketId: previous._id, trackingCode: previous.trackingCode } } : {}) },
  );
  await addKeptNote(ctx, ticket, mail, kept);
  await rememberThread(ctx, ticket, mail, { newCase: true });
  const acknowledged = verdict.answerable && person && mail.from !== undefined;
  if (acknowledged) await deps.acknowledge(ticket, mail);
  return { ticket, acknowledged };
}

/** Names the case that continues `previous` on it (guarded by version; nothing to do when it already does). */
async function linkFollowUp(ctx: AppContext, previous: Ticket, followUp: Ticket): Promise<void> {
  let current: Ticket | null = previous;
  for (let attempt = 0; attempt < 5 && current && !current.followedUpBy; attempt++) {
    const after = await ctx.store.tickets.compareAndSet(current._id, { version: current.version }, { set: { followedUpBy: { ticketId: followUp._id, trackingCode: followUp.trackingCode } } });
    if (after) {
      await recordEvent(ctx, after, EMAIL, 'followed_up', { data: { ticketId: followUp._id.toString(), trackingCode: followUp.trackingCode } });
      return;
    }
    current = await ctx.store.tickets.get(current._id.toString());
  }
}

function effectOn(ticket: Ticket, mail: InboundEmail, automatic: boolean, reopenWindowDays: number): ReplyEffect {
  const closed = ticket.status === 'resuelto' || ticket.status === 'cerrado';
  const resolvedAt = ticket.resolution?.resolvedAt ?? (closed ? ticket.updatedAt : undefined);
  const waitingSince = ticket.status === 'esperando_vecino' ? ticket.sla?.pauses.find((pause) => pause.to === undefined)?.from : undefined;
  return replyEffect({
    status: ticket.status,
    receivedAt: mail.contact.receivedAt,
    reopenWindowDays,
    automatic,
    ...(resolvedAt ? { resolvedAt } : {}),
    ...(waitingSince ? { waitingSince } : {}),
  });
}

/** Applies `resume` or `reopen`; a lost race is read again and decided again. */
async function applyEffect(ctx: AppContext, ticket: Ticket, mail: InboundEmail, effect: ReplyEffect): Promise<{ ticket: Ticket; effect: ReplyEffect }> {
  let current = ticket;
  let decided = effect;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (decided !== 'resume' && decided !== 'reopen') return { ticket: current, effect: decided };
    try {
      const after = await applyTransition(ctx, EMAIL, current, decided === 'resume' ? 'citizen_replied' : 'reopen', {
        reason: decided === 'resume' ? 'El vecino respondió por correo.' : 'El vecino respondió por correo al caso resuelto, dentro del plazo de reapertura.',
      });
      return { ticket: after, effect: decided };
    } catch (err) {
      if (!isAppError(err, 'CONFLICT') && !isAppError(err, 'ILLEGAL_TRANSITION')) throw err;
      const fresh = await ctx.store.tickets.get(current._id.toString());
      if (!fresh) throw err;
      current = fresh;
      // The mail already joined this case: once it changed meanwhile, all that is left is to join it.
      decided = effectOn(current, mail, false, ctx.catalogue.mailboxes.reopenWindowDays);
      if (decided === 'follow_up') decided = 'join';
    }
  }
  throw new AppError('CONFLICT', 'The case kept changing while a mail was taken in.');
}

/** Adds the mail to a case it belongs to, and records on the timeline what it is, once. */
async function joinCase(ctx: AppContext, ticket: Ticket, mail: InboundEmail, verdict: MailOriginVerdict, kept: KeptFiles): Promise<{ created: boolean; interactionId: string }> {
  const { contact } = mail;
  const { interaction, created } = await ctx.store.interactions.insertOnce({
    ticketId: ticket._id,
    kind: 'email',
    direction: 'in',
    channel: 'email',
    authorKind: verdict.origin === 'bounce' ? 'system' : 'citizen',
    subject: clampText(contact.subject || NO_SUBJECT, SUBJECT_MAX),
    body: clampText(bodyOf(mail), INTERACTION_BODY_MAX),
    externalId: contact.externalId,
    attachments: kept.attachments,
    raw: rawOf(mail, verdict, kept),
    at: contact.receivedAt,
  });
  await addKeptNote(ctx, ticket, mail, kept);
  return { created, interactionId: interaction._id.toString() };
}

/** Whether the sender is the case's citizen (an answer may come from a relative's or a new address). */
async function fromCitizenOf(ctx: AppContext, ticket: Ticket, from: string | undefined): Promise<boolean> {
  if (from === undefined || ticket.citizenId === undefined) return false;
  const sender = await ctx.store.citizens.findByIdentifier('email', from);
  return sender?._id.equals(ticket.citizenId) ?? false;
}

/**
 * A bounce of one of our messages: attached to its case, and each address the report says failed is marked failing
 * on the case's citizen (when it is theirs), so the agent sees that mail does not reach them.
 */
async function takeInBounce(ctx: AppContext, ticket: Ticket, mail: InboundEmail, verdict: MailOriginVerdict, kept: KeptFiles): Promise<EmailOutcome> {
  const reports = mail.bounce?.reports ?? [];
  const failed = reports.filter((report) => report.action?.toLowerCase() === 'failed' || report.status?.startsWith('5.') === true);
  const { created, interactionId } = await joinCase(ctx, ticket, mail, verdict, kept);
  const failing: string[] = [];
  for (const report of failed) {
    if (ticket.citizenId === undefined) break;
    const marked = await ctx.store.citizens.markEmailFailing(ticket.citizenId, {
      email: report.recipient,
      at: mail.contact.receivedAt,
      ticketId: ticket._id,
      ...(report.status !== undefined ? { status: report.status } : {}),
      ...(report.diagnostic !== undefined ? { diagnostic: clampText(report.diagnostic, 1_000) } : {}),
    });
    if (marked) failing.push(baseAddress(report.recipient));
  }
  if (created) {
    await recordEvent(ctx, ticket, EMAIL, 'email_bounced', {
      data: { interactionId, recipients: failed.map((report) => ({ address: report.recipient, ...(report.status !== undefined ? { status: report.status } : {}) })), citizenAddressesMarked: failing },
    });
  }
  await rememberThread(ctx, ticket, mail, { newCase: false });
  return { kind: 'bounce', ticket, failing };
}

/**
 * Takes one mail in. Resolves once what it became is stored; throws a retryable error (store or Redis unavailable,
 * a race lost five times) when the channel should read it again later.
 */
export async function takeInEmail(ctx: AppContext, deps: EmailIntakeDeps, mail: InboundEmail): Promise<EmailOutcome> {
  const mailbox = mailboxOf(ctx.catalogue.mailboxes, mail.record.mailboxId);
  // The office's own mail coming back (a copy kept in the inbox, a forwarding loop): already on its case as sent, and
  // answering it would start a loop.
  if (mail.from !== undefined && ownAddresses(ctx.catalogue.mailboxes).includes(baseAddress(mail.from))) return { kind: 'ignored', reason: 'sent from an address of this office' };
  const verdict = originOf(ctx, mail);
  const automatic = verdict.origin === 'bounce' || verdict.origin === 'auto_reply';

  // Read before: the case this mail opened (same Message-ID, same ticket id), however it was decided then.
  const ownCase = await ctx.store.tickets.findByChannelKey('email', mail.contact.externalId);
  if (ownCase && !automatic) {
    const previous = ownCase.followUpOf ? await ctx.store.tickets.get(ownCase.followUpOf.ticketId.toString()) : null;
    const kept = await keepFiles(ctx, deps, mail);
    const { ticket, acknowledged } = await openCase(ctx, deps, mail, verdict, kept, { knownNew: false, ...(previous ? { previous } : {}) });
    if (previous) {
      await linkFollowUp(ctx, previous, ticket);
      return { kind: 'follow_up', ticket, previous, acknowledged };
    }
    return { kind: 'created', ticket, acknowledged };
  }

  const keys = threadKeys(
    { subject: mail.contact.subject, recipients: mail.recipients, ...(mail.inReplyTo !== undefined ? { inReplyTo: mail.inReplyTo } : {}), ...(mail.references !== undefined ? { references: mail.references } : {}) },
    { codePrefix: ctx.env.TRACKING_CODE_PREFIX, mailbox: mailbox.address },
  );
  const found = await findThread(ctx, mail, keys);

  if (automatic) {
    // Bounces and auto-replies of nothing we know (spam backscatter, a vacation reply to a list) are no one's case:
    // the channel keeps them in the processed folder and the log says so; a case for each would bury real work.
    if (!found) return { kind: 'ignored', reason: `${verdict.origin} (${verdict.reason ?? 'automatic'}) of no known case` };
    const kept = await keepFiles(ctx, deps, mail);
    if (verdict.origin === 'bounce') return takeInBounce(ctx, found.ticket, mail, verdict, kept);
    const { created, interactionId } = await joinCase(ctx, found.ticket, mail, verdict, kept);
    if (created) await recordEvent(ctx, found.ticket, EMAIL, 'email_auto_reply', { data: { interactionId, reason: verdict.reason ?? 'auto_reply' } });
    await rememberThread(ctx, found.ticket, mail, { newCase: false });
    return { kind: 'joined', ticket: found.ticket };
  }

  const kept = await keepFiles(ctx, deps, mail);
  if (!found) {
    // `ownCase` was looked up above and is not there: intake need not read it again.
    const { ticket, acknowledged } = await openCase(ctx, deps, mail, verdict, kept, { knownNew: true });
    return { kind: 'created', ticket, acknowledged };
  }

  // A mail read before keeps the case it joined; otherwise it goes to the latest case of its conversation.
  const target = found.via === 'own_message_id' ? found.ticket : await latestOf(ctx, found.ticket);
  const effect = effectOn(target, mail, false, ctx.catalogue.mailboxes.reopenWindowDays);
  if (effect === 'follow_up') {
    const { ticket, acknowledged } = await openCase(ctx, deps, mail, verdict, kept, { previous: target, knownNew: true });
    await linkFollowUp(ctx, target, ticket);
    return { kind: 'follow_up', ticket, previous: target, acknowledged };
  }

  const { created, interactionId } = await joinCase(ctx, target, mail, verdict, kept);
  if (created) {
    await recordEvent(ctx, target, EMAIL, 'email_received', {
      data: { interactionId, via: found.via, knownSender: await fromCitizenOf(ctx, target, mail.from), ...(mail.from !== undefined ? { from: mail.from } : {}) },
    });
  }
  const applied = await applyEffect(ctx, target, mail, effect);
  await rememberThread(ctx, target, mail, { newCase: false });
  return { kind: applied.effect === 'resume' ? 'resumed' : applied.effect === 'reopen' ? 'reopened' : 'joined', ticket: applied.ticket };
}
