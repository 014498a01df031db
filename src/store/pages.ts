import type { Model } from 'mongoose';
import { storeCall } from './store-errors.js';

/*
 * Pages of a collection in time order, read from an index and continued by a cursor. A cursor is the time and id of a
 * page's last item, so the next page starts strictly after it: an item that arrives meanwhile (newer, at the top)
 * neither shifts the pages nor repeats an item, as an offset would. Several sources (a unit's own tickets and those
 * it referred, one query per unit) are read each from its index and merged; an item found by two is listed once.
 */

export type PageOrder = 'newest' | 'oldest';

/** Where a page ended: the time and id of its last item. */
export interface PageCursor {
  at: Date;
  id: string;
}

export interface Page<T> {
  items: T[];
  /** Where the next page starts; absent on the last page. */
  next?: PageCursor;
}

type Filter = Record<string, unknown>;

interface PageQuery {
  /** One filter per source; each must be answerable from an index on (its fields, `timeField`, `_id`). */
  sources: readonly Filter[];
  timeField: string;
  order: PageOrder;
  after?: PageCursor | undefined;
  limit: number;
}

function idOf(item: { _id: unknown }): string {
  return String(item._id);
}

/** A cursor as text, `<ms>_<id>`: what a client holds (encoded by the API) and what a maintenance run saves. */
export function cursorToText(cursor: PageCursor): string {
  return `${String(cursor.at.getTime())}_${cursor.id}`;
}

/** The cursor of a text `cursorToText` made; undefined when it is not one. */
export function cursorFromText(text: string | undefined): PageCursor | undefined {
  const match = text === undefined ? null : /^(\d{1,15})_(\S+)$/.exec(text);
  return match?.[1] === undefined || match[2] === undefined ? undefined : { at: new Date(Number(match[1])), id: match[2] };
}

/** -1 when `a` comes before `b` in the page's order (time, then id). */
export function compareInOrder(order: PageOrder, aAt: number, aId: string, bAt: number, bId: string): number {
  const sign = order === 'newest' ? -1 : 1;
  if (aAt !== bAt) return sign * (aAt < bAt ? -1 : 1);
  if (aId === bId) return 0;
  return sign * (aId < bId ? -1 : 1);
}

/** The filter of one source from the cursor on, keeping any range the source puts on the time field itself. */
function fromCursor(source: Filter, timeField: string, order: PageOrder, after: PageCursor | undefined): Filter {
  if (!after) return source;
  const range = source[timeField];
  const bound = order === 'newest' ? { $lte: after.at } : { $gte: after.at };
  const merged = typeof range === 'object' && range !== null && !(range instanceof Date) ? { ...(range as Record<string, unknown>), ...bound } : bound;
  return { ...source, [timeField]: merged };
}

/**
 * One page of `model` in time order. Each source is read with a limit from the cursor's instant on (inclusive, as an
 * index range answers it) and what the cursor has already passed at that very instant is dropped; a source that keeps
 * hitting its limit on such ties is read again with a larger one.
 */
export async function timePage<T extends { _id: unknown }>(model: Model<T>, what: string, query: PageQuery, projection?: Record<string, 0 | 1>): Promise<Page<T>> {
  const { timeField, order, after, limit } = query;
  const timeOf = (item: T): number => {
    const value = (item as Record<string, unknown>)[timeField];
    return value instanceof Date ? value.getTime() : Number.NaN;
  };
  const passed = (item: T): boolean => after !== undefined && compareInOrder(order, timeOf(item), idOf(item), after.at.getTime(), after.id) <= 0;
  const sort = { [timeField]: order === 'newest' ? -1 : 1, _id: order === 'newest' ? -1 : 1 } as const;

  const perSource = await Promise.all(
    query.sources.map(async (source) => {
      const filter = fromCursor(source, timeField, order, after);
      for (let fetch = limit + 1; ; fetch *= 2) {
        const rows = (await storeCall(what, () => model.find(filter, projection).sort(sort).limit(fetch).lean())) as T[];
        const kept = rows.filter((row) => !passed(row));
        if (kept.length > limit || rows.length < fetch) return kept;
      }
    }),
  );
  const seen = new Set<string>();
  const merged: T[] = [];
  for (const rows of perSource) {
    for (const row of rows) {
      if (seen.has(idOf(row))) continue;
      seen.add(idOf(row));
      merged.push(row);
    }
  }
  merged.sort((a, b) => compareInOrder(order, timeOf(a), idOf(a), timeOf(b), idOf(b)));
  const items = merged.slice(0, limit);
  const last = items.at(-1);
  return { items, ...(merged.length > limit && last ? { next: { at: new Date(timeOf(last)), id: idOf(last) } } : {}) };
}
