import { expect } from 'chai';
import mongoose, { Types, type Connection } from 'mongoose';
import { testServices, uniqueName } from '../support/services.js';

/*
 * The embedded store's pushdown patch (docs/store.md, "Indexes the embedded store answers from"): filters, sorts and
 * limits on the fields of `q_` indexes (and equality on `_id` and unique fields) are answered by SQLite from the
 * indexes. Every query here is checked against what MongoDB's rules give (computed below from the inserted documents)
 * and against the same query wrapped in `$and`, which the patch never translates (the released FerretDB path: whole
 * table read, filtered and sorted in Go). The data mixes what the SQL could get wrong: strings that JSON text orders
 * differently from bytes ("ab" < "ab c" < "ab!"), numbers of different lengths (9 < 10 < 100), ints, longs and doubles,
 * dates before 2001 and 1970 and after 2286, ObjectIds, booleans, nulls and missing fields, and an array field under
 * an index not named `q_`.
 */

type Filter = Record<string, unknown>;
type Sort = Record<string, 1 | -1>;

interface CaseDoc {
  _id: Types.ObjectId;
  unit?: string;
  name?: string | null;
  prio?: number | mongoose.mongo.Long;
  at?: Date | null;
  owner?: Types.ObjectId;
  open?: boolean;
  ref: string;
  tags: string[];
  note?: string;
  sub?: { x: number };
  version: number;
}

const OWNERS = [new Types.ObjectId('65a000000000000000000001'), new Types.ObjectId('65a000000000000000000002')] as const;
const NAMES: readonly (string | null | undefined)[] = ['ab', 'ab c', 'ab!', 'ab"q', 'ab\\', 'abc', 'Ab', 'a<b', 'ñandú', 'z', '', null, undefined, 'ab'];
const BASE = Date.UTC(2024, 2, 1, 9);

function caseDocs(): CaseDoc[] {
  const docs: CaseDoc[] = [];
  for (let i = 0; i < 90; i++) {
    const doc: CaseDoc = {
      // Ascending ids, so that ties on the other sort keys have a known order.
      _id: new Types.ObjectId(`65b${String(i).padStart(21, '0')}`),
      ref: i % 10 === 0 ? `R ${i}` : i % 10 === 5 ? `R<${i}` : `R-${i}`,
      tags: [['red'], ['blue', 'green'], []][i % 3] ?? [],
      version: 0,
    };
    if (i % 17 !== 0) doc.unit = ['A', 'B', 'C'][i % 3];
    const name = NAMES[i % NAMES.length];
    if (name !== undefined) doc.name = name;
    const prio = [9, 10, 100, -1, 2.5, 0, undefined, 10][i % 8];
    if (prio !== undefined) doc.prio = i === 15 ? mongoose.mongo.Long.fromNumber(10) : prio;
    // Six documents share each hour (two per unit): ties on `at` are broken by `_id`.
    doc.at = new Date(BASE + Math.floor(i / 6) * 3_600_000);
    if (i % 11 === 0) doc.at = new Date('1990-05-01T00:00:00Z');
    if (i % 13 === 0) doc.at = new Date('1965-01-01T00:00:00Z');
    if (i % 19 === 0) doc.at = new Date('2300-01-01T00:00:00Z');
    if (i % 23 === 0) delete doc.at;
    if (i === 29) doc.at = null;
    const owner = [OWNERS[0], OWNERS[1], undefined, OWNERS[0]][i % 4];
    if (owner) doc.owner = owner;
    if (i % 7 !== 0) doc.open = i % 5 !== 0;
    if (i % 2 === 1) doc.note = 'x';
    if (i % 9 === 0) doc.sub = { x: i % 2 };
    docs.push(doc);
  }
  return docs;
}

// ─── MongoDB's rules, for the values used here ─────────────────────────────────────────────────────────────────

/** BSON's order of types: null (and missing), numbers, strings, ObjectIds, booleans, dates. */
function typeRank(v: unknown): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number' || v instanceof mongoose.mongo.Long) return 1;
  if (typeof v === 'string') return 2;
  if (v instanceof Types.ObjectId) return 3;
  if (typeof v === 'boolean') return 4;
  if (v instanceof Date) return 5;
  throw new Error(`no rank for ${JSON.stringify(v)}`);
}

function scalar(v: unknown): unknown {
  return v instanceof mongoose.mongo.Long ? v.toNumber() : v;
}

function compareValues(a: unknown, b: unknown): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  const x = scalar(a);
  const y = scalar(b);
  if (typeof x === 'number' && typeof y === 'number') return x - y;
  if (typeof x === 'string' && typeof y === 'string') return Buffer.compare(Buffer.from(x), Buffer.from(y));
  if (x instanceof Types.ObjectId && y instanceof Types.ObjectId) return x.toHexString() < y.toHexString() ? -1 : x.equals(y) ? 0 : 1;
  if (typeof x === 'boolean' && typeof y === 'boolean') return Number(x) - Number(y);
  if (x instanceof Date && y instanceof Date) return x.getTime() - y.getTime();
  return 0;
}

/** Whether one (non-array) value satisfies a comparison: only values of the operand's type compare. */
function compares(value: unknown, op: string, operand: unknown): boolean {
  if (op === '$eq') {
    if (operand === null) return value === null || value === undefined;
    return typeRank(value) === typeRank(operand) && compareValues(value, operand) === 0;
  }
  if (value === undefined || value === null || typeRank(value) !== typeRank(operand)) return false;
  const c = compareValues(value, operand);
  return { $gt: c > 0, $gte: c >= 0, $lt: c < 0, $lte: c <= 0 }[op] ?? false;
}

function fieldMatches(value: unknown, condition: unknown): boolean {
  const operators =
    condition !== null && typeof condition === 'object' && !(condition instanceof Date) && !(condition instanceof Types.ObjectId) && !(condition instanceof RegExp)
      ? Object.entries(condition as Record<string, unknown>)
      : [['$eq', condition] as [string, unknown]];
  return operators.every(([op, operand]) => {
    const candidates = Array.isArray(value) ? value : [value];
    switch (op) {
      case '$in':
        return (operand as unknown[]).some((one) => fieldMatches(value, one));
      case '$ne':
        return !fieldMatches(value, operand);
      case '$exists':
        return (value !== undefined) === operand;
      default:
        if (operand instanceof RegExp) return candidates.some((one) => typeof one === 'string' && operand.test(one));
        return candidates.some((one) => compares(one, op, operand)) || (op === '$eq' && operand === null && candidates.length === 0 && value === undefined);
    }
  });
}

function valueAt(doc: CaseDoc, path: string): unknown {
  return path.split('.').reduce<unknown>((v, key) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), doc);
}

function matches(doc: CaseDoc, filter: Filter): boolean {
  return Object.entries(filter).every(([key, condition]) => {
    if (key === '$or') return (condition as Filter[]).some((one) => matches(doc, one));
    if (key === '$and') return (condition as Filter[]).every((one) => matches(doc, one));
    return fieldMatches(valueAt(doc, key), condition);
  });
}

function sorted(docs: CaseDoc[], sort: Sort): CaseDoc[] {
  return [...docs].sort((a, b) => {
    for (const [key, dir] of Object.entries(sort)) {
      const c = compareValues(valueAt(a, key), valueAt(b, key));
      if (c !== 0) return dir * c;
    }
    return 0;
  });
}

const ids = (docs: readonly { _id: Types.ObjectId }[]): string[] => docs.map((doc) => doc._id.toHexString());

// ─── the cases ───────────────────────────────────────────────────────────────────────────────────────────────────

/** A filter, and whether the patch answers all of it (`exact`), part of it from an index (`partial`) or none. */
interface FilterCase {
  filter: Filter;
  pushed: 'exact' | 'partial' | 'none';
}

const DAY_2000 = new Date('2000-01-01T00:00:00Z');
const FILTER_CASES: FilterCase[] = [
  { filter: { unit: 'A' }, pushed: 'exact' },
  { filter: { unit: { $in: ['A', 'C'] } }, pushed: 'exact' },
  { filter: { unit: 'nobody' }, pushed: 'exact' },
  { filter: { name: 'ab' }, pushed: 'exact' },
  { filter: { name: 'ab"q' }, pushed: 'exact' },
  { filter: { name: 'ñandú' }, pushed: 'exact' },
  { filter: { name: { $gt: 'ab' } }, pushed: 'exact' },
  { filter: { name: { $gte: 'ab', $lt: 'ac' } }, pushed: 'exact' },
  { filter: { name: { $lte: 'Ab' } }, pushed: 'exact' },
  { filter: { name: null }, pushed: 'exact' },
  { filter: { prio: 10 }, pushed: 'exact' },
  { filter: { prio: 2.5 }, pushed: 'exact' },
  { filter: { prio: { $gte: 9 } }, pushed: 'exact' },
  { filter: { prio: { $lt: 10 } }, pushed: 'exact' },
  { filter: { prio: { $gt: 0, $lte: 10 } }, pushed: 'exact' },
  { filter: { prio: { $in: [9, 100] } }, pushed: 'exact' },
  { filter: { at: { $lt: DAY_2000 } }, pushed: 'exact' },
  { filter: { at: { $gte: new Date(BASE + 3 * 3_600_000) } }, pushed: 'exact' },
  { filter: { at: { $gt: new Date('1960-01-01T00:00:00Z'), $lte: new Date('1995-01-01T00:00:00Z') } }, pushed: 'exact' },
  { filter: { owner: OWNERS[0] }, pushed: 'exact' },
  { filter: { owner: { $in: [OWNERS[1]] } }, pushed: 'exact' },
  { filter: { open: true }, pushed: 'exact' },
  { filter: { open: false }, pushed: 'exact' },
  { filter: { unit: 'A', open: true }, pushed: 'exact' },
  { filter: { unit: 'B', at: { $gte: new Date(BASE), $lt: new Date(BASE + 6 * 3_600_000) } }, pushed: 'exact' },
  { filter: { ref: 'R-7' }, pushed: 'exact' },
  { filter: { ref: 'R 10' }, pushed: 'exact' },
  { filter: { _id: new Types.ObjectId(`65b${'3'.padStart(21, '0')}`) }, pushed: 'exact' },
  { filter: { _id: { $in: [new Types.ObjectId(`65b${'4'.padStart(21, '0')}`), new Types.ObjectId(`65b${'8'.padStart(21, '0')}`)] } }, pushed: 'exact' },
  // An operand of another type than the field's matches nothing, in SQL as in MongoDB (or more in SQL, filtered after).
  { filter: { prio: '10' }, pushed: 'exact' },
  { filter: { at: BASE }, pushed: 'exact' },
  // A key the patch does not translate is left to the handler; the others still narrow the read.
  { filter: { unit: 'A', note: 'x' }, pushed: 'partial' },
  { filter: { unit: 'C', prio: { $ne: 10 } }, pushed: 'partial' },
  { filter: { unit: 'A', 'sub.x': 0 }, pushed: 'partial' },
  { filter: { _id: new Types.ObjectId(`65b${'9'.padStart(21, '0')}`), version: 0 }, pushed: 'partial' },
  { filter: { ref: 'R<5' }, pushed: 'none' },
  { filter: { $or: [{ unit: 'A' }, { prio: 10 }] }, pushed: 'none' },
  { filter: { name: /^ab/ }, pushed: 'none' },
  { filter: { name: { $in: ['ab', /^z/] } }, pushed: 'none' },
  { filter: { tags: 'red' }, pushed: 'none' },
  { filter: { tags: { $in: ['green'] } }, pushed: 'none' },
  { filter: { unit: { $exists: false } }, pushed: 'none' },
  { filter: { note: 'x' }, pushed: 'none' },
];

/** A sorted read, with its limit and skip, and whether the patch applies the sort and the limit in SQL. */
interface SortCase {
  filter: Filter;
  sort: Sort;
  limit: number;
  skip?: number;
  pushed: { sort: boolean; limit: boolean };
}

const SORT_CASES: SortCase[] = [
  { filter: { unit: 'A' }, sort: { at: -1, _id: -1 }, limit: 7, pushed: { sort: true, limit: true } },
  { filter: { unit: 'A' }, sort: { at: -1, _id: -1 }, limit: 7, skip: 7, pushed: { sort: true, limit: true } },
  { filter: { unit: 'B', at: { $lte: new Date(BASE + 5 * 3_600_000) } }, sort: { at: -1, _id: -1 }, limit: 4, pushed: { sort: true, limit: true } },
  { filter: { unit: 'C', open: true }, sort: { at: 1, _id: 1 }, limit: 3, pushed: { sort: true, limit: true } },
  { filter: { owner: OWNERS[0] }, sort: { at: -1, _id: -1 }, limit: 5, pushed: { sort: true, limit: true } },
  { filter: {}, sort: { name: 1, _id: 1 }, limit: 20, pushed: { sort: true, limit: true } },
  { filter: {}, sort: { name: -1, _id: 1 }, limit: 20, pushed: { sort: true, limit: true } },
  { filter: {}, sort: { prio: -1, _id: 1 }, limit: 12, pushed: { sort: true, limit: true } },
  { filter: {}, sort: { prio: 1, _id: 1 }, limit: 12, pushed: { sort: true, limit: true } },
  { filter: {}, sort: { at: 1, _id: 1 }, limit: 12, pushed: { sort: true, limit: true } },
  { filter: {}, sort: { at: -1, _id: -1 }, limit: 6, pushed: { sort: true, limit: true } },
  { filter: { name: { $gte: 'ab', $lt: 'ac' } }, sort: { name: 1, _id: 1 }, limit: 5, skip: 2, pushed: { sort: true, limit: true } },
  // Only what can be exact is pushed: a sort key without a `q_` index, or a filter key left to the handler, keeps the
  // limit in memory.
  { filter: { unit: 'A' }, sort: { note: 1, _id: 1 }, limit: 5, pushed: { sort: false, limit: false } },
  { filter: { unit: 'A', note: 'x' }, sort: { at: -1, _id: -1 }, limit: 3, pushed: { sort: true, limit: false } },
  { filter: { tags: 'red' }, sort: { at: -1, _id: -1 }, limit: 3, pushed: { sort: true, limit: false } },
  { filter: { unit: 'A', 'sub.x': 0 }, sort: { at: -1, _id: -1 }, limit: 1, pushed: { sort: true, limit: false } },
  // The numeric 'at' matches no date in MongoDB; in SQL it matches one, dropped in memory: the page is still empty.
  { filter: { at: BASE }, sort: { at: -1, _id: -1 }, limit: 1, pushed: { sort: true, limit: true } },
];

describe('store pushdown: filters, sorts and limits answered from q_ indexes (real embedded FerretDB)', () => {
  let connection: Connection;
  let cases: mongoose.mongo.Collection<CaseDoc>;
  let isFerretDb: boolean;
  const docs = caseDocs();

  const explainFind = async (filter: Filter, options: { sort?: Sort; limit?: number; skip?: mongoose.mongo.Long } = {}): Promise<Explained> =>
    (await connection.db?.command({ explain: { find: 'cases', filter, ...options } })) as Explained;

  before(async () => {
    const { mongodbUri } = await testServices();
    connection = await mongoose.createConnection(mongodbUri, { dbName: uniqueName(import.meta.filename) }).asPromise();
    const db = connection.db;
    if (!db) throw new Error('no database');
    isFerretDb = 'ferretdbVersion' in (await db.admin().command({ buildInfo: 1 }));
    cases = db.collection<CaseDoc>('cases');
    await cases.createIndex({ unit: 1, at: -1, _id: -1 }, { name: 'q_unit_at' }, undefined);
    await cases.createIndex({ name: 1, _id: 1 }, { name: 'q_name' }, undefined);
    await cases.createIndex({ prio: -1, _id: 1 }, { name: 'q_prio' }, undefined);
    await cases.createIndex({ at: 1, _id: 1 }, { name: 'q_at' }, undefined);
    await cases.createIndex({ owner: 1, at: -1, _id: -1 }, { name: 'q_owner_at' }, undefined);
    await cases.createIndex({ open: 1, unit: 1 }, { name: 'q_open_unit' }, undefined);
    await cases.createIndex({ ref: 1 }, { unique: true }, undefined);
    // Holds arrays: declared without `q_`, so never compared in SQL (equality on an array matches an element).
    await cases.createIndex({ tags: 1 }, { name: 'tags_1' }, undefined);
    await cases.insertMany(docs);
  });

  after(async () => {
    await connection.dropDatabase();
    await connection.close();
  });

  it('finds what MongoDB finds, for filters it translates entirely, in part, or not at all', async () => {
    for (const { filter } of FILTER_CASES) {
      const expected = ids(docs.filter((doc) => matches(doc, filter))).sort();
      const found = ids(await cases.find(filter).toArray()).sort();
      const unpushed = ids(await cases.find({ $and: [filter] }).toArray()).sort();
      expect(found, JSON.stringify(filter)).to.deep.equal(expected);
      expect(unpushed, `${JSON.stringify(filter)} in $and`).to.deep.equal(expected);
    }
    // The oracle is not vacuous: most filters match something, not everything.
    const sizes = FILTER_CASES.map(({ filter }) => docs.filter((doc) => matches(doc, filter)).length);
    expect(sizes.filter((n) => n > 0 && n < docs.length).length).to.be.greaterThan(FILTER_CASES.length - 6);
  });

  it('pages sorted reads as MongoDB does: ties broken by the next key, missing and null first ascending, numbers and strings by value', async () => {
    for (const { filter, sort, limit, skip = 0 } of SORT_CASES) {
      const expected = ids(sorted(docs.filter((doc) => matches(doc, filter)), sort).slice(skip, skip + limit));
      const found = ids(await cases.find(filter).sort(sort).skip(skip).limit(limit).toArray());
      const unpushed = ids(await cases.find({ $and: [filter] }).sort(sort).skip(skip).limit(limit).toArray());
      const label = `${JSON.stringify(filter)} sort ${JSON.stringify(sort)} skip ${skip} limit ${limit}`;
      expect(found, label).to.deep.equal(expected);
      expect(unpushed, `${label} in $and`).to.deep.equal(expected);
    }

    // Every page of a unit, newest first, is the unit's list cut in pages.
    const unitA = ids(sorted(docs.filter((doc) => doc.unit === 'A'), { at: -1, _id: -1 }));
    const pages: string[] = [];
    for (let skip = 0; skip < unitA.length + 4; skip += 4) {
      pages.push(...ids(await cases.find({ unit: 'A' }).sort({ at: -1, _id: -1 }).skip(skip).limit(4).toArray()));
    }
    expect(pages).to.deep.equal(unitA);

    // The orders the JSON text of the values would get wrong, spelled out (each value once, in the order read).
    const inOrder = async (field: 'name' | 'prio' | 'at', dir: 1 | -1): Promise<unknown[]> => {
      const values = (await cases.find({}).sort({ [field]: dir, _id: 1 }).toArray()).map((doc) => {
        const value = scalar(doc[field]) ?? null;
        return value instanceof Date ? value.toISOString().slice(0, 4) : value;
      });
      return values.filter((value, i) => i === 0 || value !== values[i - 1]);
    };
    expect(await inOrder('name', 1)).to.deep.equal([null, '', 'Ab', 'a<b', 'ab', 'ab c', 'ab!', 'ab"q', 'ab\\', 'abc', 'z', 'ñandú']);
    expect(await inOrder('prio', -1)).to.deep.equal([100, 10, 9, 2.5, 0, -1, null]);
    expect(await inOrder('at', 1)).to.deep.equal([null, '1965', '1990', '2024', '2300']);
  });

  it('aggregates a $match, $sort, $limit pipeline as find does, and counts and updates through the same filters', async () => {
    const pipeline = [{ $match: { unit: 'B' } }, { $sort: { at: -1, _id: -1 } }, { $limit: 5 }];
    const expected = ids(sorted(docs.filter((doc) => doc.unit === 'B'), { at: -1, _id: -1 }).slice(0, 5));
    expect(ids(await cases.aggregate<CaseDoc>(pipeline).toArray())).to.deep.equal(expected);
    const skipped = [{ $match: { unit: 'B' } }, { $sort: { at: -1, _id: -1 } }, { $skip: 2 }, { $limit: 3 }];
    expect(ids(await cases.aggregate<CaseDoc>(skipped).toArray())).to.deep.equal(expected.slice(2, 5));

    for (const unit of ['A', 'B', 'C', 'nobody']) {
      expect(await cases.countDocuments({ unit }), unit).to.equal(docs.filter((doc) => doc.unit === unit).length);
    }
    expect(await cases.countDocuments({ unit: 'A', open: true })).to.equal(docs.filter((doc) => doc.unit === 'A' && doc.open === true).length);
    expect((await cases.distinct('unit', { open: false })).sort()).to.deep.equal([...new Set(docs.filter((doc) => doc.open === false && doc.unit).map((doc) => doc.unit))].sort());
  });

  it('updates a document guarded by its version, and refuses a stale version', async () => {
    const target = docs[9];
    if (!target) throw new Error('no document');
    const first = await cases.updateOne({ _id: target._id, version: 0 }, { $set: { note: 'updated' }, $inc: { version: 1 } });
    expect(first.matchedCount).to.equal(1);
    expect(first.modifiedCount).to.equal(1);
    const stale = await cases.updateOne({ _id: target._id, version: 0 }, { $set: { note: 'lost' }, $inc: { version: 1 } });
    expect(stale.matchedCount).to.equal(0);
    expect(await cases.findOne({ _id: target._id })).to.include({ note: 'updated', version: 1 });
    Object.assign(target, { note: 'updated', version: 1 });

    // With `version` in a `q_` index both keys are compared in SQL; the update still finds, changes and counts alike.
    const guarded = connection.db?.collection<{ _id: string; version: number; state: string }>('guarded');
    if (!guarded) throw new Error('no database');
    await guarded.createIndex({ version: 1 }, { name: 'q_version' }, undefined);
    await guarded.insertMany(Array.from({ length: 20 }, (_, n) => ({ _id: `g-${n}`, version: n % 3, state: 'new' })));
    expect((await guarded.updateOne({ _id: 'g-4', version: 1 }, { $set: { state: 'seen' }, $inc: { version: 1 } })).modifiedCount).to.equal(1);
    expect((await guarded.updateOne({ _id: 'g-4', version: 1 }, { $set: { state: 'lost' }, $inc: { version: 1 } })).matchedCount).to.equal(0);
    expect(await guarded.findOne({ _id: 'g-4' })).to.deep.equal({ _id: 'g-4', version: 2, state: 'seen' });
    expect(await guarded.countDocuments({ version: 0 })).to.equal(7);
    expect((await guarded.deleteMany({ version: { $in: [0, 2] } })).deletedCount).to.equal(14);
    expect(await guarded.countDocuments({})).to.equal(6);
    if (isFerretDb) {
      const explained = (await connection.db?.command({ explain: { find: 'guarded', filter: { _id: 'g-5', version: 2 } } })) as Explained;
      expect(explained.filterPushdown).to.equal(true);
      expect(plan(explained)).to.match(/SEARCH \S+ USING (COVERING )?INDEX \S+_(_id_|q_version) /);
    }
  });

  describe('explain (FerretDB only)', () => {
    before(function () {
      if (!isFerretDb) this.skip();
    });

    it('reads through an index for every filter it translates, and says filterPushdown only when it translates all of it', async () => {
      for (const { filter, pushed } of FILTER_CASES) {
        const explained = await explainFind(filter);
        const label = `${JSON.stringify(filter)}: ${plan(explained)}`;
        expect(explained.filterPushdown, label).to.equal(pushed === 'exact');
        if (pushed === 'none') expect(plan(explained), label).to.match(/SCAN \S+$/);
        else expect(plan(explained), label).to.match(/SEARCH \S+ USING (COVERING )?INDEX \S+_(q_\w+|ref_1|_id_) \(/);
      }
    });

    it('sorts and limits in SQL only when it can do both exactly, reading a unit newest first straight from its index', async () => {
      for (const { filter, sort, limit, skip = 0, pushed } of SORT_CASES) {
        // FerretDB's explain takes `skip` as a long only.
        const explained = await explainFind(filter, { sort, limit, ...(skip > 0 ? { skip: mongoose.mongo.Long.fromNumber(skip) } : {}) });
        const label = `${JSON.stringify(filter)} sort ${JSON.stringify(sort)}: ${plan(explained)} ${explained.queryPlanner.SQL}`;
        expect(explained.sortPushdown, label).to.equal(pushed.sort);
        expect(explained.limitPushdown, label).to.equal(pushed.limit);
        if (pushed.limit) expect(explained.queryPlanner.SQL, label).to.match(new RegExp(`LIMIT \\?$`));
      }

      const page = await explainFind({ unit: 'A', at: { $lte: new Date(BASE) } }, { sort: { at: -1, _id: -1 }, limit: 51 });
      expect(page).to.include({ filterPushdown: true, sortPushdown: true, limitPushdown: true });
      expect(plan(page)).to.match(/^SEARCH \S+ USING INDEX \S+_q_unit_at \(<expr>=\? AND <expr><\?\)$/);
      expect(plan(page)).not.to.contain('TEMP B-TREE');

      const aggregate = (await connection.db?.command({
        explain: { aggregate: 'cases', pipeline: [{ $match: { unit: 'B' } }, { $sort: { at: -1, _id: -1 } }, { $limit: 5 }], cursor: {} },
      })) as Explained;
      expect(aggregate).to.include({ filterPushdown: true, sortPushdown: true, limitPushdown: true });
      expect(plan(aggregate)).to.match(/USING INDEX \S+_q_unit_at/);
      const grouped = (await connection.db?.command({
        explain: { aggregate: 'cases', pipeline: [{ $match: { unit: 'B' } }, { $group: { _id: 1, n: { $sum: 1 } } }], cursor: {} },
      })) as Explained;
      expect(grouped).to.include({ filterPushdown: true, limitPushdown: false });
    });
  });
});

interface Explained {
  filterPushdown: boolean;
  sortPushdown: boolean;
  limitPushdown: boolean;
  queryPlanner: { Plan: string[]; SQL: string };
}

/** The details of SQLite's plan, one line each. */
function plan(explained: Explained): string {
  return explained.queryPlanner.Plan.map((line) => line.replace(/^.*detail=/, '')).join('\n');
}
