import { expect } from 'chai';
import twilio from 'twilio';
import { createTwilioSmsGateway } from '../../channels/phone/sms-gateway.js';
import { phoneChannelEnv } from '../../src/config/env.js';
import { isAppError } from '../../src/errors.js';
import { sendCitizenSms } from '../../src/services/citizen-messages/index.js';
import type { Actor, AppContext } from '../../src/services/context/index.js';
import { handleCallEnded } from '../../src/services/phone/index.js';
import { referTicket, transitionTicket } from '../../src/services/tickets/index.js';
import { citizenMessageIdFor } from '../../src/store/citizen-message.repository.js';
import { ticketIdFor, type Ticket } from '../../src/store/ticket.repository.js';
import { startSystem, type RunningSystem } from '../../src/system.js';
import { startFakeTwilio, twilioTestEnv, type FakeTwilio, type TwilioRequest } from '../support/fake-twilio.js';
import { contact, intakeNow, settle } from '../support/seed.js';
import { testEnv, testLog, uniqueName } from '../support/services.js';
import { eventually } from '../support/wait.js';

const PUBLIC = 'https://vecino.example.gob.pe';
const AUTH_TOKEN = 'fedcba9876543210fedcba9876543210';
const MESSAGING_SERVICE = `MG${'4'.repeat(32)}`;
const TWILIO = { ...twilioTestEnv(PUBLIC, AUTH_TOKEN), TWILIO_SMS_FROM: MESSAGING_SERVICE };

let calls = 0;
function callSid(): string {
  calls++;
  return `CA${String(calls).padStart(4, '0')}${'e'.repeat(28)}`;
}

const SYSTEM: Actor = { kind: 'system' };

describe('SMS to citizens through Twilio: tracking code after a call, status changes (real services, fake Twilio REST)', () => {
  let system: RunningSystem;
  let ctx: AppContext;
  let twilioApi: FakeTwilio;

  before(async () => {
    twilioApi = await startFakeTwilio();
    system = await startSystem(await testEnv(import.meta.filename, { ROLE: 'all', ...TWILIO, TWILIO_API_BASE_URL: twilioApi.url }), {
      log: testLog,
      queuePrefix: uniqueName(import.meta.filename),
    });
    ctx = system.ctx;
  });

  after(async () => {
    await system.stop();
    await twilioApi.close();
  });

  /** A webhook as Twilio sends it to the running system: a form signed over the public URL. */
  async function twilioPost(path: string, form: Record<string, string>, signed = true): Promise<number> {
    const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, `${PUBLIC}${path}`, form);
    const res = await fetch(`${system.url ?? ''}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(signed ? { 'x-twilio-signature': signature } : {}) },
      body: new URLSearchParams(form).toString(),
    });
    await res.text();
    return res.status;
  }

  const texts = (to: string): TwilioRequest[] => twilioApi.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/Messages.json') && r.form.To === to);
  const eventsOf = async (ticketId: string, type: string) => (await ctx.store.ticketEvents.list(ticketId)).filter((e) => e.type === type);

  /** Waits for an SMS job to have run to its end, whatever it did. */
  async function smsJobDone(jobId: string) {
    const channel = ctx.queues.queue('channel');
    return eventually(async () => {
      const job = await channel.getJob(jobId);
      return job && ['completed', 'failed'].includes(await job.getState()) ? job : undefined;
    }, `job ${jobId} to finish`, 30_000);
  }

  /** A call that chose "quejas y reclamos" (GDVAC, where nobody takes calls here) and ended while waiting. */
  async function callThatEnded(from: string): Promise<Ticket> {
    const sid = callSid();
    expect(await twilioPost('/webhooks/twilio/voice/menu', { CallSid: sid, From: from, Digits: '9' })).to.equal(200);
    const ticketId = ticketIdFor('phone', sid).toString();
    await eventually(async () => (await ctx.store.tickets.get(ticketId)) ?? undefined, 'the caller\'s ticket');
    expect(texts(from), 'nothing while the call lasts').to.have.length(0);
    expect(await twilioPost('/webhooks/twilio/voice/status', { CallSid: sid, CallStatus: 'completed' })).to.equal(204);
    await smsJobDone(`sms-${ticketId}-call`);
    const ticket = await ctx.store.tickets.get(ticketId);
    if (!ticket) throw new Error('the ticket vanished');
    return ticket;
  }

  /** A case staff took in for a citizen with this phone (channel `manual`), queued at the office. */
  async function caseOf(phone: string, channel: 'manual' | 'email' = 'manual'): Promise<Ticket> {
    const { ticket } = await intakeNow(ctx, contact({ channel, citizen: { phone, ...(channel === 'email' ? { email: `${phone.replace(/\D/g, '')}@vecino.pe` } : {}) }, subject: 'Consulta por teléfono' }));
    await settle(ctx.queues, ['route', 'assign']);
    return ticket;
  }

  /** A case of a citizen with this mobile, cancelled by the office, once its SMS job has run to its end. */
  async function cancelledCaseOf(mobile: string) {
    const ticket = await caseOf(mobile);
    const after = await transitionTicket(ctx, SYSTEM, ticket._id.toString(), { action: 'cancel', reason: 'Duplicado' });
    const job = await smsJobDone(`sms-${ticket._id.toString()}-cancelled-${String(after.version)}`);
    return { id: ticket._id.toString(), job };
  }

  it('texts the caller their tracking code in Spanish once the call ends, once, through the Messaging Service', async () => {
    const from = '+51987650001';
    const ticket = await callThatEnded(from);
    const sent = await eventually(async () => (await eventsOf(ticket._id.toString(), 'sms_sent'))[0], 'the SMS on the timeline');
    const [request] = texts(from);
    // The caller hung up while waiting with a known number: the ticket is a call to return, and the SMS says so.
    expect(ticket.callbackRequestedAt).to.be.instanceOf(Date);
    expect(request?.form).to.deep.include({
      To: from,
      MessagingServiceSid: MESSAGING_SERVICE,
      Body: `Municipalidad de Pueblo Libre: registramos su llamada con el codigo ${ticket.trackingCode}. Un asesor le devolvera la llamada a este numero.`,
      StatusCallback: `${PUBLIC}/webhooks/twilio/sms/status?message=${citizenMessageIdFor(`sms-${ticket._id.toString()}-call`).toString()}`,
    });
    expect(request?.form).to.not.have.property('From');
    expect(sent).to.deep.include({ actorKind: 'system', actorId: 'sms' });
    expect(sent.data).to.deep.equal({ messageSid: twilioApi.messages.find((m) => m.to === from)?.sid, to: from, about: 'call', template: 'sms.callback_booked', segments: 1 });

    // Twilio repeats the status callback; the job runs again after its id was forgotten: nothing more is sent.
    const sid = ticket.channelKey;
    await twilioPost('/webhooks/twilio/voice/status', { CallSid: sid, CallStatus: 'completed' });
    await twilioPost('/webhooks/twilio/voice/status', { CallSid: sid, CallStatus: 'completed' });
    await handleCallEnded(ctx, { callSid: sid });
    await sendCitizenSms(ctx, { ticketId: ticket._id.toString(), reason: 'call' }, { final: false });
    await settle(ctx.queues, ['channel']);
    expect(texts(from)).to.have.length(1);
    expect(await eventsOf(ticket._id.toString(), 'sms_sent')).to.have.length(1);
  });

  it('texts a voicemail\'s code, waiting for the voicemail to become a ticket when the call ends first', async () => {
    const sid = callSid();
    const from = '+51987650002';
    const voicemail = { CallSid: sid, From: from, RecordingUrl: `https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE${'d'.repeat(32)}`, RecordingSid: `RE${'d'.repeat(32)}`, RecordingDuration: '9' };
    // The recording and the end of the call reach the server together.
    const [saved, ended] = await Promise.all([twilioPost('/webhooks/twilio/voice/voicemail', voicemail), twilioPost('/webhooks/twilio/voice/status', { CallSid: sid, CallStatus: 'completed' })]);
    expect([saved, ended]).to.deep.equal([200, 204]);
    const ticketId = ticketIdFor('phone', sid).toString();
    await smsJobDone(`sms-${ticketId}-call`);
    const ticket = await ctx.store.tickets.get(ticketId);
    expect(texts(from).map((r) => r.form.Body)).to.deep.equal([
      `Municipalidad de Pueblo Libre: recibimos su mensaje de voz con el codigo ${ticket?.trackingCode ?? '?'}. Lo atenderemos en horario de oficina.`,
    ]);
  });

  it('texts nobody after a call from a landline, a withheld number, or one that ended at the menu', async () => {
    const landline = await callThatEnded('+5114000001');
    const withheld = await callThatEnded('anonymous');
    const atMenu = callSid();
    await twilioPost('/webhooks/twilio/voice/status', { CallSid: atMenu, CallStatus: 'completed' });
    await smsJobDone(`sms-${ticketIdFor('phone', atMenu).toString()}-call`);
    expect(withheld.status).to.equal('anulado');
    expect(texts('+5114000001')).to.have.length(0);
    for (const ticket of [landline, withheld]) {
      expect(await ctx.store.citizenMessages.get(citizenMessageIdFor(`sms-${ticket._id.toString()}-call`))).to.equal(null);
      expect((await ctx.store.ticketEvents.list(ticket._id.toString())).filter((e) => e.type.startsWith('sms_'))).to.deep.equal([]);
    }
  });

  it('texts referral, resolution, reopening and cancellation, and none of the internal steps', async () => {
    const mobile = '+51987650010';
    // Entered by staff as Peruvians write it: the national form is a mobile too.
    const ticket = await caseOf('987 650 010');
    const id = ticket._id.toString();
    await referTicket(ctx, SYSTEM, id, { unitCode: 'SGLP', reason: 'Recojo de desmonte' });
    await transitionTicket(ctx, SYSTEM, id, { action: 'resolve', resolution: 'Se recogió el desmonte' });
    await transitionTicket(ctx, SYSTEM, id, { action: 'close' });
    await transitionTicket(ctx, SYSTEM, id, { action: 'reopen' });
    await transitionTicket(ctx, SYSTEM, id, { action: 'cancel', reason: 'El vecino desistió' });
    await eventually(async () => (await eventsOf(id, 'sms_sent')).length === 4, 'four SMS on the timeline');
    await settle(ctx.queues, ['channel']);
    const code = ticket.trackingCode;
    expect(texts(mobile).map((r) => r.form.Body)).to.have.members([
      `Municipalidad de Pueblo Libre: su caso ${code} fue derivado a Limpieza Publica, que continuara su atencion.`,
      `Municipalidad de Pueblo Libre: su caso ${code} fue resuelto. Si no esta conforme, llamenos al (01) 463-0000 citando el codigo.`,
      `Municipalidad de Pueblo Libre: su caso ${code} fue reabierto y sera atendido nuevamente.`,
      `Municipalidad de Pueblo Libre: su caso ${code} fue anulado. Para mas informacion llamenos al (01) 463-0000 citando el codigo.`,
    ]);
    expect((await eventsOf(id, 'sms_sent')).map((e) => e.data?.about)).to.have.members(['referred', 'resolved', 'reopened', 'cancelled']);
  });

  it('texts no status change of a case that came by e-mail: it is answered in its thread', async () => {
    const ticket = await caseOf('+51987650011', 'email');
    const after = await transitionTicket(ctx, SYSTEM, ticket._id.toString(), { action: 'cancel', reason: 'Duplicado' });
    await settle(ctx.queues, ['channel']);
    expect(await ctx.queues.queue('channel').getJob(`sms-${ticket._id.toString()}-cancelled-${String(after.version)}`)).to.equal(undefined);
    expect(texts('+51987650011')).to.have.length(0);
  });

  it('records a permanent refusal on the timeline and does not try again', async () => {
    const mobile = '+51987650020';
    twilioApi.unreachable.add(mobile);
    const { id, job } = await cancelledCaseOf(mobile);
    expect(await job.getState()).to.equal('completed');
    expect(job.attemptsMade).to.be.at.most(1);
    const [refused] = await eventsOf(id, 'sms_refused');
    expect(refused?.reason).to.contain('not a valid mobile number');
    expect(refused?.data).to.deep.include({ to: mobile, about: 'cancelled', code: 'MESSAGE_REFUSED', providerCode: 21614 });
    expect(await eventsOf(id, 'sms_sent')).to.have.length(0);
    expect(texts(mobile)).to.have.length(1);
  });

  it('does not send twice when Twilio took a message but its answer was lost: the retry finds it', async () => {
    const mobile = '+51987650030';
    twilioApi.answerLost.add(mobile);
    const { id, job } = await cancelledCaseOf(mobile);
    expect(job.attemptsMade).to.equal(2);
    expect(texts(mobile)).to.have.length(1);
    expect(twilioApi.requests.some((r) => r.method === 'GET' && r.path.includes('/Messages.json?') && r.path.includes(`To=${encodeURIComponent(mobile)}`))).to.equal(true);
    const [sent] = await eventsOf(id, 'sms_sent');
    expect(sent?.data?.messageSid).to.equal(twilioApi.messages.find((m) => m.to === mobile)?.sid);
  });

  it('puts a message Twilio could not deliver on the timeline, once, from its signed status callback', async () => {
    const mobile = '+51987650040';
    const { id } = await cancelledCaseOf(mobile);
    const message = twilioApi.messages.find((m) => m.to === mobile);
    const callback = new URL(message?.status_callback ?? '');
    const path = `${callback.pathname}${callback.search}`;
    const report = { MessageSid: message?.sid ?? '', MessageStatus: 'undelivered', ErrorCode: '30003', To: mobile };
    // Progress that is not a failure is noted and left alone.
    expect(await twilioPost(path, { MessageSid: report.MessageSid, MessageStatus: 'sent', To: mobile })).to.equal(204);
    expect(await twilioPost(path, report, false)).to.equal(403);
    // A report naming another message than the one this record sent changes nothing.
    expect(await twilioPost(path, { ...report, MessageSid: `SM${'0'.repeat(32)}` })).to.equal(204);
    expect(await twilioPost(path, report)).to.equal(204);
    expect(await twilioPost(path, report)).to.equal(204);
    const [undelivered] = await eventually(async () => {
      const found = await eventsOf(id, 'sms_undelivered');
      return found.length > 0 ? found : undefined;
    }, 'the delivery failure on the timeline');
    await settle(ctx.queues, ['channel']);
    expect(await eventsOf(id, 'sms_undelivered')).to.have.length(1);
    expect(undelivered?.data).to.deep.equal({ messageSid: report.MessageSid, to: mobile, about: 'cancelled', status: 'undelivered', providerCode: 30003 });
    expect((await ctx.store.citizenMessages.get(callback.searchParams.get('message') ?? ''))?.status).to.equal('undelivered');
  });

  it('sends no SMS when the phone channel is off', async () => {
    const off = await startSystem(await testEnv(import.meta.filename, { ROLE: 'worker' }), { log: testLog, queuePrefix: uniqueName(import.meta.filename) });
    try {
      expect(off.ctx.sms).to.equal(undefined);
      const { ticket } = await intakeNow(off.ctx, contact({ channel: 'manual', citizen: { phone: '+51987650050' }, subject: 'Consulta' }));
      const after = await transitionTicket(off.ctx, SYSTEM, ticket._id.toString(), { action: 'cancel', reason: 'Duplicado' });
      await sendCitizenSms(off.ctx, { ticketId: ticket._id.toString(), reason: 'cancelled', version: after.version }, { final: false });
      await settle(off.ctx.queues, ['channel']);
      expect(await off.ctx.queues.queue('channel').getJob(`sms-${ticket._id.toString()}-cancelled-${String(after.version)}`)).to.equal(undefined);
      expect(texts('+51987650050')).to.have.length(0);
    } finally {
      await off.stop();
    }
  });

  it('sends from a number when given one, and speaks of Twilio\'s answers in the error catalogue\'s terms', async () => {
    const phone = phoneChannelEnv(ctx.env);
    if (!phone) throw new Error('the phone channel is not configured');
    const gateway = createTwilioSmsGateway({ ...phone, apiBaseUrl: twilioApi.url }, { from: '+51900000001' });
    const { sid } = await gateway.send({ to: '+51987650060', body: 'Prueba', ref: 'a'.repeat(24) });
    expect(texts('+51987650060')[0]?.form).to.deep.include({ From: '+51900000001', Body: 'Prueba' });
    expect(await gateway.find({ to: '+51987650060', body: 'Prueba', since: new Date(Date.now() - 60_000) })).to.deep.equal({ sid });
    expect(await gateway.find({ to: '+51987650060', body: 'Otra cosa', since: new Date(Date.now() - 60_000) })).to.equal(null);

    twilioApi.unreachable.add('+51987650061');
    const refused = await gateway.send({ to: '+51987650061', body: 'Prueba', ref: 'b'.repeat(24) }).catch((err: unknown) => err);
    expect(isAppError(refused, 'MESSAGE_REFUSED') && !refused.retryable && refused.details?.providerCode === 21614).to.equal(true);
    twilioApi.answerLost.add('+51987650062');
    const lost = await gateway.send({ to: '+51987650062', body: 'Prueba', ref: 'c'.repeat(24) }).catch((err: unknown) => err);
    expect(isAppError(lost, 'SERVICE_UNAVAILABLE') && lost.retryable).to.equal(true);
    const unreachable = createTwilioSmsGateway({ ...phone, apiBaseUrl: 'http://127.0.0.1:9' }, { from: '+51900000001' });
    const down = await unreachable.send({ to: '+51987650063', body: 'Prueba', ref: 'd'.repeat(24) }).catch((err: unknown) => err);
    expect(isAppError(down, 'SERVICE_UNAVAILABLE')).to.equal(true);
  });
});
