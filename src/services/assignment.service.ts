import { compareQueueEntries } from '../domain/priority.js';
import { WAITING_STATUSES } from '../domain/ticket-lifecycle.js';
import { CHANNELS, type Channel } from '../domain/ticket-types.js';
import { AppError } from '../errors.js';
import type { StaffDoc } from '../store/staff.model.js';
import type { Ticket } from '../store/ticket.repository.js';
import type { Actor } from './actor.js';
import type { AppContext } from './context.js';
import { recordEvent } from './ticket-events.js';

/*
 * Assignment without races, without transactions:
 * 1. reserve a unit of the agent's capacity with a compare-and-set on the agent's version (never over capacity);
 * 2. claim the ticket with a compare-and-set on its version and waiting status (never assigned twice);
 * 3. if the claim loses, give the reservation back.
 * Both a newly queued ticket and an agent with new room look for the other only after making themselves
 * visible, so one of them always finds the other: nothing waits while an eligible agent has room.
 */

const MAX_ROUNDS = 50;

function hasSkills(agent: StaffDoc, required: readonly string[]): boolean {
  return required.every((skill) => agent.skills.includes(skill));
}

function hasRoom(agent: StaffDoc, channel: Channel): boolean {
  return agent.load[channel] < agent.capacity[channel];
}

/** Least loaded (as a share of capacity) first, then the one idle longest, then a stable id order. */
function byBestAgent(channel: Channel) {
  return (a: StaffDoc, b: StaffDoc): number => {
    const ratio = (s: StaffDoc) => s.load[channel] / Math.max(1, s.capacity[channel]);
    const idle = (s: StaffDoc) => s.lastAssignedAt?.getTime() ?? 0;
    return ratio(a) - ratio(b) || idle(a) - idle(b) || a._id.toString().localeCompare(b._id.toString());
  };
}

function queueOrder(a: Ticket, b: Ticket): number {
  return compareQueueEntries(
    { score: a.priorityScore, enqueuedAt: a.enqueuedAt ?? a.createdAt, id: a._id.toString() },
    { score: b.priorityScore, enqueuedAt: b.enqueuedAt ?? b.createdAt, id: b._id.toString() },
  );
}

type ClaimOutcome = 'assigned' | 'agent_changed' | 'ticket_taken';

/** Steps 1–3 above for one agent and one ticket. */
async function claim(ctx: AppContext, agent: StaffDoc, ticket: Ticket, actor: Actor, options: { requireAvailable: boolean }): Promise<ClaimOutcome> {
  const at = new Date();
  const reserved = await ctx.store.staffPresence.reserve(agent, ticket.channel, at, options);
  if (!reserved) return 'agent_changed';
  const assigned = await ctx.store.tickets.compareAndSet(
    ticket._id,
    { version: ticket.version, status: ticket.status },
    { set: { status: 'asignado', assigneeId: agent._id, assignedAt: at } },
  );
  if (!assigned) {
    await ctx.store.staffPresence.release(agent._id, ticket.channel);
    return 'ticket_taken';
  }
  await recordEvent(ctx, assigned, actor, 'assigned', { from: ticket.status, to: 'asignado', data: { assigneeId: agent._id.toString() } });
  // The agent may have gone offline between the reservation and the claim; its offline sweep may already
  // have run, so this side checks too. Whichever sees the other returns the ticket.
  const now = await ctx.store.staffPresence.getStaff(agent._id);
  if (!now || now.presence === 'offline' || now.disabled) await returnToQueue(ctx, assigned, 'agent_offline');
  return 'assigned';
}

/** The best waiting ticket this agent may take now, or undefined. */
async function bestTicketFor(ctx: AppContext, agent: StaffDoc, channels: readonly Channel[]): Promise<Ticket | undefined> {
  const candidates = await ctx.store.tickets.listWaiting({ unitCodes: agent.units, channels, limit: 100 });
  return candidates.filter((t) => hasSkills(agent, t.requiredSkills)).sort(queueOrder)[0];
}

/**
 * Fills one agent's free capacity from their units' waiting tickets, best first. Runs when the agent gains
 * room: became available, finished or handed over a case, capacity raised.
 */
export async function drainAgent(ctx: AppContext, staffId: string | StaffDoc['_id']): Promise<number> {
  let assigned = 0;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const agent = await ctx.store.staffPresence.getStaff(staffId);
    if (!agent || agent.disabled || agent.presence !== 'available' || !agent.autoAssign) return assigned;
    const channels = CHANNELS.filter((c) => hasRoom(agent, c));
    const ticket = channels.length > 0 ? await bestTicketFor(ctx, agent, channels) : undefined;
    if (!ticket) return assigned;
    const outcome = await claim(ctx, agent, ticket, SYSTEM_ACTOR, { requireAvailable: true });
    if (outcome === 'assigned') assigned++;
  }
  // Still contended after many rounds: try again later rather than spin.
  await ctx.queues.enqueue('assign.drain-agent', { staffId: staffId.toString() }, { delay: 500 });
  return assigned;
}

/**
 * Finds an agent for a waiting ticket. It serves the queue in order: the chosen agent takes the best
 * ticket waiting for them, which may be an older or more urgent one; the loop continues until this ticket is
 * assigned or no eligible agent has room.
 */
export async function assignTicket(ctx: AppContext, ticketId: string): Promise<'assigned' | 'waiting' | 'not_waiting'> {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const ticket = await ctx.store.tickets.get(ticketId);
    if (!ticket || !WAITING_STATUSES.includes(ticket.status)) return round === 0 ? 'not_waiting' : 'assigned';
    const agents = (await ctx.store.staffPresence.availableAgents(ticket.unitCode))
      .filter((a) => hasRoom(a, ticket.channel) && hasSkills(a, ticket.requiredSkills))
      .sort(byBestAgent(ticket.channel));
    const agent = agents[0];
    if (!agent) return 'waiting';
    const next = (await bestTicketFor(ctx, agent, [ticket.channel])) ?? ticket;
    await claim(ctx, agent, next, SYSTEM_ACTOR, { requireAvailable: true });
  }
  await ctx.queues.enqueue('assign.ticket', { ticketId }, { delay: 500 });
  return 'waiting';
}

/** "Take next": the agent asks for the best waiting ticket of their units on a channel they have room for. */
export async function takeNext(ctx: AppContext, actor: Actor, channel?: Channel): Promise<Ticket | null> {
  if (actor.kind !== 'staff') throw new AppError('FORBIDDEN');
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const agent = await ctx.store.staffPresence.getStaff(actor.id);
    if (!agent || agent.disabled) throw new AppError('UNAUTHENTICATED');
    if (agent.presence === 'offline') throw new AppError('CONFLICT', 'Set your presence before taking work.');
    const channels = (channel ? [channel] : CHANNELS).filter((c) => hasRoom(agent, c));
    if (channels.length === 0) throw new AppError('CONFLICT', 'You are at full capacity on that channel.', { reason: 'at_capacity' });
    const ticket = await bestTicketFor(ctx, agent, channels);
    if (!ticket) return null;
    if ((await claim(ctx, agent, ticket, actor, { requireAvailable: false })) === 'assigned') return ctx.store.tickets.get(ticket._id.toString());
  }
  throw new AppError('CONFLICT', 'The queue is busy; try again.');
}

/** A supervisor hands a waiting ticket to a named agent; the agent's capacity still applies. */
export async function assignTo(ctx: AppContext, actor: Actor, ticket: Ticket, staffId: string): Promise<Ticket> {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const current = await ctx.store.tickets.get(ticket._id.toString());
    if (!current || !WAITING_STATUSES.includes(current.status)) throw new AppError('ILLEGAL_TRANSITION', 'Only a waiting ticket can be assigned.');
    const agent = await ctx.store.staffPresence.getStaff(staffId);
    if (!agent || agent.disabled || !agent.units.includes(current.unitCode)) {
      throw new AppError('VALIDATION_FAILED', 'That person does not work in the unit of this ticket.', { fields: [{ path: 'staffId', message: 'not a member of the ticket unit' }] });
    }
    if (agent.presence === 'offline') throw new AppError('CONFLICT', 'That person is offline.', { reason: 'agent_offline' });
    if (!hasRoom(agent, current.channel)) throw new AppError('CONFLICT', 'That person is at full capacity.', { reason: 'at_capacity' });
    const outcome = await claim(ctx, agent, current, actor, { requireAvailable: false });
    if (outcome === 'assigned') {
      const done = await ctx.store.tickets.get(current._id.toString());
      if (done) return done;
    }
  }
  throw new AppError('CONFLICT');
}

/** Sends a ticket back to the queue (its agent went offline) and frees the agent's capacity. */
export async function returnToQueue(ctx: AppContext, ticket: Ticket, reason: string): Promise<boolean> {
  const assigneeId = ticket.assigneeId;
  const back = await ctx.store.tickets.compareAndSet(
    ticket._id,
    { version: ticket.version, status: ['asignado', 'en_atencion'] },
    // enqueuedAt is kept: a ticket handed back keeps its place in the queue.
    { set: { status: 'en_cola' }, unset: ['assigneeId', 'assignedAt'] },
  );
  if (!back) return false;
  await recordEvent(ctx, back, SYSTEM_ACTOR, 'unassigned', { from: ticket.status, to: 'en_cola', reason });
  if (assigneeId) await ctx.store.staffPresence.release(assigneeId, ticket.channel);
  await ctx.queues.enqueue('assign.ticket', { ticketId: back._id.toString() });
  return true;
}

const SYSTEM_ACTOR: Actor = { kind: 'system', id: 'assignment' };
