/**
 * Human tracking codes such as `PL-2026-000123`: what a citizen reads on a receipt, dictates on the phone or
 * types on the tracking page. Prefix (the office), year, and a yearly sequence padded to six digits that
 * keeps growing past 999999 instead of wrapping, so codes never collide.
 */

/** The parts of a tracking code. `prefix` is upper case. */
export interface TrackingCode {
  prefix: string;
  year: number;
  seq: number;
}

const PREFIX = /^[A-Z][A-Z0-9]{0,9}$/;
const SEQ_WIDTH = 6;
// Leading zeros only as padding up to six digits, so every number has exactly one spelling.
const CODE = /^([A-Z][A-Z0-9]{0,9})-([1-9]\d{3})-(\d{6}|[1-9]\d{6,14})$/;

/**
 * Formats a tracking code.
 *
 * @param prefix 1–10 letters or digits starting with a letter; upper-cased
 * @param year four-digit year
 * @param seq positive integer, the yearly sequence number
 * @throws RangeError on any other input (a programming error, not user input)
 */
export function formatTrackingCode(prefix: string, year: number, seq: number): string {
  const upper = prefix.toUpperCase();
  if (!PREFIX.test(upper)) {
    throw new RangeError(`Invalid tracking code prefix: ${prefix}`);
  }
  if (!Number.isInteger(year) || year < 1000 || year > 9999) {
    throw new RangeError(`Invalid tracking code year: ${year}`);
  }
  if (!Number.isSafeInteger(seq) || seq < 1) {
    throw new RangeError(`Invalid tracking code sequence: ${seq}`);
  }
  return `${upper}-${year}-${String(seq).padStart(SEQ_WIDTH, '0')}`;
}

/**
 * Reads a tracking code as a person typed it: letter case and surrounding whitespace are ignored. Returns
 * `undefined` for anything that {@link formatTrackingCode} could not have produced.
 */
export function parseTrackingCode(s: string): TrackingCode | undefined {
  const match = CODE.exec(s.trim().toUpperCase());
  if (!match) return undefined;
  const [, prefix = '', year, digits] = match;
  const seq = Number(digits);
  if (seq < 1) return undefined;
  return { prefix, year: Number(year), seq };
}
