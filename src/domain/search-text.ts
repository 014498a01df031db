/**
 * Searching cases by the words of their subject, in Spanish, the way staff type: without accents, in any case, and
 * with the beginning of a word enough ("licen" finds "Licencia de funcionamiento"), a plural finding a singular
 * ("árboles" finds "Poda de árbol") and the other way round.
 *
 * What is stored per case is the set of its subject's words, folded (lower case, accents and ñ's tilde dropped),
 * without Spanish stopwords. A word of a query is read as typed and as its Snowball stem (`@orama/stemmers`); a stored
 * word answers it when it begins with what was typed, shares its stem, or is what was typed without an ending
 * (`wordMatches`). Every word that may answer begins with the query word's stem (`rangeOf`), so the store finds the
 * candidates by one range over the words it knows, and each candidate's cases by one exact read.
 */
import { stemmer } from '@orama/stemmers/spanish';
import { spa } from 'stopword';

/** Shorter prefixes than this would match most of the history; the word as typed is used instead. */
const MIN_PREFIX = 3;
/** Words of a subject that are kept for search; a subject is one line, this is a generous ceiling. */
const MAX_TERMS = 24;
/** Words of a query that are used (the first ones). */
const MAX_QUERY_WORDS = 6;
/** A stored word is at most this long: longer "words" are codes or noise. */
const MAX_TERM_LENGTH = 40;

const STOPWORDS: ReadonlySet<string> = new Set(spa.map(fold));

/** Lower case, accents (and the tilde of ñ) dropped: how words are compared. */
export function fold(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

function words(text: string): string[] {
  return text.split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 0);
}

/** The words a case is found by: its subject's, folded, each once, without stopwords. */
export function searchTerms(subject: string): string[] {
  const terms = new Set<string>();
  for (const word of words(subject)) {
    const folded = fold(word);
    if (folded.length < 2 || folded.length > MAX_TERM_LENGTH || STOPWORDS.has(folded)) continue;
    terms.add(folded);
    if (terms.size >= MAX_TERMS) break;
  }
  return [...terms];
}

/** A word of a query: as typed and as its Snowball stem, both folded. */
export interface QueryWord {
  typed: string;
  stem: string;
}

function stemOf(word: string): string {
  return fold(stemmer(word.toLowerCase()));
}

/** The words a query asks for (stopwords and one-letter words dropped), each once; empty when none is worth searching. */
export function queryWords(query: string): QueryWord[] {
  const found: QueryWord[] = [];
  for (const word of words(query)) {
    const typed = fold(word);
    if (typed.length < 2 || typed.length > MAX_TERM_LENGTH || STOPWORDS.has(typed)) continue;
    if (found.some((w) => w.typed === typed)) continue;
    found.push({ typed, stem: stemOf(word) });
    if (found.length >= MAX_QUERY_WORDS) break;
  }
  return found;
}

/**
 * Where the stored words that may match a query word begin: its stem (a stem is a prefix of its word once folded), or
 * the word as typed when the stem is too short to be selective.
 */
export function rangeOf(word: QueryWord): string {
  return word.stem.length >= MIN_PREFIX && word.typed.startsWith(word.stem) ? word.stem : word.typed;
}

/**
 * Whether a stored word answers a query word: it begins with what was typed ("licen" → "licencia"), it has the same
 * stem ("árboles" → "arbolado"), or what was typed begins with it ("reclamos" → "reclamo", whose stems differ).
 */
export function wordMatches(word: QueryWord, term: string): boolean {
  if (term.startsWith(word.typed)) return true;
  if (!term.startsWith(rangeOf(word))) return false;
  return stemOf(term) === word.stem || word.typed.startsWith(term);
}

/** Whether a subject has, for every query word, a word that answers it. */
export function subjectMatches(subject: string, query: readonly QueryWord[]): boolean {
  const terms = searchTerms(subject);
  return query.every((word) => terms.some((term) => wordMatches(word, term)));
}

/**
 * The first string after every string that begins with `prefix` (its last character moved up by one): with `prefix`
 * itself, the range of the words that begin with it, which a store answers from an index.
 */
export function prefixEnd(prefix: string): string {
  const last = prefix.codePointAt(prefix.length - 1);
  if (last === undefined) throw new RangeError('an empty prefix has no end');
  return prefix.slice(0, -1) + String.fromCodePoint(last + 1);
}
