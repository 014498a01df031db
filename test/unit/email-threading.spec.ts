import { expect } from 'chai';
import { classifyMailOrigin, type MailOriginInput } from '../../src/domain/automatic-mail.js';
import { addressedTo, baseAddress, findTrackingCode, isForwardSubject, parseMessageIds, replyTokenOf, stripSubjectPrefixes, threadKeys } from '../../src/domain/email-threading.js';

const OPTIONS = { codePrefix: 'PL', mailbox: 'atencionalvecino@munipueblolibre.gob.pe' };

describe('email threading: what a mail offers to find its case', () => {
  it('strips the reply and forward prefixes of English, Spanish, German and French clients, with counters', () => {
    const subjects = ['RE: Poda de árbol', 'RV: Poda de árbol', 'Re[2]: Poda de árbol', 'Fwd: Poda de árbol', 'Rpta: Poda de árbol', 'RE: RE: Fw: Poda de árbol', 'AW: Poda de árbol', 'TR : Poda de árbol', 'RE(3): Poda de árbol', 'Re：Poda de árbol', 'RES: Poda de árbol'];
    for (const subject of subjects) expect(stripSubjectPrefixes(subject), subject).to.equal('Poda de árbol');
    // Words that only begin like a prefix stay.
    expect(stripSubjectPrefixes('Reclamo por ruido')).to.equal('Reclamo por ruido');
    expect(stripSubjectPrefixes('Trámite de licencia')).to.equal('Trámite de licencia');
  });

  it('tells a forward from a reply by the first prefix', () => {
    expect(isForwardSubject('RV: Poda')).to.equal(true);
    expect(isForwardSubject('Fwd: Poda')).to.equal(true);
    expect(isForwardSubject('FW: RE: Poda')).to.equal(true);
    expect(isForwardSubject('RE: FW: Poda')).to.equal(false);
    expect(isForwardSubject('Rpta: Poda')).to.equal(false);
  });

  it('finds this office\'s tracking code anywhere in the subject, in any case, and no other office\'s', () => {
    expect(findTrackingCode('RE: [PL-2026-000123] Poda de árbol', 'PL')).to.equal('PL-2026-000123');
    expect(findTrackingCode('Poda de árbol (pl-2026-000123)', 'PL')).to.equal('PL-2026-000123');
    expect(findTrackingCode('Sobre mi caso PL-2026-1234567', 'PL')).to.equal('PL-2026-1234567');
    expect(findTrackingCode('RE: [MSI-2026-000123] Poda', 'PL')).to.equal(undefined);
    expect(findTrackingCode('APL-2026-000123', 'PL')).to.equal(undefined);
    expect(findTrackingCode('PL-2026-00012', 'PL')).to.equal(undefined);
    expect(findTrackingCode('PL-0026-000123 y luego PL-2026-000124', 'PL')).to.equal('PL-2026-000124');
  });

  it('reads message ids from In-Reply-To and References, brackets off, once each, the newest fifty', () => {
    expect(parseMessageIds('<a@x.pe> <b@x.pe>\r\n <a@x.pe>')).to.deep.equal(['a@x.pe', 'b@x.pe']);
    expect(parseMessageIds('CAFx1=abc@mail.gmail.com')).to.deep.equal(['CAFx1=abc@mail.gmail.com']);
    expect(parseMessageIds(undefined)).to.deep.equal([]);
    expect(parseMessageIds('no es un id')).to.deep.equal([]);
    const long = Array.from({ length: 80 }, (_, i) => `<m${String(i)}@x.pe>`).join(' ');
    const ids = parseMessageIds(long);
    expect(ids).to.have.length(50);
    expect(ids.at(-1)).to.equal('m79@x.pe');
  });

  it('finds the token of a per-ticket reply address for this mailbox only', () => {
    expect(replyTokenOf(['Otro <x@y.pe>', 'atencionalvecino+k7Q2xw9@munipueblolibre.gob.pe'].map((a) => a.replace(/^.*<|>$/g, '')), OPTIONS.mailbox)).to.equal('k7Q2xw9');
    expect(replyTokenOf(['AtencionAlVecino+k7Q2xw9@MuniPuebloLibre.gob.pe'], OPTIONS.mailbox)).to.equal('k7Q2xw9');
    expect(replyTokenOf(['otrobuzon+k7Q2xw9@munipueblolibre.gob.pe'], OPTIONS.mailbox)).to.equal(undefined);
    expect(replyTokenOf(['atencionalvecino+k7@munipueblolibre.gob.pe'], OPTIONS.mailbox)).to.equal(undefined);
  });

  it('tells which of the mailbox\'s own addresses a mail was written to, a per-ticket reply address included', () => {
    expect(baseAddress(' AtencionAlVecino+k7Q2xw9@MuniPuebloLibre.gob.pe ')).to.equal('atencionalvecino@munipueblolibre.gob.pe');
    expect(baseAddress('no-es-direccion')).to.equal('no-es-direccion');
    const own = ['atencionalciudadano@muniplibre.gob.pe', 'reclamos@muniplibre.gob.pe'];
    expect(addressedTo(['vecino@x.pe', 'Reclamos@muniplibre.gob.pe', 'atencionalciudadano@muniplibre.gob.pe'], own)).to.equal('reclamos@muniplibre.gob.pe');
    expect(addressedTo(['atencionalciudadano+abc123@muniplibre.gob.pe'], own)).to.equal('atencionalciudadano@muniplibre.gob.pe');
    expect(addressedTo(['lista@listas.pe'], own)).to.equal(undefined);
  });

  it('orders the keys: the code, then In-Reply-To, then References from the newest, then the reply address', () => {
    const keys = threadKeys(
      { subject: 'RE: [PL-2026-000123] Poda', inReplyTo: '<c@x.pe>', references: '<a@x.pe> <b@x.pe> <c@x.pe>', recipients: ['atencionalvecino+abc123@munipueblolibre.gob.pe'] },
      OPTIONS,
    );
    expect(keys).to.deep.equal({ trackingCode: 'PL-2026-000123', messageIds: ['c@x.pe', 'b@x.pe', 'a@x.pe'], replyToken: 'abc123' });
    // A Gmail reply whose subject lost the code still has its headers.
    expect(threadKeys({ subject: 'Re: Poda', inReplyTo: '<ack-1@munipueblolibre.gob.pe>', recipients: [] }, OPTIONS)).to.deep.equal({ messageIds: ['ack-1@munipueblolibre.gob.pe'] });
  });

  it('treats a forward as a new case unless it carries the code: its headers point at someone else\'s conversation', () => {
    expect(threadKeys({ subject: 'RV: Poda', inReplyTo: '<c@x.pe>', references: '<c@x.pe>', recipients: ['atencionalvecino+abc123@munipueblolibre.gob.pe'] }, OPTIONS)).to.deep.equal({ messageIds: [] });
    expect(threadKeys({ subject: 'RV: [PL-2026-000123] Poda', references: '<c@x.pe>', recipients: [] }, OPTIONS)).to.deep.equal({ trackingCode: 'PL-2026-000123', messageIds: [] });
  });
});

function mail(headers: Record<string, string>, extra: Partial<MailOriginInput> = {}): MailOriginInput {
  return { headers: new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), [v]])), ownAddresses: [OPTIONS.mailbox], ...extra };
}

describe('email loop protection: who wrote the mail', () => {
  it('answers a person, and nobody else', () => {
    expect(classifyMailOrigin(mail({ 'Return-Path': '<vecina@gmail.com>' }, { from: 'vecina@gmail.com' }))).to.deep.equal({ origin: 'person', answerable: true });
    expect(classifyMailOrigin(mail({ 'Auto-Submitted': 'no' }))).to.deep.equal({ origin: 'person', answerable: true });
  });

  it('knows a bounce by its delivery report, its sender or its empty Return-Path', () => {
    expect(classifyMailOrigin(mail({}, { contentType: 'multipart/report; report-type=delivery-status; boundary="x"' }))).to.deep.include({ origin: 'bounce', answerable: false });
    expect(classifyMailOrigin(mail({}, { from: 'MAILER-DAEMON@mx.gmail.com' }))).to.deep.include({ origin: 'bounce' });
    expect(classifyMailOrigin(mail({}, { from: 'postmaster@outlook.com' }))).to.deep.include({ origin: 'bounce' });
    expect(classifyMailOrigin(mail({ 'Return-Path': '<>' }))).to.deep.include({ origin: 'bounce', reason: 'empty Return-Path' });
  });

  it('knows an auto-reply by Auto-Submitted, the old auto-responder headers, X-Loop, or Exchange\'s suppress header with an out-of-office subject', () => {
    for (const value of ['auto-replied', 'auto-generated', 'auto-notified; owner-email="x@y.pe"']) expect(classifyMailOrigin(mail({ 'Auto-Submitted': value })).origin, value).to.equal('auto_reply');
    expect(classifyMailOrigin(mail({ 'X-Autoreply': 'yes' })).origin).to.equal('auto_reply');
    expect(classifyMailOrigin(mail({ 'X-Loop': OPTIONS.mailbox.toUpperCase() }))).to.deep.include({ origin: 'auto_reply', reason: 'X-Loop names this mailbox' });
    expect(classifyMailOrigin(mail({ 'X-Auto-Response-Suppress': 'All' }, { subject: 'Respuesta automática: [PL-2026-000123] Poda' })).origin).to.equal('auto_reply');
    expect(classifyMailOrigin(mail({ 'X-Auto-Response-Suppress': 'All' }, { subject: 'Fuera de la oficina: Poda' })).origin).to.equal('auto_reply');
  });

  it('does not answer a person who asked for no automatic answers, but takes their mail as a person\'s', () => {
    expect(classifyMailOrigin(mail({ 'X-Auto-Response-Suppress': 'DR, OOF, AutoReply' }, { subject: 'Consulta sobre arbitrios' }))).to.deep.equal({ origin: 'person', answerable: false, reason: 'X-Auto-Response-Suppress' });
  });

  it('knows lists and bulk mail by Precedence, List-Id or List-Unsubscribe', () => {
    for (const value of ['bulk', 'list', 'junk', 'Bulk']) expect(classifyMailOrigin(mail({ Precedence: value })).origin, value).to.equal('bulk');
    expect(classifyMailOrigin(mail({ 'List-Id': '<vecinos.lists.example.pe>' }))).to.deep.include({ origin: 'bulk', answerable: false });
    expect(classifyMailOrigin(mail({ 'List-Unsubscribe': '<mailto:baja@example.pe>' })).origin).to.equal('bulk');
  });
});
