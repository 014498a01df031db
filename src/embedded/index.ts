import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from '../logging.js';
import { ensureFerretDbBinary, startFerretDb, type RunningFerretDb } from './ferretdb.js';
import { startRedis, type RunningRedis } from './redis.js';

export { EmbeddedServiceError } from './process.js';

/** The services `startEmbedded` may run. */
export type EmbeddedServiceName = 'ferretdb' | 'redis';

/** Where the FerretDB binary is cached (git-ignored), shared by `npm start` and tests. */
export const CACHE_DIR = resolve(import.meta.dirname, '../../.cache');

export interface EmbeddedServices {
  readonly mongodbUri: string | undefined;
  readonly redisUrl: string | undefined;
  readonly ferretdb: RunningFerretDb | undefined;
  readonly redis: RunningRedis | undefined;
  /**
   * Calls `listener` with the service's name each time an embedded service is back after dying (it is restarted
   * on the same port, so clients reconnect by themselves). Redis comes back empty: rebuild its live state here.
   * Returns a function that removes the listener.
   */
  onRestart(listener: (service: EmbeddedServiceName) => void): () => void;
  /** Stops every embedded service; none is restarted afterwards. */
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Data and logs of the embedded services. */
  dataDir: string;
  /** Start FerretDB (false when MONGODB_URI is given). */
  mongodb: boolean;
  /** Start Redis (false when REDIS_URL is given). */
  redis: boolean;
  log: Logger;
  /** Serve FerretDB's pprof on this loopback port (the bench's `--profile`). */
  ferretdbDebugPort?: number;
}

/** Starts what is not provided from outside, in parallel; on any failure stops what did start. */
export async function startEmbedded(options: EmbeddedOptions): Promise<EmbeddedServices> {
  const dataDir = resolve(options.dataDir);
  const logs = join(dataDir, 'logs');
  await mkdir(logs, { recursive: true });
  const results = await Promise.allSettled([
    options.mongodb
      ? ensureFerretDbBinary(CACHE_DIR, options.log).then((binary) =>
          startFerretDb({
            binary,
            dataDir: join(dataDir, 'ferretdb'),
            logFile: join(logs, 'ferretdb.log'),
            log: options.log,
            // WAL (FerretDB's default) with synchronous=normal survives a crash of the process; only a power
            // cut can lose the last transactions. Acceptable for development and tests, ~30% faster writes.
            // A page cache of 64 MiB a connection (SQLite's default is 2 MiB), taken as pages are read: a year of
            // history is 1.8 million documents and their indexes (docs/benchmarks.md, issue 20's runs).
            backend: { handler: 'sqlite', query: '?_pragma=synchronous(normal)&_pragma=cache_size(-65536)' },
            ...(options.ferretdbDebugPort === undefined ? {} : { debugPort: options.ferretdbDebugPort }),
          }),
        )
      : Promise.resolve(undefined),
    options.redis ? startRedis({ workDir: join(dataDir, 'redis'), logFile: join(logs, 'redis.log'), log: options.log }) : Promise.resolve(undefined),
  ]);
  const [ferret, redis] = results;
  const ferretdb = ferret.status === 'fulfilled' ? ferret.value : undefined;
  const redisServer = redis.status === 'fulfilled' ? redis.value : undefined;
  const stop = async (): Promise<void> => {
    await Promise.all([ferretdb?.stop(), redisServer?.stop()]);
  };
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (failures.length > 0) {
    await stop();
    throw new AggregateError(failures, failures.map((f) => (f instanceof Error ? f.message : String(f))).join('\n'));
  }
  if (ferretdb) options.log.info({ uri: ferretdb.uri }, 'embedded FerretDB (SQLite) ready');
  if (redisServer) options.log.info({ url: redisServer.url }, 'embedded Redis ready');
  const onRestart = (listener: (service: EmbeddedServiceName) => void): (() => void) => {
    const removers = [ferretdb?.onRestart(() => { listener('ferretdb'); }), redisServer?.onRestart(() => { listener('redis'); })];
    return () => {
      for (const remove of removers) remove?.();
    };
  };
  return { mongodbUri: ferretdb?.uri, redisUrl: redisServer?.url, ferretdb, redis: redisServer, onRestart, stop };
}
