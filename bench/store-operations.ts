import { relative } from 'node:path';
import type { Connection } from 'mongoose';
import { explainFind, readOf } from '../src/store/query-plan.js';

/*
 * Which store operations a phase caused, by shape, and which of them read a whole collection: such an operation costs
 * more the longer the office's history is, and the hot paths must have none. Recorded from mongoose's
 * `operation-start` event, which every collection call of the system's connection emits with its arguments. An exact
 * `{_id: value}` is an index lookup on every store; for any other filter the store itself is asked (its `explain`,
 * src/store/query-plan.ts: on the embedded FerretDB what its pushdown patch hands SQLite and SQLite's plan) once per
 * shape, with one of the shape's own operations. Counts, distincts and aggregations count as scans.
 */

/** Collection methods that take a filter as their first argument. */
const FILTERED = new Set(['find', 'findOne', 'findOneAndUpdate', 'findOneAndReplace', 'findOneAndDelete', 'updateOne', 'updateMany', 'replaceOne', 'deleteOne', 'deleteMany']);
/** Collection methods that read the whole collection on FerretDB v1 whatever their arguments. */
const WHOLE = new Set(['aggregate', 'countDocuments', 'estimatedDocumentCount', 'count', 'distinct', 'watch']);
/** Collection methods that answer a cursor at once: how long they take is not known when they end. */
const CURSORS = new Set(['find', 'aggregate', 'watch']);
/** Bulk write operations that carry a filter. */
const BULK_FILTERED = ['updateOne', 'updateMany', 'replaceOne', 'deleteOne', 'deleteMany'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `{ $in: [...] }`, `{ $gt: 1 }`: a query operator rather than a value (an ObjectId, a string, a date). */
function isOperatorObject(value: unknown): boolean {
  return isRecord(value) && Object.keys(value).some((key) => key.startsWith('$'));
}

/** The filter's fields, with the operators used on them: `_id`, `_id:$in`, `status,unitCode`. */
function filterKeys(filter: unknown): string {
  if (!isRecord(filter)) return '';
  return Object.entries(filter)
    .map(([key, value]) => (isRecord(value) && isOperatorObject(value) ? `${key}:${Object.keys(value).join('|')}` : key))
    .sort()
    .join(',');
}

/** Whether FerretDB v1 hands this filter to its backend as an `_id` lookup (the only one it does not scan for). */
function isExactId(filter: unknown): boolean {
  return isRecord(filter) && Object.keys(filter).length === 1 && '_id' in filter && !isOperatorObject(filter._id);
}

/** One operation described for a tally: `tickets.findOne {_id}`, and whether it reads the whole collection. */
export function operationShape(collection: string, method: string, params: readonly unknown[]): { shape: string; scan: boolean } {
  if (FILTERED.has(method)) {
    const filter = params[0];
    return { shape: `${collection}.${method} {${filterKeys(filter)}}`, scan: !isExactId(filter) };
  }
  if (WHOLE.has(method)) {
    const filter = method === 'distinct' ? params[1] : method === 'aggregate' ? undefined : params[0];
    return { shape: `${collection}.${method}${filter === undefined ? '' : ` {${filterKeys(filter)}}`}`, scan: true };
  }
  if (method === 'bulkWrite' && Array.isArray(params[0])) {
    const ops: unknown[] = params[0];
    const filters = ops.flatMap((op) => (isRecord(op) ? BULK_FILTERED.map((kind) => op[kind]).filter(isRecord).map((inner) => inner.filter) : []));
    const kinds = [...new Set(ops.flatMap((op) => (isRecord(op) ? Object.keys(op) : [])))].sort().join('|');
    return { shape: `${collection}.bulkWrite [${kinds}]`, scan: filters.some((f) => !isExactId(f)) };
  }
  return { shape: `${collection}.${method}`, scan: false };
}

/**
 * Where an operation came from: the first frames of `stack` in this repository's own code (the harness's excepted),
 * innermost first, as `src/store/ticket.repository.ts:88 ← src/services/x.service.ts:12`.
 */
export function siteOf(stack: string, root: string, frames = 4): string {
  const sites: string[] = [];
  for (const line of stack.split('\n')) {
    const match = /\(?(?:file:\/\/)?(\/[^():]+):(\d+):\d+\)?\s*$/.exec(line.trim());
    const file = match?.[1];
    if (file === undefined || !file.startsWith(`${root}/`) || file.includes('/node_modules/')) continue;
    const path = relative(root, file);
    if (path.startsWith('bench/')) continue;
    sites.push(`${path}:${match?.[2] ?? '?'}`);
    if (sites.length === frames) break;
  }
  return sites.length > 0 ? sites.join(' ← ') : 'outside this repository';
}

/** How often one shape of operation ran, and how long its callers waited for it (ms, pool wait included). */
export interface ShapeCount {
  count: number;
  /** Null for methods that answer a cursor (`find`, `aggregate`), whose reading happens later. */
  meanMs: number | null;
  maxMs: number | null;
}

/** The store operations of one stretch of a phase. */
export interface StoreOperations {
  total: number;
  /** Operations by shape (collection, method, filter fields), most frequent first; at most 20 shapes. */
  byShape: Record<string, ShapeCount>;
  /** Operations that read a whole collection on FerretDB v1, by shape and by where in the code they came from. */
  scans: { shape: string; site: string; count: number }[];
}

/** What the harness listens to: the system's mongoose connection. */
export interface OperationSource {
  on(event: 'operation-start' | 'operation-end', listener: (operation: unknown) => void): unknown;
  off(event: 'operation-start' | 'operation-end', listener: (operation: unknown) => void): unknown;
  /** The connection the store is asked how it answers a filter on (absent: every filter but `{_id}` counts as a scan). */
  readonly db?: Connection['db'] | undefined;
}

const round = (ms: number): number => Math.round(ms * 100) / 100;

/**
 * Counts and times the operations `source` starts until `stop()`; only a scan pays for a stack trace. An operation's
 * start and end events carry the same id object, which pairs them.
 */
export function watchStoreOperations(source: OperationSource, root: string, now: () => number = () => performance.now()): { stop: () => Promise<StoreOperations> } {
  const shapes = new Map<string, { count: number; timed: number; totalMs: number; maxMs: number }>();
  const running = new Map<unknown, { shape: string; at: number }>();
  const scans = new Map<string, { shape: string; site: string; count: number }>();
  // One operation of each shape that may scan, to ask the store about when the watch stops.
  const samples = new Map<string, { collection: string; method: string; params: readonly unknown[] }>();
  let total = 0;
  const started = (operation: unknown): void => {
    if (!isRecord(operation)) return;
    const { collectionName, method, params } = operation;
    if (typeof collectionName !== 'string' || typeof method !== 'string') return;
    const { shape, scan } = operationShape(collectionName, method, Array.isArray(params) ? params : []);
    total++;
    const counts = shapes.get(shape) ?? { count: 0, timed: 0, totalMs: 0, maxMs: 0 };
    counts.count++;
    shapes.set(shape, counts);
    if (!CURSORS.has(method)) running.set(operation._id, { shape, at: now() });
    if (!scan) return;
    if (!samples.has(shape)) samples.set(shape, { collection: collectionName, method, params: Array.isArray(params) ? params : [] });
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 60;
    const stack = new Error('store operation').stack ?? '';
    Error.stackTraceLimit = limit;
    const site = siteOf(stack, root);
    const key = `${shape} @ ${site}`;
    const entry = scans.get(key) ?? { shape, site, count: 0 };
    entry.count++;
    scans.set(key, entry);
  };
  const ended = (operation: unknown): void => {
    const run = isRecord(operation) ? running.get(operation._id) : undefined;
    if (!isRecord(operation) || run === undefined) return;
    running.delete(operation._id);
    const counts = shapes.get(run.shape);
    if (counts === undefined) return;
    const ms = now() - run.at;
    counts.timed++;
    counts.totalMs += ms;
    counts.maxMs = Math.max(counts.maxMs, ms);
  };
  source.on('operation-start', started);
  source.on('operation-end', ended);
  return {
    async stop() {
      source.off('operation-start', started);
      source.off('operation-end', ended);
      const indexed = new Set<string>();
      for (const [shape, sample] of samples) {
        const read = readOf(sample.collection, sample.method, sample.params);
        if (read && source.db && (await explainFind({ db: source.db }, read)).indexed) indexed.add(shape);
      }
      const byShape = Object.fromEntries(
        [...shapes.entries()]
          .sort((a, b) => b[1].count - a[1].count)
          .slice(0, 20)
          .map(([shape, c]): [string, ShapeCount] => [shape, { count: c.count, meanMs: c.timed === 0 ? null : round(c.totalMs / c.timed), maxMs: c.timed === 0 ? null : round(c.maxMs) }]),
      );
      return { total, byShape, scans: [...scans.values()].filter((x) => !indexed.has(x.shape)).sort((a, b) => b.count - a.count) };
    },
  };
}
