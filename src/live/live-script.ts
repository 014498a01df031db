import type { Redis } from 'ioredis';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { queueOrder } from '../domain/priority.js';
import { CHANNELS, type Channel } from '../domain/ticket-types.js';
import { AppError } from '../errors.js';

/*
 * How the live state's repositories run their Lua scripts. Each script is the common library (live.lua: the record of a
 * ticket, figures, agents' loads, pending claims) followed by one module (routing-state.lua, counter-hall.lua, or none
 * for the operations they share), and one dispatcher: one atomic Redis call per operation.
 */

const COMMON = readFileSync(join(import.meta.dirname, 'live.lua'), 'utf8');
const DISPATCH = `
local fn = ops[op]
if not fn then return redis.error_reply('ERR unknown live-state operation ' .. tostring(op)) end
return fn()
`;

/** A ticket as the live state sees it. */
export interface RoutingEntry {
  ticketId: string;
  unitCode: string;
  queue: string;
  channel: Channel;
  requiredSkills: readonly string[];
  /** Higher first (domain/priority.ts); with the arrival, it makes the ticket's order key. */
  priorityScore: number;
  /** Arrival in the queue; older first within a score. */
  enqueuedAt: Date;
}

export type Reply = string | number | null | Reply[];

/** Runs one operation of a script; Redis failures and a state being rebuilt become SERVICE_UNAVAILABLE. */
export type LiveRun = (...args: (string | number)[]) => Promise<Reply>;

/** Keys hold codes and skills as given; commas separate lists inside the scripts, so they are encoded. */
export const enc = (s: string): string => encodeURIComponent(s);
export const dec = (s: string): string => decodeURIComponent(s);

/** Canonical form of a skill requirement: sorted, unique, encoded; '' when none. */
export function skillSignature(skills: readonly string[]): string {
  return [...new Set(skills)].sort().map(enc).join(',');
}

/** The key the entry's queue serves it by (see `queueOrder`): the scripts store it and only compare it. */
export function orderKey(e: Pick<RoutingEntry, 'priorityScore' | 'enqueuedAt'>): number {
  return queueOrder(e.priorityScore, e.enqueuedAt);
}

/** A ticket's fields as the scripts' operations take them, in order: unit, queue, channel, skills, order key, arrival. */
export function entryArgs(e: RoutingEntry): string[] {
  return [enc(e.unitCode), enc(e.queue), e.channel, skillSignature(e.requiredSkills), String(orderKey(e)), String(e.enqueuedAt.getTime())];
}

/** The base of every key of the live state: `{<prefix>:live}` (one hash slot). */
export function liveBase(prefix: string): string {
  return `{${prefix}:live}`;
}

/** What an operation that needs the whole state answers while it is not built (`NOT_BUILT` in live.lua). */
const NOT_BUILT = 'not_built';

/** The live state's scripts, by the command each is defined as on a connection, and the module each adds. */
const SCRIPTS = { liveShared: undefined, liveRouting: 'routing-state.lua', liveHall: 'counter-hall.lua' } as const;
type ScriptName = keyof typeof SCRIPTS;
type LiveRedis = Redis & Record<ScriptName, (base: string, ...args: (string | number)[]) => Promise<Reply>>;

/** The runner of one script of the live state on this connection. */
export function liveScript(redis: Redis, prefix: string, name: ScriptName): LiveRun {
  const base = liveBase(prefix);
  const module = SCRIPTS[name];
  if (!(name in redis)) redis.defineCommand(name, { numberOfKeys: 1, lua: [COMMON, module === undefined ? '' : readFileSync(join(import.meta.dirname, module), 'utf8'), DISPATCH].join('\n') });
  const client = redis as LiveRedis;
  return async (...args) => {
    let reply: Reply;
    try {
      reply = await client[name](base, ...args);
    } catch (err) {
      throw new AppError('SERVICE_UNAVAILABLE', 'The live queue is not answering.', { cause: err instanceof Error ? err.message : String(err) });
    }
    if (reply === NOT_BUILT) throw new AppError('live_state_rebuilding');
    return reply;
  };
}

export function isChannel(value: string): value is Channel {
  return (CHANNELS as readonly string[]).includes(value);
}

/** Where a ticket was when it left the live state. */
export interface RemovedEntry {
  state: 'waiting' | 'held';
  staffId?: string;
  channel: Channel;
}

/** A `remove` operation's answer: where the ticket was, or null when the script did not have it. */
export function removedEntry(reply: Reply): RemovedEntry | null {
  if (!Array.isArray(reply) || reply.length < 3) return null;
  const [state, staffId, channel] = reply;
  if (typeof channel !== 'string' || !isChannel(channel)) return null;
  return {
    state: state === 'a' ? 'held' : 'waiting',
    ...(typeof staffId === 'string' && staffId !== '' ? { staffId } : {}),
    channel,
  };
}
