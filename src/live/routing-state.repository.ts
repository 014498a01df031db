import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { QueueCounters } from '../domain/queue-stats.js';
import { CHANNELS, type Channel } from '../domain/ticket-types.js';
import { AppError } from '../errors.js';
import { createCounterHallRepository } from './counter-hall.repository.js';

/**
 * The live routing state: which tickets wait where, in what order, which agents are present with what room,
 * who holds what. It lives in Redis so that taking a contact, assigning it and showing the queue cost the same
 * with a thousand or a million tickets in history; the store stays the record and the state is rebuilt from
 * it after Redis loses it. Every read-and-change runs inside one Lua script (routing-state.lua), so claims are
 * atomic by construction: no agent over capacity, no ticket held twice, with no lock held across processes.
 * Services use this module only; none of them touches its keys.
 */

const SCRIPT = readFileSync(join(import.meta.dirname, 'routing-state.lua'), 'utf8');

export const PRESENCES = ['available', 'busy', 'away', 'offline'] as const;
export type LivePresence = (typeof PRESENCES)[number];

/** A ticket as routing sees it. */
export interface RoutingEntry {
  ticketId: string;
  unitCode: string;
  queue: string;
  channel: Channel;
  requiredSkills: readonly string[];
  /** Higher first (see domain/priority.ts). */
  priorityScore: number;
  /** Arrival in the queue; older first within a score. */
  enqueuedAt: Date;
}

/** An agent as routing sees them. */
export interface LiveAgent {
  staffId: string;
  presence: LivePresence;
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

export interface RemovedEntry {
  state: 'waiting' | 'held';
  staffId?: string;
  channel: Channel;
}

/** Live figures of one queue of a unit: the domain's running totals. */
export type LiveQueueFigures = QueueCounters;

export interface LiveUnitFigures {
  queues: LiveQueueFigures[];
  agents: Record<LivePresence, number>;
}

export type Reply = string | number | null | Reply[];

interface RoutingRedis extends Redis {
  routingState(base: string, ...args: (string | number)[]): Promise<Reply>;
}

/** Runs one operation of routing-state.lua; Redis failures and a state being rebuilt become SERVICE_UNAVAILABLE. */
export type RoutingStateRun = (...args: (string | number)[]) => Promise<Reply>;

/** Keys hold codes and skills as given; commas separate lists inside the script, so they are encoded. */
const enc = (s: string): string => encodeURIComponent(s);
const dec = (s: string): string => decodeURIComponent(s);

/** Canonical form of a skill requirement: sorted, unique, encoded; '' when none. */
export function skillSignature(skills: readonly string[]): string {
  return [...new Set(skills)].sort().map(enc).join(',');
}

function isChannel(value: string): value is Channel {
  return (CHANNELS as readonly string[]).includes(value);
}

/** A ticket's routing fields as the script's operations take them, in order. */
export function entryArgs(e: RoutingEntry): string[] {
  return [enc(e.unitCode), enc(e.queue), e.channel, skillSignature(e.requiredSkills), String(e.priorityScore), String(e.enqueuedAt.getTime())];
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

function isNotBuilt(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('NOTBUILT');
}

/** The base of every routing key (`{<prefix>:rt}`) and the runner of the script's operations. */
export function routingStateRunner(redis: Redis, prefix: string): { base: string; run: RoutingStateRun } {
  const base = `{${prefix}:rt}`;
  if (!('routingState' in redis)) redis.defineCommand('routingState', { numberOfKeys: 1, lua: SCRIPT });
  const client = redis as RoutingRedis;
  const run: RoutingStateRun = async (...args) => {
    try {
      return await client.routingState(base, ...args);
    } catch (err) {
      if (isNotBuilt(err)) throw new AppError('SERVICE_UNAVAILABLE', 'The live queue is being rebuilt; try again in a moment.', { reason: 'live_state_rebuilding' });
      throw new AppError('SERVICE_UNAVAILABLE', 'The live queue is not answering.', { cause: err instanceof Error ? err.message : String(err) });
    }
  };
  return { base, run };
}

export function createRoutingStateRepository(redis: Redis, prefix: string) {
  const { base, run } = routingStateRunner(redis, prefix);

  return {
    base,

    /** The counter hall: kiosk turns waiting per service, counters, calls (counter-hall.repository.ts). */
    hall: createCounterHallRepository(redis, prefix, { base, run }),

    /** Whether the state was built from the store since Redis last started empty. */
    async isBuilt(): Promise<boolean> {
      return (await redis.exists(`${base}:built`)) === 1;
    },

    /** Deletes the whole live state (before a rebuild from the store). Off the hot path: it scans Redis keys. */
    async clear(): Promise<void> {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${base}:*`, 'COUNT', 1000);
        cursor = next;
        const doomed = keys.filter((k) => k !== `${base}:rebuilding`);
        if (doomed.length > 0) await redis.del(...doomed);
      } while (cursor !== '0');
    },

    async markBuilt(at: Date): Promise<void> {
      await redis.set(`${base}:built`, at.toISOString());
    },

    /** One rebuild at a time across processes; the holder must finish within `ttlMs`. */
    async tryRebuildLock(owner: string, ttlMs: number): Promise<boolean> {
      return (await redis.set(`${base}:rebuilding`, owner, 'PX', ttlMs, 'NX')) === 'OK';
    },

    async releaseRebuildLock(owner: string): Promise<void> {
      await redis.eval(`if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`, 1, `${base}:rebuilding`, owner);
    },

    /**
     * A ticket joins its queue; while an eligible agent has room, agents take the best tickets for them until
     * this one is taken. Returns the claims made, or 'assigned' when the ticket was already taken (a repeat).
     */
    async place(entry: RoutingEntry, now: Date, day: string): Promise<Claim[] | 'assigned'> {
      const reply = await run('place', entry.ticketId, ...entryArgs(entry), String(now.getTime()), day);
      return reply === 'assigned' ? 'assigned' : toClaims(reply);
    },

    /** A new ticket, not routed yet, counts as waiting in its unit's figures. */
    async arrive(entry: RoutingEntry): Promise<void> {
      await run('arrive', entry.ticketId, ...entryArgs(entry));
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
     * ticket as abandoned on that day. Returns where it was, or null when routing did not know it.
     */
    async remove(ticketId: string, abandonedDay?: string): Promise<RemovedEntry | null> {
      const reply = await run('remove', ticketId, abandonedDay ?? '');
      if (!Array.isArray(reply) || reply.length < 3) return null;
      const [state, staffId, channel] = reply;
      if (typeof channel !== 'string' || !isChannel(channel)) return null;
      return {
        state: state === 'a' ? 'held' : 'waiting',
        ...(typeof staffId === 'string' && staffId !== '' ? { staffId } : {}),
        channel,
      };
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

    async setPriority(ticketId: string, priorityScore: number): Promise<void> {
      await run('priority', ticketId, String(priorityScore));
    },

    async setAtRisk(unitCode: string, ticketId: string, atRisk: boolean): Promise<void> {
      const key = `${base}:risk:${enc(unitCode)}`;
      if (atRisk) await redis.sadd(key, ticketId);
      else await redis.srem(key, ticketId);
    },

    /** The store now records the claim: it is no longer pending. */
    async confirm(ticketId: string, staffId: string): Promise<void> {
      await run('done', ticketId, staffId);
    },

    /** Recomputes an agent's load from the tickets they hold. */
    async recount(staffId: string): Promise<void> {
      await run('recount', staffId, CHANNELS.join(','));
    },

    /** Tickets the agent holds now. */
    async held(staffId: string): Promise<string[]> {
      return redis.smembers(`${base}:o:${staffId}`);
    },

    /** Where routing has a ticket: waiting, held by whom, or nowhere. */
    async locate(ticketId: string): Promise<{ state: 'waiting' | 'held'; staffId?: string; claimedAt?: Date } | null> {
      const [st, a, at] = await redis.hmget(`${base}:t:${ticketId}`, 'st', 'a', 'at');
      if (st === null) return null;
      if (st !== 'a') return { state: 'waiting' };
      return { state: 'held', ...(a ? { staffId: a } : {}), ...(at ? { claimedAt: new Date(Number(at)) } : {}) };
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

    /** An agent's presence and whether they take work, as routing knows them; null when it does not know them. */
    async agentStatus(staffId: string): Promise<{ presence: string; takesWork: boolean } | null> {
      const [presence, takesWork] = await redis.hmget(`${base}:a:${staffId}`, 'p', 'x');
      return presence === null || presence === undefined ? null : { presence, takesWork: takesWork === '1' };
    },

    async load(staffId: string): Promise<Record<Channel, number>> {
      const values = await redis.hmget(`${base}:a:${staffId}`, ...CHANNELS.map((c) => `load:${c}`));
      return Object.fromEntries(CHANNELS.map((c, i) => [c, Number(values[i] ?? 0)])) as Record<Channel, number>;
    },

    /** Claims made before `before` whose store write was never confirmed (a worker died in between). */
    async pendingBefore(before: Date, limit = 500): Promise<string[]> {
      return redis.zrangebyscore(`${base}:pend`, '-inf', before.getTime(), 'LIMIT', 0, limit);
    },

    /** Every ticket id routing knows, waiting or held (reconcile; off the hot path: it scans Redis keys). */
    async allTicketIds(): Promise<string[]> {
      const ids: string[] = [];
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${base}:t:*`, 'COUNT', 1000);
        cursor = next;
        for (const k of keys) ids.push(k.slice(`${base}:t:`.length));
      } while (cursor !== '0');
      return ids;
    },

    /** Figures of a unit's queues and agents, read from the live state: cost independent of history. */
    async figures(unitCode: string, day: string): Promise<LiveUnitFigures> {
      const u = enc(unitCode);
      const [queues, risk, staff, daily] = await Promise.all([
        redis.smembers(`${base}:qs:${u}`),
        redis.smembers(`${base}:risk:${u}`),
        redis.smembers(`${base}:st:${u}`),
        redis.hgetall(`${base}:d:${day}:${u}`),
      ]);
      const pipe = redis.pipeline();
      for (const q of queues) {
        pipe.zcard(`${base}:wq:${u}:${q}`);
        pipe.zrange(`${base}:wq:${u}:${q}`, 0, 0, 'WITHSCORES');
      }
      for (const id of risk) pipe.hget(`${base}:t:${id}`, 'q');
      for (const sid of staff) pipe.hget(`${base}:a:${sid}`, 'p');
      const results = (await pipe.exec()) ?? [];
      const value = (i: number): unknown => results[i]?.[1];
      const riskByQueue = new Map<string, number>();
      risk.forEach((_, i) => {
        const q = value(queues.length * 2 + i);
        if (typeof q === 'string') riskByQueue.set(q, (riskByQueue.get(q) ?? 0) + 1);
      });
      const agents: Record<LivePresence, number> = { available: 0, busy: 0, away: 0, offline: 0 };
      staff.forEach((_, i) => {
        const p = value(queues.length * 2 + risk.length + i);
        const presence = PRESENCES.find((known) => known === p);
        if (presence) agents[presence]++;
      });
      const counted = new Set(queues);
      const extra = [...new Set(Object.keys(daily).map((field) => field.split(':')[1] ?? ''))].filter((q) => q !== '' && !counted.has(q));
      const figures = [...queues, ...extra].map((q, i): LiveQueueFigures => {
        const live = i < queues.length;
        const oldest = live ? value(i * 2 + 1) : undefined;
        const oldestMs = Array.isArray(oldest) && oldest.length >= 2 ? Number(oldest[1]) : undefined;
        return {
          queue: dec(q),
          waiting: live ? Number(value(i * 2) ?? 0) : 0,
          ...(oldestMs !== undefined ? { oldestEnqueuedAt: new Date(oldestMs) } : {}),
          atRisk: riskByQueue.get(q) ?? 0,
          answeredToday: Number(daily[`answered:${q}`] ?? 0),
          waitMsToday: Number(daily[`waitms:${q}`] ?? 0),
          abandonedToday: Number(daily[`abandoned:${q}`] ?? 0),
        };
      });
      return { queues: figures, agents };
    },
  };
}

export type RoutingStateRepository = ReturnType<typeof createRoutingStateRepository>;
