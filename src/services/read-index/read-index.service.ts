import { searchTerms } from '../../domain/search-text.js';
import type { MaintenanceRun } from '../../store/maintenance-run.repository.js';
import { cursorFromText, cursorToText } from '../../store/pages.js';
import type { TicketTerm } from '../../store/ticket-term.repository.js';
import type { Ticket } from '../../store/ticket.repository.js';
import type { AppContext } from '../context/index.js';

/** What the read index's upkeep needs of the context: the store and the clock (the reindex command runs with no more). */
export type ReadIndexContext = Pick<AppContext, 'store' | 'clock'>;

/*
 * The read index: what the staff reads need besides the tickets themselves, kept by the use cases that write tickets
 * and repaired here. It is the subject search's postings and words (src/store/ticket-term.repository.ts) and a
 * ticket's `referralFromUnit` (the field the referrer's list is read by). The store's indexes of the tickets
 * themselves need nothing: the store keeps them in the same write.
 *
 * - The reconcile repairs what a crash between a ticket's write and its postings' left behind. Tickets change unit and
 *   get new postings only while open, so it reads the open tickets, by `_id`, and nothing else.
 * - The rebuild makes the whole read index what the tickets say, from the tickets themselves: every ticket (oldest
 *   first), then every posting (in `_id` order; one whose ticket is gone is removed). It goes a batch at a time, each
 *   one indexed range, and saves how far it got after each, so a run that stops goes on from there. A store written before the read index existed gets it this
 *   way on the first start of this version (`upgradeReadIndex`, a step per job) or by `npm run store:reindex`.
 */

const TASK = 'read-index';
/** The version of what the rebuild builds; a store whose last run built an older one is rebuilt. */
export const READ_INDEX_VERSION = 1;
/** Tickets (or postings) read and repaired at once, unless the caller says otherwise. */
const BATCH = 500;

export type ReadIndexPhase = 'tickets' | 'postings' | 'done';

export interface ReadIndexReport {
  tickets: number;
  referrals: number;
  written: number;
  moved: number;
}

/** Repairs a batch of tickets: `referralFromUnit` where the referral says another, then their postings. */
async function repairTickets(ctx: ReadIndexContext, tickets: readonly Ticket[]): Promise<ReadIndexReport> {
  let referrals = 0;
  const current: Ticket[] = [];
  for (const ticket of tickets) {
    const wanted = ticket.referral?.fromUnit;
    if (ticket.referralFromUnit === wanted) {
      current.push(ticket);
      continue;
    }
    if (await ctx.store.tickets.fillReferralFromUnit(ticket._id)) referrals++;
    const { referralFromUnit: _stale, ...rest } = ticket;
    current.push(wanted === undefined ? rest : { ...rest, referralFromUnit: wanted });
  }
  const { written, moved } = await ctx.store.ticketTerms.repair(current);
  return { tickets: tickets.length, referrals, written, moved };
}

function add(a: ReadIndexReport, b: ReadIndexReport): ReadIndexReport {
  return { tickets: a.tickets + b.tickets, referrals: a.referrals + b.referrals, written: a.written + b.written, moved: a.moved + b.moved };
}

/** Repairs the read index of every open ticket (what a crash between two writes can leave wrong). */
export async function reconcileReadIndex(ctx: ReadIndexContext): Promise<ReadIndexReport> {
  const ids = await ctx.store.openTickets.ids();
  let report: ReadIndexReport = { tickets: 0, referrals: 0, written: 0, moved: 0 };
  for (let i = 0; i < ids.length; i += BATCH) {
    report = add(report, await repairTickets(ctx, await ctx.store.tickets.getMany(ids.slice(i, i + BATCH))));
  }
  return report;
}

/** What one batch did, and where the run goes on. */
interface BatchOutcome {
  read: number;
  changed: Record<string, number>;
  phase: ReadIndexPhase;
  after?: string;
}

/** One batch of the tickets phase: a page of tickets oldest first, repaired. `after` is the page cursor. */
async function ticketsBatch(ctx: ReadIndexContext, after: string | undefined, size: number): Promise<BatchOutcome> {
  const page = await ctx.store.tickets.inCreationOrder(cursorFromText(after), size);
  const report = await repairTickets(ctx, page.items);
  const changed = { referrals: report.referrals, postingsWritten: report.written, ticketsMoved: report.moved };
  return { read: page.items.length, changed, ...(page.next ? { phase: 'tickets', after: cursorToText(page.next) } : { phase: 'postings' }) };
}

/** Words of the vocabulary one postings batch goes through at most. */
const WORDS_PER_BATCH = 200;

/**
 * One batch of the postings phase: up to `size` postings, word after word (words in alphabetical order, each word's
 * postings oldest first, both from indexes); those whose ticket is gone or no longer has the word are removed, and a
 * word no posting has leaves the vocabulary. `after` is `<word>|<cursor in its postings>`.
 */
async function postingsBatch(ctx: ReadIndexContext, after: string | undefined, size: number): Promise<BatchOutcome> {
  const bar = after?.indexOf('|') ?? -1;
  const current = after !== undefined && bar >= 0 ? after.slice(0, bar) : undefined;
  const words = current === undefined ? await ctx.store.ticketTerms.wordsAfter(undefined, WORDS_PER_BATCH) : [current, ...(await ctx.store.ticketTerms.wordsAfter(current, WORDS_PER_BATCH - 1))];
  const postings: TicketTerm[] = [];
  // Words whose every posting this batch read (from the first, to the last).
  const whole = new Set<string>();
  let resume: string | undefined;
  for (const [i, word] of words.entries()) {
    const cursor = i === 0 && current !== undefined ? cursorFromText(after?.slice(bar + 1)) : undefined;
    const page = await ctx.store.ticketTerms.postingsOf(word, cursor, size - postings.length);
    postings.push(...page.items);
    if (cursor === undefined && page.next === undefined) whole.add(word);
    if (page.next) resume = `${word}|${cursorToText(page.next)}`;
    else if (postings.length >= size) resume = words[i + 1] === undefined ? undefined : `${words[i + 1] ?? ''}|`;
    if (resume !== undefined || postings.length >= size) break;
  }
  const tickets = new Map((await ctx.store.tickets.getMany([...new Set(postings.map((p) => p.ticketId.toString()))])).map((t) => [t._id.toString(), t]));
  // A posting whose ticket is gone (a ticket removed by hand) or whose subject no longer gives the word.
  const doomed = postings.filter((p) => {
    const ticket = tickets.get(p.ticketId.toString());
    return ticket === undefined || !searchTerms(ticket.subject).includes(p.term);
  });
  await ctx.store.ticketTerms.remove(doomed.map((p) => p._id));
  const kept = new Set(postings.filter((p) => !doomed.includes(p)).map((p) => p.term));
  const gone = [...whole].filter((word) => !kept.has(word));
  await ctx.store.ticketTerms.removeWords(gone);
  const changed = { postingsRemoved: doomed.length, wordsRemoved: gone.length };
  if (resume !== undefined) return { read: postings.length, changed, phase: 'postings', after: resume };
  // Every word listed was gone through: on from the last one, or done when the vocabulary ended.
  const last = words.at(-1);
  if (last === undefined || words.length < WORDS_PER_BATCH) return { read: postings.length, changed, phase: 'done' };
  const next = (await ctx.store.ticketTerms.wordsAfter(last, 1))[0];
  return { read: postings.length, changed, ...(next === undefined ? { phase: 'done' } : { phase: 'postings', after: `${next}|` }) };
}

function freshRun(now: Date): MaintenanceRun {
  return { _id: TASK, version: READ_INDEX_VERSION, phase: 'tickets', processed: 0, changed: {}, startedAt: now, updatedAt: now };
}

/** How far the rebuild went: absent when it never ran. */
export async function readIndexRun(ctx: ReadIndexContext): Promise<MaintenanceRun | null> {
  return ctx.store.maintenanceRuns.get(TASK);
}

/**
 * What a starting worker process does about the read index: nothing when it is built; on a store with no ticket yet
 * (a new office), it is built already (every ticket this version writes gets its postings); otherwise the rebuild is
 * queued, a step per `system.read-index` job, named by how far the run got, so that processes starting together
 * queue it once and a later start after a stop queues it again.
 */
export async function ensureReadIndex(ctx: AppContext): Promise<'ready' | 'building'> {
  const run = await readIndexRun(ctx);
  if (run !== null && run.version === READ_INDEX_VERSION && run.finishedAt !== undefined) return 'ready';
  if (run === null && (await ctx.store.tickets.inCreationOrder(undefined, 1)).items.length === 0) {
    const now = ctx.clock();
    await ctx.store.maintenanceRuns.save({ ...freshRun(now), phase: 'done', finishedAt: now });
    return 'ready';
  }
  await ctx.queues.enqueue('system.read-index', { step: 'rebuild' }, { jobId: `read-index-${String(run?.startedAt.getTime() ?? 0)}-${String(run?.processed ?? 0)}` });
  return 'building';
}

/** Whether the read index is built, at the current version, for every ticket stored before this version. */
export async function readIndexReady(ctx: ReadIndexContext): Promise<boolean> {
  const run = await readIndexRun(ctx);
  return run !== null && run.version === READ_INDEX_VERSION && run.finishedAt !== undefined;
}

/**
 * One step of the rebuild: up to `batches` batches from where the run stopped (a new run when none was saved, it built
 * an older version, or `restart` is asked). Saves how far it got after every batch; a finished run is left as it is.
 */
export async function rebuildReadIndexStep(ctx: ReadIndexContext, options: { batches: number; restart?: boolean; batchSize?: number }): Promise<MaintenanceRun> {
  const size = options.batchSize ?? BATCH;
  const saved = await readIndexRun(ctx);
  let run: MaintenanceRun = saved === null || saved.version !== READ_INDEX_VERSION || options.restart === true ? freshRun(ctx.clock()) : saved;
  if (run.finishedAt !== undefined) return run;
  for (let step = 0; step < options.batches && run.finishedAt === undefined; step++) {
    const batch = run.phase === 'tickets' ? await ticketsBatch(ctx, run.after, size) : await postingsBatch(ctx, run.after, size);
    const changed = { ...run.changed };
    for (const [kind, n] of Object.entries(batch.changed)) if (n > 0) changed[kind] = (changed[kind] ?? 0) + n;
    const now = ctx.clock();
    const { after: _previous, ...rest } = run;
    run = { ...rest, phase: batch.phase, processed: run.processed + batch.read, changed, updatedAt: now, ...(batch.after !== undefined ? { after: batch.after } : {}), ...(batch.phase === 'done' ? { finishedAt: now } : {}) };
    await ctx.store.maintenanceRuns.save(run);
  }
  return run;
}
