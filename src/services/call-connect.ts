import type { JobPayload } from '../queues/jobs.js';
import type { Ticket } from '../store/ticket.repository.js';
import type { AppContext } from './context.js';

/*
 * Live calls follow their ticket: when the core assigns a phone ticket, the caller is put through to that agent.
 * Kept apart from the rest of the phone use-cases (`phone-call.service.ts`) because the assignment path calls it,
 * and those use-cases call the assignment path.
 */

/**
 * Asked right after an assignment is stored; the connect itself runs as a job, so a Twilio hiccup is retried
 * without holding the claim. Other channels, or no phone channel: nothing.
 */
export async function requestCallConnect(ctx: AppContext, ticket: Ticket, staffId: string): Promise<void> {
  if (ticket.channel !== 'phone' || ctx.phone === undefined) return;
  await ctx.queues.enqueue('channel.connect', { ticketId: ticket._id.toString(), staffId }, { jobId: `connect-${ticket._id.toString()}-${String(ticket.version)}` });
}

/** The `channel.connect` job: rings the agent if the ticket is still theirs; a call already gone is left alone. */
export async function connectAssignedCall(ctx: AppContext, payload: JobPayload<'channel.connect'>): Promise<void> {
  const phone = ctx.phone;
  if (phone === undefined) return;
  const ticket = await ctx.store.tickets.get(payload.ticketId);
  if (ticket?.channel !== 'phone' || ticket.status !== 'asignado' || ticket.assigneeId?.toString() !== payload.staffId) return;
  const connected = await phone.connect({ callSid: ticket.channelKey, ticketId: payload.ticketId, staffId: payload.staffId });
  if (!connected) ctx.log.info({ ticketId: payload.ticketId }, 'phone ticket assigned after its call ended: nothing to connect');
}
