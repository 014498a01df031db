import { expect } from 'chai';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { startEmbedded, type EmbeddedServiceName } from '../../src/embedded/index.js';
import { EmbeddedServiceError } from '../../src/embedded/process.js';
import { startRedis } from '../../src/embedded/redis.js';
import { createRedis } from '../../src/queues/redis-client.js';
import { connectStore } from '../../src/store/connection.js';
import { redisDocumentLocks } from '../../src/store/document-lock.js';
import { testLog } from '../support/services.js';
import { eventually } from '../support/wait.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** Our processes whose command line mentions `marker` (FerretDB and the guardians carry the data dir). */
async function processesMatching(marker: string): Promise<string[]> {
  try {
    const { stdout } = await promisify(execFile)('pgrep', ['-af', '--', marker]);
    return stdout.trim().split('\n').filter((line) => line && !line.includes('pgrep'));
  } catch {
    return [];
  }
}

/** The service itself (not its `sh` guardian, whose command line repeats the service's arguments). */
async function servicePid(marker: string): Promise<number | undefined> {
  const line = (await processesMatching(marker)).find((entry) => !/^\d+ sh /.test(entry));
  return line === undefined ? undefined : Number(line.split(' ')[0]);
}

/** The process named `name` that the guardian `guardianPid` runs. */
async function childOf(guardianPid: number, name: string): Promise<number> {
  const { stdout } = await promisify(execFile)('pgrep', ['-P', String(guardianPid), '-x', name]);
  return Number(stdout.trim());
}

/** A fresh directory for each test of the calling suite, removed after it. */
function freshDirEachTest(prefix: string): () => string {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return () => dir;
}

/** Kills `pid` with SIGKILL, as a crash or the OOM killer would. */
function crash(pid: number): void {
  process.kill(pid, 'SIGKILL');
}

/** Long enough for a restart after backoff plus the MongoDB driver's 10 s heartbeat; a safety net only. */
const RECOVERY_BOUND_MS = 60_000;

interface Started {
  child: ChildProcess;
  url: string;
  redisPort: string;
  ferretdbPort: string;
  logs: string[];
  exit: Promise<number | null>;
}

/** Runs the real entry point (`npm start` minus the bootstrap) on embedded services in `dataDir`. */
async function startMain(dataDir: string): Promise<Started> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', NODE_ENV: 'development' };
  delete env.MONGODB_URI;
  delete env.REDIS_URL;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exit = new Promise<number | null>((done) => child.once('exit', (code) => { done(code); }));
  const lines = createInterface({ input: child.stdout });
  let redisPort = '';
  let ferretdbPort = '';
  const logs: string[] = [];
  const url = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => { fail(new Error('main did not start listening')); }, 120_000);
    void exit.then((code) => { fail(new Error(`main exited early with ${String(code)}`)); });
    lines.on('line', (line) => {
      logs.push(line);
      const entry = JSON.parse(line) as { msg?: string; url?: string; uri?: string };
      if (entry.msg === 'embedded Redis ready') redisPort = entry.url?.split(':').pop() ?? '';
      if (entry.msg === 'embedded FerretDB (SQLite) ready') ferretdbPort = /:(\d+)\//.exec(entry.uri ?? '')?.[1] ?? '';
      if (entry.msg === 'API listening' && entry.url) {
        clearTimeout(timer);
        done(entry.url);
      }
    });
  });
  return { child, url, redisPort, ferretdbPort, logs, exit };
}

describe('embedded FerretDB and Redis under the real entry point', function () {
  // Each recovery may take up to RECOVERY_BOUND_MS; let `eventually` report which one failed.
  this.timeout(4 * RECOVERY_BOUND_MS);
  const dataDir = freshDirEachTest('mcc-main-');

  it('serves /ready 200 and leaves no ferretdb or redis-server behind after SIGINT', async () => {
    const main = await startMain(dataDir());
    await eventually(async () => (await fetch(`${main.url}/ready`)).status === 200, '/ready to answer 200');
    expect(await processesMatching(dataDir())).to.have.length.greaterThan(0);
    expect(await processesMatching(`redis-server 127.0.0.1:${main.redisPort}`)).to.have.length(1);

    main.child.kill('SIGINT');
    expect(await main.exit).to.equal(0);
    expect(await processesMatching(dataDir())).to.deep.equal([]);
    expect(await processesMatching(`redis-server 127.0.0.1:${main.redisPort}`)).to.deep.equal([]);
  });

  it('stops the embedded services when the parent dies without cleaning up (SIGKILL)', async () => {
    const main = await startMain(dataDir());
    main.child.kill('SIGKILL');
    await main.exit;
    await eventually(async () => (await processesMatching(dataDir())).length === 0, 'orphaned FerretDB to stop');
    await eventually(async () => (await processesMatching(`redis-server 127.0.0.1:${main.redisPort}`)).length === 0, 'orphaned Redis to stop');
  });

  it('restarts a killed Redis and FerretDB on the same ports, and /ready returns to 200', async () => {
    const main = await startMain(dataDir());
    await eventually(async () => (await fetch(`${main.url}/ready`)).status === 200, '/ready to answer 200');
    const redisMarker = `redis-server 127.0.0.1:${main.redisPort}`;
    const ferretdbMarker = `--listen-addr=127.0.0.1:${main.ferretdbPort}`;
    const client = createRedis(`redis://127.0.0.1:${main.redisPort}`, 'queue', testLog);
    try {
      for (const marker of [redisMarker, ferretdbMarker]) {
        const before = await servicePid(marker);
        expect(before, marker).to.be.a('number');
        crash(before ?? 0);
        await eventually(async () => {
          const after = await servicePid(marker);
          return after !== undefined && after !== before;
        }, `${marker} to run again`, RECOVERY_BOUND_MS);
        await eventually(async () => (await fetch(`${main.url}/ready`)).status === 200, '/ready to recover', RECOVERY_BOUND_MS);
      }
      expect(await client.set('after-restart', 'yes')).to.equal('OK');
      expect(await client.get('after-restart')).to.equal('yes');
      const restarted = (): (string | undefined)[] =>
        main.logs
          .map((line) => JSON.parse(line) as { msg?: string; service?: string })
          .filter((entry) => entry.msg === 'embedded service restarted')
          .map((entry) => entry.service);
      // The log line travels through the child's stdout; it may arrive just after /ready recovered.
      await eventually(() => Promise.resolve(restarted().length >= 2), 'both restarts logged');
      expect(restarted()).to.deep.equal(['redis', 'ferretdb']);

      main.child.kill('SIGINT');
      expect(await main.exit).to.equal(0);
      expect(await processesMatching(dataDir())).to.deep.equal([]);
      expect(await processesMatching(redisMarker)).to.deep.equal([]);
    } finally {
      client.disconnect();
      // On a failure above, the guardians stop the services once main is gone.
      if (main.child.exitCode === null) main.child.kill('SIGKILL');
    }
  });

  it('reports a port clash clearly instead of hanging', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', () => { done(); }));
    const address = blocker.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    let error: unknown;
    try {
      await startRedis({ port, workDir: join(dataDir(), 'redis'), logFile: join(dataDir(), 'redis.log'), log: testLog });
    } catch (err) {
      error = err;
    } finally {
      blocker.close();
    }
    expect(error).to.be.instanceOf(EmbeddedServiceError);
    expect((error as Error).message).to.equal(`redis: port ${port} on 127.0.0.1 is already in use (EADDRINUSE); free it or choose another port`);
  });
});

describe('supervised embedded services', function () {
  this.timeout(4 * RECOVERY_BOUND_MS);
  const dataDir = freshDirEachTest('mcc-supervised-');

  it('brings a killed service back on its port and data, tells onRestart, and existing clients work again', async () => {
    // Its own instance: the shared test services come from the same module and must not be disturbed.
    const embedded = await startEmbedded({ dataDir: dataDir(), mongodb: true, redis: true, log: testLog });
    const restarted: EmbeddedServiceName[] = [];
    embedded.onRestart((service) => {
      restarted.push(service);
    });
    const redis = createRedis(embedded.redisUrl ?? '', 'queue', testLog);
    const store = await connectStore({
      uri: embedded.mongodbUri ?? '',
      dbName: 'supervised',
      log: testLog,
      locks: redisDocumentLocks(redis, { prefix: 'supervised' }),
    });
    try {
      const probes = store.connection.collection<{ _id: string; note: string }>('probes');
      await probes.insertOne({ _id: 'before-crash', note: 'kept on disk' });
      const ports = { redis: embedded.redis?.port, ferretdb: embedded.ferretdb?.port };

      crash(await childOf(embedded.redis?.pid ?? 0, 'redis-server'));
      await eventually(() => restarted.includes('redis'), 'Redis to be restarted', RECOVERY_BOUND_MS);
      await eventually(async () => {
        await redis.set('k', 'v');
        return (await redis.get('k')) === 'v';
      }, 'the existing Redis client to work again', RECOVERY_BOUND_MS);

      crash(await childOf(embedded.ferretdb?.pid ?? 0, 'ferretdb'));
      await eventually(() => restarted.includes('ferretdb'), 'FerretDB to be restarted', RECOVERY_BOUND_MS);
      const kept = await eventually(async () => (await probes.findOne({ _id: 'before-crash' })) ?? undefined, 'the existing store connection to work again', RECOVERY_BOUND_MS);

      expect(kept.note).to.equal('kept on disk');
      expect(restarted).to.deep.equal(['redis', 'ferretdb']);
      expect({ redis: embedded.redis?.port, ferretdb: embedded.ferretdb?.port }).to.deep.equal(ports);
      expect({ redis: embedded.redis?.restarts, ferretdb: embedded.ferretdb?.restarts }).to.deep.equal({ redis: 1, ferretdb: 1 });
    } finally {
      await store.close();
      redis.disconnect();
      await embedded.stop();
    }
  });

  it('restarts nothing once stopped, even when the service died just before', async () => {
    const redis = await startRedis({ workDir: join(dataDir(), 'redis'), logFile: join(dataDir(), 'redis.log'), log: testLog });
    crash(await childOf(redis.pid, 'redis-server'));
    await redis.stop();
    expect(await processesMatching(`redis-server 127.0.0.1:${redis.port}`)).to.deep.equal([]);
    expect(redis.restarts).to.equal(0);
  });
});

describe('embedded FerretDB build', () => {
  const dataDir = freshDirEachTest('mcc-ferretdb-');

  it('looks a document up by _id through its unique index, not by reading the whole table', async () => {
    const embedded = await startEmbedded({ dataDir: dataDir(), mongodb: true, redis: false, log: testLog });
    // Only a raw collection is used here, so no document lock is ever taken.
    const store = await connectStore({ uri: embedded.mongodbUri ?? '', dbName: 'plans', log: testLog, locks: { withLock: (_key, work) => work() } });
    try {
      const probes = store.connection.collection<{ _id: string; n: number }>('probes');
      await probes.insertMany(Array.from({ length: 50 }, (_, n) => ({ _id: `doc-${n}`, n })));
      const explained = await store.connection.db?.command({ explain: { find: 'probes', filter: { _id: 'doc-7' } } });
      expect(explained?.filterPushdown).to.equal(true);
      expect(JSON.stringify(explained?.queryPlanner)).to.match(/SEARCH \S+ USING INDEX \S+__id_/);
      expect(await probes.findOne({ _id: 'doc-7' })).to.deep.equal({ _id: 'doc-7', n: 7 });
    } finally {
      await store.close();
      await embedded.stop();
    }
  });
});
