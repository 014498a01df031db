import { execFile } from 'node:child_process';
import { access, chown, mkdir, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { EmbeddedServiceError, spawnManaged } from './process.js';
import { startSupervised, type EmbeddedServiceOptions, type SupervisedService } from './supervisor.js';

const run = promisify(execFile);

export interface RunningPostgres extends SupervisedService {
  /** A URL for FerretDB's `--postgresql-url` (trust authentication on loopback). */
  readonly url: string;
}

export interface PostgresOptions extends EmbeddedServiceOptions {
  /** The cluster (created with `initdb` on first use) and its unix socket. */
  dataDir: string;
}

/** Debian installs each major version under /usr/lib/postgresql/<major>/bin; the newest one is used. */
async function findPostgresBin(): Promise<string> {
  const root = '/usr/lib/postgresql';
  const majors = await readdir(root).catch(() => [] as string[]);
  for (const major of majors.filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a))) {
    const bin = join(root, major, 'bin');
    try {
      await access(join(bin, 'postgres'));
      await access(join(bin, 'initdb'));
      return bin;
    } catch {
      // try an older major
    }
  }
  throw new EmbeddedServiceError('postgresql', 'PostgreSQL not found under /usr/lib/postgresql; install Debian `postgresql`');
}

/** PostgreSQL refuses to run as root: as root, commands run as the `postgres` system user through `setpriv`. */
async function runAsPrefix(): Promise<{ prefix: string[]; owner: { uid: number; gid: number } | undefined }> {
  if (process.getuid?.() !== 0) return { prefix: [], owner: undefined };
  try {
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    return { prefix: ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--init-groups', '--'], owner: { uid, gid } };
  } catch {
    throw new EmbeddedServiceError('postgresql', 'running as root needs the `postgres` system user (Debian `postgresql` creates it)');
  }
}

/** `[file, ...args]` running `program` with the owner's identity. */
function commandLine(prefix: readonly string[], program: string, args: readonly string[]): [string, string[]] {
  const [file = program, ...rest] = [...prefix, program, ...args];
  return [file, rest];
}

async function isReady(bin: string, port: number): Promise<boolean> {
  try {
    await run(join(bin, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(port)]);
    return true;
  } catch {
    return false;
  }
}

/**
 * A private PostgreSQL cluster on loopback for FerretDB's `postgresql` handler: created on first use, trust
 * authentication (it listens on 127.0.0.1 and on a socket inside its own data dir only), supervised like the
 * other embedded services. `synchronous_commit=off`, like the embedded SQLite's `synchronous=normal`, does not
 * wait for the disk at each commit: a crash can lose the last fraction of a second of commits, never consistency.
 */
export async function startPostgres(options: PostgresOptions): Promise<RunningPostgres> {
  const bin = await findPostgresBin();
  const dataDir = resolve(options.dataDir);
  const { prefix, owner } = await runAsPrefix();
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (owner) await chown(dataDir, owner.uid, owner.gid);
  try {
    await access(join(dataDir, 'PG_VERSION'));
  } catch {
    try {
      const [file, args] = commandLine(prefix, join(bin, 'initdb'), ['-D', dataDir, '--auth=trust', '--username=postgres', '--encoding=UTF8', '--locale=C']);
      await run(file, args, { cwd: dataDir });
    } catch (err) {
      const e = err as Error & { stderr?: string };
      throw new EmbeddedServiceError('postgresql', `initdb failed:\n${e.stderr ?? e.message}`);
    }
  }
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const supervised = await startSupervised('postgresql', { log: options.log, port: options.port, startTimeoutMs, backoff: options.backoff }, (port) => {
    const [file, args] = commandLine(prefix, join(bin, 'postgres'), [
      '-D', dataDir,
      '-p', String(port),
      '-c', 'listen_addresses=127.0.0.1',
      '-c', `unix_socket_directories=${dataDir}`,
      '-c', 'synchronous_commit=off',
    ]);
    return spawnManaged('postgresql', file, args, options.logFile);
  });
  // It accepts TCP connections while it still recovers; queries work once pg_isready says so.
  const deadline = Date.now() + startTimeoutMs;
  while (!(await isReady(bin, supervised.port))) {
    if (Date.now() > deadline) {
      await supervised.stop();
      throw new EmbeddedServiceError('postgresql', `not ready within ${startTimeoutMs} ms; see ${options.logFile}`);
    }
    await sleep(50);
  }
  return Object.assign(supervised, { url: `postgres://postgres@127.0.0.1:${supervised.port}/postgres` });
}
