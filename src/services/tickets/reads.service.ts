import { parseSearchQuery, type CitizenIdentifierQuery } from '../../domain/search-query.js';
import { rangeOf, subjectMatches, wordMatches, type QueryWord } from '../../domain/search-text.js';
import type { Channel, TicketType } from '../../domain/ticket-types.js';
import type { TicketStatus } from '../../domain/ticket-lifecycle.js';
import { AppError } from '../../errors.js';
import type { Citizen } from '../../store/citizen.repository.js';
import type { Interaction } from '../../store/interaction.repository.js';
import { compareInOrder, type Page, type PageCursor, type PageOrder } from '../../store/pages.js';
import type { TicketEvent } from '../../store/ticket-event.repository.js';
import type { Ticket, TicketScope } from '../../store/ticket.repository.js';
import { heldTickets } from '../assignment/index.js';
import { canSeeTicket, isAdmin, visibleTicket, type Actor, type AppContext } from '../context/index.js';

/*
 * What staff read all day: a ticket with its citizen and timeline, a unit's tickets, what waits and what is mine,
 * search, a citizen's cases. Each is read from an index (or the live state) a page at a time, so its cost is the
 * page's and not the history's (docs/benchmarks.md measures it at 1,000 and 100,000 tickets).
 */

/** One entry of a ticket's timeline: an audit event or an exchange with the citizen (or an internal note). */
export type TimelineItem = { kind: 'event'; event: TicketEvent } | { kind: 'interaction'; interaction: Interaction };

export interface Timeline {
  order: PageOrder;
  items: TimelineItem[];
  next?: PageCursor;
}

export interface TicketDetail {
  ticket: Ticket;
  citizen: Citizen | null;
  timeline: Timeline;
}

/** What a list or a search answers: a page, and where the next one starts. */
export type TicketPage = Page<Ticket>;

function staffOnly(actor: Actor): Extract<Actor, { kind: 'staff' }> {
  if (actor.kind !== 'staff') throw new AppError('FORBIDDEN');
  return actor;
}

function itemKey(item: TimelineItem): { at: number; id: string } {
  const doc = item.kind === 'event' ? item.event : item.interaction;
  return { at: doc.at.getTime(), id: doc._id.toString() };
}

/**
 * A page of a ticket's timeline: a page of its events and one of its exchanges, each from its own index, merged in
 * time order. The cursor is the last item's time and id, so the two read on from the same point.
 */
async function timelinePage(ctx: AppContext, ticketId: string, order: PageOrder, after: PageCursor | undefined, limit: number): Promise<Timeline> {
  const [events, interactions] = await Promise.all([ctx.store.ticketEvents.page(ticketId, order, after, limit), ctx.store.interactions.page(ticketId, order, after, limit)]);
  const merged: TimelineItem[] = [
    ...events.items.map((event): TimelineItem => ({ kind: 'event', event })),
    ...interactions.items.map((interaction): TimelineItem => ({ kind: 'interaction', interaction })),
  ].sort((a, b) => {
    const [x, y] = [itemKey(a), itemKey(b)];
    return compareInOrder(order, x.at, x.id, y.at, y.id);
  });
  const items = merged.slice(0, limit);
  const last = items.at(-1);
  const more = merged.length > limit || events.next !== undefined || interactions.next !== undefined;
  return { order, items, ...(more && last ? { next: { at: new Date(itemKey(last).at), id: itemKey(last).id } } : {}) };
}

/** A ticket the actor may see, its citizen and the first page of its timeline (oldest first unless asked otherwise). */
export async function getTicketDetail(ctx: AppContext, actor: Actor, ticketId: string, options: { order?: PageOrder; limit?: number } = {}): Promise<TicketDetail> {
  const ticket = await visibleTicket(ctx, actor, ticketId);
  const [citizen, timeline] = await Promise.all([
    ticket.citizenId ? ctx.store.citizens.get(ticket.citizenId.toString()) : Promise.resolve(null),
    timelinePage(ctx, ticketId, options.order ?? 'oldest', undefined, options.limit ?? 50),
  ]);
  return { ticket, citizen, timeline };
}

/** A further page of a ticket's timeline. */
export async function getTicketTimeline(ctx: AppContext, actor: Actor, ticketId: string, query: { order: PageOrder; after?: PageCursor | undefined; limit: number }): Promise<Timeline> {
  await visibleTicket(ctx, actor, ticketId);
  return timelinePage(ctx, ticketId, query.order, query.after, query.limit);
}

export interface TicketListQuery {
  /** Tickets now in this unit; without it, those of the actor's units and those they referred (every ticket for an admin). */
  unit?: string | undefined;
  status?: readonly TicketStatus[] | undefined;
  type?: TicketType | undefined;
  channel?: Channel | undefined;
  serviceCode?: string | undefined;
  assigneeId?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  after?: PageCursor | undefined;
  limit: number;
}

/** Where a staff member's list looks: `unit` narrows it to a unit's tickets they may see. */
function listScopes(actor: Extract<Actor, { kind: 'staff' }>, unit: string | undefined): TicketScope[] | 'all' {
  if (isAdmin(actor)) return unit === undefined ? 'all' : [{ unitCode: unit }];
  if (unit === undefined) return actor.units.flatMap((u) => [{ unitCode: u }, { referralFromUnit: u }]);
  // Another unit's tickets show only where one of the actor's units referred them there.
  return actor.units.includes(unit) ? [{ unitCode: unit }] : actor.units.map((u) => ({ unitCode: unit, referralFromUnit: u }));
}

/** A unit's tickets (or all the actor sees), newest first, narrowed by any of the filters, paged by a cursor. */
export async function listTickets(ctx: AppContext, actor: Actor, query: TicketListQuery): Promise<TicketPage> {
  const staff = staffOnly(actor);
  const filters = {
    ...(query.status ? { status: query.status } : {}),
    ...(query.type ? { type: query.type } : {}),
    ...(query.channel ? { channel: query.channel } : {}),
    ...(query.serviceCode ? { serviceCode: query.serviceCode } : {}),
    ...(query.assigneeId ? { assigneeId: query.assigneeId } : {}),
    ...(query.from ? { from: query.from } : {}),
    ...(query.to ? { to: query.to } : {}),
  };
  return ctx.store.tickets.page(listScopes(staff, query.unit), filters, query.after, query.limit);
}

export interface WaitingTicket {
  ticket: Ticket;
  queue: string;
  enqueuedAt: Date;
}

/**
 * What waits in the actor's units (or in `unit`), longest waiting first: read from the live state's queues, then the
 * tickets by `_id`.
 */
export async function waitingTickets(ctx: AppContext, actor: Actor, query: { unit?: string | undefined; limit: number }): Promise<{ total: number; items: WaitingTicket[] }> {
  const staff = staffOnly(actor);
  const units = query.unit !== undefined ? [query.unit] : isAdmin(staff) ? ctx.catalogue.units.map((u) => u.code) : staff.units;
  if (!isAdmin(staff) && !units.every((u) => staff.units.includes(u))) throw new AppError('FORBIDDEN', 'Not a unit of yours.');
  const { total, entries } = await ctx.live.waiting(units, query.limit);
  const tickets = new Map((await ctx.store.tickets.getMany(entries.map((e) => e.ticketId))).map((t) => [t._id.toString(), t]));
  const items = entries.flatMap((entry) => {
    const ticket = tickets.get(entry.ticketId);
    return ticket ? [{ ticket, queue: entry.queue, enqueuedAt: entry.enqueuedAt }] : [];
  });
  return { total, items };
}

/** What the actor holds now (assigned, in attention, waiting for the citizen): the live state knows it. */
export async function myTickets(ctx: AppContext, actor: Actor): Promise<Ticket[]> {
  const staff = staffOnly(actor);
  const held = await heldTickets(ctx, staff.id);
  return held.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
}

/** How many reads a page that filters what it reads may take before it answers with what it found and a cursor. */
const FILL_ROUNDS = 4;

/**
 * Reads pages of `read` until `limit` items are kept or the source ends (at most a few rounds): a page of what the
 * actor may see, from an index that also holds what they may not. `cursorOf` says where the next page starts after an
 * item kept last.
 */
async function fillPage<T, R>(
  read: (after: PageCursor | undefined, limit: number) => Promise<Page<R>>,
  keep: (rows: R[]) => Promise<{ row: R; item: T | undefined }[]>,
  cursorOf: (row: R) => PageCursor,
  after: PageCursor | undefined,
  limit: number,
): Promise<Page<T>> {
  const items: T[] = [];
  let cursor = after;
  for (let round = 0; round < FILL_ROUNDS; round++) {
    const page = await read(cursor, limit);
    const checked = await keep(page.items);
    for (const { row, item } of checked) {
      cursor = cursorOf(row);
      if (item === undefined) continue;
      items.push(item);
      if (items.length === limit) return { items, ...(page.next !== undefined || row !== page.items.at(-1) ? { next: cursor } : {}) };
    }
    // Read on from the last row looked at (its cursor may reach past the page's own, as a search's does).
    if (page.next === undefined) return { items };
  }
  return { items, ...(cursor !== undefined ? { next: cursor } : {}) };
}

const ticketCursor = (ticket: Ticket): PageCursor => ({ at: ticket.createdAt, id: ticket._id.toString() });

/** A citizen's cases the actor may see, newest first. */
export async function citizenCases(ctx: AppContext, actor: Actor, citizenId: string, query: { after?: PageCursor | undefined; limit: number }): Promise<TicketPage> {
  staffOnly(actor);
  return fillPage(
    (after, limit) => ctx.store.tickets.pageOfCitizen(citizenId, after, limit),
    (rows) => Promise.resolve(rows.map((row) => ({ row, item: canSeeTicket(actor, row) ? row : undefined }))),
    ticketCursor,
    query.after,
    query.limit,
  );
}

/** A citizen the actor may look up, and their cases. */
export async function getCitizenCases(ctx: AppContext, actor: Actor, citizenId: string, query: { after?: PageCursor | undefined; limit: number }): Promise<{ citizen: Citizen; cases: TicketPage }> {
  staffOnly(actor);
  const citizen = await ctx.store.citizens.get(citizenId);
  if (!citizen) throw new AppError('NOT_FOUND', 'No such citizen.');
  return { citizen, cases: await citizenCases(ctx, actor, citizenId, query) };
}

/** The most stored words one query word is looked up by; a shorter beginning that matches more is narrowed. */
const MAX_WORDS_PER_QUERY_WORD = 8;
/** The most stored words one range read returns (a beginning of three letters). */
const MAX_CANDIDATES = 200;

/** The stored words that answer a query word, those closest to what was typed first. */
async function storedWordsFor(ctx: AppContext, word: QueryWord): Promise<string[]> {
  const candidates = await ctx.store.ticketTerms.wordsBeginning(rangeOf(word), MAX_CANDIDATES);
  const closeness = (term: string): number => (term === word.typed ? 0 : term.startsWith(word.typed) ? 1 : 2);
  return candidates.filter((term) => wordMatches(word, term)).sort((a, b) => closeness(a) - closeness(b) || a.length - b.length || (a < b ? -1 : 1));
}

export type SearchAnswer =
  | { kind: 'code'; items: Ticket[] }
  | { kind: 'citizen'; citizen: Citizen | null; items: Ticket[]; next?: PageCursor }
  | { kind: 'words'; items: Ticket[]; next?: PageCursor; narrowed: boolean }
  | { kind: 'none'; items: [] };

async function findCitizen(ctx: AppContext, identifier: CitizenIdentifierQuery): Promise<Citizen | null> {
  if (identifier.kind !== 'phone') return ctx.store.citizens.findByIdentifier(identifier.kind, identifier.value);
  for (const phone of identifier.values) {
    const found = await ctx.store.citizens.findByIdentifier('phone', phone);
    if (found) return found;
  }
  return null;
}

/**
 * The one search box: a tracking code (with or without dashes or prefix) finds that case; a DNI, RUC, email or phone
 * finds the citizen and their cases; anything else is words of a subject, Spanish-aware, newest first.
 */
export async function searchTickets(ctx: AppContext, actor: Actor, q: string, query: { after?: PageCursor | undefined; limit: number }): Promise<SearchAnswer> {
  const staff = staffOnly(actor);
  const parsed = parseSearchQuery(q, ctx.env.TRACKING_CODE_PREFIX);
  if (parsed === null) return { kind: 'none', items: [] };
  switch (parsed.kind) {
    case 'code': {
      const ticket = await ctx.store.tickets.findByTrackingCode(parsed.code);
      return { kind: 'code', items: ticket && canSeeTicket(actor, ticket) ? [ticket] : [] };
    }
    case 'citizen': {
      const citizen = await findCitizen(ctx, parsed.identifier);
      if (!citizen) return { kind: 'citizen', citizen: null, items: [] };
      const cases = await citizenCases(ctx, actor, citizen._id.toString(), query);
      return { kind: 'citizen', citizen, ...cases };
    }
    case 'words':
      return searchWords(ctx, staff, parsed.words, query);
  }
}

async function searchWords(
  ctx: AppContext,
  actor: Extract<Actor, { kind: 'staff' }>,
  words: readonly QueryWord[],
  query: { after?: PageCursor | undefined; limit: number },
): Promise<Extract<SearchAnswer, { kind: 'words' }>> {
  const stored = await Promise.all(words.map((word) => storedWordsFor(ctx, word)));
  // The query word with the fewest stored words leads; the others are checked on each case's subject.
  const lead = stored.reduce((best, terms) => (terms.length < best.length ? terms : best));
  if (lead.length === 0) return { kind: 'words', items: [], narrowed: false };
  const terms = lead.slice(0, MAX_WORDS_PER_QUERY_WORD);
  const units = isAdmin(actor) ? undefined : actor.units;
  const page = await fillPage(
    (after, limit) => ctx.store.ticketTerms.page(terms, units, after, limit),
    async (postings) => {
      const tickets = new Map((await ctx.store.tickets.getMany(postings.map((p) => p.ticketId))).map((t) => [t._id.toString(), t]));
      const seen = new Set<string>();
      return postings.map((row) => {
        const id = row.ticketId.toString();
        const ticket = tickets.get(id);
        // A posting of a ticket that is not stored (a crash before its insert) or no longer matches is skipped.
        const fits = ticket !== undefined && !seen.has(id) && canSeeTicket(actor, ticket) && subjectMatches(ticket.subject, words);
        seen.add(id);
        return { row, item: fits ? ticket : undefined };
      });
    },
    // After a ticket, past all its postings (`<id>:<word>` sort together), so a page never starts with one listed already.
    (row) => ({ at: row.createdAt, id: `${row.ticketId.toString()}:` }),
    query.after,
    query.limit,
  );
  return { kind: 'words', ...page, narrowed: lead.length > MAX_WORDS_PER_QUERY_WORD };
}
