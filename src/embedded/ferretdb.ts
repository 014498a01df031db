import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { access, chmod, cp, mkdir, readFile, rename, rm, writeFile, mkdtemp } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../logging.js';
import { EmbeddedServiceError, spawnManaged } from './process.js';
import { startSupervised, type EmbeddedServiceOptions, type SupervisedService } from './supervisor.js';

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
 * Edits made to FerretDB's source before it is built, each applied exactly once or the build stops.
 *
 * v1.24.2's SQLite backend finds a document by `_id` with `WHERE _ferretdb_sjson->'$._id' = ?`, but creates
 * the unique `_id` index on `_ferretdb_sjson->"_id"`. SQLite matches an index by the expression as written,
 * so every find, update and delete by `_id` read the whole table (EXPLAIN QUERY PLAN: `SCAN`; measured at
 * 100,000 tickets: about one lookup per second, and concurrent updates failing with `database is locked`).
 * `->'_id'` is the same path in SQLite's JSON operators and uses the index (`SEARCH ... USING INDEX`).
 *
 * Every query, iterator and connection is also registered for leak detection (`resource.Track`): a pprof
 * profile entry with the caller's stack, and a finalizer that panics the server if the object is collected
 * without being closed. A CPU profile of the embedded store serving `_id` lookups at 100,000 tickets put about
 * a tenth of its time there (capturing stacks). It is a development aid of FerretDB's own test builds; here
 * it costs every operation and turns a leak into a crash of the office's store, so both calls do nothing.
 */
const FERRETDB_SOURCE_PATCHES: readonly { file: string; from: string; to: string }[] = [
  {
    file: 'internal/backends/sqlite/metadata/metadata.go',
    from: `IDColumn = DefaultColumn + "->'$._id'"`,
    to: `IDColumn = DefaultColumn + "->'_id'"`,
  },
  {
    file: 'internal/util/resource/resource.go',
    from: 'func Track(obj any, token *Token) {\n',
    to: 'func Track(obj any, token *Token) {\n\tif !trackResources {\n\t\treturn\n\t}\n',
  },
  {
    file: 'internal/util/resource/resource.go',
    from: 'func Untrack(obj any, token *Token) {\n',
    to: 'func Untrack(obj any, token *Token) {\n\tif !trackResources {\n\t\treturn\n\t}\n',
  },
  {
    file: 'internal/util/resource/resource.go',
    from: 'var profilesM sync.Mutex\n',
    to: 'var profilesM sync.Mutex\n\n// trackResources is false in this build: see src/embedded/ferretdb.ts of the contact center.\nconst trackResources = false\n',
  },
];

async function applySourcePatches(src: string): Promise<void> {
  for (const patch of FERRETDB_SOURCE_PATCHES) {
    const path = join(src, patch.file);
    const text = await readFile(path, 'utf8');
    if (text.split(patch.from).length !== 2) {
      throw new EmbeddedServiceError('ferretdb', `source patch no longer applies to ${patch.file}: expected \`${patch.from}\` exactly once`);
    }
    await writeFile(path, text.replace(patch.from, patch.to));
  }
}

/**
 * Returns the path of the pinned FerretDB binary, building it on first use. The cache key is the hash of
 * go.mod + go.sum and the source patches, so the binary is rebuilt exactly when either changes.
 *
 * FerretDB's release builds read their version from a generated `build/version/version.txt` that the module
 * zip does not contain, and refuse to start without it. So the module is downloaded (checked against our
 * go.sum), copied out of the read-only module cache, given that file, and built with its own go.sum.
 */
export async function ensureFerretDbBinary(cacheRoot: string, log: Logger): Promise<string> {
  const pin = (await readFile(join(FERRETDB_PIN_DIR, 'go.mod'), 'utf8')) + (await readFile(join(FERRETDB_PIN_DIR, 'go.sum'), 'utf8'));
  const key = createHash('sha256').update(pin).update(JSON.stringify(FERRETDB_SOURCE_PATCHES)).digest('hex').slice(0, 16);
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
    await applySourcePatches(src);
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

export interface FerretDbOptions extends EmbeddedServiceOptions {
  binary: string;
  /** SQLite files and FerretDB state live here. */
  dataDir: string;
  /**
   * Where documents live: SQLite files in `dataDir` (with extra SQLite URI parameters such as
   * `?_pragma=synchronous(normal)`), or a PostgreSQL database (FerretDB then keeps only its state in `dataDir`).
   */
  backend: { handler: 'sqlite'; query?: string } | { handler: 'postgresql'; url: string };
  /** Serve Go's pprof on this loopback port (`/debug/pprof/`), for profiling the store; off by default. */
  debugPort?: number;
}

/**
 * Starts FerretDB on loopback, no telemetry and no debug HTTP listener (unless `debugPort`), and restarts it on the same port and data
 * if it dies (SQLite recovers its write-ahead log on open).
 */
export async function startFerretDb(options: FerretDbOptions): Promise<RunningFerretDb> {
  await mkdir(options.dataDir, { recursive: true });
  const dataDir = resolve(options.dataDir);
  const { backend } = options;
  const storage =
    backend.handler === 'sqlite'
      ? ['--handler=sqlite', `--sqlite-url=file:${dataDir}/${backend.query ?? ''}`]
      : ['--handler=postgresql', `--postgresql-url=${backend.url}`];
  const supervised = await startSupervised('ferretdb', { log: options.log, port: options.port, startTimeoutMs: options.startTimeoutMs ?? 30_000, backoff: options.backoff }, (port) =>
    spawnManaged(
      'ferretdb',
      options.binary,
      [
        ...storage,
        `--state-dir=${dataDir}`,
        `--listen-addr=127.0.0.1:${port}`,
        options.debugPort === undefined ? '--debug-addr=-' : `--debug-addr=127.0.0.1:${String(options.debugPort)}`,
        '--telemetry=disable',
        '--log-level=warn',
      ],
      options.logFile,
      // Go collects garbage when the heap doubles by default; FerretDB allocates a document tree per row read,
      // so the collector ran often. At 400 an `_id` operation costs 25-30% less CPU (measured with 100,000
      // tickets, docs/store.md), and FerretDB stayed under 100 MB resident through the whole bench.
      { ...process.env, GOGC: process.env.GOGC ?? '400' },
    ),
  );
  return Object.assign(supervised, { uri: `mongodb://127.0.0.1:${supervised.port}/` });
}
