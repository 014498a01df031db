import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MailInbound } from '../../channels/email/email.port.js';
import type { MailboxPoller } from '../../channels/email/imap-poller.js';
import { readMail } from '../../channels/email/mime-parser.js';
import type { EmailChannelEnv } from '../../src/config/env.js';
import type { InboundEmail } from '../../src/domain/inbound-email.js';
import { AppError } from '../../src/errors.js';
import { takeInEmail, type EmailIntakeDeps } from '../../src/services/email/index.js';
import { createAttachmentFiles, type AttachmentFiles } from '../../src/store/attachment-file.repository.js';
import type { Interaction } from '../../src/store/interaction.repository.js';
import { ticketIdFor, type Ticket } from '../../src/store/ticket.repository.js';
import { startSystem, type RunningSystem } from '../../src/system.js';
import { mailInbound, startEmailPoller } from '../../src/wiring/email.js';
import { startDovecot, type TestDovecot } from '../support/dovecot.js';
import { acknowledgementRecorder, composeMail, emailConfigDir, MAIL_PASSWORD, testEmailEnv, type TestMailbox } from '../support/email-channel.js';
import { readEmailFixture } from '../support/email-fixtures.js';
import { seedTicket } from '../support/seed.js';
import { testEnv, testLog, uniqueName } from '../support/services.js';
import { eventually } from '../support/wait.js';

const OFFICE = 'atencionalvecino@munipueblolibre.gob.pe';
const REPLIES = 'respuestas@munipueblolibre.gob.pe';
const ROUGH = 'robustez@munipueblolibre.gob.pe';
const RESYNC = 'resync@munipueblolibre.gob.pe';
const MAILBOXES: TestMailbox[] = [
  { id: 'atencion', user: OFFICE, processedFolder: 'Procesados' },
  { id: 'respuestas', user: REPLIES, processedFolder: 'Procesados' },
  { id: 'robustez', user: ROUGH, processedFolder: 'Procesados' },
  // Marks mail read and leaves it where it is: what a UIDVALIDITY change then shows again.
  { id: 'resync', user: RESYNC },
];
const DAY = 86_400_000;

function sha256(content: Uint8Array | string): string {
  return createHash('sha256').update(content).digest('hex');
}

/** Message-ids as the store keeps them: without angle brackets. */
const id = (messageId: string): string => messageId.replace(/^<|>$/g, '');

describe('email channel, inbound: real Dovecot, real store and Redis', function () {
  this.timeout(120_000);
  let dovecot: TestDovecot;
  let system: RunningSystem;
  let configDir: string;
  let attachmentsDir: string;
  let files: AttachmentFiles;
  let email: EmailChannelEnv;
  let deps: MailInbound;
  const recorder = acknowledgementRecorder();
  const pollers = new Map<string, MailboxPoller>();
  /** Every mail handed to the core, by mailbox; and a hook a test sets around the core's use-case. */
  const takenIn: InboundEmail[] = [];
  let around: ((mail: InboundEmail, takeIn: () => Promise<{ kind: string }>) => Promise<{ kind: string }>) | undefined;

  const ctx = () => system.ctx;
  const intakeDeps = (): EmailIntakeDeps => ({ attachments: files, acknowledge: recorder.acknowledge });
  const startPoller = (mailboxId: string): void => {
    pollers.set(mailboxId, startEmailPoller(ctx(), email, mailboxId, deps, { reconnectDelayMs: { first: 100, max: 1_000 } }));
  };
  const ticketOf = (messageId: string): Promise<Ticket | null> => ctx().store.tickets.findByChannelKey('email', id(messageId));
  const waitTicket = (messageId: string): Promise<Ticket> => eventually(() => ticketOf(messageId).then((t) => t ?? undefined), `a ticket for ${messageId}`);
  const fresh = async (ticket: Ticket): Promise<Ticket> => (await ctx().store.tickets.get(ticket._id.toString()))!;
  const interactionsOf = (ticket: Ticket): Promise<Interaction[]> => ctx().store.interactions.list(ticket._id.toString(), { includeRaw: true });
  const eventsOf = async (ticket: Ticket) => ctx().store.ticketEvents.list(ticket._id.toString());
  /** Waits until the poller took in (and moved or marked) every mail up to `uid`. */
  const waitTakenIn = (mailboxId: string, uid: number): Promise<unknown> =>
    eventually(async () => ((await ctx().store.mailboxStates.get(mailboxId))?.lastUid ?? 0) >= uid, `${mailboxId} to take in UID ${String(uid)}`, 30_000);
  /** The ticket a test seeds as an earlier case, with the Message-IDs our outbound side sent on it. */
  const remembered = async (ticket: Ticket, sent: readonly string[]): Promise<Ticket> => {
    await ctx().store.mailThreads.remember(
      ticket._id,
      [...sent.map((value) => ({ kind: 'message_id' as const, value: id(value), direction: 'out' as const })), { kind: 'tracking_code' as const, value: ticket.trackingCode, direction: 'out' as const }],
      new Date(),
    );
    return ticket;
  };

  before(async function () {
    dovecot = await startDovecot({ users: MAILBOXES.map((mailbox) => ({ user: mailbox.user, password: MAIL_PASSWORD })) });
    configDir = await emailConfigDir(MAILBOXES);
    attachmentsDir = await mkdtemp(join(tmpdir(), 'mcc-attachments-'));
    files = createAttachmentFiles(attachmentsDir);
    system = await startSystem(await testEnv(import.meta.filename, { ROLE: 'worker', CONFIG_DIR: configDir }), { log: testLog, queuePrefix: uniqueName(import.meta.filename) });
    // A backstop of 3 s: IDLE is what wakes the pollers (the system test below runs with two minutes).
    email = testEmailEnv(dovecot, attachmentsDir, 3_000);
    const core = mailInbound(ctx(), intakeDeps());
    deps = {
      ...core,
      takeIn: (mail) => {
        takenIn.push(mail);
        return around ? around(mail, () => core.takeIn(mail)) : core.takeIn(mail);
      },
    };
    for (const mailbox of MAILBOXES) startPoller(mailbox.id);
  });

  after(async function () {
    await Promise.all([...pollers.values()].map((poller) => poller.stop()));
    await system.stop();
    await dovecot.stop();
    await rm(configDir, { recursive: true, force: true });
    await rm(attachmentsDir, { recursive: true, force: true });
  });

  afterEach(function () {
    around = undefined;
  });

  describe('the fixtures, as the office receives them', function () {
    /** What the fixtures' story needs to exist before the replies arrive (test/fixtures/email/README.md). */
    const story: Record<string, Ticket> = {};
    const MARIA = '<8f2d6c1e-4b7a-4e0f-9d35-2a61c0e7b913@hotmail.com>';

    before(async function () {
      // María's first message becomes her case, PL-2026-000123 in the story, and we acknowledged it.
      const uid = await dovecot.deliver(OFFICE, await readEmailFixture('multipart-alternative.eml'));
      await waitTakenIn('atencion', uid);
      const maria = await waitTicket(MARIA);
      await ctx().store.models.Ticket.updateOne({ _id: maria._id }, { $set: { trackingCode: 'PL-2026-000123' } });
      story.maria = await remembered((await fresh(maria)), ['<ack-PL-2026-000123.8c1f2e@munipueblolibre.gob.pe>']);
      // Jorge's tree-pruning request, open; Luis's reclamo, resolved two days ago; Carmen's case from the counter.
      const jorge = await ctx().store.citizens.create({ emails: ['jorge.cardenas.nique@gmail.com'] });
      story.jorge = await remembered(await seedTicket(ctx().store, { trackingCode: 'PL-2026-000131', citizenId: jorge._id, status: 'en_cola', channelKey: id('<CAJx7Rk2b8vM0hP4nQzL1tY9eWq3sDfG5uH6iJ7kL8mN9oP0qRs@mail.gmail.com>') }), ['<ack-PL-2026-000131.4b7d90@munipueblolibre.gob.pe>']);
      const luis = await ctx().store.citizens.create({ emails: ['lmendoza@ferreteriaelpino.com.pe'] });
      story.luis = await remembered(
        await seedTicket(ctx().store, { trackingCode: 'PL-2026-000129', citizenId: luis._id, status: 'resuelto', type: 'reclamo', resolution: { summary: 'Se devolvió el cobro.', resolvedBy: 'test', resolvedAt: new Date(Date.now() - 2 * DAY) } }),
        ['<ack-PL-2026-000129.a03e55@munipueblolibre.gob.pe>'],
      );
      const carmen = await ctx().store.citizens.create({ emails: ['carmen.rojas.vda@hotmial.com'], firstNames: 'Carmen' });
      story.carmen = await remembered(await seedTicket(ctx().store, { trackingCode: 'PL-2026-000127', channel: 'kiosk', citizenId: carmen._id, status: 'en_cola' }), ['<notif-PL-2026-000127.5e2a9c@munipueblolibre.gob.pe>']);

      const rest = ['html-only-iso-8859-1.eml', 'attachments-non-ascii-names.eml', 'outlook-reply-quoted-thread.eml', 'gmail-reply-subject-lost-code.eml', 'new-address-code-only.eml', 'forward-without-code.eml', 'dsn-bounce.eml', 'out-of-office.eml', 'mailing-list.eml', 'malformed-mime.eml'];
      let last = uid;
      for (const name of rest) last = await dovecot.deliver(OFFICE, await readEmailFixture(name));
      await waitTakenIn('atencion', last);
    });

    it('moves every mail to Procesados once it is stored, and records the last UID', async function () {
      expect((await dovecot.status(OFFICE, 'INBOX')).messages).to.equal(0);
      expect((await dovecot.status(OFFICE, 'Procesados')).messages).to.equal(11);
      const state = await ctx().store.mailboxStates.get('atencion');
      expect(state).to.include({ uidValidity: (await dovecot.status(OFFICE)).uidValidity, lastUid: 11 });
    });

    it('a first message (multipart/alternative, UTF-8) becomes a case named after its subject, acknowledged once', async function () {
      const ticket = story.maria!;
      expect(ticket).to.include({ channel: 'email', subject: 'Consulta: licencia de funcionamiento para bodega en Av. Bolívar' });
      expect(ticket.description).to.contain('¿Qué requisitos necesito para la licencia de funcionamiento y cuánto cuesta el trámite?');
      expect(ticket.routingHint.emailTo).to.equal(OFFICE);
      const citizen = await ctx().store.citizens.findByIdentifier('email', 'mfquispe.huaman@hotmail.com');
      expect(citizen?._id.toString()).to.equal(ticket.citizenId?.toString());
      expect(recorder.sentFor(ticket._id.toString())).to.equal(1);
      const [call] = recorder.calls.filter((c) => c.ticket._id.equals(ticket._id));
      expect(call?.mail.messageId).to.equal(id(MARIA));
    });

    it('an Outlook reply in Windows-1252 joins the case by its code, its quotes and euro sign intact, its inline image kept byte for byte', async function () {
      const [, reply] = await interactionsOf(story.maria!);
      expect(reply).to.include({ kind: 'email', direction: 'in', authorKind: 'citizen', subject: 'RE: [PL-2026-000123] Hemos recibido su consulta' });
      expect(reply?.body).to.contain('le saldría unos 25 € aprox.').and.contain('llamarse “Doña Mary”').and.contain('Bodega “Doña Mary” – Av. Simón Bolívar');
      expect(reply?.attachments).to.deep.equal([{ filename: 'image001.png', contentType: 'image/png', size: 78, sha256: '40f525833990e8f5e5f88befc61ad0ea76d66f7a527b7381e6c74b5a2322040c', inline: true }]);
      expect(sha256((await files.get('40f525833990e8f5e5f88befc61ad0ea76d66f7a527b7381e6c74b5a2322040c'))!)).to.equal('40f525833990e8f5e5f88befc61ad0ea76d66f7a527b7381e6c74b5a2322040c');
      const received = (await eventsOf(story.maria!)).filter((e) => e.type === 'email_received');
      expect(received[0]?.data).to.deep.include({ via: 'tracking_code', knownSender: true, from: 'mfquispe.huaman@hotmail.com' });
      // Joining changes nothing else: still waiting in its queue, and no acknowledgement for a reply.
      expect((await fresh(story.maria!)).status).to.equal('en_cola');
      expect(recorder.sentFor(story.maria!._id.toString())).to.equal(1);
    });

    it('a Gmail reply whose subject lost the code joins its case by In-Reply-To', async function () {
      const interactions = await interactionsOf(story.jorge!);
      expect(interactions.map((i) => i.subject)).to.deep.equal(['Re: Poda de árboles en Jr. Bolognesi']);
      expect(interactions[0]?.body).to.contain('¿Para cuándo tienen programada la poda?');
      expect((await eventsOf(story.jorge!)).find((e) => e.type === 'email_received')?.data).to.deep.include({ via: 'references', knownSender: true });
      expect(await ticketOf('<CAJx7Rk0nW2qPj5sX8yT1uV4zA6bC9dE3fG7hI0jK2lM4nO6pQ8r@mail.gmail.com>')).to.equal(null);
    });

    it('a mail from another address with only the code (Rpta:) joins the case, marked as from an unknown sender, without adding the address to the citizen', async function () {
      const interactions = await interactionsOf(story.maria!);
      expect(interactions.map((i) => i.subject)).to.include('Rpta: PL-2026-000123 requisitos bodega');
      const events = (await eventsOf(story.maria!)).filter((e) => e.type === 'email_received');
      expect(events.map((e) => e.data?.from)).to.deep.equal(['mfquispe.huaman@hotmail.com', 'lucia.quispe.2004@yahoo.com']);
      expect(events[1]?.data).to.deep.include({ knownSender: false, via: 'tracking_code' });
      const citizen = await ctx().store.citizens.get(story.maria!.citizenId!.toString());
      expect(citizen?.emails).to.deep.equal(['mfquispe.huaman@hotmail.com']);
    });

    it('a forward without our code is a new case, even though its References cite another conversation', async function () {
      const ticket = await waitTicket('<CAOp3ZtV1kX9cW2mQ7rN4sB8yH0jL5dF6gA3eT9uP1iM2oK7nR4@mail.gmail.com>');
      expect(ticket.subject).to.equal('Parque Los Próceres sin alumbrado');
      expect(ticket.description).to.contain('---------- Forwarded message ---------');
      expect(recorder.sentFor(ticket._id.toString())).to.equal(1);
    });

    it('HTML-only mail in ISO-8859-1 reads as Spanish text for the agent; the HTML is kept as received', async function () {
      const ticket = await waitTicket('<20260303234749.3F1A2B@webmail.yahoo.es>');
      expect(ticket.subject).to.equal('Denuncia vecinal: ruidos molestos después de las 23:00 en Jr. Ayacucho');
      expect(ticket.description).to.contain('Señores de la Municipalidad de Pueblo Libre:\n\nPor medio del presente denuncio').and.contain('el local "La Esquina"').and.contain('Atentamente,\nRosa Elvira Ñahui Ccori\nDNI 09876543');
      expect(ticket.description).to.not.contain('<p>');
      const [first] = await interactionsOf(ticket);
      const raw = first?.raw as { email: { html: string; from: { name: string } } };
      expect(raw.email.html).to.contain('<p>Señores de la Municipalidad de Pueblo Libre:</p>');
      expect(raw.email.from.name).to.equal('Rosa Elvira Ñahui Ccori');
    });

    it('attachments named in RFC 2231 and RFC 2047 are kept byte for byte under their Spanish names', async function () {
      const ticket = await waitTicket('<0c7e1d52-91a4-4d8b-b3f6-5e2a7c9d0f18@gmail.com>');
      const [first] = await interactionsOf(ticket);
      expect(first?.attachments.map((a) => [a.filename, a.contentType, a.size, a.sha256])).to.deep.equal([
        ['solicitud_ñandú_año.pdf', 'application/pdf', 606, 'b19549c2d91a0363b427592740e304b34aa2ab03fdbb6a316e0d79c57a228c1d'],
        ['foto_señal_caída.png', 'image/png', 112, 'd31c9da8719588178ddcd3270b0497de77dd1dd6dc749db0ddf7c4bbc6188b46'],
        ['Declaración_jurada_de_posesión_del_predio_(firmada).txt', 'text/plain', 221, '00c1133ed26f19907126ef7941efb6f3b683f18d2eb9648b7aa0364e5524258d'],
      ]);
      for (const attachment of first!.attachments) {
        const bytes = await readFile(join(attachmentsDir, attachment.sha256!.slice(0, 2), attachment.sha256!));
        expect(sha256(bytes), attachment.filename).to.equal(attachment.sha256);
      }
      expect(recorder.sentFor(ticket._id.toString())).to.equal(1);
    });

    it('a bounce of our notification joins its case and marks the citizen\'s address as failing; nothing answers it', async function () {
      const [bounce] = await interactionsOf(story.carmen!);
      expect(bounce).to.include({ kind: 'email', authorKind: 'system', subject: 'Undelivered Mail Returned to Sender' });
      const citizen = await ctx().store.citizens.get(story.carmen!.citizenId!.toString());
      expect(citizen?.failingEmails).to.have.length(1);
      expect(citizen?.failingEmails?.[0]).to.deep.include({ email: 'carmen.rojas.vda@hotmial.com', status: '5.4.4' });
      expect(citizen?.failingEmails?.[0]?.diagnostic).to.contain('Host or domain name not found');
      const event = (await eventsOf(story.carmen!)).find((e) => e.type === 'email_bounced');
      expect(event?.data).to.deep.include({ citizenAddressesMarked: ['carmen.rojas.vda@hotmial.com'] });
      expect(await ticketOf('<20260306151403.4fQ9M41tZbz2xK7@smtp.munipueblolibre.gob.pe>')).to.equal(null);
      expect(recorder.sentFor(story.carmen!._id.toString())).to.equal(0);
    });

    it('an out-of-office reply carrying a code joins its resolved case without reopening it or being answered', async function () {
      const luis = await fresh(story.luis!);
      expect(luis.status).to.equal('resuelto');
      expect(luis.version).to.equal(story.luis!.version);
      const [auto] = await interactionsOf(luis);
      expect(auto?.subject).to.equal('Respuesta automática: [PL-2026-000129] Hemos recibido su reclamo');
      expect((await eventsOf(luis)).map((e) => e.type)).to.deep.equal(['email_auto_reply']);
      expect(await ticketOf('<PH0PR19MB51237A9F0E6D4C3B2A1908F7E6D5C@PH0PR19MB5123.namprd19.prod.outlook.com>')).to.equal(null);
      expect(recorder.sentFor(luis._id.toString())).to.equal(0);
    });

    it('list mail becomes a case in triage without a citizen (no reclamo from a newsletter about reclamos) and is never acknowledged', async function () {
      const ticket = await waitTicket('<177306120122.4021.9931755820134527148@listas.munired.org.pe>');
      expect(ticket.citizenId).to.equal(undefined);
      expect(ticket.type).to.not.equal('reclamo');
      expect(ticket).to.include({ unitCode: 'GDVAC', queue: 'triage' });
      expect(ticket.routingHint).to.deep.equal({});
      expect(recorder.sentFor(ticket._id.toString())).to.equal(0);
    });

    it('malformed MIME (unknown charset, truncated attachment, no closing boundary) still becomes a case with what could be decoded', async function () {
      const ticket = await waitTicket('<000701dcae55$1a2b3c40$0201a8c0@PCHERNAN>');
      expect(ticket.description).to.contain('Me están cobrando dos veces los arbitrios del 2026 (recibo Nº 2026-004512).');
      const [first] = await interactionsOf(ticket);
      expect(first?.attachments.map((a) => [a.filename, a.size])).to.deep.equal([['voucher.png', 75]]);
      expect(recorder.sentFor(ticket._id.toString())).to.equal(1);
    });

    it('acknowledges exactly the new cases people wrote', function () {
      const acknowledged = new Set(recorder.calls.map((call) => call.mail.messageId));
      expect([...acknowledged].sort()).to.deep.equal(
        [MARIA, '<20260303234749.3F1A2B@webmail.yahoo.es>', '<0c7e1d52-91a4-4d8b-b3f6-5e2a7c9d0f18@gmail.com>', '<CAOp3ZtV1kX9cW2mQ7rN4sB8yH0jL5dF6gA3eT9uP1iM2oK7nR4@mail.gmail.com>', '<000701dcae55$1a2b3c40$0201a8c0@PCHERNAN>'].map(id).sort(),
      );
    });
  });

  describe('answers to resolved and waiting cases', function () {
    const reply = (inReplyTo: string, subject: string, text = 'Sigue igual, por favor revisen.') =>
      composeMail({ from: 'Vecina <vecina@correo.pe>', to: REPLIES, subject, inReplyTo, references: inReplyTo, text, messageId: `<${sha256(`${inReplyTo}${subject}${String(Math.random())}`).slice(0, 16)}@correo.pe>` });

    it('reopens a case resolved within the window', async function () {
      const resolved = await remembered(await seedTicket(ctx().store, { status: 'resuelto', resolution: { summary: 'Se podó el árbol.', resolvedBy: 'test', resolvedAt: new Date(Date.now() - 3 * DAY) } }), ['<ack-r1@munipueblolibre.gob.pe>']);
      await waitTakenIn('respuestas', await dovecot.deliver(REPLIES, await reply('<ack-r1@munipueblolibre.gob.pe>', 'Re: Poda')));
      const after = await fresh(resolved);
      expect(after.status).to.equal('en_cola');
      const reopened = (await eventsOf(after)).find((e) => e.type === 'status_changed');
      expect(reopened).to.deep.include({ fromStatus: 'resuelto', toStatus: 'en_cola', actorKind: 'system', actorId: 'email' });
      expect((await interactionsOf(after)).map((i) => i.subject)).to.deep.equal(['Re: Poda']);
      expect(recorder.sentFor(after._id.toString())).to.equal(0);
    });

    it('after the window opens a new case linked to the old one, and later answers in that thread join the new case', async function () {
      const old = await remembered(await seedTicket(ctx().store, { status: 'cerrado', resolution: { summary: 'Se atendió.', resolvedBy: 'test', resolvedAt: new Date(Date.now() - 40 * DAY) } }), ['<ack-r2@munipueblolibre.gob.pe>']);
      const first = await reply('<ack-r2@munipueblolibre.gob.pe>', 'RE: Desmonte en la esquina');
      await waitTakenIn('respuestas', await dovecot.deliver(REPLIES, first));
      const messageId = (await readMail({ mailbox: { id: 'respuestas', address: REPLIES, aliases: [] }, uidValidity: 1, uid: 1, source: first, size: first.length })).messageId!;
      const followUp = await waitTicket(messageId);
      expect(followUp.followUpOf).to.deep.equal({ ticketId: old._id, trackingCode: old.trackingCode });
      expect(followUp.subject).to.equal('Desmonte en la esquina');
      const before = await fresh(old);
      expect(before).to.include({ status: 'cerrado' });
      expect(before.followedUpBy).to.deep.equal({ ticketId: followUp._id, trackingCode: followUp.trackingCode });
      expect(recorder.sentFor(followUp._id.toString())).to.equal(1);

      await waitTakenIn('respuestas', await dovecot.deliver(REPLIES, await reply('<ack-r2@munipueblolibre.gob.pe>', 'RE: Desmonte en la esquina', 'Les mando una foto más.')));
      expect((await interactionsOf(followUp)).map((i) => i.body)).to.deep.equal(['Sigue igual, por favor revisen.', 'Les mando una foto más.']);
      expect((await fresh(old)).status).to.equal('cerrado');
    });

    it('a case waiting for the citizen goes back to work when they answer', async function () {
      const waiting = await remembered(await seedTicket(ctx().store, { status: 'esperando_vecino' }), ['<ack-r3@munipueblolibre.gob.pe>']);
      await waitTakenIn('respuestas', await dovecot.deliver(REPLIES, await reply('<ack-r3@munipueblolibre.gob.pe>', `Re: [${waiting.trackingCode}] Falta su DNI`, 'Adjunto mi DNI.')));
      expect((await fresh(waiting)).status).to.equal('en_atencion');
    });
  });

  describe('mail that is no one\'s case', function () {
    it('keeps an auto-reply to nothing we sent, and the office\'s own mail coming back, in the processed folder without a case', async function () {
      const vacation = await composeMail({ from: 'alguien@correo.pe', to: REPLIES, subject: 'Respuesta automática: Boletín', text: 'Estoy de vacaciones.', messageId: '<vacation-1@correo.pe>', headers: { 'Auto-Submitted': 'auto-replied' } });
      const own = await composeMail({ from: `Atención al Vecino <${REPLIES}>`, to: REPLIES, subject: 'Hemos recibido su consulta', text: 'Copia.', messageId: '<own-1@munipueblolibre.gob.pe>' });
      const acknowledgedBefore = recorder.calls.length;
      await dovecot.deliver(REPLIES, vacation);
      await waitTakenIn('respuestas', await dovecot.deliver(REPLIES, own));
      expect(await ticketOf('<vacation-1@correo.pe>')).to.equal(null);
      expect(await ticketOf('<own-1@munipueblolibre.gob.pe>')).to.equal(null);
      expect((await dovecot.status(REPLIES, 'INBOX')).messages).to.equal(0);
      expect(recorder.calls).to.have.length(acknowledgedBefore);
    });
  });

  describe('when things go wrong', function () {
    it('a crash after the case was stored and before the mail was moved: the restarted poller reads it again and adds nothing', async function () {
      let crashed = false;
      around = async (mail, takeIn) => {
        const outcome = await takeIn();
        if (mail.record.mailboxId === 'robustez' && !crashed) {
          crashed = true;
          throw new Error('simulated crash: the process died after storing the case');
        }
        return outcome;
      };
      const raw = await composeMail({ from: 'vecino@correo.pe', to: ROUGH, subject: 'Bache en Av. Sucre', text: 'Hay un bache grande.', messageId: '<crash-1@correo.pe>' });
      const uid = await dovecot.deliver(ROUGH, raw);
      await eventually(() => crashed, 'the simulated crash');
      await pollers.get('robustez')!.stop();
      // Stored, not moved, not recorded as taken in.
      const ticket = await waitTicket('<crash-1@correo.pe>');
      expect((await dovecot.status(ROUGH, 'INBOX')).messages).to.equal(1);
      expect((await ctx().store.mailboxStates.get('robustez'))?.lastUid ?? 0).to.be.below(uid);

      around = undefined;
      startPoller('robustez');
      await waitTakenIn('robustez', uid);
      expect((await dovecot.status(ROUGH, 'INBOX')).messages).to.equal(0);
      expect(await interactionsOf(ticket)).to.have.length(1);
      expect((await eventsOf(ticket)).filter((e) => e.type === 'created')).to.have.length(1);
      // The seam is asked again (the first process may have died before it): what it triggers is idempotent per ticket.
      expect(recorder.sentFor(ticket._id.toString())).to.equal(2);
    });

    it('a mail the core asks to retry in the middle of a batch: what came before is moved once, it and the rest are read again, nothing twice', async function () {
      // Stopped while the mail arrives: the restarted poller finds all five at once and fetches them as one batch.
      await pollers.get('robustez')!.stop();
      const ids = [1, 2, 3, 4, 5].map((n) => `<lote-${String(n)}@correo.pe>`);
      const raws = await Promise.all(ids.map((messageId, i) => composeMail({ from: `vecina${String(i)}@correo.pe`, to: ROUGH, subject: `Pedido ${String(i + 1)} del lote`, text: 'Por favor atender.', messageId })));
      const inboxBefore = (await dovecot.status(ROUGH, 'INBOX')).messages;
      const processedBefore = (await dovecot.status(ROUGH, 'Procesados')).messages;
      const { last } = await dovecot.deliverMany(ROUGH, raws);
      let refused = false;
      const order: string[] = [];
      around = async (mail, takeIn) => {
        const messageId = `<${mail.messageId ?? ''}>`;
        if (ids.includes(messageId)) order.push(messageId);
        if (messageId === ids[2] && !refused) {
          refused = true;
          throw new AppError('SERVICE_UNAVAILABLE', 'simulated: the store stopped answering for a moment');
        }
        return takeIn();
      };
      startPoller('robustez');
      await waitTakenIn('robustez', last);
      // The first two were not read again after the refusal: they had been moved and recorded with their batch.
      expect(order).to.deep.equal([ids[0], ids[1], ids[2], ids[2], ids[3], ids[4]]);
      expect((await dovecot.status(ROUGH, 'INBOX')).messages).to.equal(inboxBefore);
      expect((await dovecot.status(ROUGH, 'Procesados')).messages).to.equal(processedBefore + 5);
      for (const messageId of ids) {
        const ticket = await waitTicket(messageId);
        expect(await interactionsOf(ticket), messageId).to.have.length(1);
      }
    });

    it('a mail an earlier process stored but never moved is recognised, whoever reads it', async function () {
      const raw = await composeMail({ from: 'vecino@correo.pe', to: ROUGH, subject: 'Poste caído', text: 'En Jr. Ica.', messageId: '<earlier-1@correo.pe>' });
      // The earlier process: it read and stored the mail, then died; the mail is still in the inbox.
      await takeInEmail(ctx(), intakeDeps(), await readMail({ mailbox: { id: 'robustez', address: ROUGH, aliases: [] }, uidValidity: 1, uid: 99, source: raw, size: raw.length }));
      const ticket = await waitTicket('<earlier-1@correo.pe>');
      await waitTakenIn('robustez', await dovecot.deliver(ROUGH, raw));
      expect(await interactionsOf(ticket)).to.have.length(1);
    });

    it('a message the parser refuses becomes a case with its headers, its text and its source attached; the next mail is taken in too', async function () {
      let nested = 'Content-Type: text/plain; charset=utf-8\r\n\r\nEl desagüe está atorado.\r\n';
      for (let depth = 0; depth < 300; depth++) nested = `Content-Type: multipart/mixed; boundary="b${String(depth)}"\r\n\r\n--b${String(depth)}\r\n${nested}--b${String(depth)}--\r\n`;
      const raw = Buffer.from(`From: Vecino <vecino@correo.pe>\r\nTo: ${ROUGH}\r\nSubject: =?UTF-8?Q?Desag=C3=BCe_atorado?=\r\nMessage-ID: <nested-1@correo.pe>\r\nMIME-Version: 1.0\r\n${nested}`);
      await dovecot.deliver(ROUGH, raw);
      const after = await dovecot.deliver(ROUGH, await composeMail({ from: 'otro@correo.pe', to: ROUGH, subject: 'Luminaria', text: 'No prende.', messageId: '<after-nested@correo.pe>' }));
      await waitTakenIn('robustez', after);
      const ticket = await waitTicket('<nested-1@correo.pe>');
      expect(ticket.subject).to.equal('Desagüe atorado');
      expect(ticket.description).to.contain('El desagüe está atorado.');
      const [mail, note] = await interactionsOf(ticket);
      expect(mail?.attachments.map((a) => [a.filename, a.sha256])).to.deep.equal([['mensaje-original.eml', sha256(raw)]]);
      expect(note).to.include({ kind: 'note', direction: 'internal', authorKind: 'system' });
      expect(note?.body).to.contain('no se pudo leer completo (Maximum MIME nesting depth');
      await waitTicket('<after-nested@correo.pe>');
    });

    it('attachments over the limits are listed on the case as not kept; the rest is kept', async function () {
      const big = Buffer.alloc(80 * 1_024, 7);
      const small = Buffer.from('constancia');
      const raw = await composeMail({
        from: 'vecino@correo.pe',
        to: ROUGH,
        subject: 'Planos del predio',
        text: 'Envío los planos.',
        messageId: '<big-1@correo.pe>',
        attachments: [
          { filename: 'planos-grandes.pdf', content: big, contentType: 'application/pdf' },
          { filename: 'constancia.txt', content: small, contentType: 'text/plain' },
        ],
      });
      await waitTakenIn('robustez', await dovecot.deliver(ROUGH, raw));
      const ticket = await waitTicket('<big-1@correo.pe>');
      const [mail, note] = await interactionsOf(ticket);
      expect(mail?.attachments.map((a) => [a.filename, a.sha256])).to.deep.equal([['constancia.txt', sha256(small)]]);
      expect(note?.body).to.contain('No se guardaron estos adjuntos').and.contain('planos-grandes.pdf (80 KB)').and.contain('hasta 64 KB por archivo y 96 KB por correo');
      expect((mail?.raw as { email: { notKept: unknown } }).email.notKept).to.deep.equal([{ filename: 'planos-grandes.pdf', size: big.length }]);
    });

    it('a message larger than the channel reads whole is taken in from its beginning, with a note of what is missing', async function () {
      const raw = await composeMail({
        from: 'vecino@correo.pe',
        to: ROUGH,
        subject: 'Video de la fiesta ruidosa',
        text: 'Adjunto el video.',
        messageId: '<huge-1@correo.pe>',
        attachments: [{ filename: 'video.mp4', content: Buffer.alloc(1_500_000, 3), contentType: 'video/mp4' }],
      });
      await waitTakenIn('robustez', await dovecot.deliver(ROUGH, raw));
      const ticket = await waitTicket('<huge-1@correo.pe>');
      expect(ticket.description).to.equal('Adjunto el video.');
      const [mail, note] = await interactionsOf(ticket);
      expect(mail?.attachments).to.deep.equal([]);
      expect(note?.body).to.contain('solo se leyeron sus primeros').and.contain('video.mp4');
    });

    it('a dropped connection is reopened, and mail delivered meanwhile is taken in', async function () {
      await eventually(async () => (await dovecot.sessions(ROUGH)) === 1, 'one session of the robustez poller');
      expect(await dovecot.disconnect(ROUGH)).to.equal(1);
      const uid = await dovecot.deliver(ROUGH, await composeMail({ from: 'vecino@correo.pe', to: ROUGH, subject: 'Semáforo apagado', text: 'En la esquina.', messageId: '<after-drop@correo.pe>' }));
      await waitTakenIn('robustez', uid);
      await waitTicket('<after-drop@correo.pe>');
      await eventually(async () => (await dovecot.sessions(ROUGH)) === 1, 'the poller back on one session');
    });

    it('a UIDVALIDITY change reads the folder again and creates nothing twice, mail without a Message-ID included', async function () {
      const raws = [
        await composeMail({ from: 'a@correo.pe', to: RESYNC, subject: 'Uno', text: 'uno', messageId: '<resync-1@correo.pe>' }),
        Buffer.from(`From: b@correo.pe\r\nTo: ${RESYNC}\r\nSubject: Sin identificador\r\nDate: Tue, 1 Dec 2026 10:00:00 -0500\r\n\r\nUn correo sin Message-ID.\r\n`),
        await composeMail({ from: 'c@correo.pe', to: RESYNC, subject: 'Tres', text: 'tres', messageId: '<resync-3@correo.pe>' }),
      ];
      let last = 0;
      for (const raw of raws) last = await dovecot.deliver(RESYNC, raw);
      await waitTakenIn('resync', last);
      const keyless = await eventually(() => ctx().store.tickets.get(ticketIdFor('email', `resync/sha256:${sha256(raws[1]!)}`).toString()).then((t) => t ?? undefined), 'the case of the mail without Message-ID');
      const readsBefore = takenIn.filter((mail) => mail.record.mailboxId === 'resync').length;
      expect(readsBefore).to.equal(3);

      const renewed = await dovecot.renewUidValidity(RESYNC);
      await eventually(async () => {
        const state = await ctx().store.mailboxStates.get('resync');
        return state?.uidValidity === renewed.uidValidity && state.lastUid === 3;
      }, 'the folder read again under its new UIDVALIDITY', 30_000);
      expect(takenIn.filter((mail) => mail.record.mailboxId === 'resync')).to.have.length(6);
      for (const messageId of ['<resync-1@correo.pe>', '<resync-3@correo.pe>']) expect(await interactionsOf((await ticketOf(messageId))!)).to.have.length(1);
      expect(await interactionsOf(keyless)).to.have.length(1);
      // Left in place, marked read.
      expect((await dovecot.status(RESYNC)).messages).to.equal(3);

      const next = await dovecot.deliver(RESYNC, await composeMail({ from: 'd@correo.pe', to: RESYNC, subject: 'Cuatro', text: 'cuatro', messageId: '<resync-4@correo.pe>' }));
      await waitTakenIn('resync', next);
      await waitTicket('<resync-4@correo.pe>');
    });
  });
});

describe('email channel in the running system: the worker role reads each mailbox, one process at a time', function () {
  this.timeout(120_000);
  const SYSTEM_BOX = 'sistema@munipueblolibre.gob.pe';
  let dovecot: TestDovecot;
  let configDir: string;
  let dataDir: string;
  const systems: RunningSystem[] = [];

  before(async function () {
    dovecot = await startDovecot({ users: [{ user: SYSTEM_BOX, password: MAIL_PASSWORD }] });
    configDir = await emailConfigDir([{ id: 'sistema', user: SYSTEM_BOX, processedFolder: 'Procesados' }]);
    dataDir = await mkdtemp(join(tmpdir(), 'mcc-email-data-'));
  });

  after(async function () {
    for (const system of systems.splice(0)) await system.stop();
    await dovecot.stop();
    await rm(configDir, { recursive: true, force: true });
    await rm(dataDir, { recursive: true, force: true });
  });

  it('starts with IMAP_* set, wakes on IDLE, holds one session across worker processes, and hands over when one stops', async function () {
    const prefix = uniqueName(import.meta.filename);
    const base = await testEnv(import.meta.filename, {
      CONFIG_DIR: configDir,
      IMAP_HOST: dovecot.host,
      IMAP_PORT: String(dovecot.port),
      IMAP_TLS: 'none',
      IMAP_USER: SYSTEM_BOX,
      IMAP_PASSWORD: MAIL_PASSWORD,
      // Two minutes between checks: a mail taken in within seconds was announced by IDLE.
      IMAP_POLL_SECONDS: '120',
      EMAIL_ATTACHMENTS_DIR: join(dataDir, 'attachments'),
    });
    const env = (role: 'worker' | 'api') => ({ ...base, ROLE: role });
    const first = await startSystem(env('worker'), { log: testLog, queuePrefix: prefix });
    systems.push(first);
    const second = await startSystem(env('worker'), { log: testLog, queuePrefix: prefix });
    systems.push(second);
    const api = await startSystem(env('api'), { log: testLog, queuePrefix: prefix });
    systems.push(api);
    await eventually(async () => (await dovecot.sessions(SYSTEM_BOX)) === 1, 'one IMAP session');

    const mail = async (n: number) => composeMail({ from: 'vecino@correo.pe', to: SYSTEM_BOX, subject: `Consulta ${String(n)}`, text: 'Hola.', messageId: `<system-${String(n)}@correo.pe>` });
    const taken = (n: number, what: string, timeoutMs = 15_000) =>
      eventually(() => second.ctx.store.tickets.findByChannelKey('email', `system-${String(n)}@correo.pe`).then((t) => t ?? undefined), what, timeoutMs);
    await dovecot.deliver(SYSTEM_BOX, await mail(1));
    await taken(1, 'the first mail taken in');
    await eventually(async () => (await second.ctx.store.mailboxStates.get('sistema'))?.lastUid === 1, 'the first pass to end');
    // The pass is over: the server's announcement (IDLE), not the two-minute check, brings this one in.
    await dovecot.deliver(SYSTEM_BOX, await mail(2));
    await taken(2, 'the mail announced by IDLE');
    expect(await dovecot.sessions(SYSTEM_BOX)).to.equal(1);

    // Whichever worker held the mailbox stops; the other takes it over.
    const holderStops = async () => {
      await systems.splice(0, 1)[0]!.stop();
    };
    await holderStops();
    await dovecot.deliver(SYSTEM_BOX, await mail(3));
    await taken(3, 'the mail taken in after a worker stopped', 60_000);
    await eventually(async () => (await dovecot.sessions(SYSTEM_BOX)) === 1, 'one IMAP session');
  });
});
