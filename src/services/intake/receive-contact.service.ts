import { CHANNEL_INTAKE, contactSchema, type Contact, type InlineChannel, type QueuedChannel } from '../../domain/contact.js';
import { AppError } from '../../errors.js';
import { intakeJobId, type JobInput, type JobPayload } from '../../queues/jobs.js';
import { ticketIdFor } from '../../store/ticket.repository.js';
import { WEBHOOK_DEADLINE_MS, withinDeadline, type AppContext } from '../context/index.js';
import { intake, type IntakeOptions, type IntakeResult } from './intake.service.js';

/** What a queued contact's channel is told: the ticket the contact will be, once its job has run. */
export interface QueuedContact {
  queued: true;
  ticketId: string;
}

/** The contact, checked against the contract; VALIDATION_FAILED names every field that is wrong. */
function validContact(input: Contact): Contact {
  const parsed = contactSchema.safeParse(input);
  if (!parsed.success) {
    throw new AppError('VALIDATION_FAILED', 'The contact is not valid.', {
      fields: parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
    });
  }
  return parsed.data;
}

/**
 * The one way a contact enters the core. It is validated once, here (a bad one is refused with VALIDATION_FAILED, and
 * the channel answers its vendor with a 4xx); then it is taken in the way its channel declares (`CHANNEL_INTAKE`):
 * - queued (phone): one `channel.intake` job per contact (job id from the ticket id it will have), whose run makes the
 *   ticket; the caller waits for one Redis write, at most {@link WEBHOOK_DEADLINE_MS}, and gets SERVICE_UNAVAILABLE
 *   with nothing written if Redis cannot take it, so the vendor retries or uses its fallback;
 * - inline (email, kiosk, manual): the ticket is made now and returned.
 * Either way, the same contact delivered twice becomes one ticket.
 */
export async function receiveContact(ctx: AppContext, contact: Contact & { channel: QueuedChannel }): Promise<QueuedContact>;
export async function receiveContact(ctx: AppContext, contact: Contact & { channel: InlineChannel }, options?: IntakeOptions): Promise<IntakeResult>;
export async function receiveContact(ctx: AppContext, contact: Contact, options?: IntakeOptions): Promise<QueuedContact | IntakeResult>;
export async function receiveContact(ctx: AppContext, input: Contact, options: IntakeOptions = {}): Promise<QueuedContact | IntakeResult> {
  const contact = validContact(input);
  if (CHANNEL_INTAKE[contact.channel] === 'inline') return intake(ctx, contact, options);
  // A queued contact is taken in by a job, from what the contact says alone: options are for channels taken in at once.
  if (Object.keys(options).length > 0) throw new AppError('INTERNAL', `intake options are not carried by a queued ${contact.channel} contact`);
  const ticketId = ticketIdFor(contact.channel, contact.externalId).toString();
  const payload: JobInput<'channel.intake'> = { contact };
  await withinDeadline(WEBHOOK_DEADLINE_MS, 'The contact', () => ctx.queues.enqueue('channel.intake', payload, { jobId: intakeJobId(ticketId) }));
  return { queued: true, ticketId };
}

/**
 * The `channel.intake` job: a queued contact becomes a ticket (once, however often the job runs). Its payload was
 * checked against the contract when the worker took it out of Redis.
 */
export async function takeInQueuedContact(ctx: AppContext, payload: JobPayload<'channel.intake'>): Promise<IntakeResult> {
  return intake(ctx, payload.contact);
}
