import { hallQueueOf } from '../../domain/counter-turns.js';
import { OWNED_STATUSES, WAITING_STATUSES } from '../../domain/ticket-lifecycle.js';
import { CHANNELS, type Channel } from '../../domain/ticket-types.js';
import { AppError } from '../../errors.js';
import type { Claim } from '../../live/routing-state.repository.js';
import type { StaffDoc } from '../../store/staff.model.js';
import type { Ticket } from '../../store/ticket.repository.js';
import { calendarOf, type Actor, type AppContext } from '../context/index.js';
import { hallEntryOf, holdLive, leaveLive, liveAgentOf, routingEntryOf, withLive } from '../live-state/index.js';
import { recordEvent } from '../timeline/index.js';

/*
 * Assignment on the live routing state (src/live): the claim — best waiting ticket for an agent with room, or
 * best agent for a new ticket — is one atomic Lua script in Redis, so nothing is assigned twice and no agent
 * goes over capacity, with no lock held and no query over the ticket history. The store write that follows is
 * keyed by `_id`, guarded on the ticket still waiting, and idempotent; until it is confirmed the claim stays
 * pending in the live state, so a worker that dies in between leaves a claim the reconcile completes or
 * releases (reconcile.service.ts).
 */

/**
 * Live calls follow their ticket: right after a phone ticket's assignment is stored, the caller is put through to that
 * agent by a `channel.connect` job (the phone capability runs it), so a Twilio hiccup is retried without holding the
 * claim. Other channels, or no phone channel: nothing.
 */
export async function requestCallConnect(ctx: AppContext, ticket: Ticket, staffId: string): Promise<void> {
  if (ticket.channel !== 'phone' || ctx.phone === undefined) return;
  await ctx.queues.enqueue('channel.connect', { ticketId: ticket._id.toString(), staffId }, { jobId: `connect-${ticket._id.toString()}-${String(ticket.version)}` });
}

const SYSTEM_ACTOR: Actor = { kind: 'system', id: 'assignment' };

/** The local day (Lima) that daily figures count in. */
function dayOf(ctx: AppContext, at: Date): string {
  return calendarOf(ctx).toLocalDate(at);
}


/**
 * Writes one claim to the store: the ticket, still waiting, becomes the agent's. A claim the store cannot take
 * (the ticket was closed, moved or taken meanwhile) is given back, so the agent's room is not lost. Returns the
 * assigned ticket, or null when the claim was given back.
 */
export async function completeClaim(ctx: AppContext, claim: Pick<Claim, 'ticketId' | 'staffId'>, actor: Actor = SYSTEM_ACTOR): Promise<Ticket | null> {
  const { before, after } = await ctx.store.tickets.claimFor(claim.ticketId, claim.staffId, new Date());
  if (!after) {
    // A repeat of a claim already written (a retried job, a reconcile) is confirmed; any other refusal given back.
    if (before?.assigneeId?.toString() === claim.staffId && OWNED_STATUSES.includes(before.status)) {
      await ctx.live.confirm(claim.ticketId, claim.staffId);
      return before;
    }
    await giveBack(ctx, claim);
    return null;
  }
  await ctx.live.confirm(claim.ticketId, claim.staffId);
  await requestCallConnect(ctx, after, claim.staffId);
  await recordEvent(ctx, after, actor, 'assigned', { ...(before ? { from: before.status } : {}), to: 'asignado', data: { assigneeId: claim.staffId } });
  // The agent may have gone offline after the claim and before this write, and their hand-back may have run
  // already: whichever side sees the other returns the ticket.
  if (!(await stillTakesWork(ctx, claim.staffId))) await returnToQueue(ctx, after, 'agent_offline');
  return after;
}

/**
 * Whether an agent still takes work, asked after a claim was written. Going offline (or being disabled) writes the
 * store, then the live state, then hands back what the live state says they hold, claims included: so a claim
 * written before the live state changed is handed back by that side, and one written after it is seen here. The
 * live state answers without a store read; when it does not know the agent (rebuilt meanwhile) the store does.
 */
async function stillTakesWork(ctx: AppContext, staffId: string): Promise<boolean> {
  const live = await ctx.live.agentStatus(staffId);
  if (live) return live.takesWork && live.presence !== 'offline';
  const agent = await ctx.store.staffPresence.getStaff(staffId);
  return agent !== null && agent.presence !== 'offline' && liveAgentOf(agent).takesWork;
}

/** Undoes a claim the store did not take: the agent's room comes back and the ticket is routed as it is now. */
async function giveBack(ctx: AppContext, claim: Pick<Claim, 'ticketId' | 'staffId'>): Promise<void> {
  await leaveLive(ctx, claim.ticketId);
  const now = await ctx.store.tickets.get(claim.ticketId);
  if (now && WAITING_STATUSES.includes(now.status)) await queueTicket(ctx, now);
  else if (now?.assigneeId && OWNED_STATUSES.includes(now.status)) await holdLive(ctx, now);
  await drainAgent(ctx, claim.staffId);
}

async function completeAll(ctx: AppContext, claims: readonly Claim[]): Promise<void> {
  for (const claim of claims) await completeClaim(ctx, claim);
}

/**
 * A waiting ticket joins the live queue; if an eligible agent has room it is assigned at once (or the agent
 * takes an older, more urgent ticket first, and this one waits its turn).
 */
export async function queueTicket(ctx: AppContext, ticket: Ticket): Promise<'assigned' | 'waiting'> {
  const hallService = hallQueueOf(ticket.turn);
  if (hallService !== undefined) {
    // A turn of the counter hall waits in its service's queue until a counter calls it; no agent is handed it.
    return (await withLive(ctx, () => ctx.live.hall.wait(hallEntryOf(ticket), hallService))) === 'held' ? 'assigned' : 'waiting';
  }
  const now = new Date();
  const claims = await withLive(ctx, () => ctx.live.routing.place(routingEntryOf(ticket), now, dayOf(ctx, now)));
  if (claims === 'assigned') return 'assigned';
  await completeAll(ctx, claims);
  return claims.some((c) => c.ticketId === ticket._id.toString()) ? 'assigned' : 'waiting';
}

/** The `assign.ticket` job: a ticket that is waiting in the store is put (again) in the live queue. */
export async function assignTicket(ctx: AppContext, ticketId: string): Promise<'assigned' | 'waiting' | 'not_waiting'> {
  const ticket = await ctx.store.tickets.get(ticketId);
  if (!ticket || !WAITING_STATUSES.includes(ticket.status)) return 'not_waiting';
  return queueTicket(ctx, ticket);
}

/** Fills one agent's free room from their units' queues, best ticket first. */
export async function drainAgent(ctx: AppContext, staffId: string | StaffDoc['_id']): Promise<number> {
  const now = new Date();
  const claims = await withLive(ctx, () => ctx.live.routing.drain(staffId.toString(), now, dayOf(ctx, now)));
  await completeAll(ctx, claims);
  return claims.length;
}

/** The live state learns an agent's presence, units, skills and capacity as the store now has them. */
export async function syncAgent(ctx: AppContext, staff: StaffDoc): Promise<void> {
  const takesWork = await withLive(ctx, () => ctx.live.routing.upsertAgent(liveAgentOf(staff)));
  if (takesWork && staff.presence === 'available' && staff.autoAssign) await drainAgent(ctx, staff._id);
}

/** "Take next": the agent asks for the best waiting ticket of their units on a channel they have room for. */
export async function takeNext(ctx: AppContext, actor: Actor, channel?: Channel): Promise<Ticket | null> {
  if (actor.kind !== 'staff') throw new AppError('FORBIDDEN');
  for (let attempt = 0; attempt < 5; attempt++) {
    const now = new Date();
    const claim = await withLive(ctx, () => ctx.live.routing.take(actor.id, channel ? [channel] : CHANNELS, now, dayOf(ctx, now)));
    if (claim === 'empty') return null;
    if (claim === 'offline') throw new AppError('offline');
    if (claim === 'at_capacity') throw new AppError('at_capacity', 'You are at full capacity on that channel.');
    if (claim === 'not_agent') {
      // The live state may not know this person yet (never present since it was built): learn them from the store.
      const staff = await ctx.store.staffPresence.getStaff(actor.id);
      if (!staff || !liveAgentOf(staff).takesWork) throw new AppError('not_agent', 'You do not take tickets.');
      if (staff.presence === 'offline') throw new AppError('offline');
      await ctx.live.routing.upsertAgent(liveAgentOf(staff));
      continue;
    }
    const ticket = await completeClaim(ctx, claim, actor);
    if (ticket) return ticket;
  }
  throw new AppError('CONFLICT', 'The queue is busy; try again.');
}

/** A supervisor hands a waiting ticket to a named agent; the agent's capacity still applies. */
export async function assignTo(ctx: AppContext, actor: Actor, seen: Ticket, staffId: string): Promise<Ticket> {
  const ticket = (await ctx.store.tickets.get(seen._id.toString())) ?? seen;
  if (!WAITING_STATUSES.includes(ticket.status)) throw new AppError('ILLEGAL_TRANSITION', 'Only a waiting ticket can be assigned.');
  if (hallQueueOf(ticket.turn) !== undefined) throw new AppError('counter_turn');
  const agent = await ctx.store.staffPresence.getStaff(staffId);
  if (!agent || agent.disabled || !agent.units.includes(ticket.unitCode)) {
    throw new AppError('VALIDATION_FAILED', 'That person does not work in the unit of this ticket.', { fields: [{ path: 'staffId', message: 'not a member of the ticket unit' }] });
  }
  const now = new Date();
  let claim = await withLive(ctx, () => ctx.live.routing.assign(ticket._id.toString(), staffId, now, dayOf(ctx, now)));
  if (claim === 'not_waiting') {
    // The live queue may not know it yet (routing job still running): put it there, then try again.
    await ctx.live.routing.enqueue(routingEntryOf(ticket));
    claim = await ctx.live.routing.assign(ticket._id.toString(), staffId, now, dayOf(ctx, now));
  }
  if (claim === 'not_waiting') throw new AppError('ILLEGAL_TRANSITION', 'Only a waiting ticket can be assigned.');
  if (claim === 'not_member') throw new AppError('VALIDATION_FAILED', 'That person does not take tickets of this unit.', { fields: [{ path: 'staffId', message: 'not an agent of the ticket unit' }] });
  if (claim === 'offline') throw new AppError('agent_offline');
  if (claim === 'at_capacity') throw new AppError('at_capacity', 'That person is at full capacity.');
  const done = await completeClaim(ctx, claim, actor);
  if (!done) throw new AppError('CONFLICT');
  return done;
}

/** Sends a ticket back to the queue (its agent went offline), keeping its place, and frees the agent's room. */
export async function returnToQueue(ctx: AppContext, ticket: Ticket, reason: string): Promise<boolean> {
  const back = await ctx.store.tickets.compareAndSet(
    ticket._id,
    { version: ticket.version, status: ['asignado', 'en_atencion'] },
    // enqueuedAt is kept: a ticket handed back keeps its place in the queue.
    { set: { status: 'en_cola' }, unset: ['assigneeId', 'assignedAt'] },
  );
  if (!back) return false;
  await recordEvent(ctx, back, SYSTEM_ACTOR, 'unassigned', { from: ticket.status, to: 'en_cola', reason });
  const was = await leaveLive(ctx, back);
  await queueTicket(ctx, back);
  if (was?.staffId) await drainAgent(ctx, was.staffId);
  return true;
}

/**
 * The ticket left its agent or its queue in the store (resolved, cancelled, referred, waiting on the citizen
 * no longer counts...): the live state follows, and an agent who got room back is filled again.
 */
export async function followTicket(ctx: AppContext, after: Ticket, options: { abandoned?: boolean } = {}): Promise<void> {
  if (WAITING_STATUSES.includes(after.status)) {
    const was = await leaveLive(ctx, after);
    await queueTicket(ctx, after);
    if (was?.staffId) await drainAgent(ctx, was.staffId);
    return;
  }
  if (OWNED_STATUSES.includes(after.status) && after.assigneeId) {
    await holdLive(ctx, after);
    return;
  }
  const now = new Date();
  const was = await leaveLive(ctx, after, options.abandoned ? dayOf(ctx, now) : undefined);
  if (was?.staffId) await drainAgent(ctx, was.staffId);
}


/** Tickets an agent holds now, from the live state (no query over the history). */
export async function heldTickets(ctx: AppContext, staffId: string): Promise<Ticket[]> {
  const ids = await ctx.live.held(staffId);
  const tickets = await Promise.all(ids.map((id) => ctx.store.tickets.get(id)));
  return tickets.filter((t): t is Ticket => t !== null && t.assigneeId?.toString() === staffId && OWNED_STATUSES.includes(t.status));
}
