import { bareSubject, EMAIL_TEMPLATES, ourMessageId, referencesFor, type EmailReason } from '../../domain/citizen-email.js';
import { parseMessageIds } from '../../domain/email-threading.js';
import { renderMessage } from '../../domain/message-templates.js';
import type { EmailGateway } from '../../domain/outbound.js';
import type { JobPayload } from '../../queues/jobs.js';
import type { NewCitizenMessage } from '../../store/citizen-message.repository.js';
import type { Interaction } from '../../store/interaction.repository.js';
import type { Ticket } from '../../store/ticket.repository.js';
import type { Actor, AppContext } from '../context/index.js';
import { deliverMessage, type MessageTransport } from './delivery.js';

/*
 * Mail from the office to citizens (`ctx.email`, the email channel's SMTP sender): the acknowledgement of a case a
 * person wrote, agents' replies, and the status changes of cases that came by mail. Every mail carries the tracking
 * code in its subject, its own Message-ID (fixed before the first attempt), and In-Reply-To and References to the
 * citizen's messages, so the citizen's client shows one conversation and their answers join the case (our ids and the
 * code are remembered as thread keys). Automatic mails say so (`Auto-Submitted`), so auto-responders leave them be.
 *
 * Each mail is one job (`channel.email`, retried with backoff) and one record (`citizen_messages`), both named by the
 * same key: an agent's reply or a notice is sent once whatever repeats (`citizen-message-delivery.ts`). A permanent
 * refusal (SMTP 5xx) is not retried and goes on the timeline (`email_refused`), as do sent (`email_sent`) and failed
 * (`email_failed`) mails; an agent's reply also shows its delivery status.
 */

const EMAIL: Actor = { kind: 'system', id: 'email' };

type EmailJob = JobPayload<'channel.email'>;

/** Names the mail's job and its record: one acknowledgement per ticket, one per reply, one per status change. */
function emailKey(job: EmailJob): string {
  const suffix = job.interactionId !== undefined ? `-${job.interactionId}` : job.version === undefined ? '' : `-${String(job.version)}`;
  return `email-${job.ticketId}-${job.reason}${suffix}`;
}

/** Mail jobs outlast a relay's outage or greylisting (minutes), as SMS jobs do. */
const EMAIL_JOB_OPTIONS = { attempts: 8, backoff: { type: 'exponential', delay: 5_000 } } as const;

/** Queues a mail to the citizen (`channel.email`), once per key whatever repeats. */
export async function enqueueEmail(ctx: AppContext, job: EmailJob): Promise<void> {
  await ctx.queues.enqueue('channel.email', job, { ...EMAIL_JOB_OPTIONS, jobId: emailKey(job) });
}

/** The citizen's mail a new case answers, as the email channel read it. */
export interface MailToAcknowledge {
  /** The sender's address: the acknowledgement goes there, whichever address the citizen's record has. */
  from: string;
  /** Its Message-ID, and the ids it cites, without angle brackets. */
  messageId?: string;
  references?: readonly string[];
}

/**
 * A person wrote a new case by mail: the tracking code goes back to them, threaded under their message, once. The
 * email channel asks only for mail a person wrote (`classifyMailOrigin(...).answerable`): never for auto-replies,
 * bounces or lists.
 */
export async function requestAcknowledgement(ctx: AppContext, ticket: Ticket, mail: MailToAcknowledge): Promise<void> {
  if (ctx.email === undefined) return;
  await enqueueEmail(ctx, {
    ticketId: ticket._id.toString(),
    reason: 'acknowledgement',
    to: mail.from,
    ...(mail.messageId !== undefined ? { inReplyTo: mail.messageId } : {}),
    ...(mail.references !== undefined ? { references: mail.references.slice(-50) } : {}),
  });
}

/** An agent answered a case that came by mail (`replyToCitizen`): the answer goes out in the case's thread. */
export async function requestReplyEmail(ctx: AppContext, ticket: Ticket, reply: Interaction): Promise<void> {
  if (ctx.email === undefined) return;
  await enqueueEmail(ctx, { ticketId: ticket._id.toString(), reason: 'reply', interactionId: reply._id.toString() });
}

/**
 * Staff issued a notice the citizen must receive (the prórroga of Ley 27806, `extendSla`) on a case that came by mail:
 * it goes out as written, in the case's thread.
 */
export async function requestNoticeEmail(ctx: AppContext, ticket: Ticket, notice: Interaction): Promise<void> {
  if (ctx.email === undefined) return;
  await enqueueEmail(ctx, { ticketId: ticket._id.toString(), reason: 'notice', interactionId: notice._id.toString() });
}

/**
 * The `channel.email` job: the mail is drafted once (recipient, text, ids), sent once and its outcome put on the
 * timeline once. Nothing when outgoing mail is off or there is nobody to write to. `final`: BullMQ will not run this
 * job again.
 */
export async function sendCitizenEmail(ctx: AppContext, job: EmailJob, attempt: { final: boolean }): Promise<void> {
  const gateway = ctx.email;
  if (gateway === undefined) return;
  const ticket = await ctx.store.tickets.get(job.ticketId);
  if (!ticket) return;
  const key = emailKey(job);
  await deliverMessage(ctx, ticket, key, () => draft(ctx, gateway, ticket, job, key), emailTransport(ctx, gateway, ticket), attempt.final);
}

/** The citizen's address: the one the job names (the sender of the mail answered), else the newest on record. */
async function recipientOf(ctx: AppContext, ticket: Ticket, job: EmailJob): Promise<string | undefined> {
  if (job.to !== undefined) return job.to;
  if (ticket.citizenId === undefined) return undefined;
  const citizen = await ctx.store.citizens.get(ticket.citizenId.toString());
  return citizen?.emails.at(-1);
}

/**
 * The ids of the case's mail so far, oldest first: the citizen's messages (their interactions' Message-IDs). Read
 * when a reply or a notice is drafted, off the intake path.
 */
async function conversationOf(ctx: AppContext, ticket: Ticket): Promise<string[]> {
  const interactions = await ctx.store.interactions.list(ticket._id.toString());
  return interactions.filter((i) => i.channel === 'email' && i.direction === 'in').flatMap((i) => parseMessageIds(i.externalId).slice(0, 1));
}

/** The mail as it will be sent; null when there is nothing to send. */
async function draft(ctx: AppContext, gateway: EmailGateway, ticket: Ticket, job: EmailJob, key: string): Promise<NewCitizenMessage | null> {
  const reason: EmailReason = job.reason;
  const to = await recipientOf(ctx, ticket, job);
  if (to === undefined) return null;
  // An agent's reply or a staff notice: the interaction that holds its text, whose delivery status follows the mail.
  let written: Interaction | null = null;
  if (job.interactionId !== undefined) {
    written = await ctx.store.interactions.get(job.interactionId);
    if (!written) return null;
  }
  let template: string;
  let rendered: { subject?: string; body: string };
  if (reason === 'notice') {
    if (!written) return null;
    template = 'sla.extension_notice';
    rendered = { ...(written.subject !== undefined ? { subject: written.subject } : {}), body: written.body };
  } else {
    const author = written?.authorId !== undefined ? await ctx.store.staff.get(written.authorId) : null;
    const unit = ctx.catalogue.unitByCode(job.unitCode ?? ticket.unitCode);
    template = EMAIL_TEMPLATES[reason];
    rendered = renderMessage(ctx.catalogue.templates, EMAIL_TEMPLATES[reason], {
      trackingCode: ticket.trackingCode,
      subject: bareSubject(ticket.subject),
      unitName: unit?.name ?? job.unitCode ?? ticket.unitCode,
      reply: written?.body ?? '',
      agentName: author?.displayName ?? '',
    });
  }
  const conversation = reason === 'acknowledgement' ? [...(job.references ?? [])] : await conversationOf(ctx, ticket);
  const inReplyTo = reason === 'acknowledgement' ? job.inReplyTo : conversation.at(-1);
  const references = referencesFor(conversation, inReplyTo);
  return {
    key,
    ticketId: job.ticketId,
    channel: 'email',
    reason,
    template,
    to,
    subject: rendered.subject ?? ticket.trackingCode,
    body: rendered.body,
    messageId: ourMessageId(key, gateway.fromAddress),
    ...(inReplyTo !== undefined ? { inReplyTo } : {}),
    ...(references.length > 0 ? { references } : {}),
    ...(written ? { interactionId: written._id } : {}),
    status: 'sending',
  };
}

/**
 * Mail through the SMTP relay. SMTP cannot say whether an attempt whose answer was lost delivered: the mail is sent
 * again with the same Message-ID, which mail clients show once.
 */
function emailTransport(ctx: AppContext, gateway: EmailGateway, ticket: Ticket): MessageTransport {
  return {
    actor: EMAIL,
    async send(message) {
      const messageId = message.messageId ?? ourMessageId(message.key, gateway.fromAddress);
      // Remembered before sending: a citizen who answers at once already finds the case.
      await ctx.store.mailThreads.remember(
        ticket._id,
        [
          { kind: 'message_id', value: messageId, direction: 'out' },
          { kind: 'tracking_code', value: ticket.trackingCode, direction: 'out' },
        ],
        new Date(),
      );
      await gateway.send({
        to: message.to,
        subject: message.subject ?? ticket.trackingCode,
        text: message.body,
        messageId,
        ...(message.inReplyTo !== undefined ? { inReplyTo: message.inReplyTo } : {}),
        ...(message.references !== undefined ? { references: message.references } : {}),
        ...(message.reason === 'reply' ? {} : { automatic: message.reason === 'acknowledgement' ? 'auto-replied' : 'auto-generated' }),
      });
      return messageId;
    },
    eventPrefix: 'email',
    about: (message) => ({ to: message.to, about: message.reason, template: message.template, messageId: message.messageId }),
    async settled(message) {
      if (message.interactionId !== undefined) await ctx.store.interactions.setDeliveryStatus(message.interactionId, message.status === 'sent' ? 'sent' : 'failed');
    },
  };
}
