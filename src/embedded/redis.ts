import { access } from 'node:fs/promises';
import { mkdir } from 'node:fs/promises';
import { EmbeddedServiceError, spawnManaged, startOnLoopback, type ManagedProcess } from './process.js';

export interface RunningRedis {
  readonly url: string;
  readonly port: number;
  readonly process: ManagedProcess;
  stop(): Promise<void>;
}

export interface RedisOptions {
  workDir: string;
  logFile: string;
  /** 0 or undefined: a free loopback port. */
  port?: number;
  startTimeoutMs?: number;
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

/** Redis on loopback with no persistence: queues and live updates are rebuilt from the store on restart. */
export async function startRedis(options: RedisOptions): Promise<RunningRedis> {
  const binary = await findRedisServer();
  await mkdir(options.workDir, { recursive: true });
  const { port, proc } = await startOnLoopback('redis', options.port, options.startTimeoutMs ?? 15_000, (port) =>
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
  return { url: `redis://127.0.0.1:${port}`, port, process: proc, stop: () => proc.stop() };
}
