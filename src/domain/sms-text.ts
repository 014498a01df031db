/**
 * What an SMS costs is counted in segments, and the alphabet decides their size. A text written only with the GSM-7
 * default alphabet (3GPP TS 23.038) fits 160 characters in one segment (153 per segment once split); a single
 * character outside it sends the whole text as UCS-2, 70 characters in one segment (67 once split).
 *
 * Spanish needs á, í, ó and ú, which GSM-7 lacks (it has é, ñ, ü, ¿ and ¡). Sent as written, almost every Spanish
 * SMS would be UCS-2 and a two-line notice would cost two or three segments. So the text a citizen receives is
 * folded into GSM-7 first ({@link toGsm7}): accents GSM-7 lacks are dropped (código → codigo), typographic quotes,
 * dashes and spaces become their plain forms. Peruvian phones show such text every day, and the templates in
 * `config/templates.json` stay correctly written Spanish.
 */

const GSM7_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
/** Reached through the escape code: each counts as two characters. */
const GSM7_EXTENSION = new Set('^{}\\[~]|€\f');

/** Characters with a plain GSM-7 form that decomposition (below) does not find. */
const PLAIN_FORMS: Readonly<Record<string, string>> = {
  '‘': "'",
  '’': "'",
  '‚': "'",
  '′': "'",
  '´': "'",
  '`': "'",
  '“': '"',
  '”': '"',
  '„': '"',
  '″': '"',
  '«': '"',
  '»': '"',
  '‐': '-',
  '‑': '-',
  '‒': '-',
  '–': '-',
  '—': '-',
  '―': '-',
  '−': '-',
  '…': '...',
  '•': '-',
  '·': '.',
  'º': 'o',
  'ª': 'a',
  '°': 'o',
  '\t': ' ',
  '\u00a0': ' ',
  '\u2007': ' ',
  '\u2009': ' ',
  '\u200a': ' ',
  '\u202f': ' ',
};

function isGsm7(char: string): boolean {
  return GSM7_BASIC.has(char) || GSM7_EXTENSION.has(char);
}

/** `char` as GSM-7 writes it: itself, its plain form, or its letter without the accent; itself when none exists. */
function foldChar(char: string): string {
  if (isGsm7(char)) return char;
  const plain = PLAIN_FORMS[char];
  if (plain !== undefined) return plain;
  const bare = char.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
  return bare !== '' && Array.from(bare).every(isGsm7) ? bare : char;
}

/**
 * The text in the GSM-7 alphabet wherever a faithful plain form exists (á → a, “ → ", – → -). A character with
 * none (an emoji, a Chinese name) is kept, and the text then travels as UCS-2.
 */
export function toGsm7(text: string): string {
  return Array.from(text, foldChar).join('');
}

export interface SmsLength {
  encoding: 'GSM-7' | 'UCS-2';
  /** Characters as the network counts them: GSM-7 extension characters count two, UCS-2 counts UTF-16 units. */
  units: number;
  segments: number;
}

/** How a text travels as SMS: its encoding, its length in that encoding and how many segments it is billed as. */
export function smsLength(text: string): SmsLength {
  const chars = Array.from(text);
  if (chars.every(isGsm7)) {
    const units = chars.reduce((sum, char) => sum + (GSM7_EXTENSION.has(char) ? 2 : 1), 0);
    return { encoding: 'GSM-7', units, segments: units <= 160 ? 1 : Math.ceil(units / 153) };
  }
  const units = text.length;
  return { encoding: 'UCS-2', units, segments: units <= 70 ? 1 : Math.ceil(units / 67) };
}
