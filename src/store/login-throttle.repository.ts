import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { AppError } from '../errors.js';

/** Failed logins of one username from one client address within the current window. */
export interface LoginFailures {
  count: number;
  /** Seconds until the window ends; undefined when Redis reports no expiry (no failures, or a key without one). */
  expiresInSeconds: number | undefined;
}

async function redisCall<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch {
    // Failing closed: without the counter a guessing attack cannot be told from a user.
    throw new AppError('SERVICE_UNAVAILABLE', 'Login is unavailable right now; try again shortly.');
  }
}

/**
 * Counters of failed logins per username and client address, in Redis. Keys are namespaced (by database name)
 * so that two deployments or test files sharing one Redis never mix counters, and hashed so that Redis holds
 * neither usernames nor addresses. Every Redis failure is SERVICE_UNAVAILABLE.
 */
export function createLoginThrottleRepository(redis: Redis, namespace: string) {
  const keyOf = (username: string, ip: string): string =>
    `${namespace}:auth:login-failures:${createHash('sha256').update(`${username}\n${ip}`).digest('hex')}`;

  return {
    async failures(username: string, ip: string): Promise<LoginFailures> {
      const key = keyOf(username, ip);
      const [count, ttl] = await redisCall(() => Promise.all([redis.get(key), redis.ttl(key)]));
      return { count: count === null ? 0 : Number(count), expiresInSeconds: ttl > 0 ? ttl : undefined };
    },

    /** Counts a failure; the first failure opens a window of `windowSeconds` (SET NX EX), INCR keeps its expiry. */
    async recordFailure(username: string, ip: string, windowSeconds: number): Promise<void> {
      const key = keyOf(username, ip);
      await redisCall(() => redis.multi().set(key, '0', 'EX', windowSeconds, 'NX').incr(key).exec());
    },

    async clear(username: string, ip: string): Promise<void> {
      await redisCall(() => redis.del(keyOf(username, ip)));
    },
  };
}

export type LoginThrottleRepository = ReturnType<typeof createLoginThrottleRepository>;
