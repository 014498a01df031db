import type { Redis } from 'ioredis';
import type { Presence } from '../domain/staff.js';
import { CHANNELS, type Channel } from '../domain/ticket-types.js';
import { AppError } from '../errors.js';
import { dec, enc, entryArgs, isChannel, liveScript, orderKey, removedEntry, type RemovedEntry, type Reply, type RoutingEntry } from './live-script.js';

/**
 * Agent routing on the live state: which tickets wait for agents, in what order, which agents are present with what
 * room and skills, and the claims that hand one to the other. Every read-and-change runs inside one Lua script
 * (routing-state.lua, after the common live.lua), so claims are atomic by construction: no agent over capacity, no
 * ticket held twice, with no lock held across processes. Turns of the counter hall are counter-hall.repository.ts's;
 * every operation here leaves them alone.
 */

/** An agent as routing sees them. */
export interface LiveAgent {
  staffId: string;
  presence: Presence;
  autoAssign: boolean;
  /** Enabled and in a role that receives tickets. */
  takesWork: boolean;
  units: readonly string[];
  skills: readonly string[];
  capacity: Readonly<Record<Channel, number>>;
}

/** One ticket moved to one agent by a claim; the store write follows it. */
export interface Claim {
  ticketId: string;
  staffId: string;
  channel: Channel;
}

const TAKE_REFUSALS = ['not_agent', 'offline', 'at_capacity', 'empty'] as const;
const ASSIGN_REFUSALS = ['not_waiting', 'not_member', 'offline', 'at_capacity'] as const;
export type TakeRefusal = (typeof TAKE_REFUSALS)[number];
export type AssignRefusal = (typeof ASSIGN_REFUSALS)[number];

function refusal<R extends string>(reply: string, known: readonly R[]): R {
  const found = known.find((r) => r === reply);
  if (found === undefined) throw new AppError('INTERNAL', `unexpected answer from the live queue: ${reply}`);
  return found;
}

function toClaims(reply: Reply): Claim[] {
  if (!Array.isArray(reply)) return [];
  const claims: Claim[] = [];
  for (let i = 0; i + 2 < reply.length; i += 3) {
    const [ticketId, staffId, channel] = [reply[i], reply[i + 1], reply[i + 2]];
    if (typeof ticketId === 'string' && typeof staffId === 'string' && typeof channel === 'string' && isChannel(channel)) {
      claims.push({ ticketId, staffId, channel });
    }
  }
  return claims;
}

export function createRoutingStateRepository(redis: Redis, prefix: string) {
  const run = liveScript(redis, prefix, 'liveRouting');

  return {
    /**
     * A ticket joins its queue; while an eligible agent has room, agents take the best tickets for them until
     * this one is taken. Returns the claims made, or 'assigned' when the ticket was already taken (a repeat).
     */
    async place(entry: RoutingEntry, now: Date, day: string): Promise<Claim[] | 'assigned'> {
      const reply = await run('place', entry.ticketId, ...entryArgs(entry), String(now.getTime()), day);
      return reply === 'assigned' ? 'assigned' : toClaims(reply);
    },

    /** A waiting ticket joins its queue without looking for an agent (rebuild). */
    async enqueue(entry: RoutingEntry): Promise<void> {
      await run('enqueue', entry.ticketId, ...entryArgs(entry));
    },

    /** An agent gained room: fill it, best ticket first. */
    async drain(staffId: string, now: Date, day: string): Promise<Claim[]> {
      return toClaims(await run('drain', staffId, CHANNELS.join(','), String(now.getTime()), day));
    },

    /** "Take next" on these channels. */
    async take(staffId: string, channels: readonly Channel[], now: Date, day: string): Promise<Claim | TakeRefusal> {
      const reply = await run('take', staffId, channels.join(','), String(now.getTime()), day);
      if (typeof reply === 'string') return refusal(reply, TAKE_REFUSALS);
      const [claim] = toClaims(reply);
      if (!claim) throw new AppError('INTERNAL', 'unexpected answer from the live queue');
      return claim;
    },

    /** A supervisor hands a waiting ticket to a named agent. */
    async assign(ticketId: string, staffId: string, now: Date, day: string): Promise<Claim | AssignRefusal> {
      const reply = await run('assign', ticketId, staffId, String(now.getTime()), day);
      if (typeof reply === 'string') return refusal(reply, ASSIGN_REFUSALS);
      const [claim] = toClaims(reply);
      if (!claim) throw new AppError('INTERNAL', 'unexpected answer from the live queue');
      return claim;
    },

    /**
     * The ticket leaves routing (closed, resolved, handed back, moved). `abandonedDay` counts a waiting
     * ticket as abandoned on that day. Returns where it was, or null when routing does not have it (unknown, or a turn).
     */
    async remove(ticketId: string, abandonedDay?: string): Promise<RemovedEntry | null> {
      return removedEntry(await run('remove', ticketId, abandonedDay ?? ''));
    },

    /** The store says this agent holds the ticket (rebuild, repair). */
    async hold(entry: RoutingEntry, staffId: string, at: Date): Promise<void> {
      await run('hold', entry.ticketId, staffId, ...entryArgs(entry), String(at.getTime()));
    },

    /** Upserts an agent as the store has them; true when they take work. */
    async upsertAgent(agent: LiveAgent): Promise<boolean> {
      const capacity = CHANNELS.map((c) => `${c}=${Math.max(0, Math.floor(agent.capacity[c]))}`).join(',');
      const reply = await run(
        'agent',
        agent.staffId,
        agent.presence,
        agent.autoAssign ? '1' : '0',
        agent.takesWork ? '1' : '0',
        agent.units.map(enc).join(','),
        agent.skills.map(enc).join(','),
        capacity,
      );
      return reply === 1;
    },

    /** The SLA raised or reset the ticket's rank: it takes the order key of its new score and its own arrival. */
    async setPriority(entry: RoutingEntry): Promise<void> {
      await run('priority', entry.ticketId, String(orderKey(entry)));
    },

    /**
     * Where a waiting ticket stands in its unit's queue for its channel (1 = next, whatever the skills of those
     * ahead), with its unit and queue; null when routing does not have it waiting.
     */
    async position(ticketId: string): Promise<{ position: number; unitCode: string; queue: string } | null> {
      const reply = await run('position', ticketId);
      if (!Array.isArray(reply)) return null;
      const [position, unit, queue] = reply;
      return typeof position === 'number' && typeof unit === 'string' && typeof queue === 'string' ? { position, unitCode: dec(unit), queue: dec(queue) } : null;
    },
  };
}

export type RoutingStateRepository = ReturnType<typeof createRoutingStateRepository>;
