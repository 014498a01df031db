import type { Connection } from 'mongoose';

/*
 * Whether the store answers a read from an index, as the store itself says (its `explain`): the embedded FerretDB
 * reports what its pushdown patch handed SQLite and SQLite's plan (docs/store.md); a MongoDB its winning plan. The
 * tests and the bench ask it of every read staff make, so "it does not read the whole collection" is checked, not
 * assumed.
 */

/** A read as the driver sends it. */
export interface FindQuery {
  collection: string;
  filter: Record<string, unknown>;
  sort?: Record<string, 1 | -1> | undefined;
  limit?: number | undefined;
}

export interface QueryPlan {
  /** Read from an index, a bounded range of it: no whole-collection read, no sort of everything that matched. */
  indexed: boolean;
  /** What the store said, for a message. */
  detail: string;
}

interface FerretDbExplain {
  filterPushdown?: boolean;
  sortPushdown?: boolean;
  limitPushdown?: boolean;
  queryPlanner?: { Plan?: string[] };
}

interface MongoPlanStage {
  stage?: string;
  inputStage?: MongoPlanStage;
  inputStages?: MongoPlanStage[];
}

function stagesOf(stage: MongoPlanStage | undefined): string[] {
  if (!stage) return [];
  return [stage.stage ?? '?', ...stagesOf(stage.inputStage), ...(stage.inputStages ?? []).flatMap(stagesOf)];
}

/** Asks the store how it would answer `query`. */
export async function explainFind(connection: Pick<Connection, 'db'>, query: FindQuery): Promise<QueryPlan> {
  const db = connection.db;
  if (!db) throw new Error('the store is not connected');
  const find = { find: query.collection, filter: query.filter, ...(query.sort ? { sort: query.sort } : {}), ...(query.limit !== undefined ? { limit: query.limit } : {}) };
  const answer = (await db.command({ explain: find, verbosity: 'queryPlanner' })) as FerretDbExplain & { queryPlanner?: { winningPlan?: MongoPlanStage } };
  if (answer.filterPushdown !== undefined) {
    // FerretDB with the pushdown patch: the whole filter (and the sort and limit, when asked) went to SQLite, whose plan
    // searches an index (or walks one in order under the limit) and sorts nothing itself.
    const lines = (answer.queryPlanner?.Plan ?? []).map((line) => line.replace(/^.*detail=/, ''));
    const sorted = query.sort === undefined || answer.sortPushdown === true;
    const limited = query.limit === undefined || query.sort === undefined || answer.limitPushdown === true;
    // The part of a filter the patch does not translate is checked in memory on what the index found: bounded too.
    const searched = lines.some((line) => /^SEARCH \S+ USING /.test(line));
    // No filter at all: a walk of an index in order, stopped by the limit.
    const walked = Object.keys(query.filter).length === 0 && answer.limitPushdown === true;
    const indexed =
      (answer.filterPushdown || searched || walked) &&
      sorted &&
      limited &&
      lines.length > 0 &&
      lines.every((line) => !/^SCAN \S+$/.test(line) && !line.includes('TEMP B-TREE')) &&
      lines.some((line) => line.includes(' USING '));
    return { indexed, detail: `filter ${String(answer.filterPushdown)}, sort ${String(answer.sortPushdown)}, limit ${String(answer.limitPushdown)}: ${lines.join(' | ')}` };
  }
  const stages = stagesOf(answer.queryPlanner?.winningPlan);
  return { indexed: stages.length > 0 && !stages.includes('COLLSCAN') && !stages.includes('SORT'), detail: stages.join(' < ') };
}

/** Collection methods whose first argument is a filter, and whether they stop at the first document. */
const FILTERED: Readonly<Record<string, { one: boolean }>> = {
  find: { one: false },
  findOne: { one: true },
  findOneAndUpdate: { one: true },
  findOneAndReplace: { one: true },
  findOneAndDelete: { one: true },
  updateOne: { one: true },
  replaceOne: { one: true },
  deleteOne: { one: true },
  updateMany: { one: false },
  deleteMany: { one: false },
};

/**
 * The read a collection call makes to find its documents (a find, or the filter of an update or delete), or undefined
 * for a call without one (an insert) or one the store answers otherwise (a count, an aggregation).
 */
export function readOf(collection: string, method: string, params: readonly unknown[]): FindQuery | undefined {
  const kind = FILTERED[method];
  const [filter, options] = params;
  if (kind === undefined || typeof filter !== 'object' || filter === null || Array.isArray(filter)) return undefined;
  const opts = (method === 'find' || method === 'findOne') && typeof options === 'object' && options !== null ? (options as { sort?: Record<string, 1 | -1>; limit?: number }) : {};
  return { collection, filter: filter as Record<string, unknown>, sort: opts.sort, limit: kind.one ? 1 : opts.limit };
}

/**
 * The read a mongoose debug line describes (`find` and `findOne`), or undefined for any other operation. Set a
 * connection's `debug` to a function to see them.
 */
export function findQueryOf(collection: string, method: string, args: readonly unknown[]): FindQuery | undefined {
  return method === 'find' || method === 'findOne' ? readOf(collection, method, args) : undefined;
}
