import type { Redis } from 'ioredis';
import { arrivalOf, orderBand, PRIORITY_SCORES } from '../domain/priority.js';
import { AppError } from '../errors.js';
import { entryArgs, liveBase, liveScript, removedEntry, type RemovedEntry, type Reply, type RoutingEntry } from './live-script.js';

/**
 * The counter hall's live state in Redis. Turns waiting per kiosk service, counters and who is signed in to them,
 * the turn each counter serves and those it parked: its own script (counter-hall.lua, after the common live.lua: the
 * same keys and hash slot as agent routing, so a call is one atomic claim, a turn counts in its unit's figures and its
 * counter's load like any ticket, and a turn that leaves its counter frees it in every path), rebuilt from the store
 * like the rest. Beside it, under its own key base, what the hall only remembers for a while: the day's turn numbers
 * (their ceiling is kept in the store, see `nextTurnNumber` in the counter service), the board's recent calls, the
 * recent service times behind wait estimates and the kiosks' request windows.
 */

export const COUNTER_STAGES = ['called', 'serving', 'parked'] as const;
/** Where a turn a counter holds stands. */
export type CounterStage = (typeof COUNTER_STAGES)[number];

const CALL_REFUSALS = ['not_seated', 'paused', 'busy', 'empty'] as const;
const SEAT_REFUSALS = ['taken', 'seated_elsewhere'] as const;
const UNSEAT_REFUSALS = ['not_seated', 'busy'] as const;
const STAGE_REFUSALS = ['not_seated', 'busy', 'not_current'] as const;
export type CallRefusal = (typeof CALL_REFUSALS)[number];
export type SeatRefusal = (typeof SEAT_REFUSALS)[number];
export type UnseatRefusal = (typeof UNSEAT_REFUSALS)[number];
export type StageRefusal = (typeof STAGE_REFUSALS)[number];

/** The answer of an operation: 'ok', or one of its refusals. */
function answer<R extends string>(reply: Reply, refusals: readonly R[]): 'ok' | R {
  if (reply === 'ok') return 'ok';
  const found = refusals.find((r) => r === reply);
  if (found === undefined) throw new AppError('INTERNAL', `unexpected answer from the live hall: ${String(reply)}`);
  return found;
}

/** A counter as the live state has it; `closed` when nobody is signed in. */
export interface LiveCounter {
  code: string;
  state: 'open' | 'paused' | 'closed';
  staffId?: string;
  /** The turn it serves now. */
  current?: string;
  parked: string[];
}

/** A call the display board shows: nothing personal, by construction. */
export interface RecentCall {
  turn: string;
  counter: string;
  announcement: string;
  at: string;
}

/** Waiting turns of a service and how long the oldest has waited. */
export interface ServiceQueue {
  service: string;
  waiting: number;
  oldestArrivedAt?: Date;
}

/** What `turnNext` says: a number, or that the store must first seed the day's sequence or raise its ceiling. */
export type TurnStep = { kind: 'number'; value: number } | { kind: 'seed' } | { kind: 'reserve'; ceiling: number };

/** Turn sequences and their ceilings expire: a day's numbers matter for that day only. */
const TURN_KEY_TTL_SECONDS = 3 * 86_400;
/** Keeps the recent service times behind the wait estimates for a busy week at most. */
const SERVICE_TIMES_TTL_SECONDS = 7 * 86_400;

/**
 * turn next: a number while the sequence is below the ceiling the store guarantees; 'seed' when Redis has no
 * sequence for the day (first turn, or Redis restarted); 'reserve' when the ceiling is reached.
 */
const TURN_NEXT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 'seed' end
local v = tonumber(redis.call('GET', KEYS[1]))
local c = tonumber(redis.call('GET', KEYS[2]) or '0')
if v >= c then return {'reserve', c} end
return redis.call('INCR', KEYS[1])`;
/** Seeds a day's sequence at the store's ceiling: every number handed out before is at most that. */
const TURN_SEED = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2]) end
return 1`;
/** Raises the ceiling once the store holds the new one; never lowers it, never creates a sequence. */
const TURN_RAISE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if tonumber(redis.call('GET', KEYS[2]) or '0') < tonumber(ARGV[1]) then redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2]) end
return 1`;

function ids(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

export function createCounterHallRepository(redis: Redis, prefix: string) {
  const B = liveBase(prefix);
  const run = liveScript(redis, prefix, 'liveHall');
  const memo = `{${prefix}:hall}`;
  const turnKeys = (day: string, turnPrefix: string): [string, string] => [`${memo}:tn:${day}:${turnPrefix}`, `${memo}:tc:${day}:${turnPrefix}`];

  async function call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw new AppError('SERVICE_UNAVAILABLE', 'The counter hall is not answering.', { cause: err instanceof Error ? err.message : String(err) });
    }
  }

  return {
    /**
     * A turn waits in its service's queue (new, redirected or handed back), in its place by priority and arrival.
     * `strict` refuses while the live state is being rebuilt (the rebuild itself passes false).
     */
    async wait(entry: RoutingEntry, service: string, strict = true): Promise<'waiting' | 'held'> {
      const reply = await run('wait', entry.ticketId, ...entryArgs(entry), service, strict ? '1' : '0');
      return reply === 'held' ? 'held' : 'waiting';
    },

    /**
     * The turn leaves the hall (closed, cancelled, handed back, about to wait again): its queue or its counter lets it
     * go. `abandonedDay` counts a waiting turn as abandoned on that day. Returns where it was, or null when the hall
     * does not have it (unknown, or a ticket routed to agents).
     */
    async remove(ticketId: string, abandonedDay?: string): Promise<RemovedEntry | null> {
      return removedEntry(await run('remove', ticketId, abandonedDay ?? ''));
    },

    /** The counter calls its best waiting turn (atomic: no two counters get the same one). */
    async call(counter: string, staffId: string, now: Date, day: string): Promise<{ ticketId: string; service: string } | CallRefusal> {
      const reply = await run('call', counter, staffId, String(now.getTime()), day);
      if (typeof reply === 'string') return answer(reply, CALL_REFUSALS) as CallRefusal;
      const [ticketId, service] = ids(reply);
      if (ticketId === undefined || service === undefined) throw new AppError('INTERNAL', 'unexpected answer from the live hall');
      return { ticketId, service };
    },

    /** The store says this counter holds the turn (rebuild). */
    async hold(entry: RoutingEntry, service: string, staffId: string, counter: string, stage: CounterStage, at: Date): Promise<void> {
      await run('hold', entry.ticketId, staffId, ...entryArgs(entry), service, counter, stage, String(at.getTime()));
    },

    async seat(counter: string, staffId: string, services: readonly string[], paused: boolean): Promise<'ok' | SeatRefusal> {
      return answer(await run('seat', counter, staffId, services.join(','), paused ? '1' : '0'), SEAT_REFUSALS);
    },

    async unseat(counter: string, staffId: string): Promise<'ok' | UnseatRefusal> {
      return answer(await run('unseat', counter, staffId), UNSEAT_REFUSALS);
    },

    async pause(counter: string, staffId: string, paused: boolean): Promise<'ok' | 'not_seated'> {
      return answer(await run('pause', counter, staffId, paused ? '1' : '0'), ['not_seated'] as const);
    },

    /** The counter's turn moves on (`serving`), is parked, or a parked one is called back (`called`). */
    async stage(counter: string, staffId: string, ticketId: string, stage: CounterStage): Promise<'ok' | StageRefusal> {
      return answer(await run('stage', counter, staffId, ticketId, stage), STAGE_REFUSALS);
    },

    /** Turns of the same service called before this waiting one; null when it is not waiting. */
    async position(ticketId: string): Promise<{ ahead: number; service: string } | null> {
      const reply = await run('position', ticketId);
      if (!Array.isArray(reply)) return null;
      const [ahead, service] = reply;
      return typeof ahead === 'number' && typeof service === 'string' ? { ahead, service } : null;
    },

    /** Where a turn stands at a counter; null when no counter holds it. */
    async counterOfTurn(ticketId: string): Promise<{ counter: string; stage: CounterStage } | null> {
      const [st, ctr, hs] = await call(() => redis.hmget(`${B}:t:${ticketId}`, 'st', 'ctr', 'hs'));
      const stage = COUNTER_STAGES.find((s) => s === hs);
      return st === 'a' && ctr && stage ? { counter: ctr, stage } : null;
    },

    /** The counters as the live state has them, in the order asked. */
    async counters(codes: readonly string[]): Promise<LiveCounter[]> {
      const pipe = redis.pipeline();
      for (const code of codes) {
        pipe.hmget(`${B}:ctr:${code}`, 's', 'st', 'cur');
        pipe.smembers(`${B}:pk:${code}`);
      }
      const results = (await call(() => pipe.exec())) ?? [];
      return codes.map((code, i): LiveCounter => {
        const [s, st, cur] = ids(results[i * 2]?.[1]);
        const parked = ids(results[i * 2 + 1]?.[1]).sort();
        if (!s) return { code, state: 'closed', parked };
        return { code, state: st === 'paused' ? 'paused' : 'open', staffId: s, ...(cur ? { current: cur } : {}), parked };
      });
    },

    /** The counter a staff member is signed in to. */
    async seatOf(staffId: string): Promise<string | null> {
      return call(() => redis.get(`${B}:seat:${staffId}`));
    },

    /** Waiting turns per service and the arrival of the oldest (each class's band of order keys starts with its oldest). */
    async queues(services: readonly string[]): Promise<ServiceQueue[]> {
      const bands = PRIORITY_SCORES.map(orderBand);
      const pipe = redis.pipeline();
      for (const service of services) {
        pipe.zcard(`${B}:h:${service}`);
        for (const band of bands) pipe.zrangebyscore(`${B}:h:${service}`, band.min, band.max, 'WITHSCORES', 'LIMIT', 0, 1);
      }
      const results = (await call(() => pipe.exec())) ?? [];
      const stride = 1 + bands.length;
      return services.map((service, i): ServiceQueue => {
        const waiting = Number(results[i * stride]?.[1] ?? 0);
        const oldest = bands
          .map((_, b) => {
            const first = ids(results[i * stride + 1 + b]?.[1]);
            return first.length === 2 ? arrivalOf(Number(first[1])).getTime() : undefined;
          })
          .filter((ms): ms is number => ms !== undefined);
        return { service, waiting, ...(oldest.length > 0 ? { oldestArrivedAt: new Date(Math.min(...oldest)) } : {}) };
      });
    },

    async turnNext(day: string, turnPrefix: string): Promise<TurnStep> {
      const reply: unknown = await call(() => redis.eval(TURN_NEXT, 2, ...turnKeys(day, turnPrefix)));
      if (reply === 'seed') return { kind: 'seed' };
      if (typeof reply === 'number') return { kind: 'number', value: reply };
      if (Array.isArray(reply) && reply[0] === 'reserve') return { kind: 'reserve', ceiling: Number(reply[1]) };
      throw new AppError('INTERNAL', 'unexpected answer from the turn sequence');
    },

    async turnSeed(day: string, turnPrefix: string, floor: number): Promise<void> {
      await call(() => redis.eval(TURN_SEED, 2, ...turnKeys(day, turnPrefix), floor, TURN_KEY_TTL_SECONDS));
    },

    async turnRaise(day: string, turnPrefix: string, ceiling: number): Promise<void> {
      await call(() => redis.eval(TURN_RAISE, 2, ...turnKeys(day, turnPrefix), ceiling, TURN_KEY_TTL_SECONDS));
    },

    /** Keeps how long a finished turn kept its counter, for the service's wait estimates. */
    async recordServiceTime(service: string, seconds: number, keep: number): Promise<void> {
      const key = `${memo}:st:${service}`;
      await call(() => redis.multi().lpush(key, String(seconds)).ltrim(key, 0, keep - 1).expire(key, SERVICE_TIMES_TTL_SECONDS).exec());
    },

    /** Seconds the service's recent turns kept a counter, newest first. */
    async recentServiceTimes(service: string, keep: number): Promise<number[]> {
      return (await call(() => redis.lrange(`${memo}:st:${service}`, 0, keep - 1))).map(Number);
    },

    /** Remembers a call for boards that connect later. */
    async pushCall(recent: RecentCall, keep: number): Promise<void> {
      const key = `${memo}:calls`;
      await call(() => redis.multi().lpush(key, JSON.stringify(recent)).ltrim(key, 0, keep - 1).exec());
    },

    /** The last calls, newest first. */
    async recentCalls(count: number): Promise<RecentCall[]> {
      const raw = await call(() => redis.lrange(`${memo}:calls`, 0, count - 1));
      const calls: RecentCall[] = [];
      for (const line of raw) {
        const parsed: unknown = JSON.parse(line);
        if (typeof parsed === 'object' && parsed !== null && 'turn' in parsed && 'counter' in parsed && 'announcement' in parsed && 'at' in parsed) {
          const { turn, counter, announcement, at } = parsed;
          if (typeof turn === 'string' && typeof counter === 'string' && typeof announcement === 'string' && typeof at === 'string') calls.push({ turn, counter, announcement, at });
        }
      }
      return calls;
    },

    /**
     * Counts one request of a device in the current fixed window; refused beyond `limit`, with the seconds until
     * the window ends.
     */
    async admit(deviceId: string, limit: number, windowSeconds: number, now: Date): Promise<{ allowed: boolean; retryAfterSeconds: number }> {
      const window = Math.floor(now.getTime() / (windowSeconds * 1000));
      const key = `${memo}:rl:${deviceId}:${window}`;
      const results = await call(() => redis.multi().incr(key).expire(key, windowSeconds * 2).exec());
      const count = Number(results?.[0]?.[1] ?? 0);
      const retryAfterSeconds = Math.max(1, Math.ceil(((window + 1) * windowSeconds * 1000 - now.getTime()) / 1000));
      return { allowed: count <= limit, retryAfterSeconds };
    },
  };
}

export type CounterHallRepository = ReturnType<typeof createCounterHallRepository>;
