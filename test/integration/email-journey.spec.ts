import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import PostalMime, { type Email } from 'postal-mime';
import { replyToCitizen } from '../../src/services/tickets/index.js';
import type { Ticket } from '../../src/store/ticket.repository.js';
import { startSystem, type RunningSystem } from '../../src/system.js';
import { startDovecot, type TestDovecot } from '../support/dovecot.js';
import { composeMail, emailConfigDir, MAIL_PASSWORD } from '../support/email-channel.js';
import { seedStaff } from '../support/seed.js';
import { testEnv, testLog, uniqueName } from '../support/services.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { actorOf } from '../support/staff-fixtures.js';
import { eventually } from '../support/wait.js';

const OFFICE = 'plataforma@munipueblolibre.gob.pe';
const CITIZEN = 'carmen.flores@gmail.com';

/** Both halves of the email channel in one running system: real Dovecot in, real SMTP out. */
describe('email channel, whole journey: a citizen writes, is acknowledged, answers the acknowledgement, and reads the agent\'s reply in one thread', function () {
  this.timeout(120_000);
  let dovecot: TestDovecot;
  let sink: SmtpSink;
  let system: RunningSystem;
  let configDir: string;
  let dataDir: string;

  before(async function () {
    dovecot = await startDovecot({ users: [{ user: OFFICE, password: MAIL_PASSWORD }] });
    sink = await startSmtpSink();
    configDir = await emailConfigDir([{ id: 'plataforma', user: OFFICE, processedFolder: 'Procesados' }]);
    dataDir = await mkdtemp(join(tmpdir(), 'mcc-email-journey-'));
    const env = await testEnv(import.meta.filename, {
      ROLE: 'all',
      CONFIG_DIR: configDir,
      IMAP_HOST: dovecot.host,
      IMAP_PORT: String(dovecot.port),
      IMAP_TLS: 'none',
      IMAP_USER: OFFICE,
      IMAP_PASSWORD: MAIL_PASSWORD,
      IMAP_POLL_SECONDS: '1',
      EMAIL_ATTACHMENTS_DIR: join(dataDir, 'attachments'),
      SMTP_HOST: sink.host,
      SMTP_PORT: String(sink.port),
      SMTP_TLS: 'none',
      EMAIL_FROM: `Municipalidad de Pueblo Libre <${OFFICE}>`,
    });
    system = await startSystem(env, { log: testLog, queuePrefix: uniqueName(import.meta.filename) });
  });

  after(async function () {
    await system.stop();
    await sink.stop();
    await dovecot.stop();
    await rm(configDir, { recursive: true, force: true });
    await rm(dataDir, { recursive: true, force: true });
  });

  async function sent(count: number): Promise<Email> {
    const all = await sink.waitForMessages(count, 30_000);
    const last = all.at(-1);
    if (!last) throw new Error('no mail');
    return PostalMime.parse(last.raw);
  }

  it('threads every mail of the conversation into one case, and answers only the first', async function () {
    const { ctx } = system;
    await dovecot.deliver(OFFICE, await composeMail({ from: `Carmen Flores <${CITIZEN}>`, to: OFFICE, subject: 'Desmonte abandonado en Jr. Cusco', text: 'Hace una semana dejaron desmonte en la esquina.', messageId: '<first-1@mail.gmail.com>' }));
    const ticket: Ticket = await eventually(() => ctx.store.tickets.findByChannelKey('email', 'first-1@mail.gmail.com').then((t) => t ?? undefined), 'the case', 30_000);

    // The acknowledgement: to the citizen, under their mail, with the code in the subject.
    const ack = await sent(1);
    expect(ack.to?.map((a) => a.address)).to.deep.equal([CITIZEN]);
    expect(ack.inReplyTo).to.equal('<first-1@mail.gmail.com>');
    expect(ack.subject).to.contain(`[${ticket.trackingCode}]`);

    // The citizen's client answers the acknowledgement; the subject lost the code, the headers did not.
    await dovecot.deliver(
      OFFICE,
      await composeMail({ from: CITIZEN, to: OFFICE, subject: 'Re: Recibimos su mensaje', inReplyTo: ack.messageId, references: [ack.messageId ?? ''], text: 'Adjunto la dirección exacta: Jr. Cusco 450.', messageId: '<second-2@mail.gmail.com>' }),
    );
    await eventually(async () => ((await ctx.store.interactions.list(ticket._id.toString())).length === 2 ? true : undefined), 'the answer joined to the case', 30_000);
    expect(await ctx.store.tickets.findByChannelKey('email', 'second-2@mail.gmail.com')).to.equal(null);

    // The agent answers: under the citizen's latest mail, in the same conversation.
    const supervisor = await seedStaff(ctx.store, { units: [ticket.unitCode], roles: ['supervisor'] });
    await replyToCitizen(ctx, actorOf(supervisor), ticket._id.toString(), { body: 'Gracias, señora Flores. Programamos el recojo para mañana.' });
    const reply = await sent(2);
    expect(reply.inReplyTo).to.equal('<second-2@mail.gmail.com>');
    expect(reply.references).to.contain('<first-1@mail.gmail.com>').and.contain('<second-2@mail.gmail.com>');
    expect(reply.subject).to.equal(`RE: [${ticket.trackingCode}] Desmonte abandonado en Jr. Cusco`);

    // Her out-of-office answers the reply: attached, answered by nobody.
    await dovecot.deliver(
      OFFICE,
      await composeMail({ from: CITIZEN, to: OFFICE, subject: `Respuesta automática: ${reply.subject ?? ''}`, inReplyTo: reply.messageId, headers: { 'Auto-Submitted': 'auto-replied' }, text: 'Estoy de vacaciones.', messageId: '<ooo-3@mail.gmail.com>' }),
    );
    await eventually(async () => ((await ctx.store.interactions.list(ticket._id.toString())).length === 4 ? true : undefined), 'the out-of-office attached', 30_000);
    await eventually(async () => (await ctx.queues.queue('channel').getJobCounts('waiting', 'active', 'delayed')).waiting === 0, 'the channel queue to drain');
    expect(sink.messages).to.have.length(2);
  });
});
