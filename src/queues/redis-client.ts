import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../logging.js';

/**
 * Purposes of Redis connections. `blocking` is for BullMQ workers (commands must wait through reconnects);
 * `probe` fails fast so that readiness reflects a Redis outage at once.
 */
export type RedisPurpose = 'queue' | 'blocking' | 'probe' | 'pubsub';

export function createRedis(url: string, purpose: RedisPurpose, log: Logger): Redis {
  const options: RedisOptions = {
    connectionName: `mcc:${purpose}`,
    lazyConnect: false,
    maxRetriesPerRequest: purpose === 'probe' ? 0 : purpose === 'queue' ? 3 : null,
    enableOfflineQueue: purpose !== 'probe',
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  };
  const client = new Redis(url, options);
  let reported = false;
  client.on('error', (err: Error) => {
    // ioredis retries by itself; one line per outage is enough.
    if (!reported) log.warn({ purpose, err: err.message }, 'redis connection error');
    reported = true;
  });
  client.on('ready', () => {
    if (reported) log.info({ purpose }, 'redis connection restored');
    reported = false;
  });
  return client;
}

/** True when Redis answers PING within `timeoutMs`. */
export async function pingRedis(client: Redis, timeoutMs = 1_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      client.ping().then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => { resolve(false); }, timeoutMs);
      }),
    ]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
