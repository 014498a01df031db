import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { access, chmod, copyFile, cp, mkdir, readdir, readFile, rename, rm, writeFile, mkdtemp } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
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

async function present(path: string): Promise<boolean> {
  try {
    await access(path, constants.F_OK);
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
 *
 * The rest hook in the pushdown patch, whose code is in the Go files of FERRETDB_SOURCE_FILES_DIR: the backend's
 * query parameters get the sort and limit the handler will apply (`ExactSort`, `ExactLimit`); the handler's find,
 * aggregate and explain set them; the SQLite backend's released Query and Explain are renamed so that ours replace
 * them; and indexes named `q_` are created on typed expressions. Why and what is pushed: docs/store.md.
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
  // The pushdown patch (internal/backends/sqlite/contactcenter_query.go, internal/handler/contactcenter_pushdown.go).
  {
    file: 'internal/backends/collection.go',
    from: 'type QueryParams struct {\n\tFilter *types.Document\n\tSort   *types.Document\n\tLimit  int64\n',
    to:
      'type QueryParams struct {\n\tFilter *types.Document\n\tSort   *types.Document\n\tLimit  int64\n\n' +
      '\t// The contact center\'s pushdown patch: the validated sort (not $natural) and the most documents\n' +
      '\t// (limit + skip) the handler keeps; a backend may apply them, or not (internal/handler/contactcenter_pushdown.go).\n' +
      '\tExactSort  *types.Document\n\tExactLimit int64\n',
  },
  {
    file: 'internal/backends/collection.go',
    from: 'type ExplainParams struct {\n\tFilter *types.Document\n\tSort   *types.Document\n\tLimit  int64\n',
    to:
      'type ExplainParams struct {\n\tFilter *types.Document\n\tSort   *types.Document\n\tLimit  int64\n\n' +
      '\t// As in QueryParams (the contact center\'s pushdown patch).\n\tExactSort  *types.Document\n\tExactLimit int64\n',
  },
  {
    file: 'internal/backends/sqlite/collection.go',
    from: 'func (c *collection) Query(ctx context.Context, params *backends.QueryParams) (*backends.QueryResult, error) {\n',
    to:
      '// queryAsReleased is FerretDB\'s Query, unused: the contact center\'s is in contactcenter_query.go.\n' +
      'func (c *collection) queryAsReleased(ctx context.Context, params *backends.QueryParams) (*backends.QueryResult, error) {\n',
  },
  {
    file: 'internal/backends/sqlite/collection.go',
    from: 'func (c *collection) Explain(ctx context.Context, params *backends.ExplainParams) (*backends.ExplainResult, error) {\n',
    to:
      '// explainAsReleased is FerretDB\'s Explain, unused: the contact center\'s is in contactcenter_query.go.\n' +
      'func (c *collection) explainAsReleased(ctx context.Context, params *backends.ExplainParams) (*backends.ExplainResult, error) {\n',
  },
  {
    file: 'internal/backends/sqlite/metadata/registry.go',
    from: '\t\t\tcolumns[i] = fmt.Sprintf("%s->%s", DefaultColumn, strings.Join(fields, "->"))\n',
    to:
      '\t\t\tcolumns[i] = fmt.Sprintf("%s->%s", DefaultColumn, strings.Join(fields, "->"))\n' +
      '\t\t\tif ContactCenterTypedIndex(index) { // the contact center\'s pushdown patch: contactcenter_indexes.go\n' +
      '\t\t\t\tcolumns[i] = ContactCenterTypedExpr(key.Field)\n\t\t\t}\n',
  },
  {
    file: 'internal/handler/msg_find.go',
    from: 'func (h *Handler) makeFindQueryParams(',
    to:
      '// makeFindQueryParamsAsReleased is FerretDB\'s makeFindQueryParams; the contact center\'s, in\n' +
      '// contactcenter_pushdown.go, calls it and adds ExactSort and ExactLimit.\n' +
      'func (h *Handler) makeFindQueryParamsAsReleased(',
  },
  {
    file: 'internal/handler/msg_aggregate.go',
    from: '\t\titer, err = processStagesDocuments(ctx, closer, &stagesDocumentsParams{c, qp, stagesDocuments})\n',
    to:
      '\t\th.contactCenterAggregatePushdown(qp, filter, sort, aggregationStages) // contactcenter_pushdown.go\n\n' +
      '\t\titer, err = processStagesDocuments(ctx, closer, &stagesDocumentsParams{c, qp, stagesDocuments})\n',
  },
  {
    file: 'internal/handler/msg_explain.go',
    from: '\tres, err := coll.Explain(connCtx, qp)\n',
    to: '\tres, err := h.contactCenterExplain(connCtx, coll, qp, params) // contactcenter_pushdown.go\n',
  },
];

/**
 * Go files the build adds to FerretDB's source: `<this folder>/<path inside the FerretDB module>.go`, each a new file
 * (the build stops if FerretDB already has one by that name, or not the package's folder). Their paths and contents
 * are part of the cache key. The folder's own go.mod only keeps them out of the pin module; it is not copied.
 */
export const FERRETDB_SOURCE_FILES_DIR = join(FERRETDB_PIN_DIR, 'src');

/** The added Go files, as paths inside the FerretDB module, sorted. */
async function addedSourceFiles(): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(FERRETDB_SOURCE_FILES_DIR, { recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return entries
    .filter((entry) => entry.endsWith('.go'))
    .map((entry) => entry.split(sep).join('/'))
    .sort();
}

/** Applies the source patches to a writable copy of FerretDB's module, then adds our Go files. */
export async function patchFerretDbSource(src: string): Promise<void> {
  for (const patch of FERRETDB_SOURCE_PATCHES) {
    const path = join(src, patch.file);
    const text = await readFile(path, 'utf8');
    if (text.split(patch.from).length !== 2) {
      throw new EmbeddedServiceError('ferretdb', `source patch no longer applies to ${patch.file}: expected \`${patch.from}\` exactly once`);
    }
    await writeFile(path, text.replace(patch.from, () => patch.to));
  }
  for (const file of await addedSourceFiles()) {
    const target = join(src, file);
    if (await present(target)) {
      throw new EmbeddedServiceError('ferretdb', `source file ${file} is added by the build but FerretDB already has it`);
    }
    if (!(await present(dirname(target)))) {
      throw new EmbeddedServiceError('ferretdb', `source file ${file} is added to a package FerretDB does not have`);
    }
    await copyFile(join(FERRETDB_SOURCE_FILES_DIR, file), target);
  }
}

/** The cache key: the pin (go.mod + go.sum), the source patches and the added files (paths and contents). */
async function ferretDbBuildKey(): Promise<string> {
  const hash = createHash('sha256');
  hash.update(await readFile(join(FERRETDB_PIN_DIR, 'go.mod'), 'utf8'));
  hash.update(await readFile(join(FERRETDB_PIN_DIR, 'go.sum'), 'utf8'));
  hash.update(JSON.stringify(FERRETDB_SOURCE_PATCHES));
  for (const file of await addedSourceFiles()) {
    hash.update(`\0${file}\0`);
    hash.update(await readFile(join(FERRETDB_SOURCE_FILES_DIR, file)));
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * Returns the path of the pinned FerretDB binary, building it on first use. The cache key is the hash of
 * go.mod + go.sum, the source patches and the added Go files, so the binary is rebuilt exactly when one changes.
 *
 * FerretDB's release builds read their version from a generated `build/version/version.txt` that the module
 * zip does not contain, and refuse to start without it. So the module is downloaded (checked against our
 * go.sum), copied out of the read-only module cache, patched, given that file, and built with its own go.sum.
 */
export async function ensureFerretDbBinary(cacheRoot: string, log: Logger): Promise<string> {
  const key = await ferretDbBuildKey();
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
    await patchFerretDbSource(src);
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
