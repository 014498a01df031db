/**
 * Peruvian identity documents: DNI (RENIEC) and RUC (SUNAT).
 *
 * Only the arithmetic is checked here. A number that passes is well formed, not necessarily issued: asking
 * RENIEC or SUNAT whether it exists is an I/O concern that lives outside the domain.
 */

/** Why a DNI was rejected. Stable codes: the HTTP layer maps them to Spanish messages. */
export type DniRejection = 'length' | 'not_digits' | 'check_digit';

/** Why a RUC was rejected. Stable codes: the HTTP layer maps them to Spanish messages. */
export type RucRejection = 'length' | 'not_digits' | 'prefix' | 'check_digit';

/** A well-formed DNI. `checkChar` is present, upper-cased, only when the input carried one. */
export interface Dni {
  number: string;
  checkChar?: string;
}

export type DniParseResult = { ok: true; value: Dni } | { ok: false; reason: DniRejection };

export type RucParseResult = { ok: true; value: string } | { ok: false; reason: RucRejection };

const DNI_WEIGHTS = [3, 2, 7, 6, 5, 4, 3, 2] as const;
// RENIEC prints the check character either as a digit or, on cards issued up to 2007, as a letter. Both
// tables are indexed by the same key, so one computation serves both forms.
const DNI_DIGIT_TABLE = '67890112345';
const DNI_LETTER_TABLE = 'KABCDEFGHIJ';

const RUC_WEIGHTS = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2] as const;
// 10: persona natural (DNI-based), 15/17: persona natural without DNI or foreign, 16: legacy, 20: persona jurídica.
const RUC_PREFIXES: ReadonlySet<string> = new Set(['10', '15', '16', '17', '20']);

const EIGHT_DIGITS = /^\d{8}$/;
const ONLY_DIGITS = /^\d+$/;
// A check character may be separated by a hyphen (as printed on the card) or by blanks (as people type it).
const WITH_SEPARATOR = /^(.+?)(?:\s*-\s*|\s+)(.+)$/;

function weightedSum(digits: string, weights: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < weights.length; i++) {
    sum += Number(digits[i]) * (weights[i] ?? 0);
  }
  return sum;
}

function dniKey(number: string): number {
  const key = 11 - (weightedSum(number, DNI_WEIGHTS) % 11);
  return key === 11 ? 0 : key;
}

/**
 * Both accepted spellings of the check character of a DNI number.
 *
 * @param number exactly 8 digits
 * @throws RangeError when `number` is not 8 digits (a programming error: parse user input with {@link parseDni})
 */
export function dniCheckCharacters(number: string): { digit: string; letter: string } {
  if (!EIGHT_DIGITS.test(number)) {
    throw new RangeError('A DNI number has exactly 8 digits');
  }
  const key = dniKey(number);
  return { digit: DNI_DIGIT_TABLE.charAt(key), letter: DNI_LETTER_TABLE.charAt(key) };
}

/**
 * Parses a DNI as typed by a person or an agent: 8 digits, optionally followed by the check character
 * (digit or letter, optionally after `-` or blanks), surrounding whitespace ignored, letter case ignored.
 * When a check character is given it must match RENIEC's algorithm in either its digit or letter form.
 */
export function parseDni(input: string): DniParseResult {
  const text = input.trim();
  let body = text;
  let check: string | undefined;
  const separated = WITH_SEPARATOR.exec(text);
  if (separated) {
    body = separated[1] ?? '';
    check = separated[2] ?? '';
  } else if (text.length === 9) {
    body = text.slice(0, 8);
    check = text.slice(8);
  }

  if (body.length > 0 && !ONLY_DIGITS.test(body)) {
    return { ok: false, reason: 'not_digits' };
  }
  if (body.length !== 8 || (check !== undefined && check.length !== 1)) {
    return { ok: false, reason: 'length' };
  }
  if (check === undefined) {
    return { ok: true, value: { number: body } };
  }

  const checkChar = check.toUpperCase();
  const expected = dniCheckCharacters(body);
  if (checkChar !== expected.digit && checkChar !== expected.letter) {
    return { ok: false, reason: 'check_digit' };
  }
  return { ok: true, value: { number: body, checkChar } };
}

/** `true` when {@link parseDni} accepts the input. */
export function isValidDni(input: string): boolean {
  return parseDni(input).ok;
}

function rucCheckDigit(firstTen: string): number {
  const r = 11 - (weightedSum(firstTen, RUC_WEIGHTS) % 11);
  if (r === 10) return 0;
  if (r === 11) return 1;
  return r;
}

/**
 * Parses a RUC: 11 digits (surrounding whitespace ignored), a prefix SUNAT issues (10, 15, 16, 17, 20) and a
 * valid mod-11 check digit in the last position. The value returned is the bare 11 digits.
 */
export function parseRuc(input: string): RucParseResult {
  const text = input.trim();
  if (text.length > 0 && !ONLY_DIGITS.test(text)) {
    return { ok: false, reason: 'not_digits' };
  }
  if (text.length !== 11) {
    return { ok: false, reason: 'length' };
  }
  if (!RUC_PREFIXES.has(text.slice(0, 2))) {
    return { ok: false, reason: 'prefix' };
  }
  if (rucCheckDigit(text.slice(0, 10)) !== Number(text.charAt(10))) {
    return { ok: false, reason: 'check_digit' };
  }
  return { ok: true, value: text };
}

/** `true` when {@link parseRuc} accepts the input. */
export function isValidRuc(input: string): boolean {
  return parseRuc(input).ok;
}
