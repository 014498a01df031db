import { expect } from 'chai';
import PostalMime, { type Email } from 'postal-mime';
import { requestAcknowledgement, sendCitizenEmail } from '../../src/services/citizen-messages/index.js';
import { extendSla, startSla } from '../../src/services/sla/index.js';
import { applyTransition, referTicket, replyToCitizen, transitionTicket } from '../../src/services/tickets/index.js';
import { citizenMessageIdFor } from '../../src/store/citizen-message.repository.js';
import type { Ticket } from '../../src/store/ticket.repository.js';
import { startSystem, type RunningSystem } from '../../src/system.js';
import { contact, intakeNow, seedStaff, seedTicket } from '../support/seed.js';
import { testEnv, testLog, uniqueName } from '../support/services.js';
import { startSmtpSink, type SinkMessage, type SmtpSink } from '../support/smtp-sink.js';
import { actorOf } from '../support/staff-fixtures.js';
import { eventually } from '../support/wait.js';

const OFFICE = 'atencionalvecino@munipueblolibre.gob.pe';
const SMTP_AUTH = { user: 'plataforma', pass: 'una-clave-del-relay' };
const SYSTEM = { kind: 'system', id: 'test' } as const;

async function parsed(message: SinkMessage): Promise<Email> {
  return PostalMime.parse(message.raw);
}

function header(mail: Email, name: string): string | undefined {
  return mail.headers.find((h) => h.key === name.toLowerCase())?.value;
}

describe('email channel, outgoing: acknowledgements, agents\' replies and status notices over a real SMTP server', () => {
  let sink: SmtpSink;
  let system: RunningSystem;
  let mails = 0;

  before(async () => {
    sink = await startSmtpSink({ auth: SMTP_AUTH });
    system = await startSystem(
      await testEnv(import.meta.filename, {
        ROLE: 'all',
        SMTP_HOST: sink.host,
        SMTP_PORT: String(sink.port),
        SMTP_TLS: 'none',
        SMTP_USER: SMTP_AUTH.user,
        SMTP_PASSWORD: SMTP_AUTH.pass,
        EMAIL_FROM: `Municipalidad de Pueblo Libre <${OFFICE}>`,
      }),
      { log: testLog, queuePrefix: uniqueName(import.meta.filename) },
    );
  });

  after(async () => {
    await system.stop();
    await sink.stop();
  });

  /** A case a citizen wrote by mail, as intake stores it. */
  async function mailedCase(from: string, subject: string): Promise<{ ticket: Ticket; messageId: string }> {
    mails++;
    const messageId = `CAF${String(mails)}xq9=a1@mail.gmail.com`;
    const { ticket } = await intakeNow(system.ctx, contact({ externalId: `<${messageId}>`, citizen: { email: from }, subject, body: 'Hay un árbol a punto de caer frente a mi casa.' }));
    return { ticket, messageId };
  }

  async function nextMail(count: number): Promise<Email> {
    const all = await sink.waitForMessages(count);
    const last = all.at(-1);
    if (!last) throw new Error('no mail');
    return parsed(last);
  }

  it('acknowledges a new case with its tracking code, threaded under the citizen\'s mail, marked automatic, once', async () => {
    const { ctx } = system;
    sink.reset();
    const { ticket, messageId } = await mailedCase('rosa.quispe@gmail.com', 'RE: Poda de árbol en Av. Brasil');
    await requestAcknowledgement(ctx, ticket, { from: 'rosa.quispe@gmail.com', messageId, references: ['root-1@mail.gmail.com'] });
    const mail = await nextMail(1);
    const ourId = `email-${ticket._id.toString()}-acknowledgement@munipueblolibre.gob.pe`;
    expect(mail.subject).to.equal(`[${ticket.trackingCode}] Recibimos su mensaje: Poda de árbol en Av. Brasil`);
    expect(mail.from).to.deep.include({ name: 'Municipalidad de Pueblo Libre', address: OFFICE });
    expect(mail.to?.map((a) => a.address)).to.deep.equal(['rosa.quispe@gmail.com']);
    expect(mail.messageId).to.equal(`<${ourId}>`);
    expect(mail.inReplyTo).to.equal(`<${messageId}>`);
    expect(mail.references).to.equal(`<root-1@mail.gmail.com> <${messageId}>`);
    expect(header(mail, 'Auto-Submitted')).to.equal('auto-replied');
    expect(header(mail, 'X-Auto-Response-Suppress')).to.equal('All');
    expect(mail.text).to.contain(`código de seguimiento ${ticket.trackingCode}`);
    expect(sink.messages[0]?.user).to.equal(SMTP_AUTH.user);

    // On the timeline, and the case is found again by our Message-ID and by its code.
    const sent = await eventually(async () => (await ctx.store.ticketEvents.list(ticket._id.toString())).find((e) => e.type === 'email_sent'), 'the mail on the timeline');
    expect(sent.data).to.deep.include({ to: 'rosa.quispe@gmail.com', about: 'acknowledgement', messageId: ourId });
    expect((await ctx.store.mailThreads.findTicket([{ kind: 'message_id', value: ourId }]))?.ticketId.toString()).to.equal(ticket._id.toString());
    expect((await ctx.store.mailThreads.findTicket([{ kind: 'tracking_code', value: ticket.trackingCode }]))?.ticketId.toString()).to.equal(ticket._id.toString());

    // Asked again, and the job run again after it succeeded: nothing more is sent.
    await requestAcknowledgement(ctx, ticket, { from: 'rosa.quispe@gmail.com', messageId });
    await sendCitizenEmail(ctx, { ticketId: ticket._id.toString(), reason: 'acknowledgement', to: 'rosa.quispe@gmail.com', inReplyTo: messageId }, { final: false });
    await eventually(async () => (await ctx.queues.queue('channel').getJobCounts('waiting', 'active', 'delayed')).waiting === 0, 'the channel queue to drain');
    expect(sink.messages).to.have.length(1);
    expect((await ctx.store.ticketEvents.list(ticket._id.toString())).filter((e) => e.type === 'email_sent')).to.have.length(1);
    // Drafted with its first attempt claimed, its outcome on the timeline named by it: one write after the draft.
    expect(await ctx.store.citizenMessages.get(citizenMessageIdFor(`email-${ticket._id.toString()}-acknowledgement`))).to.deep.include({ status: 'sent', attempts: 1, version: 1 });
  });

  it('sends an agent\'s reply in the case\'s thread, as the agent wrote it, once, and marks the reply sent', async () => {
    const { ctx } = system;
    sink.reset();
    const { ticket, messageId } = await mailedCase('jorge.huaman@hotmail.com', 'Consulta sobre arbitrios 2026');
    const supervisor = await seedStaff(ctx.store, { units: [ticket.unitCode], roles: ['supervisor'] });
    const reply = await replyToCitizen(ctx, actorOf(supervisor), ticket._id.toString(), { body: 'Buenos días, señor Huamán. Su deuda de arbitrios 2026 es de S/ 120,00.' });
    const mail = await nextMail(1);
    expect(mail.subject).to.equal(`RE: [${ticket.trackingCode}] Consulta sobre arbitrios 2026`);
    expect(mail.inReplyTo).to.equal(`<${messageId}>`);
    expect(mail.text).to.contain('Su deuda de arbitrios 2026 es de S/ 120,00.').and.contain(supervisor.displayName);
    // A person wrote it: not marked automatic, so the citizen's own auto-responder may answer as to any mail.
    expect(header(mail, 'Auto-Submitted')).to.equal(undefined);
    await eventually(async () => (await ctx.store.interactions.get(reply._id))?.deliveryStatus === 'sent', 'the reply marked sent');
    // The job runs again: the reply is not sent twice.
    await sendCitizenEmail(ctx, { ticketId: ticket._id.toString(), reason: 'reply', interactionId: reply._id.toString() }, { final: false });
    expect(sink.messages).to.have.length(1);
  });

  it('records a reply the relay refuses for good (5xx) without retrying it, and retries one it refuses for now (4xx)', async () => {
    const { ctx } = system;
    sink.reset();
    const refused = await mailedCase('no.existe@vecinos.pe', 'Ruidos molestos');
    const supervisor = await seedStaff(ctx.store, { units: [refused.ticket.unitCode], roles: ['supervisor'] });
    sink.rejectRecipient('no.existe@vecinos.pe', { code: 550, message: 'No such user here' });
    const reply = await replyToCitizen(ctx, actorOf(supervisor), refused.ticket._id.toString(), { body: 'Enviaremos un inspector.' });
    const event = await eventually(async () => (await ctx.store.ticketEvents.list(refused.ticket._id.toString())).find((e) => e.type === 'email_refused'), 'the refusal on the timeline');
    expect(event.data).to.deep.include({ to: 'no.existe@vecinos.pe', about: 'reply', code: 'MESSAGE_REFUSED', providerCode: 550 });
    expect((await ctx.store.interactions.get(reply._id))?.deliveryStatus).to.equal('failed');
    const record = await ctx.store.citizenMessages.get(citizenMessageIdFor(`email-${refused.ticket._id.toString()}-reply-${reply._id.toString()}`));
    expect(record).to.deep.include({ status: 'refused', attempts: 1 });

    const later = await mailedCase('buzon.lleno@vecinos.pe', 'Licencia de funcionamiento');
    sink.rejectRecipient('buzon.lleno@vecinos.pe', { code: 452, message: 'Mailbox full, try again later' });
    const second = await replyToCitizen(ctx, actorOf(supervisor), later.ticket._id.toString(), { body: 'Su licencia está en trámite.' });
    const key = citizenMessageIdFor(`email-${later.ticket._id.toString()}-reply-${second._id.toString()}`);
    await eventually(async () => ((await ctx.store.citizenMessages.get(key))?.error?.providerCode === 452 ? true : undefined), 'the first attempt refused for now');
    sink.reset();
    const mail = await nextMail(1);
    expect(mail.subject).to.contain(later.ticket.trackingCode);
    await eventually(async () => (await ctx.store.interactions.get(second._id))?.deliveryStatus === 'sent', 'the reply sent on a later attempt');
    expect((await ctx.store.citizenMessages.get(key))?.attempts).to.equal(2);
  });

  it('tells a citizen who wrote by mail that the case was referred, then resolved, in its thread; a phone case gets no mail', async () => {
    const { ctx } = system;
    sink.reset();
    const { ticket, messageId } = await mailedCase('ana.torres@yahoo.es', 'Poste de alumbrado apagado');
    const supervisor = await seedStaff(ctx.store, { units: [ticket.unitCode, 'GSCIU'], roles: ['supervisor'] });
    await referTicket(ctx, actorOf(supervisor), ticket._id.toString(), { unitCode: 'GSCIU', reason: 'Alumbrado público' });
    const referred = await nextMail(1);
    const unit = ctx.catalogue.unitByCode('GSCIU');
    expect(referred.subject).to.equal(`[${ticket.trackingCode}] Su caso fue derivado a ${unit?.name ?? '?'}`);
    expect(referred.inReplyTo).to.equal(`<${messageId}>`);
    await transitionTicket(ctx, actorOf(supervisor), ticket._id.toString(), { action: 'resolve', resolution: 'Se cambió la luminaria.' });
    const mail = await nextMail(2);
    expect(mail.subject).to.equal(`[${ticket.trackingCode}] Su caso fue resuelto`);
    expect(mail.inReplyTo).to.equal(`<${messageId}>`);
    expect(header(mail, 'Auto-Submitted')).to.equal('auto-generated');
    expect(mail.text).to.contain('Poste de alumbrado apagado').and.contain('reabriremos su caso');

    const { ticket: byPhone } = await intakeNow(ctx, contact({ channel: 'phone', externalId: `CA${'7'.repeat(32)}`, citizen: { email: 'ana.torres@yahoo.es' }, subject: 'Llamada telefónica' }));
    const current = await ctx.store.tickets.get(byPhone._id.toString());
    if (current) await applyTransition(ctx, SYSTEM, current, 'cancel', { reason: 'duplicado' });
    await eventually(async () => (await ctx.queues.queue('channel').getJobCounts('waiting', 'active', 'delayed')).waiting === 0, 'the channel queue to drain');
    expect(sink.messages).to.have.length(2);
  });

  it('mails the prórroga notice Ley 27806 requires to a citizen whose request came by mail, as staff wrote it', async () => {
    const { ctx } = system;
    sink.reset();
    const agent = await seedStaff(ctx.store, { units: ['SG'], autoAssign: false });
    const citizen = await ctx.store.citizens.create({ emails: ['lucia.rojas@pucp.edu.pe'] });
    const request = await seedTicket(ctx.store, { channel: 'email', type: 'acceso_informacion', unitCode: 'SG', queue: 'transparencia', status: 'en_atencion', assigneeId: agent._id, citizenId: citizen._id, subject: 'Solicitud de actas de concejo 2025' });
    await startSla(ctx, request._id.toString(), new Date());
    const reason = 'el volumen de la información solicitada, que abarca los expedientes de 2019 a 2025.';
    const { notice } = await extendSla(ctx, actorOf(agent), request._id.toString(), { businessDays: 5, reason });
    const mail = await nextMail(1);
    expect(mail.to?.map((a) => a.address)).to.deep.equal(['lucia.rojas@pucp.edu.pe']);
    expect(mail.subject).to.equal(notice.subject);
    expect(mail.subject).to.contain(request.trackingCode);
    expect(mail.text?.trim()).to.equal(notice.body);
    expect(mail.text).to.contain(reason).and.contain('Ley 27806');
    expect(header(mail, 'Auto-Submitted')).to.equal('auto-generated');
    await eventually(async () => (await ctx.store.interactions.get(notice._id))?.deliveryStatus === 'sent', 'the notice marked sent');
  });
});
