import type { Redis } from 'ioredis';
import type { QueueCounters } from '../domain/queue-stats.js';
import { PRESENCES, type Presence } from '../domain/staff.js';
import { CHANNELS, type Channel } from '../domain/ticket-types.js';
import { dec, enc, entryArgs, liveBase, liveScript, type RoutingEntry } from './live-script.js';

/**
 * The live state in Redis as a whole: which tickets wait or are held (routing's and the hall's alike), agents' loads,
 * claims not yet confirmed in the store, the figures supervisors watch, and the state's own lifecycle (built, cleared,
 * rebuilt under a lock). It lives in Redis so that taking a contact, assigning it and showing the queue cost the same
 * with a thousand or a million tickets in history; the store stays the record and the state is rebuilt from it after
 * Redis loses it. Agent routing (routing-state.repository.ts) and the counter hall (counter-hall.repository.ts) keep
 * their own parts with their own scripts; this is what they share. Services use these modules only; none of them
 * touches the keys.
 */

/** Live figures of one queue of a unit: the domain's running totals. */
export type LiveQueueFigures = QueueCounters;

/** A ticket waiting in a unit's queue, since when. */
export interface WaitingEntry {
  ticketId: string;
  unitCode: string;
  queue: string;
  enqueuedAt: Date;
}

export interface LiveUnitFigures {
  queues: LiveQueueFigures[];
  agents: Record<Presence, number>;
}

export function createLiveStateRepository(redis: Redis, prefix: string) {
  const base = liveBase(prefix);
  const run = liveScript(redis, prefix, 'liveShared');

  return {
    base,

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
     * A new ticket, not routed yet, counts as waiting in its unit's figures; a turn of the hall (`hallService`, its
     * kiosk service) is one from the start.
     */
    async arrive(entry: RoutingEntry, hallService?: string): Promise<void> {
      await run('arrive', entry.ticketId, ...entryArgs(entry), hallService ?? '');
    },

    /** The store now records the claim: it is no longer pending. */
    async confirm(ticketId: string, staffId: string): Promise<void> {
      await run('done', ticketId, staffId);
    },

    /** Recomputes an agent's load from the tickets and turns they hold. */
    async recount(staffId: string): Promise<void> {
      await run('recount', staffId, CHANNELS.join(','));
    },

    async setAtRisk(unitCode: string, ticketId: string, atRisk: boolean): Promise<void> {
      const key = `${base}:risk:${enc(unitCode)}`;
      if (atRisk) await redis.sadd(key, ticketId);
      else await redis.srem(key, ticketId);
    },

    /** Tickets (and turns) the agent holds now. */
    async held(staffId: string): Promise<string[]> {
      return redis.smembers(`${base}:o:${staffId}`);
    },

    /**
     * What waits in these units, longest waiting first, at most `limit`, and how many wait in all: read from the
     * units' queues, so its cost is what waits, not the history.
     */
    async waiting(unitCodes: readonly string[], limit: number): Promise<{ total: number; entries: WaitingEntry[] }> {
      const units = [...new Set(unitCodes)].map(enc);
      const queuesOf = await Promise.all(units.map((u) => redis.smembers(`${base}:qs:${u}`)));
      const keys = units.flatMap((u, i) => (queuesOf[i] ?? []).map((q) => ({ key: `${base}:wq:${u}:${q}`, unitCode: dec(u), queue: dec(q) })));
      if (keys.length === 0) return { total: 0, entries: [] };
      const pipe = redis.pipeline();
      for (const { key } of keys) {
        pipe.zcard(key);
        pipe.zrange(key, 0, limit - 1, 'WITHSCORES');
      }
      const results = (await pipe.exec()) ?? [];
      let total = 0;
      const entries: WaitingEntry[] = [];
      keys.forEach(({ unitCode, queue }, i) => {
        total += Number(results[i * 2]?.[1] ?? 0);
        const rows = results[i * 2 + 1]?.[1];
        if (!Array.isArray(rows)) return;
        for (let j = 0; j + 1 < rows.length; j += 2) entries.push({ ticketId: String(rows[j]), unitCode, queue, enqueuedAt: new Date(Number(rows[j + 1])) });
      });
      entries.sort((a, b) => a.enqueuedAt.getTime() - b.enqueuedAt.getTime() || (a.ticketId < b.ticketId ? -1 : 1));
      return { total, entries: entries.slice(0, limit) };
    },

    /** Where the live state has a ticket: waiting, held by whom (and, for a turn, its kiosk service), or nowhere. */
    async locate(ticketId: string): Promise<{ state: 'waiting' | 'held'; staffId?: string; claimedAt?: Date; hallService?: string } | null> {
      const [st, a, at, k] = await redis.hmget(`${base}:t:${ticketId}`, 'st', 'a', 'at', 'k');
      if (st === null) return null;
      const turn = k ? { hallService: k } : {};
      if (st !== 'a') return { state: 'waiting', ...turn };
      return { state: 'held', ...(a ? { staffId: a } : {}), ...(at ? { claimedAt: new Date(Number(at)) } : {}), ...turn };
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

    /** Every ticket id the live state knows, waiting or held (reconcile; off the hot path: it scans Redis keys). */
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
      const agents: Record<Presence, number> = { available: 0, busy: 0, away: 0, offline: 0 };
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
    },  };
}

export type LiveStateRepository = ReturnType<typeof createLiveStateRepository>;
