import { seededRandom, weighted } from './stats.js';

/*
 * The email phase's mailbox: what citizens, their mail clients, mailers and lists send to the office, generated from a
 * seed so that two runs take in the same mail. A plan first (which message is what, and which earlier message or case
 * it answers), then each planned message as the bytes a mail server delivers (CRLF, MIME, encoded words).
 */

/** How a new case is written. */
export type MailShape = 'plain' | 'alternative' | 'html_latin1' | 'attachments';

/** What a message is, and so what the channel should make of it. */
export type MailKind =
  /** A person's new case. */
  | 'new'
  /** A list's bulletin: a case in triage, without a citizen. */
  | 'list'
  /** A forward without our code, whose References point at a conversation we never saw: a new case. */
  | 'forward'
  /** The citizen writes again in reply to their own earlier mail (In-Reply-To, References): joins its case. */
  | 'follow_on'
  /** An answer to our acknowledgement, the code in the subject and the headers in place: joins. */
  | 'reply_code'
  /** A Gmail answer to our acknowledgement whose subject lost the code: joins by In-Reply-To/References alone. */
  | 'reply_headers'
  /** Someone else writes about the case, from another address, citing only the bare code: joins. */
  | 'code_only'
  /** An answer to a case resolved a few days ago: reopens it. */
  | 'reply_resolved'
  /** An answer to a case closed long ago: a new case that follows up the old one. */
  | 'reply_old'
  /** An out-of-office answer to our acknowledgement: attached to its case, changes nothing. */
  | 'auto_reply'
  /** An out-of-office answer to something we never sent: no case. */
  | 'auto_unknown'
  /** Our relay's bounce of an acknowledgement: attached to its case. */
  | 'bounce';

/** What the channel makes of each kind (`EmailOutcome['kind']`). */
export const EXPECTED_OUTCOME: Readonly<Record<MailKind, string>> = {
  new: 'created',
  list: 'created',
  forward: 'created',
  follow_on: 'joined',
  reply_code: 'joined',
  reply_headers: 'joined',
  code_only: 'joined',
  reply_resolved: 'reopened',
  reply_old: 'follow_up',
  auto_reply: 'joined',
  auto_unknown: 'ignored',
  bounce: 'bounce',
};

/**
 * Shares of the mailbox, in percent, for every kind but `new`, which takes the rest: an office's inbox is mostly new
 * cases, then citizens answering, then automatic mail. Bounces are rare (our relay checks addresses it can).
 */
export const MAIL_MIX: Readonly<Record<Exclude<MailKind, 'new'>, number>> = {
  list: 1,
  forward: 1,
  follow_on: 6,
  reply_code: 7,
  reply_headers: 3,
  code_only: 2,
  reply_resolved: 1,
  reply_old: 1,
  auto_reply: 5,
  auto_unknown: 1,
  bounce: 0.1,
};

/** How new cases are written: plain text, text beside HTML, an old webmail's Latin-1 HTML, files attached. */
export const SHAPE_MIX: readonly (readonly [MailShape, number])[] = [
  ['plain', 35],
  ['alternative', 30],
  ['html_latin1', 15],
  ['attachments', 20],
];

/** A case the office acknowledged by mail before the phase: what a reply to it can cite. */
export interface EarlierCase {
  /** The citizen's first mail (without brackets). */
  messageId: string;
  from: string;
  subject: string;
  code: string;
  /** Our acknowledgement's Message-ID (without brackets), when it was sent. */
  ackId?: string;
}

/** A case that came by mail and was resolved (`recent`: within the reopen window) or closed long ago. */
export interface ClosedCase {
  code: string;
  ackId: string;
  from: string;
  subject: string;
  recent: boolean;
}

/** One message of the mailbox. */
export interface PlannedMail {
  index: number;
  kind: MailKind;
  shape: MailShape;
  /** Without brackets. */
  messageId: string;
  from: { name: string; address: string };
  /** The office's address it was written to (an alias of the mailbox for some). */
  to: string;
  subject: string;
  inReplyTo?: string;
  references?: string[];
  /** The code the subject cites, when it cites one. */
  code?: string;
  /** For a bounce: the acknowledgement that bounced and the address it was sent to. */
  bounced?: { messageId: string; recipient: string };
  /** Attachments, by name and size (bytes generated from the plan's seed). */
  attachments: { filename: string; contentType: string; size: number }[];
}

/** Where the mail goes: the mailbox's address and its aliases (`config/mailboxes.json`). */
export interface OfficeAddresses {
  address: string;
  aliases: readonly string[];
}

const FIRST = ['Rosa', 'Luis', 'María', 'Jorge', 'Carmen', 'José', 'Ana', 'Víctor', 'Lucía', 'Pedro', 'Teresa', 'Hernán', 'Ángel', 'Gladys', 'Óscar'] as const;
const LAST = ['Quispe', 'Huamán', 'Mendoza', 'Cárdenas', 'Ñahui', 'Rojas', 'Flores', 'Poma', 'Núñez', 'Salas', 'Villacorta', 'Loayza'] as const;
const DOMAINS = ['gmail.com', 'hotmail.com', 'yahoo.es', 'outlook.com', 'pucp.edu.pe', 'ferreteriaelpino.com.pe'] as const;
/** What citizens write about: the subject, and the first line of the body. */
const TOPICS: readonly (readonly [string, string])[] = [
  ['Consulta: licencia de funcionamiento para bodega', 'Quisiera saber qué requisitos necesito para la licencia de funcionamiento de una bodega.'],
  ['Denuncia: ruidos molestos después de las 23:00', 'Denuncio los ruidos molestos de un local de la cuadra todos los fines de semana.'],
  ['Poda de árboles en Jr. Bolognesi', 'Los árboles de la berma central tapan el alumbrado público y piden poda.'],
  ['Reclamo por cobro indebido de arbitrios', 'En mi estado de cuenta figura un cobro de arbitrios que ya pagué en marzo.'],
  ['Solicitud de acceso a la información pública', 'Al amparo de la Ley 27806 solicito copia del expediente de obra de mi cuadra.'],
  ['Desmonte abandonado en la esquina', 'Hace una semana dejaron desmonte en la esquina y nadie lo recoge.'],
  ['Consulta sobre el beneficio Vecino Puntual', '¿Cómo sé si califico como Vecino Puntual y qué beneficios tengo?'],
  ['Parque sin alumbrado en la noche', 'El parque de la urbanización está sin alumbrado desde hace diez días.'],
  ['Queja por la atención en plataforma', 'Ayer esperé dos horas en plataforma y no me atendieron.'],
  ['Sugerencia: más ciclovías en la Av. Bolívar', 'Sería bueno ampliar la ciclovía de la Av. Bolívar hasta la Av. Sucre.'],
];
const REPLIES = [
  'Gracias por su respuesta. Adjunto la información que me pidieron.',
  'Les escribo nuevamente porque el problema continúa.',
  '¿Podrían decirme en qué estado está mi caso?',
  'Ya envié los documentos, por favor confirmen la recepción.',
] as const;

function pick<T>(list: readonly T[], r: number): T {
  const item = list[Math.floor(r * list.length)];
  if (item === undefined) throw new Error('pick: empty list');
  return item;
}

/** How many messages of each kind a mailbox of `count` holds; each kind with a share has at least one. */
export function mailCounts(count: number): Record<MailKind, number> {
  const counts = Object.fromEntries(Object.entries(MAIL_MIX).map(([kind, share]) => [kind, count >= 20 ? Math.max(1, Math.round((count * share) / 100)) : 0])) as Record<Exclude<MailKind, 'new'>, number>;
  const others = Object.values(counts).reduce((a, b) => a + b, 0);
  return { new: count - others, ...counts };
}

/** The closed cases a mailbox of `count` answers: one per `reply_resolved` (recent) and `reply_old` message. */
export function closedCasesFor(count: number): { recent: number; old: number } {
  const counts = mailCounts(count);
  return { recent: counts.reply_resolved, old: counts.reply_old };
}

/** The people who write: a pool, so some citizens write more than once, as they do. */
function people(count: number, random: () => number): { name: string; address: string }[] {
  return Array.from({ length: count }, (_, i) => {
    const first = pick(FIRST, random());
    const last = pick(LAST, random());
    const local = `${first}.${last}${String(i)}`.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
    return { name: `${first} ${last}`, address: `${local}@${pick(DOMAINS, random())}` };
  });
}

function attachmentsFor(random: () => number): PlannedMail['attachments'] {
  const files = 1 + Math.floor(random() * 2);
  return Array.from({ length: files }, (_, i) => {
    const photo = random() < 0.5;
    // 10-250 KB: a scanned page, a phone photo sent reduced.
    const size = 10_240 + Math.floor(random() * 240 * 1_024);
    return photo ? { filename: `foto_${String(i + 1)}.jpg`, contentType: 'image/jpeg', size } : { filename: `documento_${String(i + 1)}.pdf`, contentType: 'application/pdf', size };
  });
}

/**
 * The messages of a mailbox of `count`, in delivery order. `prefix` makes the Message-IDs of two mailboxes of one run
 * differ (the cases acknowledged earlier, the mailbox measured). Answers cite the `earlier` cases (acknowledged before)
 * and the `closed` ones (each answered once: a second answer would find it reopened or followed up), and a citizen's
 * second mail cites one of the new cases before it. A kind whose cases are missing is written as a new case instead.
 * `newOnly`: every message a person's new case (the mail the office acknowledged before the phase).
 */
export function planMailbox(
  count: number,
  options: { seed: number; prefix: string; office: OfficeAddresses; earlier: readonly EarlierCase[]; closed: readonly ClosedCase[]; newOnly?: boolean },
): PlannedMail[] {
  const random = seededRandom(options.seed);
  const counts = options.newOnly === true ? mailCounts(0) : mailCounts(count);
  counts.new += count - Object.values(counts).reduce((a, b) => a + b, 0);
  const kinds: MailKind[] = Object.entries(counts).flatMap(([kind, n]) => Array.from({ length: n }, () => kind as MailKind));
  // Fisher-Yates with the seed: the kinds spread through the mailbox.
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j] ?? 'new', kinds[i] ?? 'new'];
  }
  const crowd = people(Math.max(10, Math.round(count * 0.8)), random);
  const recent = options.closed.filter((c) => c.recent);
  const old = options.closed.filter((c) => !c.recent);
  const withAck = options.earlier.filter((c) => c.ackId !== undefined);
  const fresh: PlannedMail[] = [];
  const idOf = (i: number, host: string): string => `${options.prefix}.${String(i)}.${String(options.seed)}@${host}`;
  const office = (r: number): string => (r < 0.85 || options.office.aliases.length === 0 ? options.office.address : pick(options.office.aliases, (r - 0.85) / 0.15));
  return kinds.map((wanted, index): PlannedMail => {
    const person = pick(crowd, random());
    const host = `mail.${person.address.slice(person.address.indexOf('@') + 1)}`;
    const base = { index, shape: 'plain' as MailShape, messageId: idOf(index, host), from: person, to: office(random()), attachments: [] };
    const acked = withAck.length > 0 ? pick(withAck, random()) : undefined;
    const earlier = options.earlier.length > 0 ? pick(options.earlier, random()) : undefined;
    const answered = (c: EarlierCase | ClosedCase, ackId: string): string[] => ('messageId' in c ? [c.messageId, ackId] : [ackId]);
    let kind = wanted;
    if ((kind === 'reply_code' || kind === 'reply_headers' || kind === 'auto_reply' || kind === 'bounce') && acked === undefined) kind = 'new';
    if (kind === 'code_only' && earlier === undefined) kind = 'new';
    if (kind === 'follow_on' && fresh.length === 0 && earlier === undefined) kind = 'new';
    if (kind === 'reply_resolved' && recent.length === 0) kind = 'new';
    if (kind === 'reply_old' && old.length === 0) kind = 'new';
    switch (kind) {
      case 'new': {
        const [topic] = pick(TOPICS, random());
        const shape = weighted(SHAPE_MIX, random());
        const planned: PlannedMail = { ...base, kind, shape, subject: `${topic} (${String(index)})`, attachments: shape === 'attachments' ? attachmentsFor(random) : [] };
        fresh.push(planned);
        return planned;
      }
      case 'list':
        return { ...base, kind, shape: 'plain', from: { name: 'Red de Municipios Saludables', address: 'boletin@redmunicipal.org.pe' }, messageId: idOf(index, 'lists.redmunicipal.org.pe'), subject: `[Red Municipal] Boletín n.º ${String(index)}: reclamos y buenas prácticas` };
      case 'forward':
        return { ...base, kind, shape: 'plain', subject: `Fwd: RV: Parque sin alumbrado (${String(index)})`, references: [`junta-${String(index)}@juntavecinal.org.pe`], inReplyTo: `junta-${String(index)}@juntavecinal.org.pe` };
      case 'follow_on': {
        const parent = fresh.length > 0 ? pick(fresh, random()) : undefined;
        if (parent) return { ...base, kind, from: parent.from, subject: `Re: ${parent.subject}`, inReplyTo: parent.messageId, references: [parent.messageId] };
        const c = earlier as EarlierCase;
        return { ...base, kind, from: { name: c.from, address: c.from }, subject: `Re: ${c.subject}`, inReplyTo: c.messageId, references: [c.messageId] };
      }
      case 'reply_code':
      case 'reply_headers': {
        const c = acked as EarlierCase;
        const ackId = c.ackId ?? c.messageId;
        const subject = kind === 'reply_code' ? `RE: [${c.code}] ${c.subject}` : `Re: ${c.subject}`;
        return { ...base, kind, shape: kind === 'reply_code' ? 'alternative' : 'plain', from: { name: c.from, address: c.from }, subject, inReplyTo: ackId, references: answered(c, ackId), ...(kind === 'reply_code' ? { code: c.code } : {}) };
      }
      case 'code_only': {
        const c = earlier as EarlierCase;
        return { ...base, kind, subject: `Rpta: ${c.code} ${c.subject.toLowerCase()}`, code: c.code };
      }
      case 'reply_resolved':
      case 'reply_old': {
        const c = (kind === 'reply_resolved' ? recent : old).shift() as ClosedCase;
        return { ...base, kind, from: { name: c.from, address: c.from }, subject: `RE: [${c.code}] ${c.subject}`, inReplyTo: c.ackId, references: [c.ackId], code: c.code };
      }
      case 'auto_reply': {
        const c = acked as EarlierCase;
        const ackId = c.ackId ?? c.messageId;
        return { ...base, kind, from: { name: c.from, address: c.from }, subject: `Respuesta automática: [${c.code}] ${c.subject}`, inReplyTo: ackId, references: [ackId], code: c.code };
      }
      case 'auto_unknown':
        return { ...base, kind, subject: 'Fuera de la oficina', inReplyTo: `boletin-${String(index)}@otrodominio.pe`, references: [`boletin-${String(index)}@otrodominio.pe`] };
      case 'bounce': {
        const c = acked as EarlierCase;
        return { ...base, kind, from: { name: 'Mail Delivery System', address: `mailer-daemon@smtp.${options.office.address.slice(options.office.address.indexOf('@') + 1)}` }, messageId: idOf(index, 'smtp.bounce'), subject: 'Undelivered Mail Returned to Sender', bounced: { messageId: c.ackId ?? c.messageId, recipient: c.from } };
      }
    }
  });
}

/** The Message-ID and In-Reply-To of a raw message (without brackets), read from its header block. */
export function threadHeaders(raw: Buffer): { messageId?: string; inReplyTo?: string } {
  const end = raw.indexOf('\r\n\r\n');
  const block = raw.subarray(0, end < 0 ? raw.length : end).toString('utf8').replace(/\r\n[ \t]+/g, ' ');
  const header = (name: string): string | undefined => new RegExp(`^${name}:\\s*<([^>]+)>`, 'im').exec(block)?.[1];
  const messageId = header('message-id');
  const inReplyTo = header('in-reply-to');
  return { ...(messageId !== undefined ? { messageId } : {}), ...(inReplyTo !== undefined ? { inReplyTo } : {}) };
}

/**
 * Each planned message against what it became: how many became what their kind should, and the others as
 * `<kind>: <expected> → <got>`, `missing` for a message no outcome names.
 */
export function compareOutcomes(plan: readonly PlannedMail[], outcomes: ReadonlyMap<string, { kind: string }>): { asPlanned: number; mismatches: Record<string, number> } {
  const mismatches: Record<string, number> = {};
  let asPlanned = 0;
  for (const mail of plan) {
    const expected = EXPECTED_OUTCOME[mail.kind];
    const got = outcomes.get(mail.messageId)?.kind ?? 'missing';
    if (got === expected) asPlanned++;
    else {
      const key = `${mail.kind}: ${expected} → ${got}`;
      mismatches[key] = (mismatches[key] ?? 0) + 1;
    }
  }
  return { asPlanned, mismatches };
}

const CRLF = '\r\n';

/** RFC 2047 encoded words (B), each within 75 characters, folded; ASCII text as it is. */
export function encodeWords(text: string, charset: 'UTF-8' | 'ISO-8859-1' = 'UTF-8'): string {
  if (/^[\x20-\x7e]*$/.test(text)) return text;
  const words: string[] = [];
  let chunk = '';
  const flush = (): void => {
    if (chunk !== '') words.push(`=?${charset}?B?${Buffer.from(chunk, charset === 'UTF-8' ? 'utf8' : 'latin1').toString('base64')}?=`);
    chunk = '';
  };
  const bytes = (s: string): number => Buffer.byteLength(s, charset === 'UTF-8' ? 'utf8' : 'latin1');
  for (const char of text) {
    // 45 bytes are 60 characters of base64: with `=?UTF-8?B?` and `?=`, each word stays within RFC 2047's 75.
    if (bytes(chunk + char) > 45) flush();
    chunk += char;
  }
  flush();
  return words.join(`${CRLF} `);
}

function base64Lines(bytes: Buffer): string {
  return (bytes.toString('base64').match(/.{1,76}/g) ?? []).join(CRLF);
}

function address(who: { name: string; address: string }, charset: 'UTF-8' | 'ISO-8859-1' = 'UTF-8'): string {
  return who.name === who.address ? who.address : `${encodeWords(who.name, charset)} <${who.address}>`;
}

/** Bytes that look like a file of `contentType` (its magic number), then seeded noise. */
function fileBytes(contentType: string, size: number, seed: number): Buffer {
  const random = seededRandom(seed);
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4) bytes.writeUInt32LE(Math.floor(random() * 4_294_967_296), Math.min(i, size - 4));
  const magic = contentType === 'application/pdf' ? Buffer.from('%PDF-1.4\n') : Buffer.from([0xff, 0xd8, 0xff, 0xe0]);
  magic.copy(bytes);
  return bytes;
}

function bodyText(mail: PlannedMail): string {
  const topic = TOPICS.find(([subject]) => mail.subject.includes(subject))?.[1] ?? pick(REPLIES, (mail.index % REPLIES.length) / REPLIES.length);
  return [
    'Señores de la Municipalidad de Pueblo Libre:',
    '',
    topic,
    `Vivo en la Av. San Martín ${String(100 + (mail.index % 1400))}, Pueblo Libre. Agradeceré su pronta atención.`,
    '',
    'Atentamente,',
    mail.from.name,
  ].join(CRLF);
}

function html(text: string): string {
  const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<html><body>${escaped.split(`${CRLF}${CRLF}`).map((p) => `<p>${p.split(CRLF).join('<br>')}</p>`).join(CRLF)}</body></html>`;
}

/**
 * One planned message as delivered: `date` is when it was written. New cases take the planned shape; answers are
 * written as their clients write them (Outlook's text beside HTML with the code, Gmail's plain text), automatic mail
 * carries `Auto-Submitted`, a list its `List-Id` and `Precedence`, a bounce is a delivery status notification
 * (RFC 3464) with our message's headers.
 */
export function renderMail(mail: PlannedMail, date: Date): Buffer {
  const latin1 = mail.shape === 'html_latin1';
  const charset = latin1 ? 'ISO-8859-1' : 'UTF-8';
  const headers: string[] = [
    `Return-Path: <${mail.kind === 'bounce' ? '' : mail.from.address}>`,
    `Delivered-To: ${mail.to}`,
    `Date: ${date.toUTCString().replace('GMT', '+0000')}`,
    `From: ${address(mail.from, charset)}`,
    `To: ${mail.to}`,
    `Subject: ${encodeWords(mail.subject, charset)}`,
    `Message-ID: <${mail.messageId}>`,
    ...(mail.inReplyTo !== undefined ? [`In-Reply-To: <${mail.inReplyTo}>`] : []),
    ...(mail.references !== undefined ? [`References: ${mail.references.map((id) => `<${id}>`).join(`${CRLF} `)}`] : []),
    'MIME-Version: 1.0',
  ];
  if (mail.kind === 'auto_reply' || mail.kind === 'auto_unknown') headers.push('Auto-Submitted: auto-replied', 'X-Auto-Response-Suppress: All');
  if (mail.kind === 'list') headers.push('List-Id: Red de Municipios Saludables <boletin.redmunicipal.org.pe>', 'List-Unsubscribe: <mailto:boletin-leave@redmunicipal.org.pe>', 'Precedence: list');
  if (mail.kind === 'bounce') headers.push('Auto-Submitted: auto-replied');
  const text = mail.kind === 'auto_reply' || mail.kind === 'auto_unknown' ? `Estaré fuera de la oficina hasta el lunes, sin acceso al correo.${CRLF}${CRLF}${mail.from.name}` : bodyText(mail);
  const boundary = `=_bench_${mail.messageId.replace(/[^A-Za-z0-9]/g, '')}`;
  const parts: string[] = [];
  if (mail.kind === 'bounce' && mail.bounced) {
    headers.push(`Content-Type: multipart/report; report-type=delivery-status;${CRLF}\tboundary="${boundary}"`);
    parts.push(
      `--${boundary}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      `<${mail.bounced.recipient}>: host not found, the message could not be delivered.`,
      `--${boundary}`,
      'Content-Type: message/delivery-status',
      '',
      `Reporting-MTA: dns; ${mail.from.address.slice(mail.from.address.indexOf('@') + 1)}`,
      '',
      `Final-Recipient: rfc822; ${mail.bounced.recipient}`,
      'Action: failed',
      'Status: 5.1.1',
      'Diagnostic-Code: smtp; 550 5.1.1 user unknown',
      `--${boundary}`,
      'Content-Type: text/rfc822-headers',
      '',
      `From: ${mail.to}`,
      `To: ${mail.bounced.recipient}`,
      `Message-ID: <${mail.bounced.messageId}>`,
      `--${boundary}--`,
      '',
    );
    return Buffer.from([...headers, '', 'This is a MIME-encapsulated message.', '', ...parts].join(CRLF), 'utf8');
  }
  if (latin1) {
    headers.push('Content-Type: text/html; charset=ISO-8859-1', 'Content-Transfer-Encoding: 8bit');
    return Buffer.concat([Buffer.from([...headers, '', ''].join(CRLF), 'latin1'), Buffer.from(`${html(text)}${CRLF}`, 'latin1')]);
  }
  if (mail.shape === 'plain' && mail.attachments.length === 0) {
    headers.push('Content-Type: text/plain; charset=UTF-8', 'Content-Transfer-Encoding: 8bit');
    return Buffer.from([...headers, '', text, ''].join(CRLF), 'utf8');
  }
  const alternative = [
    `Content-Type: multipart/alternative; boundary="${boundary}alt"`,
    '',
    `--${boundary}alt`,
    'Content-Type: text/plain; charset=UTF-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    text,
    `--${boundary}alt`,
    'Content-Type: text/html; charset=UTF-8',
    'Content-Transfer-Encoding: base64',
    '',
    base64Lines(Buffer.from(html(text), 'utf8')),
    `--${boundary}alt--`,
  ];
  if (mail.attachments.length === 0) return Buffer.from([...headers, ...alternative, ''].join(CRLF), 'utf8');
  headers.push(`Content-Type: multipart/mixed; boundary="${boundary}"`);
  const files = mail.attachments.flatMap((file, i) => [
    `--${boundary}`,
    `Content-Type: ${file.contentType}; name="${file.filename}"`,
    `Content-Disposition: attachment; filename="${file.filename}"`,
    'Content-Transfer-Encoding: base64',
    '',
    base64Lines(fileBytes(file.contentType, file.size, mail.index * 31 + i)),
  ]);
  return Buffer.from([...headers, '', `--${boundary}`, ...alternative, ...files, `--${boundary}--`, ''].join(CRLF), 'utf8');
}
