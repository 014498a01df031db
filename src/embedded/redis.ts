import { access } from 'node:fs/promises';
import { mkdir } from 'node:fs/promises';
import { EmbeddedServiceError, assertPortFree, freePort, spawnManaged, waitUntilListening, type ManagedProcess } from './process.js';

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
  const attempts = options.port ? 1 : 3;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = options.port ?? (await freePort());
    if (options.port) await assertPortFree('redis', port);
    const proc = await spawnManaged(
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
    );
    try {
      await waitUntilListening(proc, port, options.startTimeoutMs ?? 15_000);
      return { url: `redis://127.0.0.1:${port}`, port, process: proc, stop: () => proc.stop() };
    } catch (err) {
      lastError = err;
      await proc.stop();
    }
  }
  throw lastError;
}
