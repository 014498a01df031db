import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pino, type Logger } from 'pino';
import { loadEnv } from '../src/config/env.js';
import { startEmbedded } from '../src/embedded/index.js';
import { freePort } from '../src/embedded/process.js';
import { createRedis } from '../src/queues/redis-client.js';
import { startSystem, type RunningSystem } from '../src/system.js';
import { CpuMeter } from './cpu.js';
import { HttpClient } from './http.js';
import { pause } from './phase.js';

export const REPO_ROOT = resolve(import.meta.dirname, '..');

/** The store and Redis the systems under test use: embedded (started here) or the servers in the environment. */
export interface BenchServices {
  readonly mongodbUri: string;
  readonly redisUrl: string;
  /** Which were given by URL (production-sized servers) rather than started here. */
  readonly external: { mongodb: boolean; redis: boolean };
  readonly cpu: CpuMeter;
  /** Loopback port of the embedded FerretDB's pprof, when asked for (`--profile`). */
  readonly storeDebugPort?: number;
  /** Stops the embedded store only (nothing when it is given by URL). */
  stopStore(): Promise<void>;
  stop(): Promise<void>;
}

/** What a phase reads to report the warnings logged meanwhile by its own system. */
export interface WarningSource {
  /** Warnings and errors by message since the last call. */
  take(): Record<string, number>;
}

/**
 * Warnings and errors the systems under test logged, by history size (the logger's `history` binding) and
 * message: a failing job shows up here, and a system still winding down is not counted against the next one.
 */
export class LogTally {
  private readonly counts = new Map<string, Map<string, number>>();

  add(source: string, message: string): void {
    const counts = this.counts.get(source) ?? new Map<string, number>();
    counts.set(message, (counts.get(message) ?? 0) + 1);
    this.counts.set(source, counts);
  }

  /** The warnings of one source, as a {@link WarningSource}. */
  of(source: string): WarningSource {
    return {
      take: () => {
        const counts = this.counts.get(source) ?? new Map<string, number>();
        this.counts.delete(source);
        return Object.fromEntries([...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 20));
      },
    };
  }
}

/**
 * The systems' logger: warnings and above go to a file beside the results (stdout is for the table) and are
 * tallied by message so the report can say what went wrong without anyone reading the file.
 */
export async function createBenchLogger(file: string, tally: LogTally): Promise<Logger> {
  await mkdir(dirname(file), { recursive: true });
  return pino(
    {
      level: 'warn',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      hooks: {
        logMethod(args, method) {
          const message = args.find((a): a is string => typeof a === 'string') ?? 'log';
          const bindings: Record<string, unknown> = this.bindings();
          tally.add(typeof bindings.history === 'string' ? bindings.history : 'bench', message);
          method.apply(this, args);
        },
      },
    },
    pino.destination({ dest: file, sync: false, mkdir: true }),
  );
}

export async function startServices(env: NodeJS.ProcessEnv, log: Logger, options: { profileStore?: boolean } = {}): Promise<BenchServices> {
  const mongodbUri = env.MONGODB_URI === '' ? undefined : env.MONGODB_URI;
  const redisUrl = env.REDIS_URL === '' ? undefined : env.REDIS_URL;
  if (mongodbUri !== undefined && redisUrl !== undefined) {
    const nothing = (): Promise<void> => Promise.resolve();
    return { mongodbUri, redisUrl, external: { mongodb: true, redis: true }, cpu: new CpuMeter({}), stopStore: nothing, stop: nothing };
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'mcc-bench-'));
  try {
    const storeDebugPort = options.profileStore === true && mongodbUri === undefined ? await freePort() : undefined;
    const embedded = await startEmbedded({
      dataDir,
      mongodb: mongodbUri === undefined,
      redis: redisUrl === undefined,
      log,
      ...(storeDebugPort === undefined ? {} : { ferretdbDebugPort: storeDebugPort }),
    });
    const uri = mongodbUri ?? embedded.mongodbUri;
    const url = redisUrl ?? embedded.redisUrl;
    if (uri === undefined || url === undefined) throw new Error('embedded services did not start');
    const guardians: Record<string, number> = {};
    if (embedded.ferretdb) guardians.ferretdb = embedded.ferretdb.pid;
    if (embedded.redis) guardians.redis = embedded.redis.pid;
    return {
      mongodbUri: uri,
      redisUrl: url,
      external: { mongodb: mongodbUri !== undefined, redis: redisUrl !== undefined },
      cpu: new CpuMeter(guardians),
      ...(storeDebugPort === undefined ? {} : { storeDebugPort }),
      async stopStore() {
        await embedded.ferretdb?.stop();
      },
      async stop() {
        await embedded.stop();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
}

/** One running system on its own database and Redis key prefix, reached over HTTP like any client. */
export interface SystemUnderTest {
  readonly system: RunningSystem;
  readonly url: string;
  /** Database name and Redis key prefix (the same string). */
  readonly name: string;
  readonly http: HttpClient;
  /**
   * Stops the system, waiting at most `timeoutMs`; drops its database and removes its Redis keys when they are
   * on servers given by URL. `finished` settles when the stop really completes (a system busy with a backlog
   * finishes once its services are gone).
   */
  stop(timeoutMs: number): Promise<{ stoppedCleanly: boolean; finished: Promise<unknown> }>;
}

/**
 * Starts a system on a fresh database. `channels` adds the settings of channels the harness plays the vendor of (the
 * phone channel's Twilio variables, pointing its REST API at the harness's fake Twilio) and the hall's configuration;
 * `options.counterClock` is the counter channel's clock (the system's own stays real time).
 */
export async function startSystemUnderTest(
  services: BenchServices,
  label: string,
  log: Logger,
  env: NodeJS.ProcessEnv,
  channels: Record<string, string> = {},
  options: { counterClock?: () => Date } = {},
): Promise<SystemUnderTest> {
  const name = `bench_${label}_${randomBytes(4).toString('hex')}`;
  const systemEnv = loadEnv({
    NODE_ENV: 'test',
    ROLE: 'all',
    HOST: '127.0.0.1',
    PORT: '0',
    MONGODB_URI: services.mongodbUri,
    MONGODB_DB: name,
    REDIS_URL: services.redisUrl,
    CONFIG_DIR: env.CONFIG_DIR ?? join(REPO_ROOT, 'config'),
    MONGODB_POOL_SIZE: env.MONGODB_POOL_SIZE,
    LOG_LEVEL: 'warn',
    // Agents stay connected for the whole run; a token expiring mid-phase would drop their sockets.
    AUTH_ACCESS_TTL_SECONDS: String(6 * 3600),
    // Agents who leave between phases keep their tickets (a drop would hand them back to the queue).
    PRESENCE_GRACE_MS: String(3_600_000),
    ...channels,
  });
  const system = await startSystem(systemEnv, { log, queuePrefix: name, ...(options.counterClock ? { counterClock: options.counterClock } : {}) });
  if (system.url === undefined) {
    await system.stop();
    throw new Error('the system under test serves no HTTP');
  }
  const http = new HttpClient(system.url, 128);
  return {
    system,
    url: system.url,
    name,
    http,
    async stop(timeoutMs) {
      http.close();
      const within = <T>(work: Promise<T>): Promise<T | 'late'> => Promise.race([work, pause(timeoutMs).then(() => 'late' as const)]);
      // An embedded store goes away with its temporary folder; on a server given by URL the database is dropped,
      // before stopping, while the workers may still be busy with a backlog (the data is throw-away).
      if (services.external.mongodb && system.ctx.store.connection.name === name) {
        await within(system.ctx.store.connection.dropDatabase().catch(() => undefined));
      }
      const finished = system.stop().catch(() => undefined);
      const stopped = await within(finished);
      if (services.external.redis) await removeKeys(services.redisUrl, name, log);
      return { stoppedCleanly: stopped !== 'late', finished };
    },
  };
}

/** Deletes the keys a system under test left in a shared Redis: queues, locks, throttles all carry its name. */
async function removeKeys(redisUrl: string, name: string, log: Logger): Promise<void> {
  const redis = createRedis(redisUrl, 'queue', log);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${name}:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
