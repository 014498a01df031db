import type { Redis } from 'ioredis';

/** A worker that has not beaten for this long is reported as gone. */
export const HEARTBEAT_STALE_MS = 90_000;

export interface WorkerHeartbeat {
  instanceId: string;
  at: Date;
  alive: boolean;
}

/** The last beat of every worker process, in one Redis hash per queue prefix. */
export function createWorkerHeartbeats(redis: Redis, prefix: string) {
  const key = `${prefix}:workers:heartbeat`;
  return {
    async record(instanceId: string, at: Date): Promise<void> {
      await redis.hset(key, instanceId, at.toISOString());
    },

    /** Worker processes that have reported in, newest first; entries older than a day are dropped. */
    async list(now: Date): Promise<WorkerHeartbeat[]> {
      const raw = await redis.hgetall(key);
      const beats: WorkerHeartbeat[] = [];
      const forgotten: string[] = [];
      for (const [instanceId, iso] of Object.entries(raw)) {
        const at = new Date(iso);
        const age = now.getTime() - at.getTime();
        if (Number.isNaN(age) || age > 24 * 3600_000) forgotten.push(instanceId);
        else beats.push({ instanceId, at, alive: age <= HEARTBEAT_STALE_MS });
      }
      if (forgotten.length > 0) await redis.hdel(key, ...forgotten);
      return beats.sort((a, b) => b.at.getTime() - a.at.getTime());
    },
  };
}

export type WorkerHeartbeats = ReturnType<typeof createWorkerHeartbeats>;
