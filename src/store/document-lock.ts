import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { AppError } from '../errors.js';

/**
 * Serialises read-modify-write operations on one document across every process.
 *
 * Why: the embedded store, FerretDB v1, runs `findOneAndUpdate`/`updateOne` as a query followed by a
 * whole-document write, with nothing held in between. Measured here: 30 concurrent
 * `findOneAndUpdate({_id, version: 0}, {$inc: {version: 1}})` gave 3 winners, and 30 concurrent `$inc`s lost
 * most of their increments. Any two writers of the same document can therefore undo each other, even when
 * they touch different fields. Every update of a shared document (tickets, staff, counters, citizens) runs
 * under this lock; the version guard inside stays, and is what MongoDB enforces on its own.
 */
export interface DocumentLocks {
  withLock<T>(key: string, work: () => Promise<T>): Promise<T>;
}

/** Lua: deletes the key only while it still holds this holder's token. */
export const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
/** Lua: extends the key's expiry only while it still holds this holder's token. */
export const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

export interface RedisLockOptions {
  prefix: string;
  /** A holder that dies keeps the lock at most this long. Store operations take milliseconds. */
  ttlMs?: number;
  /** How long to wait for a busy lock before giving up with SERVICE_UNAVAILABLE (retryable). */
  waitMs?: number;
}

export function redisDocumentLocks(redis: Redis, options: RedisLockOptions): DocumentLocks {
  const ttlMs = options.ttlMs ?? 5_000;
  const waitMs = options.waitMs ?? 10_000;
  return {
    async withLock(key, work) {
      const name = `${options.prefix}:lock:${key}`;
      const token = randomBytes(12).toString('base64url');
      const deadline = Date.now() + waitMs;
      let pause = 1;
      while ((await redis.set(name, token, 'PX', ttlMs, 'NX')) !== 'OK') {
        if (Date.now() > deadline) throw new AppError('SERVICE_UNAVAILABLE', 'The record is busy; try again.');
        await sleep(pause + Math.random() * pause);
        pause = Math.min(pause * 2, 20);
      }
      // The TTL only frees the lock of a holder that died. A live holder keeps renewing it, so a slow store
      // call can never outlast the lock and let a second writer in while the first is still writing.
      const renewal = setInterval(() => {
        redis.eval(RENEW, 1, name, token, ttlMs).catch(() => undefined);
      }, Math.max(50, Math.floor(ttlMs / 3)));
      renewal.unref();
      try {
        return await work();
      } finally {
        clearInterval(renewal);
        await redis.eval(RELEASE, 1, name, token);
      }
    },
  };
}
