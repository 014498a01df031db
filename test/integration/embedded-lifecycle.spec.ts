import { expect } from 'chai';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { EmbeddedServiceError } from '../../src/embedded/process.js';
import { startRedis } from '../../src/embedded/redis.js';
import { eventually } from '../support/wait.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** Our processes whose command line mentions `marker` (FerretDB and the guardians carry the data dir). */
async function processesMatching(marker: string): Promise<string[]> {
  try {
    const { stdout } = await promisify(execFile)('pgrep', ['-af', marker]);
    return stdout.trim().split('\n').filter((line) => line && !line.includes('pgrep'));
  } catch {
    return [];
  }
}

interface Started {
  child: ChildProcess;
  url: string;
  redisPort: string;
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
  const url = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => { fail(new Error('main did not start listening')); }, 120_000);
    void exit.then((code) => { fail(new Error(`main exited early with ${String(code)}`)); });
    lines.on('line', (line) => {
      const entry = JSON.parse(line) as { msg?: string; url?: string };
      if (entry.msg === 'embedded Redis ready') redisPort = entry.url?.split(':').pop() ?? '';
      if (entry.msg === 'API listening' && entry.url) {
        clearTimeout(timer);
        done(entry.url);
      }
    });
  });
  return { child, url, redisPort, exit };
}

describe('embedded FerretDB and Redis under the real entry point', () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mcc-main-'));
  });

  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('serves /ready 200 and leaves no ferretdb or redis-server behind after SIGINT', async () => {
    const main = await startMain(dataDir);
    await eventually(async () => (await fetch(`${main.url}/ready`)).status === 200, '/ready to answer 200');
    expect(await processesMatching(dataDir)).to.have.length.greaterThan(0);
    expect(await processesMatching(`redis-server 127.0.0.1:${main.redisPort}`)).to.have.length(1);

    main.child.kill('SIGINT');
    expect(await main.exit).to.equal(0);
    expect(await processesMatching(dataDir)).to.deep.equal([]);
    expect(await processesMatching(`redis-server 127.0.0.1:${main.redisPort}`)).to.deep.equal([]);
  });

  it('stops the embedded services when the parent dies without cleaning up (SIGKILL)', async () => {
    const main = await startMain(dataDir);
    main.child.kill('SIGKILL');
    await main.exit;
    await eventually(async () => (await processesMatching(dataDir)).length === 0, 'orphaned FerretDB to stop');
    await eventually(async () => (await processesMatching(`redis-server 127.0.0.1:${main.redisPort}`)).length === 0, 'orphaned Redis to stop');
  });

  it('reports a port clash clearly instead of hanging', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', () => { done(); }));
    const address = blocker.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    let error: unknown;
    try {
      await startRedis({ port, workDir: join(dataDir, 'redis'), logFile: join(dataDir, 'redis.log') });
    } catch (err) {
      error = err;
    } finally {
      blocker.close();
    }
    expect(error).to.be.instanceOf(EmbeddedServiceError);
    expect((error as Error).message).to.equal(`redis: port ${port} on 127.0.0.1 is already in use (EADDRINUSE); free it or choose another port`);
  });
});
