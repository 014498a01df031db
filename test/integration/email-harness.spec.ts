import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { ImapFlow, type FetchMessageObject } from 'imapflow';
import { createTransport } from 'nodemailer';
import PostalMime, { type Attachment, type Email } from 'postal-mime';
import { repairWindows1252 } from '../../channels/email/mail-text.js';
import { startDovecot, type TestDovecot } from '../support/dovecot.js';
import { emailFixtureNames, readEmailFixture } from '../support/email-fixtures.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';

const OFFICE = 'atencionalvecino@munipueblolibre.gob.pe';
const MOVES = 'archivo@munipueblolibre.gob.pe';
const RESYNC = 'resync@munipueblolibre.gob.pe';
const BULK = 'lote@munipueblolibre.gob.pe';
const PASSWORD = 'clave-de-prueba-123';

async function withImap<T>(dovecot: TestDovecot, user: string, use: (client: ImapFlow) => Promise<T>): Promise<T> {
  const client = new ImapFlow(dovecot.imapOptions(user));
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.logout().catch(() => {
      client.close();
    });
  }
}

async function fetchAll(client: ImapFlow, folder: string): Promise<{ uidValidity: bigint; messages: FetchMessageObject[] }> {
  const mailbox = await client.mailboxOpen(folder, { readOnly: true });
  const messages: FetchMessageObject[] = [];
  if (mailbox.exists > 0) {
    for await (const message of client.fetch('1:*', { uid: true, source: true, flags: true })) messages.push(message);
  }
  return { uidValidity: mailbox.uidValidity, messages };
}

function sha256(content: ArrayBuffer | Uint8Array | string): string {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content instanceof Uint8Array ? content : new Uint8Array(content);
  return createHash('sha256').update(bytes).digest('hex');
}

describe('email test harness: real Dovecot and a real SMTP server', function () {
  describe('Dovecot (IMAP)', function () {
    let dovecot: TestDovecot;

    before(async function () {
      dovecot = await startDovecot({ users: [OFFICE, MOVES, RESYNC, BULK].map((user) => ({ user, password: PASSWORD })) });
    });

    after(async function () {
      await dovecot.stop();
    });

    it('delivers every fixture as a mail server would and serves it back over IMAP byte for byte, in ascending UIDs', async function () {
      const names = await emailFixtureNames();
      expect(names).to.have.length.greaterThanOrEqual(11);
      const files = await Promise.all(names.map((name) => readEmailFixture(name)));
      const uids: number[] = [];
      for (const file of files) uids.push(await dovecot.deliver(OFFICE, file));
      expect(uids).to.deep.equal(files.map((_, i) => i + 1));

      const { uidValidity, messages } = await withImap(dovecot, OFFICE, (client) => fetchAll(client, 'INBOX'));
      expect(messages.map((m) => m.uid)).to.deep.equal(uids);
      messages.forEach((message, i) => {
        expect(message.source?.equals(files[i]!), names[i]).to.equal(true);
      });
      expect(Number(uidValidity)).to.equal((await dovecot.status(OFFICE)).uidValidity);
    });

    it('refuses a wrong password over IMAP', async function () {
      const client = new ImapFlow({ ...dovecot.imapOptions(OFFICE), auth: { user: OFFICE, pass: 'incorrecta' } });
      let failure: unknown;
      try {
        await client.connect();
      } catch (err) {
        failure = err;
      } finally {
        client.close();
      }
      expect(failure).to.have.property('authenticationFailed', true);
    });

    it('delivers into a new folder with flags, creates folders, and lets a client move a message between them', async function () {
      const [first = '', second = ''] = await emailFixtureNames();
      const seen = await dovecot.deliver(MOVES, await readEmailFixture(first), { folder: 'Procesados', flags: ['\\Seen'] });
      const unread = await dovecot.deliver(MOVES, await readEmailFixture(second));
      await dovecot.createFolder(MOVES, 'Pendientes/Área Verde');

      await withImap(dovecot, MOVES, async (client) => {
        const paths = (await client.list()).map((folder) => folder.path);
        expect(paths).to.include.members(['INBOX', 'Procesados', 'Pendientes', 'Pendientes/Área Verde', 'Sent', 'Trash', 'Junk', 'Drafts']);
        const sent = (await client.list()).find((folder) => folder.path === 'Sent');
        expect(sent?.specialUse).to.equal('\\Sent');

        await client.mailboxOpen('INBOX');
        const moved = await client.messageMove(String(unread), 'Procesados', { uid: true });
        expect(moved && moved.uidMap?.get(unread)).to.equal(seen + 1);
      });

      expect((await dovecot.status(MOVES, 'INBOX')).messages).to.equal(0);
      const { messages } = await withImap(dovecot, MOVES, (client) => fetchAll(client, 'Procesados'));
      expect(messages.map((m) => [m.uid, m.flags?.has('\\Seen')])).to.deep.equal([
        [seen, true],
        [seen + 1, false],
      ]);
      expect(messages[1]?.source?.equals(await readEmailFixture(second))).to.equal(true);
    });

    it('renews a folder\'s UIDVALIDITY: open sessions are cut, the messages stay, renumbered from UID 1', async function () {
      const names = (await emailFixtureNames()).slice(0, 3);
      const files = await Promise.all(names.map((name) => readEmailFixture(name)));
      for (const file of files) await dovecot.deliver(RESYNC, file);
      const before = await withImap(dovecot, RESYNC, async (client) => {
        await client.mailboxOpen('INBOX');
        await client.messageDelete('1', { uid: true });
        return fetchAll(client, 'INBOX');
      });
      expect(before.messages.map((m) => m.uid)).to.deep.equal([2, 3]);

      const watcher = new ImapFlow(dovecot.imapOptions(RESYNC));
      await watcher.connect();
      await watcher.mailboxOpen('INBOX');
      const cut = once(watcher, 'close');
      const renewed = await dovecot.renewUidValidity(RESYNC);
      await cut;
      expect(watcher.usable).to.equal(false);
      expect(renewed.uidValidity).to.not.equal(Number(before.uidValidity));
      expect(renewed).to.include({ messages: 2, uidNext: 3 });

      const after = await withImap(dovecot, RESYNC, (client) => fetchAll(client, 'INBOX'));
      expect(Number(after.uidValidity)).to.equal(renewed.uidValidity);
      // UIDs 1 and 2 now name what were UIDs 2 and 3: a client keyed on UID alone would mix them up.
      expect(after.messages.map((m) => m.uid)).to.deep.equal([1, 2]);
      expect(after.messages.map((m, i) => m.source?.equals(files[i + 1]!))).to.deep.equal([true, true]);
    });

    it('delivers many messages at once straight into the Maildir, numbered in the order given, served back byte for byte', async function () {
      const fixtures = await Promise.all((await emailFixtureNames()).map((name) => readEmailFixture(name)));
      // 1,500 files written within a second or two (the fixtures over and over): numbered in the order given.
      const files = Array.from({ length: 1_500 }, (_, i) => fixtures[i % fixtures.length]!);
      const single = await dovecot.deliver(BULK, files[0]!);
      const { first, last } = await dovecot.deliverMany(BULK, files);
      expect([single, first, last]).to.deep.equal([1, 2, 1_501]);
      expect(await dovecot.deliverMany(BULK, [])).to.deep.equal({ first: 1_502, last: 1_501 });

      const { messages } = await withImap(dovecot, BULK, (client) => fetchAll(client, 'INBOX'));
      expect(messages.map((m) => m.uid)).to.deep.equal(Array.from({ length: 1_501 }, (_, i) => i + 1));
      expect(messages.slice(1).every((m, i) => m.source?.equals(files[i]!))).to.equal(true);
      expect((await dovecot.status(BULK)).messages).to.equal(1_501);
    });
  });

  describe('SMTP sink', function () {
    const auth = { user: OFFICE, pass: PASSWORD };
    let sink: SmtpSink;

    before(async function () {
      sink = await startSmtpSink({ auth });
    });

    after(async function () {
      await sink.stop();
    });

    beforeEach(function () {
      sink.reset();
    });

    const ack = {
      from: '"Atención al Vecino - Municipalidad de Pueblo Libre" <atencionalvecino@munipueblolibre.gob.pe>',
      to: 'María Fernanda Quispe Huamán <mfquispe.huaman@hotmail.com>',
      subject: '[PL-2026-000123] Hemos recibido su consulta',
      text: 'Estimada vecina:\n\nHemos registrado su consulta con el código PL-2026-000123.',
      messageId: '<ack-PL-2026-000123.8c1f2e@munipueblolibre.gob.pe>',
    };

    /** What nodemailer rejects with when the sink refuses the message (undefined if it was accepted). */
    const refusal = (mail: typeof ack, transport = sink.transportOptions()): Promise<unknown> =>
      createTransport(transport)
        .sendMail(mail)
        .then(() => undefined, (err: unknown) => err);

    it('records what nodemailer sends: envelope, authenticated user and the raw message', async function () {
      const info = await createTransport(sink.transportOptions()).sendMail(ack);
      expect(info.accepted).to.deep.equal(['mfquispe.huaman@hotmail.com']);
      const [message] = await sink.waitForMessages(1);
      expect(message).to.include({ envelopeFrom: OFFICE, user: OFFICE });
      expect(message?.envelopeTo).to.deep.equal(['mfquispe.huaman@hotmail.com']);
      const parsed = await PostalMime.parse(message!.raw);
      expect(parsed).to.include({ subject: ack.subject, messageId: ack.messageId });
      expect(parsed.text).to.contain('código PL-2026-000123');
    });

    it('turns away a wrong password with 535', async function () {
      expect(await refusal(ack, { ...sink.transportOptions(), auth: { user: OFFICE, pass: 'incorrecta' } })).to.include({ code: 'EAUTH', responseCode: 535 });
      expect(sink.messages).to.have.length(0);
    });

    it('rejects a recipient with a permanent 5xx, which nodemailer reports as responseCode 550', async function () {
      sink.rejectRecipient('carmen.rojas.vda@hotmial.com', { code: 550, message: 'Recipient address rejected: User unknown' });
      expect(await refusal({ ...ack, to: 'Carmen.Rojas.Vda@hotmial.com' })).to.include({ code: 'EENVELOPE', responseCode: 550 });
      expect(sink.messages).to.have.length(0);
    });

    it('rejects a recipient with a temporary 4xx when told to', async function () {
      sink.rejectRecipient('mfquispe.huaman@hotmail.com', { code: 451, message: 'Greylisted, try again later' });
      expect(await refusal(ack)).to.include({ code: 'EENVELOPE', responseCode: 451 });
    });

    it('delivers to the other recipients when only one is refused', async function () {
      sink.rejectRecipient('carmen.rojas.vda@hotmial.com', { code: 550, message: 'User unknown' });
      const info = await createTransport(sink.transportOptions()).sendMail({ ...ack, to: ['mfquispe.huaman@hotmail.com', 'carmen.rojas.vda@hotmial.com'] });
      expect(info.accepted).to.deep.equal(['mfquispe.huaman@hotmail.com']);
      expect(info.rejected).to.deep.equal(['carmen.rojas.vda@hotmial.com']);
      expect(sink.messages.map((m) => m.envelopeTo)).to.deep.equal([['mfquispe.huaman@hotmail.com']]);
    });

    it('can refuse the message itself at DATA', async function () {
      sink.rejectData({ code: 554, message: 'Message rejected as spam' });
      expect(await refusal(ack)).to.include({ code: 'EMESSAGE', responseCode: 554 });
      expect(sink.messages).to.have.length(0);
    });
  });

  describe('fixtures (parsed with postal-mime)', function () {
    /**
     * Node's TextDecoder (from 20.18.3 and 22.13.0, still in 20.20) decodes windows-1252, latin1 and us-ascii bytes
     * 0x80-0x9F as C1 control characters instead of € “ ” – … (nodejs/node#56542, #60888), and postal-mime decodes
     * through it: the channel's repair (channels/email/mail-text.ts) maps them back.
     */
    const repairC1 = (text: string | undefined) => (text === undefined ? undefined : repairWindows1252(text));

    const parse = async (name: string): Promise<Email> => PostalMime.parse(await readEmailFixture(name));
    const attachmentSummary = (a: Attachment) => ({ filename: a.filename, mimeType: a.mimeType, disposition: a.disposition, sha256: sha256(a.content) });
    const header = (email: Email, key: string) => email.headers.find((h) => h.key === key)?.value;
    const CODE = /PL-\d{4}-\d{6}/;

    it('lists one README entry per fixture', async function () {
      const readme = (await readEmailFixture('README.md')).toString('utf8');
      for (const name of await emailFixtureNames()) expect(readme, name).to.contain(`\`${name}\``);
    });

    it('multipart-alternative.eml: a first contact, UTF-8 plain (quoted-printable) beside HTML (base64)', async function () {
      const email = await parse('multipart-alternative.eml');
      expect(email.from).to.deep.equal({ name: 'María Fernanda Quispe Huamán', address: 'mfquispe.huaman@hotmail.com' });
      expect(email.subject).to.equal('Consulta: licencia de funcionamiento para bodega en Av. Bolívar');
      expect(email.messageId).to.equal('<8f2d6c1e-4b7a-4e0f-9d35-2a61c0e7b913@hotmail.com>');
      expect(email.inReplyTo).to.equal(undefined);
      expect(email.text).to.contain('¿Qué requisitos necesito para la licencia de funcionamiento y cuánto cuesta el trámite?');
      expect(email.html).to.contain('<b>licencia de funcionamiento</b>');
      expect(email.attachments).to.have.length(0);
    });

    it('html-only-iso-8859-1.eml: HTML only, 8-bit Latin-1 bytes', async function () {
      const raw = await readEmailFixture('html-only-iso-8859-1.eml');
      expect(raw.includes(Buffer.from('Se\xf1ores', 'latin1'))).to.equal(true);
      expect(raw.includes(Buffer.from('Señores', 'utf8'))).to.equal(false);
      const email = await parse('html-only-iso-8859-1.eml');
      expect(email.from?.name).to.equal('Rosa Elvira Ñahui Ccori');
      expect(email.subject).to.equal('Denuncia vecinal: ruidos molestos después de las 23:00 en Jr. Ayacucho');
      expect(email.text).to.equal(undefined);
      expect(email.html).to.contain('Señores de la Municipalidad de Pueblo Libre').and.contain('Nº de vecinos afectados: más de 20. ¿Pueden enviar');
    });

    it('attachments-non-ascii-names.eml: names in RFC 2231 (with continuations, ISO-8859-1) and RFC 2047', async function () {
      const email = await parse('attachments-non-ascii-names.eml');
      expect(email.subject).to.equal('Solicitud de acceso a la información pública – Ley 27806');
      expect(email.text).to.contain('la foto de la señal caída frente al predio');
      expect(email.attachments.map(attachmentSummary)).to.deep.equal([
        { filename: 'solicitud_ñandú_año.pdf', mimeType: 'application/pdf', disposition: 'attachment', sha256: 'b19549c2d91a0363b427592740e304b34aa2ab03fdbb6a316e0d79c57a228c1d' },
        { filename: 'foto_señal_caída.png', mimeType: 'image/png', disposition: 'attachment', sha256: 'd31c9da8719588178ddcd3270b0497de77dd1dd6dc749db0ddf7c4bbc6188b46' },
        { filename: 'Declaración_jurada_de_posesión_del_predio_(firmada).txt', mimeType: 'text/plain', disposition: 'attachment', sha256: '00c1133ed26f19907126ef7941efb6f3b683f18d2eb9648b7aa0364e5524258d' },
      ]);
      expect(Buffer.from(email.attachments[0]!.content as ArrayBuffer).subarray(0, 8).toString('latin1')).to.equal('%PDF-1.4');
    });

    it('outlook-reply-quoted-thread.eml: an Outlook reply in Windows-1252, a quoted thread and an inline image', async function () {
      const email = await parse('outlook-reply-quoted-thread.eml');
      expect(email.from).to.deep.equal({ name: 'María Fernanda Quispe Huamán', address: 'mfquispe.huaman@hotmail.com' });
      expect(email.subject).to.equal('RE: [PL-2026-000123] Hemos recibido su consulta');
      expect(email.inReplyTo).to.equal('<ack-PL-2026-000123.8c1f2e@munipueblolibre.gob.pe>');
      expect(email.references).to.equal('<8f2d6c1e-4b7a-4e0f-9d35-2a61c0e7b913@hotmail.com> <ack-PL-2026-000123.8c1f2e@munipueblolibre.gob.pe>');
      expect(header(email, 'thread-index')).to.equal('AQHcqd2Xk3fP0YbVRk6Lr2qT4nE5wLQVsk2A');
      const text = repairC1(email.text);
      expect(text).to.contain('le saldría unos 25 € aprox.').and.contain('llamarse “Doña Mary”').and.contain('Bodega “Doña Mary” – Av. Simón Bolívar');
      expect(text).to.contain('Enviado el: lunes, 2 de marzo de 2026 08:41');
      expect(email.html).to.contain('src="cid:image001.png@01DCAB3F.5E2D7A40"');
      expect(email.attachments).to.have.length(1);
      expect(email.attachments[0]).to.include({ filename: 'image001.png', mimeType: 'image/png', disposition: 'inline', related: true, contentId: '<image001.png@01DCAB3F.5E2D7A40>' });
      expect(sha256(email.attachments[0]!.content)).to.equal('40f525833990e8f5e5f88befc61ad0ea76d66f7a527b7381e6c74b5a2322040c');
    });

    it('gmail-reply-subject-lost-code.eml: a Gmail reply whose subject lost the code; only the threading headers link it', async function () {
      const email = await parse('gmail-reply-subject-lost-code.eml');
      expect(email.from?.name).to.equal('Jorge Luis Cárdenas Ñique');
      expect(email.subject).to.equal('Re: Poda de árboles en Jr. Bolognesi');
      expect(email.inReplyTo).to.equal('<ack-PL-2026-000131.4b7d90@munipueblolibre.gob.pe>');
      expect(email.references).to.contain('<ack-PL-2026-000131.4b7d90@munipueblolibre.gob.pe>');
      expect(email.text).to.contain('¿Para cuándo tienen programada la poda?');
      expect(`${email.subject} ${email.text ?? ''} ${email.html ?? ''}`).to.not.match(CODE);
    });

    it('new-address-code-only.eml: a new sender, no threading headers, the code in subject and body (base64)', async function () {
      const email = await parse('new-address-code-only.eml');
      expect(email.from).to.deep.equal({ name: 'Lucía Quispe', address: 'lucia.quispe.2004@yahoo.com' });
      expect(email.subject).to.equal('Rpta: PL-2026-000123 requisitos bodega');
      expect(email.inReplyTo).to.equal(undefined);
      expect(email.references).to.equal(undefined);
      expect(email.text).to.contain('por el caso PL-2026-000123 (licencia para la bodega)');
    });

    it('forward-without-code.eml: a forward (Fwd: RV:) with no code and foreign threading headers', async function () {
      const raw = await readEmailFixture('forward-without-code.eml');
      expect(raw.toString('latin1')).to.not.match(CODE);
      const email = await parse('forward-without-code.eml');
      expect(email.subject).to.equal('Fwd: RV: Parque Los Próceres sin alumbrado');
      expect(email.inReplyTo).to.match(/@SJ0PR17MB5682\.namprd17\.prod\.outlook\.com>$/);
      expect(email.text).to.contain('---------- Forwarded message ---------').and.contain('De: Gloria Paredes Vílchez');
    });

    it('dsn-bounce.eml: a delivery status notification about one of our messages', async function () {
      const email = await parse('dsn-bounce.eml');
      expect(email.from).to.deep.equal({ name: 'Mail Delivery System', address: 'MAILER-DAEMON@smtp.munipueblolibre.gob.pe' });
      expect(header(email, 'return-path')).to.equal('<>');
      expect(header(email, 'auto-submitted')).to.equal('auto-replied');
      expect(header(email, 'content-type')).to.match(/^multipart\/report; report-type=delivery-status;/);
      const [status, headers] = email.attachments;
      expect(status?.mimeType).to.equal('message/delivery-status');
      expect(Buffer.from(status!.content as ArrayBuffer).toString('utf8')).to.contain('Final-Recipient: rfc822; carmen.rojas.vda@hotmial.com').and.contain('Status: 5.4.4');
      expect(headers?.mimeType).to.equal('text/rfc822-headers');
      expect(Buffer.from(headers!.content as ArrayBuffer).toString('utf8')).to.contain('Message-ID: <notif-PL-2026-000127.5e2a9c@munipueblolibre.gob.pe>');
    });

    it('out-of-office.eml: an Exchange automatic reply that carries a code', async function () {
      const email = await parse('out-of-office.eml');
      expect(email.subject).to.equal('Respuesta automática: [PL-2026-000129] Hemos recibido su reclamo');
      expect(header(email, 'auto-submitted')).to.equal('auto-replied');
      expect(header(email, 'x-auto-response-suppress')).to.equal('All');
      expect(email.inReplyTo).to.equal('<ack-PL-2026-000129.a03e55@munipueblolibre.gob.pe>');
      expect(email.text).to.contain('Estaré fuera de la oficina del 6 al 13 de marzo').and.contain('Ferretería El Pino S.A.C.');
    });

    it('mailing-list.eml: a list message (List-Id, Precedence: list), raw 8-bit UTF-8', async function () {
      const email = await parse('mailing-list.eml');
      expect(email.subject).to.equal('[Boletín MuniRed] Taller sobre el Libro de Reclamaciones, 20 de marzo');
      expect(header(email, 'list-id')).to.contain('<boletin.listas.munired.org.pe>');
      expect(header(email, 'precedence')).to.equal('list');
      expect(header(email, 'list-unsubscribe')).to.equal('<mailto:boletin-leave@listas.munired.org.pe>');
      expect(email.text).to.contain('«Gestión del Libro de\nReclamaciones').and.contain('Municipalidad de Jesús María');
    });

    it('malformed-mime.eml: an unknown charset label, a truncated attachment and no closing boundary still parse', async function () {
      const raw = await readEmailFixture('malformed-mime.eml');
      expect(raw.toString('latin1')).to.not.contain('------=_NextPart_000_0007_01DCAE55.1A2B3C40--');
      const email = await parse('malformed-mime.eml');
      expect(email.subject).to.equal('Reclamo por cobro indebido de arbitrios');
      expect(email.text).to.contain('Me están cobrando dos veces los arbitrios del 2026 (recibo Nº 2026-004512).');
      expect(email.attachments.map((a) => [a.filename, a.mimeType, (a.content as ArrayBuffer).byteLength])).to.deep.equal([['voucher.png', 'image/png', 75]]);
    });
  });
});
