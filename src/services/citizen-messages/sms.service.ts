import { phoneChannelEnv } from '../../config/env.js';
import { afterCallTemplate, nationalPhone, smsNumberOf, STATUS_SMS_TEMPLATES, type SmsTemplateId } from '../../domain/citizen-sms.js';
import { renderMessage } from '../../domain/message-templates.js';
import type { SmsGateway } from '../../domain/outbound.js';
import { smsLength, toGsm7 } from '../../domain/sms-text.js';
import { AppError } from '../../errors.js';
import { intakeJobId, SMS_JOB_OPTIONS, type JobPayload } from '../../queues/jobs.js';
import type { NewCitizenMessage } from '../../store/citizen-message.repository.js';
import { ticketIdFor, type Ticket } from '../../store/ticket.repository.js';
import type { Actor, AppContext } from '../context/index.js';
import { recordEvent } from '../timeline/index.js';
import { deliverMessage, type MessageTransport } from './delivery.js';

/*
 * Text messages to citizens through the phone channel (`ctx.sms`, Twilio): the tracking code once a call ended, and
 * the status changes a citizen cares about (`statusNoticeReason`), to the citizen's Peruvian mobile, in es-PE
 * (`config/templates.json`). Which channel tells a citizen of a change is decided in `status-notice.service.ts`.
 *
 * Each message is one BullMQ job (`channel.sms`, retried with backoff) and one record (`citizen_messages`), both named
 * by the same key, so a repeated webhook, a job queued twice or a job run again after success sends nothing more
 * (`citizen-message-delivery.ts`). A permanent refusal (Twilio 4xx) is not retried; sent, refused and failed messages
 * go on the ticket's timeline (`sms_sent` with Twilio's Message SID, `sms_refused`, `sms_failed`), and so does a
 * later delivery failure (`sms_undelivered`).
 */

const SMS: Actor = { kind: 'system', id: 'sms' };

type SmsJob = JobPayload<'channel.sms'>;

/** Twilio dates its messages to the whole second, by its own clock. */
const CLOCK_ALLOWANCE_MS = 5_000;

/** Names the message's job and its record: one per ticket for the call, one per status change. */
function smsKey(job: SmsJob): string {
  return `sms-${job.ticketId}-${job.reason}${job.version === undefined ? '' : `-${String(job.version)}`}`;
}

/** Queues an SMS to the citizen (`channel.sms`), once per key whatever repeats. */
export async function enqueueSms(ctx: AppContext, job: SmsJob): Promise<void> {
  await ctx.queues.enqueue('channel.sms', job, { ...SMS_JOB_OPTIONS, jobId: smsKey(job) });
}

/**
 * A phone call ended (the `channel.call-ended` job, after the call's own effects are stored, so the message knows
 * whether a call back was booked): its ticket's tracking code goes to the caller, once.
 */
export async function requestCallSms(ctx: AppContext, callSid: string): Promise<void> {
  if (ctx.sms === undefined) return;
  await enqueueSms(ctx, { ticketId: ticketIdFor('phone', callSid).toString(), reason: 'call' });
}

/**
 * The `channel.sms` job. Nothing when SMS are off, the citizen has no Peruvian mobile or the message no longer applies;
 * otherwise the message is drafted once, sent once and its outcome put on the timeline once. `final`: BullMQ will not
 * run this job again, so a failure now is recorded as the message's end.
 */
export async function sendCitizenSms(ctx: AppContext, job: SmsJob, attempt: { final: boolean }): Promise<void> {
  const gateway = ctx.sms;
  if (gateway === undefined) return;
  const ticket = await ctx.store.tickets.get(job.ticketId);
  if (!ticket) {
    // A call can end before its contact is taken in (a voicemail hangs up as soon as it is saved).
    if (await ctx.queues.isPending('channel', intakeJobId(job.ticketId))) {
      throw new AppError('intake_pending');
    }
    return;
  }
  const key = smsKey(job);
  await deliverMessage(ctx, ticket, key, () => draft(ctx, ticket, job, key), smsTransport(gateway), attempt.final);
}

/**
 * SMS through the gateway. Twilio's Messages API takes no idempotency key, so an attempt whose answer was lost (a
 * timeout, a crash) may have sent the message: the next attempt looks for it among the newest messages to that
 * number first, and adopts it when found.
 */
function smsTransport(gateway: SmsGateway): MessageTransport {
  return {
    actor: SMS,
    async send(message) {
      return (await gateway.send({ to: message.to, body: message.body, ref: message._id.toString() })).sid;
    },
    async findLost(message) {
      const found = await gateway.find({ to: message.to, body: message.body, since: new Date(message.createdAt.getTime() - CLOCK_ALLOWANCE_MS) });
      return found?.sid ?? null;
    },
    eventPrefix: 'sms',
    about: (message) => ({ to: message.to, about: message.reason, template: message.template }),
    sentData: (message) => ({ messageSid: message.providerId, segments: smsLength(message.body).segments }),
  };
}

function templateFor(ticket: Ticket, job: SmsJob): SmsTemplateId | undefined {
  if (job.reason !== 'call') return STATUS_SMS_TEMPLATES[job.reason];
  if (ticket.channel !== 'phone') return undefined;
  return afterCallTemplate({ status: ticket.status, ivrDigits: ticket.routingHint.ivrDigits, callbackRequestedAt: ticket.callbackRequestedAt });
}

/** The message as it will be sent; null when there is nothing to send. */
async function draft(ctx: AppContext, ticket: Ticket, job: SmsJob, key: string): Promise<NewCitizenMessage | null> {
  const template = templateFor(ticket, job);
  if (template === undefined || ticket.citizenId === undefined) return null;
  const citizen = await ctx.store.citizens.get(ticket.citizenId.toString());
  const to = citizen ? smsNumberOf(citizen.phones) : undefined;
  if (to === undefined) return null;
  const unit = ctx.catalogue.unitByCode(job.unitCode ?? ticket.unitCode);
  const callerId = phoneChannelEnv(ctx.env)?.callerId;
  const text = renderMessage(ctx.catalogue.templates, template, {
    trackingCode: ticket.trackingCode,
    unitName: unit?.shortName ?? job.unitCode ?? ticket.unitCode,
    officePhone: callerId === undefined ? '' : nationalPhone(callerId),
  }).body;
  const body = toGsm7(text);
  const length = smsLength(body);
  if (length.segments > 1) ctx.log.warn({ ticketId: job.ticketId, template, ...length }, 'an SMS takes more than one segment (a long unit shortName?): it costs more');
  return { key, ticketId: job.ticketId, channel: 'sms', reason: job.reason, template, to, body, status: 'sending' };
}

/** Twilio reported that an SMS did not reach the phone: queued (the status callback answers at once). */
export async function submitSmsReport(ctx: AppContext, report: JobPayload<'channel.sms-report'>): Promise<void> {
  await ctx.queues.enqueue('channel.sms-report', report, { jobId: `sms-report-${report.messageSid}` });
}

/**
 * The `channel.sms-report` job: the delivery failure goes on the ticket's timeline (`sms_undelivered`, with Twilio's
 * error code: 30003 phone off or unreachable, 30005 unknown number, 30006 landline, 30007 carrier filtering), once.
 */
export async function recordSmsReport(ctx: AppContext, report: JobPayload<'channel.sms-report'>): Promise<void> {
  const message = await ctx.store.citizenMessages.get(report.messageId);
  if (!message) return;
  // Twilio can report before its answer to the send is stored.
  if (message.status === 'sending') throw new AppError('send_pending');
  if (message.status !== 'sent' || message.providerId !== report.messageSid) return;
  const ticket = await ctx.store.tickets.get(message.ticketId.toString());
  if (!ticket) return;
  // Recorded first: a crash before the status is stored repeats the event rather than losing it.
  await recordEvent(ctx, ticket, SMS, 'sms_undelivered', {
    data: { messageSid: report.messageSid, to: message.to, about: message.reason, status: report.status, ...(report.errorCode !== undefined ? { providerCode: report.errorCode } : {}) },
  });
  const error = { code: 'UNDELIVERED', message: `Twilio reported the SMS ${report.status}`, ...(report.errorCode !== undefined ? { providerCode: report.errorCode } : {}) };
  await ctx.store.citizenMessages.step(message._id, (current) => (current.status === 'sent' ? { set: { status: 'undelivered', error } } : null));
}
