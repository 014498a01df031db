import type { Redis } from 'ioredis';
import type { TicketEventPayload } from './events.js';

/*
 * The last ticket events of each Socket.IO room, kept in Redis beside the pushes themselves, so that a client that
 * reconnects catches up on what its rooms received meanwhile without the store: the cost is what it missed, not the
 * office's history. One capped stream per room (`<prefix>:catchup:<room>`), written when an event is pushed; a
 * client that missed more than a room keeps is told so (`complete: false`) and reloads its lists over REST.
 */

/** Events each room keeps (about: the streams are trimmed in whole nodes, so a few more may stay). */
export const CATCH_UP_PER_ROOM = 1_000;
/** Entries are read from this much before `since`: events are stamped by their process, entries by Redis. */
export const CLOCK_ALLOWANCE_MS = 1_000;

export interface CatchUp {
  events: TicketEventPayload[];
  /** False when a room had dropped events newer than `since`, or there were more than `limit`. */
  complete: boolean;
}

export function createCatchUpLog(redis: Redis, prefix: string) {
  const key = (room: string): string => `${prefix}:catchup:${room}`;
  return {
    /** Keeps an event for each room it was pushed to (one round trip). */
    async append(rooms: readonly string[], payload: TicketEventPayload): Promise<void> {
      const entry = JSON.stringify(payload);
      const write = redis.multi();
      for (const room of rooms) write.xadd(key(room), 'MAXLEN', '~', CATCH_UP_PER_ROOM, '*', 'e', entry);
      await write.exec();
    },

    /** What these rooms received after `since`, oldest first, each event once, at most `limit`. */
    async since(rooms: readonly string[], since: Date, limit: number): Promise<CatchUp> {
      const from = Math.max(0, since.getTime() - CLOCK_ALLOWANCE_MS);
      const read = redis.pipeline();
      for (const room of rooms) {
        read.xrange(key(room), String(from), '+', 'COUNT', limit + 1);
        read.xrange(key(room), '-', '+', 'COUNT', 1);
        read.xlen(key(room));
      }
      const results = (await read.exec()) ?? [];
      const byId = new Map<string, TicketEventPayload>();
      let complete = true;
      for (let i = 0; i < rooms.length; i++) {
        const entries = results[i * 3]?.[1];
        const oldest = results[i * 3 + 1]?.[1];
        const length = Number(results[i * 3 + 2]?.[1] ?? 0);
        const list = Array.isArray(entries) ? (entries as [string, string[]][]) : [];
        if (list.length > limit) complete = false;
        // A room that has dropped entries since `from` (it is full and its oldest is newer) may have lost some.
        const oldestId = Array.isArray(oldest) ? (oldest as [string, string[]][])[0]?.[0] : undefined;
        if (length >= CATCH_UP_PER_ROOM && oldestId !== undefined && Number(oldestId.split('-')[0]) > from) complete = false;
        for (const [, fields] of list) {
          const payload = JSON.parse(fields[1] ?? 'null') as TicketEventPayload | null;
          if (payload !== null && Date.parse(payload.at) > since.getTime()) byId.set(payload.eventId, payload);
        }
      }
      const events = [...byId.values()].sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || (a.eventId < b.eventId ? -1 : 1));
      return { events: events.slice(0, limit), complete: complete && events.length <= limit };
    },
  };
}

export type CatchUpLog = ReturnType<typeof createCatchUpLog>;
