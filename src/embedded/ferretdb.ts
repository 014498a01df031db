import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, chmod, cp, mkdir, readFile, rename, rm, writeFile, mkdtemp } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../logging.js';
import { EmbeddedServiceError, spawnManaged } from './process.js';
import { startSupervised, type Backoff, type SupervisedService } from './supervisor.js';

const run = promisify(execFile);

/** The Go module that pins FerretDB (go.mod `tool` directive + go.sum). */
export const FERRETDB_PIN_DIR = resolve(import.meta.dirname, 'ferretdb');
const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';

async function exists(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function go(args: string[], cwd: string, log: Logger): Promise<string> {
  log.debug({ args, cwd }, 'go');
  try {
    const { stdout } = await run('go', args, {
      cwd,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=readonly', CGO_ENABLED: '0' },
    });
    return stdout;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') {
      throw new EmbeddedServiceError('ferretdb', 'Go is not installed; it is needed once to build FerretDB (Go >= 1.24), or set MONGODB_URI');
    }
    throw new EmbeddedServiceError('ferretdb', `go ${args.join(' ')} failed:\n${e.stderr ?? e.message}`);
  }
}

/**
 * Returns the path of the pinned FerretDB binary, building it on first use. The cache key is the hash of
 * go.mod + go.sum, so the binary is rebuilt exactly when the pin changes.
 *
 * FerretDB's release builds read their version from a generated `build/version/version.txt` that the module
 * zip does not contain, and refuse to start without it. So the module is downloaded (checked against our
 * go.sum), copied out of the read-only module cache, given that file, and built with its own go.sum.
 */
export async function ensureFerretDbBinary(cacheRoot: string, log: Logger): Promise<string> {
  const pin = (await readFile(join(FERRETDB_PIN_DIR, 'go.mod'), 'utf8')) + (await readFile(join(FERRETDB_PIN_DIR, 'go.sum'), 'utf8'));
  const key = createHash('sha256').update(pin).digest('hex').slice(0, 16);
  const dir = join(cacheRoot, 'ferretdb', key);
  const binary = join(dir, 'ferretdb');
  if (await exists(binary)) return binary;

  const started = Date.now();
  log.info({ dir }, 'building FerretDB from the Go module proxy (first run only, takes a few minutes)');
  const info = JSON.parse(await go(['mod', 'download', '-json', FERRETDB_MODULE], FERRETDB_PIN_DIR, log)) as {
    Dir?: string;
    Version?: string;
    Error?: string;
  };
  if (info.Dir === undefined || info.Version === undefined) {
    throw new EmbeddedServiceError('ferretdb', `go mod download failed: ${info.Error ?? 'no module directory'}`);
  }
  await mkdir(dir, { recursive: true });
  const work = await mkdtemp(join(dir, 'build-'));
  try {
    const src = join(work, 'src');
    await cp(info.Dir, src, { recursive: true });
    await run('chmod', ['-R', 'u+w', src]);
    await writeFile(join(src, 'build/version/version.txt'), `${info.Version}\n`);
    await writeFile(join(src, 'build/version/package.txt'), 'municipal-contact-center\n');
    const out = join(work, 'ferretdb');
    await go(['build', '-trimpath', '-o', out, './cmd/ferretdb'], src, log);
    await chmod(out, 0o755);
    await rename(out, binary);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  log.info({ binary, seconds: Math.round((Date.now() - started) / 1000) }, 'FerretDB built');
  return binary;
}

export interface RunningFerretDb extends SupervisedService {
  readonly uri: string;
}

export interface FerretDbOptions {
  binary: string;
  /** SQLite files and FerretDB state live here. */
  dataDir: string;
  logFile: string;
  /** Where restarts are reported. */
  log: Logger;
  /** 0 or undefined: a free loopback port. */
  port?: number;
  startTimeoutMs?: number;
  backoff?: Backoff;
  /** Extra SQLite URI parameters, e.g. `?_pragma=synchronous(normal)`. */
  sqliteQuery?: string;
}

/**
 * Starts FerretDB with the SQLite backend on loopback, no telemetry and no debug HTTP listener, and restarts it on
 * the same port and data if it dies (SQLite recovers its write-ahead log on open).
 */
export async function startFerretDb(options: FerretDbOptions): Promise<RunningFerretDb> {
  await mkdir(options.dataDir, { recursive: true });
  const dataDir = resolve(options.dataDir);
  const supervised = await startSupervised('ferretdb', { log: options.log, port: options.port, startTimeoutMs: options.startTimeoutMs ?? 30_000, backoff: options.backoff }, (port) =>
    spawnManaged(
      'ferretdb',
      options.binary,
      [
        '--handler=sqlite',
        `--sqlite-url=file:${dataDir}/${options.sqliteQuery ?? ''}`,
        `--state-dir=${dataDir}`,
        `--listen-addr=127.0.0.1:${port}`,
        '--debug-addr=-',
        '--telemetry=disable',
        '--log-level=warn',
      ],
      options.logFile,
    ),
  );
  return Object.assign(supervised, { uri: `mongodb://127.0.0.1:${supervised.port}/` });
}
