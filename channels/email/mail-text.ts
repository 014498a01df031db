/*
 * Text out of real mail: the repair of a Node decoding bug that postal-mime inherits, and the readable text of an
 * HTML-only message for the agent's screen. Pure functions, no I/O.
 */

/**
 * Windows-1252 at the bytes 0x80-0x9F: `€ ‚ ƒ „ … † ‡ ˆ ‰ Š ‹ Œ Ž ‘ ’ “ ” • – — ˜ ™ š › œ ž Ÿ`. The five
 * positions Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) keep their code point.
 */
const CP1252_HIGH = '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

/**
 * Undoes a decoding bug of Node 20.18.3+ and 22.13+ (nodejs/node#56542, #60888): its `TextDecoder` turns the bytes
 * 0x80-0x9F of `windows-1252` (and of `iso-8859-1` and `us-ascii`, which the Encoding Standard decodes as
 * windows-1252) into the C1 control characters U+0080-U+009F instead of `€ “ ” – …`. postal-mime decodes bodies,
 * encoded words and file names through it, so an Outlook mail loses its quotes and euro signs. Every other byte
 * decodes right, and C1 controls never stand in written text, so mapping the 32 of them back is exact; on a Node
 * without the bug there is nothing to map.
 */
export function repairWindows1252(text: string): string {
  return text.replace(/[\u0080-\u009f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80] ?? c);
}

/** Named character references that mail in Spanish (and the clients that write it) actually uses. */
const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', shy: '',
  aacute: 'á', eacute: 'é', iacute: 'í', oacute: 'ó', uacute: 'ú', Aacute: 'Á', Eacute: 'É', Iacute: 'Í', Oacute: 'Ó', Uacute: 'Ú',
  agrave: 'à', egrave: 'è', igrave: 'ì', ograve: 'ò', ugrave: 'ù', acirc: 'â', ecirc: 'ê', ocirc: 'ô', ccedil: 'ç', Ccedil: 'Ç',
  ntilde: 'ñ', Ntilde: 'Ñ', uuml: 'ü', Uuml: 'Ü', iuml: 'ï', ouml: 'ö', auml: 'ä', euml: 'ë',
  iexcl: '¡', iquest: '¿', laquo: '«', raquo: '»', ordm: 'º', ordf: 'ª', deg: '°', middot: '·', sect: '§', para: '¶',
  euro: '€', cent: '¢', pound: '£', copy: '©', reg: '®', trade: '™', times: '×', divide: '÷', plusmn: '±', frac12: '½',
  ndash: '–', mdash: '—', hellip: '…', bull: '•', lsquo: '‘', rsquo: '’', ldquo: '“', rdquo: '”', sbquo: '‚', bdquo: '„',
  zwnj: '', zwj: '', lrm: '', rlm: '',
};

/** Decodes `&ntilde;`, `&#241;` and `&#xF1;`; an unknown name stays as written. */
export function decodeHtmlEntities(text: string): string {
  return text.replace(/&(#[xX][0-9a-fA-F]{1,6}|#\d{1,7}|[A-Za-z][A-Za-z0-9]{1,31});/g, (whole, name: string) => {
    if (name.startsWith('#')) {
      const code = name[1] === 'x' || name[1] === 'X' ? Number.parseInt(name.slice(2), 16) : Number.parseInt(name.slice(1), 10);
      if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return '\ufffd';
      // Numeric references to 0x80-0x9F mean Windows-1252 in HTML as browsers read it.
      return code >= 0x80 && code <= 0x9f ? repairWindows1252(String.fromCharCode(code)) : String.fromCodePoint(code);
    }
    return NAMED_ENTITIES[name] ?? whole;
  });
}

const BLOCK_TAGS = 'p|div|h[1-6]|ul|ol|table|tr|blockquote|pre|section|article|header|footer|address|center|form|fieldset|dl|dt|dd';

/**
 * The readable text of an HTML message, for the agent's screen and for keyword routing: paragraphs and line breaks
 * kept, lists as bullets, links with their address, scripts, styles and comments dropped, entities decoded. It is a
 * reading aid, not a renderer: the HTML itself is kept as received and must be sanitised by whatever shows it.
 */
export function htmlToText(html: string): string {
  let text = html
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<(head|script|style|title|xml|template)\b[\s\S]*?<\/\1\s*>/gi, '')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<hr\b[^>]*>/gi, '\n----------\n')
    .replace(/<li\b[^>]*>/gi, '\n• ')
    .replace(new RegExp(`</?(?:${BLOCK_TAGS})\\b[^>]*>`, 'gi'), '\n')
    .replace(/<\/t[dh]\s*>/gi, '\t')
    .replace(/<img\b[^>]*\balt\s*=\s*(["'])([^"']+)\1[^>]*>/gi, '[$2]')
    .replace(/<a\b[^>]*\bhref\s*=\s*(["'])([^"']*)\1[^>]*>([\s\S]*?)<\/a\s*>/gi, (_whole, _quote: string, href: string, label: string) => {
      const target = decodeHtmlEntities(href.trim());
      const shown = label.replace(/<[^>]*>/g, '').trim();
      if (!/^(https?:|mailto:)/i.test(target) || decodeHtmlEntities(shown) === target.replace(/^mailto:/i, '')) return label;
      return `${label} (${target.replace(/^mailto:/i, '')})`;
    })
    .replace(/<[^>]*>/g, '');
  text = decodeHtmlEntities(text);
  return text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.replace(/[ \t\u00a0]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
