/**
 * What staff type in the one search box, read as what they mean: a case's tracking code (with or without its dashes and
 * prefix, in any case), a citizen's identifier (DNI, RUC, email, phone), or words of a case's subject.
 */
import { parseDni, parseRuc } from './identity-documents.js';
import { queryWords, type QueryWord } from './search-text.js';
import { formatTrackingCode, parseTrackingCode } from './tracking-code.js';

export type CitizenIdentifierQuery = { kind: 'dni' | 'ruc' | 'email'; value: string } | { kind: 'phone'; values: string[] };

export type SearchQuery =
  | { kind: 'code'; code: string }
  | { kind: 'citizen'; identifier: CitizenIdentifierQuery }
  | { kind: 'words'; words: QueryWord[] };

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** `PL-2026-000123`, `pl2026000123`, `PL 2026 123`, `2026-000123` (the office's prefix understood). */
function trackingCodeOf(input: string, officePrefix: string): string | undefined {
  const compact = input.toUpperCase().replace(/[\s-]/g, '');
  const prefix = officePrefix.toUpperCase();
  const rest = compact.startsWith(prefix) ? compact.slice(prefix.length) : /^\d/.test(compact) ? compact : undefined;
  const match = rest === undefined ? null : /^(\d{4})(\d{1,15})$/.exec(rest);
  if (!match) return parseTrackingCode(input) ? input.trim().toUpperCase() : undefined;
  const [, year, seq] = match;
  const sequence = Number(seq);
  if (!Number.isSafeInteger(sequence) || sequence < 1) return undefined;
  return formatTrackingCode(prefix, Number(year), sequence);
}

/**
 * The ways a Peruvian phone number may have been stored (as received: `+51987654321`, or as typed: `987654321`). Null
 * for anything that is not one.
 */
function phoneForms(input: string): string[] | null {
  if (!/^\+?[\d\s()-]{6,20}$/.test(input)) return null;
  const digits = input.replace(/\D/g, '');
  if (input.trim().startsWith('+')) return [`+${digits}`];
  if (/^9\d{8}$/.test(digits)) return [`+51${digits}`, digits];
  if (/^51\d{9}$/.test(digits)) return [`+${digits}`, digits.slice(2)];
  return digits.length >= 6 ? [digits] : null;
}

/** Reads a search; null when there is nothing to search for (blank, or only short or common words). */
export function parseSearchQuery(input: string, officePrefix: string): SearchQuery | null {
  const q = input.trim();
  if (q === '') return null;
  const code = trackingCodeOf(q, officePrefix);
  if (code !== undefined && /\d/.test(q) && !/^\d{8}(-?[0-9A-Z])?$/i.test(q) && !/^\d{11}$/.test(q)) return { kind: 'code', code };
  if (EMAIL.test(q)) return { kind: 'citizen', identifier: { kind: 'email', value: q.toLowerCase() } };
  const dni = parseDni(q);
  if (dni.ok) return { kind: 'citizen', identifier: { kind: 'dni', value: dni.value.number } };
  const ruc = parseRuc(q);
  if (ruc.ok) return { kind: 'citizen', identifier: { kind: 'ruc', value: ruc.value } };
  const phones = phoneForms(q);
  if (phones) return { kind: 'citizen', identifier: { kind: 'phone', values: phones } };
  const wanted = queryWords(q);
  return wanted.length > 0 ? { kind: 'words', words: wanted } : null;
}
