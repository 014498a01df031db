import { access } from 'node:fs/promises';
import { mkdir } from 'node:fs/promises';
import { EmbeddedServiceError, spawnManaged } from './process.js';
import { startSupervised, type EmbeddedServiceOptions, type SupervisedService } from './supervisor.js';

export interface RunningRedis extends SupervisedService {
  readonly url: string;
}

export interface RedisOptions extends EmbeddedServiceOptions {
  workDir: string;
}

async function findRedisServer(): Promise<string> {
  for (const candidate of ['/usr/bin/redis-server', '/usr/local/bin/redis-server']) {
    try {
      await access(candidate);
      return candidate;
    } catch {
      // try the next place
    }
  }
  throw new EmbeddedServiceError('redis', 'redis-server not found; run `npm run bootstrap` (installs Debian redis-server) or set REDIS_URL');
}

/**
 * Redis on loopback with no persistence, restarted on the same port if it dies. A restarted Redis is empty: what
 * lived in it is rebuilt from the store (see `onRestart`).
 */
export async function startRedis(options: RedisOptions): Promise<RunningRedis> {
  const binary = await findRedisServer();
  await mkdir(options.workDir, { recursive: true });
  const supervised = await startSupervised('redis', { log: options.log, port: options.port, startTimeoutMs: options.startTimeoutMs ?? 15_000, backoff: options.backoff }, (port) =>
    spawnManaged(
      'redis',
      binary,
      [
        '--bind', '127.0.0.1',
        '--port', String(port),
        '--save', '',
        '--appendonly', 'no',
        '--dir', options.workDir,
        '--daemonize', 'no',
        '--protected-mode', 'yes',
        // BullMQ requires that Redis never evicts its keys.
        '--maxmemory-policy', 'noeviction',
        '--loglevel', 'warning',
      ],
      options.logFile,
    ),
  );
  return Object.assign(supervised, { url: `redis://127.0.0.1:${supervised.port}` });
}
