import { Types, type Model } from 'mongoose';
import { prefixEnd, searchTerms } from '../domain/search-text.js';
import type { Models } from './models.js';
import { timePage, type Page, type PageCursor } from './pages.js';
import { isDuplicateKeyError, storeCall, toAppError } from './store-errors.js';
import type { TicketDoc } from './ticket.model.js';
import type { TicketTermDoc } from './ticket-term.model.js';

export type TicketTerm = TicketTermDoc;

/** What the words of a ticket are written from. */
export type TermSource = Pick<TicketDoc, '_id' | 'subject' | 'createdAt' | 'unitCode' | 'referralFromUnit'>;

/** The ids of a ticket's postings: `<ticket id>:<word>`, computed from its subject, so they are found and moved by `_id`. */
export function ticketTermIdsFor(ticketId: Types.ObjectId | string, subject: string): string[] {
  return searchTerms(subject).map((term) => `${ticketId.toString()}:${term}`);
}

/** The posting of one word of a ticket, as the search index stores it. */
export function postingOf(ticket: TermSource, term: string): TicketTermDoc {
  return {
    _id: `${ticket._id.toString()}:${term}`,
    term,
    ticketId: new Types.ObjectId(ticket._id),
    createdAt: ticket.createdAt,
    unitCode: ticket.unitCode,
    ...(ticket.referralFromUnit !== undefined ? { referralFromUnit: ticket.referralFromUnit } : {}),
  };
}

/** Words this process has seen stored; past this many it forgets them all and learns again (a bound, not a cache policy). */
const KNOWN_WORDS_LIMIT = 50_000;

/** Inserts documents, leaving those already stored (by an earlier attempt) as they are. */
async function insertNew<T>(model: Model<T>, what: string, docs: readonly T[]): Promise<void> {
  if (docs.length === 0) return;
  try {
    await model.insertMany(docs, { ordered: false });
  } catch (err) {
    // Documents written by an earlier attempt are duplicates: the others were inserted all the same.
    if (!onlyDuplicates(err)) throw toAppError(err, what);
  }
}

/**
 * The search index of subjects (ticket-term.model.ts): written right after the ticket and moved with it when it changes
 * unit. A crash between the two writes leaves an open ticket whose postings are missing or in its old unit, which the
 * read index's reconcile repairs (src/services/read-index); the rebuild makes every posting what the tickets say.
 */
export function createTicketTermRepository(models: Models) {
  const { TicketTerm, SearchWord } = models;
  // Words known to be stored already: after the first days, a new case adds no write for its words' vocabulary.
  const knownWords = new Set<string>();

  async function writeWords(terms: readonly string[], options: { all?: boolean } = {}): Promise<void> {
    const newWords = options.all === true ? terms : terms.filter((term) => !knownWords.has(term));
    await insertNew(
      SearchWord,
      'search word',
      newWords.map((term) => ({ _id: term, word: term })),
    );
    if (knownWords.size + newWords.length > KNOWN_WORDS_LIMIT) knownWords.clear();
    for (const term of newWords) knownWords.add(term);
  }

  async function wordsWhere(filter: Record<string, unknown>, limit: number): Promise<string[]> {
    const rows = await storeCall('search word', () => SearchWord.find(filter).sort({ word: 1 }).limit(limit).lean());
    return rows.map((row) => row.word);
  }

  async function follow(ticket: TermSource): Promise<void> {
    const set = { unitCode: ticket.unitCode, ...(ticket.referralFromUnit !== undefined ? { referralFromUnit: ticket.referralFromUnit } : {}) };
    const unset = ticket.referralFromUnit === undefined ? { $unset: { referralFromUnit: 1 } } : {};
    const ids = ticketTermIdsFor(ticket._id, ticket.subject);
    if (ids.length === 0) return;
    // One write for all the ticket's words: `_id` $in is read from the primary key (store.md, pushdown).
    await storeCall('ticket term', () => TicketTerm.updateMany({ _id: { $in: ids } }, { $set: set, ...unset }));
  }

  return {
    /** Writes the postings of a ticket and any word not stored yet; what is stored already is left as it is. */
    async write(ticket: TermSource): Promise<void> {
      const terms = searchTerms(ticket.subject);
      await Promise.all([
        insertNew(
          TicketTerm,
          'ticket term',
          terms.map((term) => postingOf(ticket, term)),
        ),
        writeWords(terms),
      ]);
    },

    /** The ticket's postings follow it to its unit now (a referral, a redirect). */
    follow,

    /**
     * Makes the postings of these tickets what the tickets say: writes those missing (and their words), moves those
     * left in another unit. What the reconcile and the rebuild run, a batch of tickets at a time.
     */
    async repair(tickets: readonly TermSource[]): Promise<{ written: number; moved: number }> {
      const expected = tickets.flatMap((ticket) => searchTerms(ticket.subject).map((term) => ({ ticket, term, id: `${ticket._id.toString()}:${term}` })));
      if (expected.length === 0) return { written: 0, moved: 0 };
      const stored = new Map((await storeCall('ticket term', () => TicketTerm.find({ _id: { $in: expected.map((e) => e.id) } }).lean())).map((p) => [p._id, p]));
      const missing = expected.filter((e) => !stored.has(e.id));
      const movedTickets = new Map<string, TermSource>();
      for (const e of expected) {
        const posting = stored.get(e.id);
        if (posting && (posting.unitCode !== e.ticket.unitCode || posting.referralFromUnit !== e.ticket.referralFromUnit)) movedTickets.set(e.ticket._id.toString(), e.ticket);
      }
      // Every word of the batch, known here or not: a crash may have stored a posting without its word.
      await writeWords([...new Set(expected.map((e) => e.term))], { all: true });
      await insertNew(
        TicketTerm,
        'ticket term',
        missing.map((e) => postingOf(e.ticket, e.term)),
      );
      for (const ticket of movedTickets.values()) await follow(ticket);
      return { written: missing.length, moved: movedTickets.size };
    },

    /** Stored words that begin with `prefix`, in alphabetical order, at most `limit`: one range of an index. */
    async wordsBeginning(prefix: string, limit: number): Promise<string[]> {
      return wordsWhere({ word: { $gte: prefix, $lt: prefixEnd(prefix) } }, limit);
    },

    /** Stored words after `after` in alphabetical order, at most `limit` (the rebuild walks every word's postings). */
    async wordsAfter(after: string | undefined, limit: number): Promise<string[]> {
      return wordsWhere(after === undefined ? {} : { word: { $gt: after } }, limit);
    },

    /** The postings of one word, oldest ticket first, a page at a time from `after` (the rebuild). */
    async postingsOf(term: string, after: PageCursor | undefined, limit: number): Promise<Page<TicketTerm>> {
      return timePage(TicketTerm, 'ticket term', { sources: [{ term }], timeField: 'createdAt', order: 'oldest', after, limit });
    },

    /**
     * Postings of any of `terms`, newest ticket first, of tickets in `units` or referred by one of them (every unit when
     * undefined): one indexed read per word, unit and side.
     */
    async page(terms: readonly string[], units: readonly string[] | undefined, after: PageCursor | undefined, limit: number): Promise<Page<TicketTerm>> {
      const sources = terms.flatMap((term) => (units === undefined ? [{ term }] : units.flatMap((unit) => [{ term, unitCode: unit }, { term, referralFromUnit: unit }])));
      return timePage(TicketTerm, 'ticket term', { sources, timeField: 'createdAt', order: 'newest', after, limit });
    },

    /** Removes words from the vocabulary (the rebuild, for a word no posting has). */
    async removeWords(words: readonly string[]): Promise<void> {
      if (words.length === 0) return;
      await storeCall('search word', () => SearchWord.deleteMany({ _id: { $in: [...words] } }));
      for (const word of words) knownWords.delete(word);
    },

    /** Removes postings by id (the rebuild, for postings of a ticket that does not exist or no longer has the word). */
    async remove(ids: readonly string[]): Promise<void> {
      if (ids.length === 0) return;
      await storeCall('ticket term', () => TicketTerm.deleteMany({ _id: { $in: [...ids] } }));
    },

  };
}

/** Whether a write failed only because some of its documents were stored already (an unordered bulk write's errors). */
function onlyDuplicates(err: unknown): boolean {
  if (typeof err !== 'object' || err === null || !('writeErrors' in err)) return isDuplicateKeyError(err);
  const { writeErrors } = err;
  const list: unknown[] = Array.isArray(writeErrors) ? writeErrors : [writeErrors];
  return list.length > 0 && list.every((e) => typeof e === 'object' && e !== null && 'code' in e && e.code === 11000);
}

export type TicketTermRepository = ReturnType<typeof createTicketTermRepository>;
