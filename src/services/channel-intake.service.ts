import type { NormalizedContact } from '../../channels/types.js';
import { AppError } from '../errors.js';
import type { JobPayload } from '../queues/jobs.js';
import { ticketIdFor } from '../store/ticket.repository.js';
import type { AppContext } from './context.js';
import { intake, normalizedContactSchema } from './intake.service.js';

/**
 * How long a channel waits for Redis to take a contact. Twilio gives a webhook 15 s; answering 503 well before that
 * lets it try the fallback URL. Should the add still land later, the contact is taken in once all the same.
 */
const SUBMIT_TIMEOUT_MS = 5_000;

/** The `channel.intake` job of the contact that becomes ticket `ticketId`: one per contact. */
export function intakeJobId(ticketId: string): string {
  return `intake-${ticketId}`;
}

/**
 * How a channel hands a contact to the core without waiting for the store: the contact is checked now (a bad one
 * is refused to the channel, which answers its vendor with a 4xx) and queued as a `channel.intake` job, one per
 * contact. The job runs `intake`. A webhook then costs one Redis write; if Redis cannot take it, the caller gets
 * SERVICE_UNAVAILABLE and nothing was written, so the vendor retries or uses its fallback.
 */
export async function submitContact(ctx: AppContext, contact: NormalizedContact): Promise<void> {
  const parsed = normalizedContactSchema.safeParse(contact);
  if (!parsed.success) {
    throw new AppError('VALIDATION_FAILED', 'The contact is not valid.', {
      fields: parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
    });
  }
  const payload: JobPayload<'channel.intake'> = { contact: { ...parsed.data, receivedAt: parsed.data.receivedAt.toISOString() } };
  const ticketId = ticketIdFor(contact.channel, contact.externalId).toString();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      ctx.queues.enqueue('channel.intake', payload, { jobId: intakeJobId(ticketId) }),
      new Promise((_resolve, reject) => {
        timer = setTimeout(() => { reject(new Error(`no answer from Redis within ${String(SUBMIT_TIMEOUT_MS)} ms`)); }, SUBMIT_TIMEOUT_MS);
      }),
    ]);
  } catch (err) {
    throw new AppError('SERVICE_UNAVAILABLE', 'The contact could not be queued; try again.', { cause: err instanceof Error ? err.message : String(err) });
  } finally {
    clearTimeout(timer);
  }
}

/** The `channel.intake` job: the queued contact becomes a ticket (once, however often the job runs). */
export async function intakeQueuedContact(ctx: AppContext, payload: JobPayload<'channel.intake'>): Promise<void> {
  const parsed = normalizedContactSchema.safeParse({ ...payload.contact, receivedAt: new Date(payload.contact.receivedAt) });
  // Checked when it was queued; a payload that fails now was not queued by submitContact, and retrying cannot fix it.
  if (!parsed.success) throw new AppError('VALIDATION_FAILED', 'The queued contact is not valid.');
  await intake(ctx, parsed.data);
}
