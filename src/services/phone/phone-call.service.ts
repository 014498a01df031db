import { answeredCallTimes, estimateWaitMinutes, type WaitAnnouncement } from '../../domain/ivr.js';
import { renderMessage } from '../../domain/message-templates.js';
import { WAITING_STATUSES } from '../../domain/ticket-lifecycle.js';
import { AppError } from '../../errors.js';
import type { JobPayload } from '../../queues/jobs.js';
import { ticketIdFor, type Ticket } from '../../store/ticket.repository.js';
import { queueTicket, returnToQueue } from '../assignment/index.js';
import { requestCallSms } from '../citizen-messages/index.js';
import { calendarOf, type Actor, type AppContext } from '../context/index.js';
import { leaveLive } from '../live-state/index.js';
import { notify } from '../notifications/index.js';
import { setPresence } from '../staff/index.js';
import { applyTransition } from '../tickets/index.js';
import { recordEvent } from '../timeline/index.js';

/*
 * The phone channel's use-cases after a caller is queued: putting an assigned call through to its agent, how ringing
 * an agent ended, the end of a call (abandoned or not), what a waiting caller is told, call backs, and agents' own
 * calls. Each webhook-side step only queues a job; the job does the work.
 */

const PHONE: Actor = { kind: 'system', id: 'phone' };

/** Hands how ringing an agent ended to a job (the dial-result webhook answers at once). */
export async function submitDialResult(ctx: AppContext, result: JobPayload<'channel.dial-result'> & { dialSid: string }): Promise<void> {
  const { dialSid, ...payload } = result;
  await ctx.queues.enqueue('channel.dial-result', payload, { jobId: `dial-${payload.ticketId}-${payload.staffId}-${dialSid}` });
}

/**
 * The `channel.dial-result` job. An answered call goes on the timeline: who answered, how long the caller waited
 * and how long they talked. An agent who did not answer is set away first, so the queue does not hand them the
 * call again, then the ticket returns to the queue keeping its place, and the next agent with room gets it. The
 * agent is told why their presence changed.
 */
export async function handleDialResult(ctx: AppContext, payload: JobPayload<'channel.dial-result'>): Promise<void> {
  const ticket = await ctx.store.tickets.get(payload.ticketId);
  if (payload.outcome === 'answered') {
    if (!ticket) return;
    const times = answeredCallTimes(ticket.createdAt, new Date(payload.endedAt), payload.talkSeconds ?? 0);
    await recordEvent(ctx, ticket, PHONE, 'call_answered', { data: { staffId: payload.staffId, ...times } });
    return;
  }
  if (ticket?.status !== 'asignado' || ticket.assigneeId?.toString() !== payload.staffId) return;
  await setPresence(ctx, PHONE, payload.staffId, 'away');
  await returnToQueue(ctx, ticket, 'agent_no_answer');
  await notify(ctx, {
    recipientId: payload.staffId,
    kind: 'call_missed',
    ticketId: ticket._id,
    trackingCode: ticket.trackingCode,
    message: renderMessage(ctx.catalogue.templates, 'notification.call_missed', { trackingCode: ticket.trackingCode }).body,
    dedupeKey: `call_missed:${payload.ticketId}:${payload.staffId}:${String(ticket.version)}`,
  });
  ctx.log.info({ ticketId: payload.ticketId, staffId: payload.staffId }, 'agent did not answer a call: set away, call back in the queue');
}

/** Hands the end of a call to a job (the status callback answers at once). */
export async function submitCallEnded(ctx: AppContext, callSid: string): Promise<void> {
  await ctx.queues.enqueue('channel.call-ended', { callSid }, { jobId: `ended-${callSid}` });
}

/**
 * The `channel.call-ended` job. A caller who chose at the menu and hung up while still waiting abandoned the
 * queue: it counts in the unit's abandoned calls today. With the caller's number the ticket stays in the queue,
 * in its place, marked as a call to return (the agent who gets it calls back); without one nobody can answer it,
 * so it is cancelled. Voicemails (no menu choice), calls already put through and calls to return (booked with
 * "marque 1", or a repeat of this job) are left alone. Then the caller gets the tracking code by SMS.
 */
export async function handleCallEnded(ctx: AppContext, payload: JobPayload<'channel.call-ended'>): Promise<void> {
  await noteAbandonment(ctx, payload);
  // After the call's own effects, so the SMS knows whether a call back was booked.
  await requestCallSms(ctx, payload.callSid);
}

async function noteAbandonment(ctx: AppContext, payload: JobPayload<'channel.call-ended'>): Promise<void> {
  const ticket = await ctx.store.tickets.get(ticketIdFor('phone', payload.callSid).toString());
  if (ticket?.channel !== 'phone' || ticket.routingHint.ivrDigits === undefined || !WAITING_STATUSES.includes(ticket.status)) return;
  // The caller hung up after asking to be called back: not abandoned. Its booking may still be on its way.
  if (ticket.callbackRequestedAt !== undefined) return;
  if (await ctx.queues.isPending('channel', callbackJobId(ticket._id.toString()))) {
    throw new AppError('callback_pending');
  }
  if (ticket.citizenId === undefined) {
    await applyTransition(ctx, PHONE, ticket, 'cancel', { reason: 'call_abandoned_without_number' });
    return;
  }
  // Marked first: a repeat of this job then finds a call to return and counts nothing twice.
  const marked = await markCallToReturn(ctx, ticket);
  await leaveLive(ctx, marked, calendarOf(ctx).toLocalDate(new Date()));
  await recordEvent(ctx, marked, PHONE, 'call_abandoned', { reason: 'hung_up_while_waiting', data: { callback: true } });
  await queueTicket(ctx, marked);
}

/**
 * What a caller waiting in Twilio's queue is told (its wait URL, every half minute or so): their place in the core's
 * queue, which priority classes and skills order, not Twilio's order of arrival, and the expected wait. Reads Redis
 * only. Null while the call is not in the live queue (its intake job has not run yet, or it is being put through).
 */
export async function callWaitAnnouncement(ctx: AppContext, callSid: string): Promise<WaitAnnouncement | null> {
  const id = ticketIdFor('phone', callSid).toString();
  const where = await ctx.live.routing.position(id);
  if (where === null) return null;
  const ticket = await ctx.store.tickets.get(id);
  const figures = await ctx.live.figures(where.unitCode, calendarOf(ctx).toLocalDate(new Date()));
  const queue = figures.queues.find((q) => q.queue === where.queue);
  const minutes = queue ? estimateWaitMinutes(where.position, queue.waiting, { answered: queue.answeredToday, waitMs: queue.waitMsToday }) : undefined;
  return { position: where.position, ...(minutes !== undefined ? { minutes } : {}), callbackPossible: mayCallBack(ticket) };
}

/** The ticket becomes a call to return (the agent who gets it calls the citizen back), if nobody changed it meanwhile. */
async function markCallToReturn(ctx: AppContext, ticket: Ticket): Promise<Ticket> {
  const marked = await ctx.store.tickets.compareAndSet(ticket._id, { version: ticket.version, status: ticket.status }, { set: { callbackRequestedAt: new Date() } });
  if (!marked) throw new AppError('CONFLICT');
  return marked;
}

/** A caller can be called back when their number is known and they have not asked already. */
function mayCallBack(ticket: Ticket | null): boolean {
  return ticket?.citizenId !== undefined && ticket.callbackRequestedAt === undefined && WAITING_STATUSES.includes(ticket.status);
}

function callbackJobId(ticketId: string): string {
  return `callback-${ticketId}`;
}

/**
 * A waiting caller pressed 1 to be called back. Answers false when that is not possible (number unknown, no longer
 * waiting): the caller keeps waiting. Otherwise the booking is queued (no store write on the webhook) and the caller
 * may hang up; the ticket keeps its place.
 */
export async function requestCallback(ctx: AppContext, callSid: string): Promise<boolean> {
  const id = ticketIdFor('phone', callSid).toString();
  if (!mayCallBack(await ctx.store.tickets.get(id))) return false;
  await ctx.queues.enqueue('channel.callback', { ticketId: id }, { jobId: callbackJobId(id) });
  return true;
}

/** The `channel.callback` job: the ticket becomes a call to return, in its place in the queue. */
export async function bookCallback(ctx: AppContext, payload: JobPayload<'channel.callback'>): Promise<void> {
  const ticket = await ctx.store.tickets.get(payload.ticketId);
  if (!ticket || !mayCallBack(ticket)) return;
  const booked = await markCallToReturn(ctx, ticket);
  await recordEvent(ctx, booked, PHONE, 'callback_requested', { data: { phone: true } });
}

/** Hands an agent's outgoing call about a ticket to a job (the TwiML App's webhook answers at once). */
export async function submitOutgoingCall(ctx: AppContext, call: JobPayload<'channel.outgoing'>): Promise<void> {
  await ctx.queues.enqueue('channel.outgoing', call, { jobId: `outgoing-${call.callSid}` });
}

/** The `channel.outgoing` job: the call an agent placed about a ticket joins its timeline. */
export async function recordOutgoingCall(ctx: AppContext, payload: JobPayload<'channel.outgoing'>): Promise<void> {
  const [ticket, staff] = await Promise.all([ctx.store.tickets.get(payload.ticketId), ctx.store.staff.get(payload.staffId)]);
  if (!ticket || !staff) return;
  const actor: Actor = { kind: 'staff', id: payload.staffId, roles: staff.roles, units: staff.units };
  await recordEvent(ctx, ticket, actor, 'call_placed', { data: { to: payload.to, callSid: payload.callSid } });
}

/** Hands a caller's rating to a job (the survey webhook answers at once, thanking them). */
export async function submitSurveyAnswer(ctx: AppContext, answer: JobPayload<'channel.survey'>): Promise<void> {
  await ctx.queues.enqueue('channel.survey', answer, { jobId: `survey-${answer.callSid}` });
}

/**
 * The `channel.survey` job: the rating is stored against the ticket, the agent who attended and the unit the ticket
 * belongs to now (the quarterly report reads them), and shown on the timeline. A call is rated once.
 */
export async function recordSurveyAnswer(ctx: AppContext, payload: JobPayload<'channel.survey'>): Promise<void> {
  const ticket = await ctx.store.tickets.get(payload.ticketId);
  if (!ticket) return;
  const stored = await ctx.store.surveyResponses.record({
    contactKey: payload.callSid,
    ticketId: ticket._id,
    staffId: payload.staffId,
    unitCode: ticket.unitCode,
    ...(ticket.serviceCode !== undefined ? { serviceCode: ticket.serviceCode } : {}),
    channel: 'phone',
    score: payload.score,
    at: new Date(payload.at),
  });
  if (stored) await recordEvent(ctx, ticket, PHONE, 'survey_answered', { data: { score: payload.score, staffId: payload.staffId } });
}

/**
 * Hands a recording Twilio reports to a job (the recording callback answers at once). Without a ticket named, it is
 * the recording of the call that made the ticket (a voicemail).
 */
export async function submitRecording(ctx: AppContext, recording: Omit<JobPayload<'channel.recording'>, 'ticketId'> & { ticketId?: string; callSid: string }): Promise<void> {
  const { callSid, ticketId, ...rest } = recording;
  const payload = { ...rest, ticketId: ticketId ?? ticketIdFor('phone', callSid).toString() };
  await ctx.queues.enqueue('channel.recording', payload, { jobId: `recording-${recording.recordingSid}` });
}

/**
 * The `channel.recording` job: a voicemail's or an agent's call's recording joins the ticket's timeline, or the
 * timeline says why there is none. A voicemail's recording can be reported before its ticket is stored (both come
 * from the same call, a second apart): the job is then retried.
 */
export async function recordCallRecording(ctx: AppContext, payload: JobPayload<'channel.recording'>): Promise<void> {
  const ticket = await ctx.store.tickets.get(payload.ticketId);
  if (!ticket) throw new AppError('ticket_pending');
  const data = { recordingSid: payload.recordingSid, ...(payload.staffId !== undefined ? { staffId: payload.staffId } : {}) };
  if (payload.status === 'completed') {
    await recordEvent(ctx, ticket, PHONE, 'call_recorded', { data: { ...data, ...(payload.url !== undefined ? { url: payload.url } : {}), ...(payload.seconds !== undefined ? { seconds: payload.seconds } : {}) } });
  } else {
    await recordEvent(ctx, ticket, PHONE, 'recording_missing', { reason: payload.status, data });
  }
}

/** The `channel.connect` job (queued by assignment when it hands a phone ticket to an agent): rings the agent if the ticket is still theirs; a call already gone is left alone. */
export async function connectAssignedCall(ctx: AppContext, payload: JobPayload<'channel.connect'>): Promise<void> {
  const phone = ctx.phone;
  if (phone === undefined) return;
  const ticket = await ctx.store.tickets.get(payload.ticketId);
  if (ticket?.channel !== 'phone' || ticket.status !== 'asignado' || ticket.assigneeId?.toString() !== payload.staffId) return;
  const connected = await phone.connect({ callSid: ticket.channelKey, ticketId: payload.ticketId, staffId: payload.staffId });
  if (!connected) ctx.log.info({ ticketId: payload.ticketId }, 'phone ticket assigned after its call ended: nothing to connect');
}
