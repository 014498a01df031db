/**
 * FerretDB v1.24.2 on SQLite vs on PostgreSQL, for what the hot path asks of the store: single-document inserts,
 * lookups by `_id`, and updates/replacements by exact `_id`, on a collection already holding `--docs` tickets of
 * about 1.5 KB. A filtered find and two counts, which stay off the hot path, are measured for the record.
 *
 *   node --import tsx bench/store-backends.ts [--docs 100000] [--concurrency 32] [--seconds 20] [--ops 4000]
 *     [--pool 10] [--rounds 2] [--only sqlite|postgresql] [--ferretdb <binary>]
 *
 * Each backend is started here on free loopback ports in a temporary directory and removed afterwards. Every
 * measured step stops taking new operations after `--ops` of them or `--seconds`, whichever comes first.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { CACHE_DIR } from '../src/embedded/index.js';
import { ensureFerretDbBinary, startFerretDb, type FerretDbOptions } from '../src/embedded/ferretdb.js';
import { startPostgres } from '../src/embedded/postgresql.js';
import { createLogger } from '../src/logging.js';
import { connectStore, type Store } from '../src/store/connection.js';

const { values: args } = parseArgs({
  options: {
    docs: { type: 'string', default: '100000' },
    concurrency: { type: 'string', default: '32' },
    seconds: { type: 'string', default: '20' },
    ops: { type: 'string', default: '4000' },
    pool: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '2' },
    only: { type: 'string' },
    /** Another FerretDB build to measure, e.g. the unpatched one. */
    ferretdb: { type: 'string' },
  },
});
const DOCS = Number(args.docs);
const CONCURRENCY = Number(args.concurrency);
const STEP_MS = Number(args.seconds) * 1000;
const MAX_OPS = Number(args.ops);
const POOL = Number(args.pool);
const ROUNDS = Number(args.rounds);
const log = createLogger(process.env.LOG_LEVEL ?? 'warn', { bench: 'store-backends' });

const STATUSES = ['en_cola', 'asignado', 'en_atencion', 'derivado', 'resuelto', 'cerrado'] as const;
/** Share of each status in the preload: few open tickets, most history, as in a running office. */
const STATUS_WEIGHTS = [0.02, 0.02, 0.03, 0.03, 0.1, 0.8];
const BODY =
  'Buenos días, vecino del jirón Huiracocha. Desde hace dos semanas el alumbrado público de la cuadra 12 no ' +
  'funciona y en las noches la zona queda completamente a oscuras; ya se reportó por teléfono sin respuesta. ' +
  'Solicito que se envíe personal de mantenimiento y que me informen el número de expediente para hacer el ' +
  'seguimiento. También pido que se revise el poste frente al parque, que tiene cables expuestos y es un ' +
  'peligro para los niños que juegan por la tarde. Agradezco de antemano la atención prestada. ';

interface TicketDoc {
  trackingCode: string;
  channel: string;
  status: string;
  priority: number;
  unitId: string;
  queue: string;
  subject: string;
  body: string;
  citizen: { dni: string; name: string; email: string; phone: string };
  tags: string[];
  sla: { policy: string; dueAt: Date; pausedMs: number };
  assignee: string | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

function statusFor(i: number): string {
  let x = (i * 7919) % 1000 / 1000;
  for (const [k, weight] of STATUS_WEIGHTS.entries()) {
    if (x < weight) return STATUSES[k] ?? 'cerrado';
    x -= weight;
  }
  return 'cerrado';
}

function ticket(i: number, status = statusFor(i)): TicketDoc {
  const now = new Date(Date.UTC(2026, 0, 1) + i * 60_000);
  return {
    trackingCode: `PL-2026-${String(i).padStart(6, '0')}`,
    channel: ['phone', 'email', 'kiosk'][i % 3] ?? 'phone',
    status,
    priority: i % 4,
    unitId: `unit-${i % 12}`,
    queue: `queue-${i % 5}`,
    subject: `Alumbrado público apagado en la cuadra ${i % 40}`,
    body: BODY + BODY.slice(0, 150),
    citizen: { dni: String(10_000_000 + i), name: 'María Fernanda Quispe Huamán', email: `vecino${i}@example.pe`, phone: `+5199${String(i).padStart(7, '0')}` },
    tags: ['alumbrado', 'mantenimiento'],
    sla: { policy: 'reclamo-30', dueAt: new Date(now.getTime() + 30 * 86_400_000), pausedMs: 0 },
    assignee: null,
    version: 0,
    createdAt: now,
    updatedAt: now,
  };
}

interface Result {
  step: string;
  ops: number;
  /** Operations the server refused (e.g. SQLite's `database is locked` after its busy timeout). */
  errors: number;
  seconds: number;
  p50: number;
  p99: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Runs `op` with `concurrency` in flight until `maxOps` ran or `STEP_MS` passed (ten times that if `untimed`). */
async function measure(step: string, concurrency: number, maxOps: number, op: (i: number) => Promise<unknown>, untimed = false): Promise<Result> {
  const latencies: number[] = [];
  const failures: string[] = [];
  let next = 0;
  const started = performance.now();
  const deadline = started + (untimed ? 10 * STEP_MS : STEP_MS);
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < maxOps && performance.now() < deadline) {
        const i = next++;
        const t0 = performance.now();
        try {
          await op(i);
          latencies.push(performance.now() - t0);
        } catch (err) {
          failures.push(err instanceof Error ? err.message : String(err));
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  if (failures[0] !== undefined) process.stderr.write(`${step}: ${failures.length} failed, first: ${failures[0]}\n`);
  return { step, ops: latencies.length, errors: failures.length, seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/** A raw collection of its own (no model indexes). */
function benchTickets(store: Store) {
  return store.connection.collection<TicketDoc>('bench_tickets');
}

/** One backend, started and preloaded, ready for measured steps. */
interface Backend {
  readonly name: 'sqlite' | 'postgresql';
  readonly preloadSeconds: number;
  readonly tickets: ReturnType<typeof benchTickets>;
  /** The preloaded ids, in a fixed pseudo-random order, so both backends get the same sequence. */
  idAt(i: number): { _id: never };
  explain(filter: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

/** FerretDB's `explain`: whether the filter reached SQL, and the plan the SQL engine chose. */
function planSummary(explained: Record<string, unknown>): string {
  const text = JSON.stringify(explained.queryPlanner ?? explained);
  const nodes = [...text.matchAll(/"(?:Node Type|detail)":"([^"]+)"/g)].map((m) => m[1]).join(' > ');
  return `filterPushdown=${String(explained.filterPushdown)} plan: ${nodes || text.slice(0, 300)}`;
}

async function openBackend(name: Backend['name'], binary: string): Promise<Backend> {
  const dir = await mkdtemp(join(tmpdir(), `mcc-bench-${name}-`));
  // PostgreSQL runs as its own user when we are root, and must reach its data dir.
  await chmod(dir, 0o755);
  const stops: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    let storage: FerretDbOptions['backend'] = { handler: 'sqlite', query: '?_pragma=synchronous(normal)' };
    if (name === 'postgresql') {
      const pg = await startPostgres({ dataDir: join(dir, 'pg'), logFile: join(dir, 'postgresql.log'), log });
      stops.push(() => pg.stop());
      storage = { handler: 'postgresql', url: pg.url };
    }
    const ferretdb = await startFerretDb({ binary, dataDir: join(dir, 'ferretdb'), logFile: join(dir, 'ferretdb.log'), log, backend: storage });
    stops.push(() => ferretdb.stop());
    // The bench never takes a document lock.
    const store = await connectStore({ uri: ferretdb.uri, dbName: 'bench', log, maxPoolSize: POOL, locks: { withLock: (_key, work) => work() } });
    stops.push(() => store.close());
    const tickets = benchTickets(store);

    const ids: unknown[] = [];
    const t0 = performance.now();
    for (let from = 0; from < DOCS; from += 1000) {
      const batch = Array.from({ length: Math.min(1000, DOCS - from) }, (_, k) => ticket(from + k));
      const inserted = await tickets.insertMany(batch, { ordered: true });
      for (let k = 0; k < batch.length; k++) ids.push(inserted.insertedIds[k]);
    }
    const preloadSeconds = (performance.now() - t0) / 1000;
    process.stderr.write(`${name}: preloaded ${DOCS} tickets in ${preloadSeconds.toFixed(1)} s\n`);
    return {
      name,
      preloadSeconds,
      tickets,
      idAt: (i) => ({ _id: ids[(i * 2_654_435_761) % ids.length] as never }),
      async explain(filter) {
        const explained = await store.connection.db?.command({ explain: { find: 'bench_tickets', filter } });
        return explained === undefined ? 'no database handle' : planSummary(explained);
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

interface Step {
  name: string;
  concurrency: number;
  maxOps: number;
  /** Inserts run to their count on every backend, so later steps see collections of the same size. */
  untimed?: boolean;
  op: (backend: Backend, i: number) => Promise<unknown>;
}

const STEPS: Step[] = [
  { name: `insertOne (c=${CONCURRENCY})`, concurrency: CONCURRENCY, maxOps: MAX_OPS / 2, untimed: true, op: (b, i) => b.tickets.insertOne(ticket(DOCS + i, 'en_cola')) },
  { name: `findOne {_id} (c=${CONCURRENCY})`, concurrency: CONCURRENCY, maxOps: MAX_OPS, op: (b, i) => b.tickets.findOne(b.idAt(i)) },
  {
    name: `updateOne {_id} $set (c=${CONCURRENCY})`,
    concurrency: CONCURRENCY,
    maxOps: MAX_OPS,
    op: (b, i) => b.tickets.updateOne(b.idAt(i), { $set: { assignee: `agent-${i % 50}`, updatedAt: new Date() }, $inc: { version: 1 } }),
  },
  { name: `replaceOne {_id} (c=${CONCURRENCY})`, concurrency: CONCURRENCY, maxOps: MAX_OPS, op: (b, i) => b.tickets.replaceOne(b.idAt(i + 1), { ...ticket(i), version: 2 }) },
  { name: 'findOne {_id} (c=1)', concurrency: 1, maxOps: MAX_OPS / 4, op: (b, i) => b.tickets.findOne(b.idAt(i + 7)) },
  { name: "find {status:'en_cola'} (c=1)", concurrency: 1, maxOps: 5, op: (b) => b.tickets.find({ status: 'en_cola' }).toArray() },
  { name: 'countDocuments {} (c=1)', concurrency: 1, maxOps: 5, op: (b) => b.tickets.countDocuments({}) },
  { name: "countDocuments {status:'en_cola'} (c=1)", concurrency: 1, maxOps: 5, op: (b) => b.tickets.countDocuments({ status: 'en_cola' }) },
];

interface Row {
  backend: string;
  preloadSeconds: number;
  results: Result[];
}

function table(rows: readonly Row[]): string {
  const header = ['operation', ...rows.flatMap((r) => [`${r.backend} ops/s`, 'p50 ms', 'p99 ms', 'failed'])];
  const rate = (ops: number, seconds: number): string => (ops / seconds).toFixed(ops / seconds < 10 ? 2 : 0);
  const lines = [
    ['preload (insertMany of 1000)', ...rows.flatMap((r) => [rate(DOCS, r.preloadSeconds), '', '', ''])],
    ...STEPS.map((step) => [
      step.name,
      ...rows.flatMap((row) => {
        const r = row.results.find((x) => x.step === step.name);
        return r ? [rate(r.ops, r.seconds), r.p50.toFixed(1), r.p99.toFixed(1), String(r.errors)] : ['-', '-', '-', '-'];
      }),
    ]),
  ];
  return [header, header.map(() => '---'), ...lines].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

const binary = args.ferretdb ?? (await ensureFerretDbBinary(CACHE_DIR, log));
const names = (['sqlite', 'postgresql'] as const).filter((name) => args.only === undefined || args.only === name);
const backends: Backend[] = [];
try {
  for (const name of names) backends.push(await openBackend(name, binary));
  // Steps alternate between the backends, and each round swaps who goes first, so both see the same load;
  // each backend keeps its best round (other work on the machine only ever slows a round down).
  const best = new Map<string, Result>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const step of STEPS) {
      if (step.untimed === true && round > 0) continue;
      const order = round % 2 === 0 ? backends : [...backends].reverse();
      for (const backend of order) {
        const result = await measure(step.name, step.concurrency, step.maxOps, (i) => step.op(backend, i + round * step.maxOps), step.untimed);
        process.stderr.write(`round ${round + 1} ${backend.name}: ${step.name}: ${result.ops} ops in ${result.seconds.toFixed(1)} s\n`);
        const key = `${backend.name} ${step.name}`;
        const previous = best.get(key);
        if (previous === undefined || result.ops / result.seconds > previous.ops / previous.seconds) best.set(key, result);
      }
    }
  }
  const explained: string[] = [];
  for (const backend of backends) {
    explained.push(`${backend.name} find {_id}: ${await backend.explain(backend.idAt(3))}`);
    explained.push(`${backend.name} find {status:'en_cola'}: ${await backend.explain({ status: 'en_cola' })}`);
  }
  const rows = backends.map((b) => ({
    backend: b.name,
    preloadSeconds: b.preloadSeconds,
    results: STEPS.flatMap((step) => best.get(`${b.name} ${step.name}`) ?? []),
  }));
  process.stdout.write(
    `FerretDB v1.24.2 (${binary}), ${DOCS} tickets preloaded, pool ${POOL}, steps capped at ${MAX_OPS} ops or ${STEP_MS / 1000} s, best of ${ROUNDS} rounds\n\n`,
  );
  process.stdout.write(`${table(rows)}\n\n${explained.join('\n')}\n`);
} finally {
  for (const backend of backends) await backend.close();
}
