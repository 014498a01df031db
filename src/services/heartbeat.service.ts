import type { Redis } from 'ioredis';

/** A worker that has not beaten for this long is reported as gone. */
export const HEARTBEAT_STALE_MS = 90_000;

function key(prefix: string): string {
  return `${prefix}:workers:heartbeat`;
}

export async function recordHeartbeat(redis: Redis, prefix: string, instanceId: string, at: Date): Promise<void> {
  await redis.hset(key(prefix), instanceId, at.toISOString());
}

export interface WorkerHeartbeat {
  instanceId: string;
  at: Date;
  alive: boolean;
}

/** Worker processes that have reported in, newest first; entries older than a day are dropped. */
export async function listHeartbeats(redis: Redis, prefix: string, now: Date): Promise<WorkerHeartbeat[]> {
  const raw = await redis.hgetall(key(prefix));
  const beats: WorkerHeartbeat[] = [];
  const forgotten: string[] = [];
  for (const [instanceId, iso] of Object.entries(raw)) {
    const at = new Date(iso);
    const age = now.getTime() - at.getTime();
    if (Number.isNaN(age) || age > 24 * 3600_000) forgotten.push(instanceId);
    else beats.push({ instanceId, at, alive: age <= HEARTBEAT_STALE_MS });
  }
  if (forgotten.length > 0) await redis.hdel(key(prefix), ...forgotten);
  return beats.sort((a, b) => b.at.getTime() - a.at.getTime());
}
