import type { NormalizedContact } from '../../channels/types.js';
import { AppError } from '../errors.js';
import type { JobPayload } from '../queues/jobs.js';
import { ticketIdFor } from '../store/ticket.repository.js';
import type { AppContext } from './context.js';
import { WEBHOOK_DEADLINE_MS, withinDeadline } from './deadline.js';
import { intake, normalizedContactSchema } from './intake.service.js';

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
  await withinDeadline(WEBHOOK_DEADLINE_MS, 'The contact', () => ctx.queues.enqueue('channel.intake', payload, { jobId: intakeJobId(ticketId) }));
}

/** The `channel.intake` job: the queued contact becomes a ticket (once, however often the job runs). */
export async function intakeQueuedContact(ctx: AppContext, payload: JobPayload<'channel.intake'>): Promise<void> {
  const parsed = normalizedContactSchema.safeParse({ ...payload.contact, receivedAt: new Date(payload.contact.receivedAt) });
  // Checked when it was queued; a payload that fails now was not queued by submitContact, and retrying cannot fix it.
  if (!parsed.success) throw new AppError('VALIDATION_FAILED', 'The queued contact is not valid.');
  await intake(ctx, parsed.data);
}
