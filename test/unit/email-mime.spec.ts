import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { parseDeliveryStatus, readMail, type FetchedMail } from '../../channels/email/mime-parser.js';
import { readEmailFixture } from '../support/email-fixtures.js';

const OFFICE = 'atencionalvecino@munipueblolibre.gob.pe';
const MAILBOX = { id: 'atencion', address: OFFICE, aliases: ['reclamos@munipueblolibre.gob.pe'] };

function fetched(source: Buffer, extra: Partial<FetchedMail> = {}): FetchedMail {
  return { mailbox: MAILBOX, uidValidity: 7, uid: 3, source, size: source.length, internalDate: new Date('2026-03-02T14:00:00Z'), ...extra };
}

const fixture = async (name: string) => readMail(fetched(await readEmailFixture(name)));

describe('email MIME parsing: a fetched message as the core takes it in', () => {
  it('maps a first message to a contact: Message-ID as its key, From as the citizen, the mailbox as the routing hint', async () => {
    const mail = await fixture('multipart-alternative.eml');
    expect(mail.contact).to.deep.include({ channel: 'email', externalId: '8f2d6c1e-4b7a-4e0f-9d35-2a61c0e7b913@hotmail.com', receivedAt: new Date('2026-03-02T14:00:00Z'), citizen: { email: 'mfquispe.huaman@hotmail.com' } });
    expect(mail.contact.subject).to.equal('Consulta: licencia de funcionamiento para bodega en Av. Bolívar');
    expect(mail.contact.hint.emailTo).to.equal(OFFICE);
    expect(mail.contact.hint.text).to.match(/^Consulta: licencia de funcionamiento para bodega en Av\. Bolívar\nBuenos días:/);
    expect(mail.record).to.deep.include({ mailboxId: 'atencion', uidValidity: 7, uid: 3, messageId: '8f2d6c1e-4b7a-4e0f-9d35-2a61c0e7b913@hotmail.com', from: { name: 'María Fernanda Quispe Huamán', address: 'mfquispe.huaman@hotmail.com' } });
    expect(mail.record.headers[0]).to.deep.equal({ name: 'Return-Path', value: '<mfquispe.huaman@hotmail.com>' });
    expect(mail.record.html).to.contain('<b>licencia de funcionamiento</b>');
    expect(mail).to.not.have.property('problem');
  });

  it('repairs Windows-1252 text and names, and flags an image the HTML shows as inline', async () => {
    const mail = await fixture('outlook-reply-quoted-thread.eml');
    expect(mail.contact.body).to.contain('le saldría unos 25 € aprox.').and.contain('“Doña Mary”');
    expect(mail.contact.body).to.not.match(/[\u0080-\u009f]/);
    expect(mail.inReplyTo).to.equal('<ack-PL-2026-000123.8c1f2e@munipueblolibre.gob.pe>');
    expect(mail.attachments.map((a) => [a.filename, a.contentType, a.inline, a.content.byteLength])).to.deep.equal([['image001.png', 'image/png', true, 78]]);
  });

  it('reads a delivery status notification: the message that bounced and each recipient\'s fate', async () => {
    const mail = await fixture('dsn-bounce.eml');
    expect(mail.bounce).to.deep.equal({
      messageIds: ['notif-PL-2026-000127.5e2a9c@munipueblolibre.gob.pe'],
      reports: [{ recipient: 'carmen.rojas.vda@hotmial.com', action: 'failed', status: '5.4.4', diagnostic: 'Host or domain name not found. Name service error for name=hotmial.com type=A: Host not found' }],
    });
    expect(mail.attachments.map((a) => a.filename)).to.deep.equal(['adjunto-1.txt', 'adjunto-2.txt']);
    expect(parseDeliveryStatus('Reporting-MTA: dns; x\r\n\r\nFinal-Recipient: rfc822;<A@B.pe>\r\nAction: delayed\r\nStatus: 4.4.1 (timeout)\r\n\r\nOriginal-Recipient: rfc822; c@d.pe\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\r\n')).to.deep.equal([
      { recipient: 'a@b.pe', action: 'delayed', status: '4.4.1' },
      { recipient: 'c@d.pe', action: 'failed', status: '5.1.1', diagnostic: '550 5.1.1 User unknown' },
    ]);
  });

  it('routes by the address the mail was delivered to (an alias of the mailbox), and lists the recipients in delivery order', async () => {
    const source = Buffer.from('Delivered-To: reclamos@munipueblolibre.gob.pe\r\nFrom: v@x.pe\r\nTo: Otra <otra@x.pe>\r\nCc: atencionalvecino@munipueblolibre.gob.pe\r\nSubject: Reclamo\r\nMessage-ID: <r@x.pe>\r\n\r\nTexto\r\n');
    const mail = await readMail(fetched(source));
    expect(mail.recipients).to.deep.equal(['reclamos@munipueblolibre.gob.pe', 'otra@x.pe', OFFICE]);
    expect(mail.contact.hint.emailTo).to.equal('reclamos@munipueblolibre.gob.pe');
    const bcc = await readMail(fetched(Buffer.from('From: v@x.pe\r\nTo: lista@x.pe\r\nSubject: Hola\r\n\r\nTexto\r\n')));
    expect(bcc.contact.hint.emailTo).to.equal(OFFICE);
  });

  it('keys a mail without Message-ID by the mailbox and its bytes, and a huge Message-ID by its hash', async () => {
    const source = Buffer.from('From: v@x.pe\r\nSubject: Sin id\r\n\r\nTexto\r\n');
    const mail = await readMail(fetched(source));
    expect(mail.contact.externalId).to.equal(`atencion/sha256:${createHash('sha256').update(source).digest('hex')}`);
    expect(mail.messageId).to.equal(undefined);
    const long = `${'a'.repeat(600)}@x.pe`;
    const hashed = await readMail(fetched(Buffer.from(`From: v@x.pe\r\nMessage-ID: <${long}>\r\nSubject: Largo\r\n\r\nTexto\r\n`)));
    expect(hashed.messageId).to.equal(long);
    expect(hashed.contact.externalId).to.equal(`message-id/sha256:${createHash('sha256').update(long).digest('hex')}`);
  });

  it('keeps the whole text apart when it is longer than a contact\'s body may be', async () => {
    const text = 'Vecinos de la cuadra 5. '.repeat(1_500);
    const mail = await readMail(fetched(Buffer.from(`From: v@x.pe\r\nSubject: Largo\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${text}\r\n`)));
    expect(mail.contact.body).to.have.length(20_000);
    expect(mail.contact.body?.endsWith('…')).to.equal(true);
    expect(mail.fullText).to.equal(text.trim());
    expect(mail.contact.hint.text).to.have.length(5_000);
  });

  it('reads by hand what postal-mime refuses: the headers, encoded words decoded, the body as text, the source kept', async () => {
    let nested = 'Content-Type: text/plain\r\n\r\nAgua en la pista\r\n';
    for (let depth = 0; depth < 300; depth++) nested = `Content-Type: multipart/mixed; boundary="b${String(depth)}"\r\n\r\n--b${String(depth)}\r\n${nested}--b${String(depth)}--\r\n`;
    const source = Buffer.from(`From: =?ISO-8859-1?Q?N=FA=F1ez?= <nunez@x.pe>\r\nSubject: =?UTF-8?Q?Fuga_de_agua_en_Jr._Hu=C3=A1nuco?=\r\nMessage-ID: <deep@x.pe>\r\nIn-Reply-To: <ack@m.pe>\r\n${nested}`);
    const mail = await readMail(fetched(source));
    expect(mail.problem).to.match(/nesting depth/);
    expect(mail.source).to.equal(source);
    expect(mail.contact.subject).to.equal('Fuga de agua en Jr. Huánuco');
    expect(mail.from).to.equal('nunez@x.pe');
    expect(mail.record.from?.name).to.equal('Núñez');
    expect(mail).to.include({ messageId: 'deep@x.pe', inReplyTo: '<ack@m.pe>' });
    expect(mail.contact.body).to.contain('Agua en la pista');
  });

  it('says how much of a message larger than the channel reads whole it read', async () => {
    const source = await readEmailFixture('attachments-non-ascii-names.eml');
    const mail = await readMail(fetched(source.subarray(0, 2_000), { size: source.length, readBytes: 2_000 }));
    expect(mail).to.include({ size: source.length, readBytes: 2_000 });
    expect(mail.contact.subject).to.equal('Solicitud de acceso a la información pública – Ley 27806');
  });
});
