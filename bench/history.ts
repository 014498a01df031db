import type { Model } from 'mongoose';
import { isOpenStatus } from '../src/domain/ticket-lifecycle.js';
import { formatTrackingCode } from '../src/domain/tracking-code.js';
import type { AppContext } from '../src/services/context/index.js';
import type { TicketDoc } from '../src/store/ticket.model.js';
import { derivedDocuments, HistoryYear, TicketFactory, type DerivedDocuments, type PastAgent } from './history-shapes.js';
import { nowMs, seededRandom } from './stats.js';

/*
 * Writing history and waiting work straight into the store (a harness shortcut: the documents intake, routing and a
 * year of work would have left, see bench/history-shapes.ts), in batches, with the models' `insertMany`.
 */

const DAY_MS = 86_400_000;
const BATCH = 1_000;
/**
 * Batches of the history being written at once (each its collections one after another) while the next one is
 * generated. The embedded store takes one writer at a time (SQLite): with two, one batch's documents are parsed while the
 * other's are written; more only queue there (measured: one collection at a time, two batches in flight, was the fastest
 * of one to three batches with their collections written at once or in turn).
 */
const IN_FLIGHT = 2;

/**
 * The counter intake numbers tracking codes from (`tracking:<prefix>:<year>`, see the intake service): moved
 * past the codes the harness writes, so the system never hands out one that is already taken.
 */
async function reserveSequence(ctx: AppContext, year: number, count: number): Promise<number> {
  // Through the repository, under the counter's lock like intake's own reservations: on FerretDB the lock is the guard.
  return ctx.store.counters.reserveRange(`tracking:${ctx.env.TRACKING_CODE_PREFIX}:${year}`, count);
}

/**
 * The people who worked the history: staff accounts that exist but are not connected, as in any office, spread over
 * the units that have queues. They cannot log in (no valid password hash).
 */
async function createPastAgents(ctx: AppContext): Promise<PastAgent[]> {
  const units = ctx.catalogue.routing.queues.map((q) => q.unit);
  const agents: PastAgent[] = [];
  for (let i = 0; i < 40; i++) {
    const unit = units[i % units.length] ?? ctx.catalogue.attentionOffice.code;
    const staff = await ctx.store.staff.create({
      username: `historico.${String(i + 1).padStart(2, '0')}`,
      displayName: `Agente histórico ${i + 1}`,
      passwordHash: 'disabled',
      roles: ['agent'],
      units: [unit],
    });
    agents.push({ id: staff._id, unit, displayName: staff.displayName });
  }
  return agents;
}

/** How one collection's writes went: documents, seconds its `insertMany` calls took (they overlap other collections'). */
export interface CollectionReport {
  inserted: number;
  seconds: number;
  perSecond: number;
}

export interface InsertReport {
  /** Tickets written, and tickets per second of the whole phase. */
  inserted: number;
  seconds: number;
  perSecond: number;
  /** The history only: every collection it wrote, by collection name (`tickets`, `ticket_events`, …). */
  collections?: Record<string, CollectionReport>;
  /** The history only: documents of every collection, and documents per second of the whole phase. */
  documents?: { inserted: number; perSecond: number };
}

const perSecondOf = (count: number, ms: number): number => (ms > 0 ? Math.round((count * 1000) / ms) : 0);

/** Writes generated tickets in batches of 1,000 (one validated against the model), listing the open ones. */
export async function insertInBatches(
  ctx: AppContext,
  count: number,
  makeBatch: (from: number, to: number) => TicketDoc[],
  onProgress: (done: number) => void,
  signal: AbortSignal,
): Promise<InsertReport> {
  const started = nowMs();
  let inserted = 0;
  for (let from = 0; from < count && !signal.aborted; from += BATCH) {
    const docs = makeBatch(from, Math.min(count, from + BATCH));
    // Unvalidated (lean) inserts are 2-3 times faster; one document per batch is checked against the schema,
    // so a model that changed under the harness fails loudly instead of loading documents it would refuse.
    if (docs[0] !== undefined) await ctx.store.models.Ticket.validate(docs[0]);
    // Timestamps are the generated ones (a year of history), not the moment of the insert.
    await ctx.store.models.Ticket.insertMany(docs, { ordered: false, timestamps: false, lean: true });
    // Open tickets are listed in the open-ticket index, as intake lists them (rebuilds read it).
    const open = docs.filter((d) => isOpenStatus(d.status)).map((d) => ({ _id: d._id, since: d.createdAt }));
    if (open.length > 0) await ctx.store.models.OpenTicket.insertMany(open, { ordered: false, lean: true });
    inserted += docs.length;
    onProgress(inserted);
  }
  const seconds = (nowMs() - started) / 1000;
  return { inserted, seconds: Math.round(seconds * 10) / 10, perSecond: seconds > 0 ? Math.round(inserted / seconds) : 0 };
}

/** A batch of the history: its tickets and what their lives left, by collection. */
export type HistoryDocuments = DerivedDocuments & { tickets: TicketDoc[] };

type Models = AppContext['store']['models'];

/** Documents and milliseconds of `insertMany` per collection name. */
type Tally = Map<string, { inserted: number; ms: number }>;

/**
 * Writes one collection's documents of a batch: the first checked against the model (a model that changed under the
 * harness fails loudly instead of loading documents it would refuse), all of them unvalidated (lean inserts are 2-3
 * times faster) with their generated timestamps (a year of history, not the moment of the insert).
 */
async function insertAll<T>(model: Model<T>, docs: readonly T[], tally: Tally): Promise<void> {
  const first = docs[0];
  if (first === undefined) return;
  await model.validate(first);
  const started = nowMs();
  await model.insertMany(docs, { ordered: false, timestamps: false, lean: true });
  const name = model.collection.collectionName;
  const t = tally.get(name) ?? { inserted: 0, ms: 0 };
  tally.set(name, { inserted: t.inserted + docs.length, ms: t.ms + nowMs() - started });
}

/**
 * How each collection of a history batch is written, in this order (citizens before the tickets that name them). A key of
 * `derivedDocuments` (bench/history-shapes.ts) without its line here does not compile.
 */
const WRITERS: { [K in keyof HistoryDocuments]: (models: Models, docs: HistoryDocuments, tally: Tally) => Promise<void> } = {
  citizens: (m, d, t) => insertAll(m.Citizen, d.citizens, t),
  citizenIdentifiers: (m, d, t) => insertAll(m.CitizenIdentifier, d.citizenIdentifiers, t),
  tickets: (m, d, t) => insertAll(m.Ticket, d.tickets, t),
  ticketEvents: (m, d, t) => insertAll(m.TicketEvent, d.ticketEvents, t),
  interactions: (m, d, t) => insertAll(m.Interaction, d.interactions, t),
  ticketTerms: (m, d, t) => insertAll(m.TicketTerm, d.ticketTerms, t),
  searchWords: (m, d, t) => insertAll(m.SearchWord, d.searchWords, t),
};

/** A batch's collections one after another. */
async function writeBatch(models: Models, docs: HistoryDocuments, tally: Tally): Promise<void> {
  for (const write of Object.values(WRITERS)) await write(models, docs, tally);
}

/**
 * Writes the history in batches of 1,000 tickets with everything they left, the next batch generated while
 * {@link IN_FLIGHT} are being written. Stops starting batches when `signal` fires.
 */
async function writeHistory(ctx: AppContext, count: number, makeBatch: (from: number, to: number) => HistoryDocuments, onProgress: (done: number) => void, signal: AbortSignal): Promise<InsertReport> {
  const started = nowMs();
  const tally: Tally = new Map();
  const writing = new Set<Promise<unknown>>();
  let failure: { error: unknown } | undefined;
  let tickets = 0;
  for (let from = 0; from < count && !signal.aborted && failure === undefined; from += BATCH) {
    const docs = makeBatch(from, Math.min(count, from + BATCH));
    const write: Promise<unknown> = writeBatch(ctx.store.models, docs, tally).then(
      () => {
        tickets += docs.tickets.length;
        onProgress(tickets);
      },
      (error: unknown) => {
        failure ??= { error };
      },
    );
    writing.add(write);
    void write.finally(() => writing.delete(write));
    if (writing.size >= IN_FLIGHT) await Promise.race(writing);
  }
  await Promise.all(writing);
  if (failure !== undefined) throw failure.error;
  const ms = nowMs() - started;
  const collections = Object.fromEntries([...tally].map(([name, t]) => [name, { inserted: t.inserted, seconds: Math.round(t.ms / 100) / 10, perSecond: perSecondOf(t.inserted, t.ms) }]));
  const documents = [...tally.values()].reduce((sum, t) => sum + t.inserted, 0);
  return { inserted: tickets, seconds: Math.round(ms / 100) / 10, perSecond: perSecondOf(tickets, ms), collections, documents: { inserted: documents, perSecond: perSecondOf(documents, ms) } };
}

/**
 * A year of closed tickets with everything their lives left (bench/history-shapes.ts: the citizens and their
 * identifiers, each ticket's audit events and interactions), written straight into the store in batches (a harness
 * shortcut: the same documents a year of intake, routing, assignment and resolution would have left). Tracking codes
 * follow creation order within each year, and intake's counter is moved past them.
 */
export async function preloadHistory(ctx: AppContext, count: number, onProgress: (done: number) => void, signal: AbortSignal): Promise<InsertReport> {
  const year = new HistoryYear({ catalogue: ctx.catalogue, agents: await createPastAgents(ctx), now: Date.now() }, count);
  const nextSeq = new Map<number, number>();
  for (const [y, n] of year.codesPerYear()) nextSeq.set(y, await reserveSequence(ctx, y, n));
  const prefix = ctx.env.TRACKING_CODE_PREFIX;
  const wordsWritten = new Set<string>();
  return writeHistory(
    ctx,
    count,
    (from, to) => {
      const lives = year.lives(from, to, prefix, nextSeq);
      return { tickets: lives.map((l) => l.ticket), ...derivedDocuments(lives, wordsWritten) };
    },
    onProgress,
    signal,
  );
}

/** A block of this year's tracking codes set aside for tickets the harness writes later. */
export interface ReservedCodes {
  year: number;
  first: number;
  count: number;
}

/**
 * Sets aside tracking codes for the waiting tickets take-next needs, before anything else numbers tickets:
 * reserving them later would race with intake, which may still be working off an earlier phase's backlog.
 */
export async function reserveCodes(ctx: AppContext, count: number): Promise<ReservedCodes> {
  const year = new TicketFactory(ctx.catalogue, Math.random).localYear(new Date());
  return { year, first: await reserveSequence(ctx, year, count), count };
}

/**
 * Tickets already routed to `unit` and waiting there (arrived over the last two hours), written straight into
 * the store: what take-next serves from. Channels and priority classes are mixed as in the history.
 */
/** What `insertWaiting` wrote: the report and the ids, so exactly those can be removed afterwards. */
export type WaitingReport = InsertReport & { ids: TicketDoc['_id'][] };

export async function insertWaiting(ctx: AppContext, unit: string, codes: ReservedCodes, onProgress: (done: number) => void, signal: AbortSignal): Promise<WaitingReport> {
  const count = codes.count;
  const random = seededRandom(count + 7);
  const factory = new TicketFactory(ctx.catalogue, random);
  const now = Date.now();
  const times = Array.from({ length: count }, () => now - 60_000 - random() * 7_200_000).sort((a, b) => a - b);
  const year = codes.year;
  let seq = codes.first;
  const prefix = ctx.env.TRACKING_CODE_PREFIX;
  const ids: TicketDoc['_id'][] = [];
  const report = await insertInBatches(
    ctx,
    count,
    (from, to) =>
      times.slice(from, to).map((t) => {
        const doc = factory.make({ createdAt: new Date(t), code: formatTrackingCode(prefix, year, seq++), status: 'en_cola', unit });
        ids.push(doc._id);
        return doc;
      }),
    onProgress,
    signal,
  );
  return { ...report, ids };
}

/**
 * Cases that came by mail and were closed `daysAgo` days ago (one per entry), written straight into the store as the
 * history is: what a citizen may still answer. Resolved as they were closed (no assignee recorded).
 */
export async function insertClosedMailCases(ctx: AppContext, codes: ReservedCodes, daysAgo: readonly number[], signal: AbortSignal): Promise<TicketDoc[]> {
  const factory = new TicketFactory(ctx.catalogue, seededRandom(daysAgo.length + 11));
  const now = Date.now();
  let seq = codes.first;
  const docs = daysAgo.map((days) => factory.make({ createdAt: new Date(now - days * DAY_MS), code: formatTrackingCode(ctx.env.TRACKING_CODE_PREFIX, codes.year, seq++), status: 'cerrado', channel: 'email' }));
  await insertInBatches(ctx, docs.length, (from, to) => docs.slice(from, to), () => undefined, signal);
  return docs;
}
