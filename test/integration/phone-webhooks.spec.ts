import { expect } from 'chai';
import { XMLParser } from 'fast-xml-parser';
import { jwtVerify } from 'jose';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import twilio from 'twilio';
import { connectTwiml } from '../../channels/phone/call-control.js';
import { phoneWebhookGroup } from '../../channels/phone/phone.routes.js';
import { WAITING_QUEUE } from '../../channels/phone/twiml.js';
import { phoneChannelEnv } from '../../src/config/env.js';
import { startRedis } from '../../src/embedded/redis.js';
import { createHttpApp } from '../../src/http/app.js';
import { createQueues } from '../../src/queues/producer.js';
import { createRedis } from '../../src/queues/redis-client.js';
import { calendarOf } from '../../src/services/context/index.js';
import { handleCallEnded } from '../../src/services/phone/index.js';
import { setPresence } from '../../src/services/staff/index.js';
import { applyTransition } from '../../src/services/tickets/index.js';
import { surveyResponseIdFor } from '../../src/store/survey.repository.js';
import { ticketIdFor } from '../../src/store/ticket.repository.js';
import { startSystem, type RunningSystem } from '../../src/system.js';
import { phoneWebhookDeps } from '../../src/wiring/phone.js';
import { startFakeTwilio, twilioTestEnv, type FakeTwilio } from '../support/fake-twilio.js';
import { openApiProblems, type OpenApiDoc } from '../support/openapi.js';
import { seedStaff } from '../support/seed.js';
import { testEnv, testLog, testStore, uniqueName } from '../support/services.js';
import { call, loginAs } from '../support/staff-fixtures.js';
import { eventually } from '../support/wait.js';

const PUBLIC = 'https://atencion.example.gob.pe/cc';
const AUTH_TOKEN = '0123456789abcdef0123456789abcdef';
const TWILIO_ENV = twilioTestEnv(PUBLIC, AUTH_TOKEN);
/** Wednesday 2 December 2026, 10:00 in Lima: the office is open. */
const OPEN = new Date('2026-12-02T15:00:00Z');
/** Sunday 6 December 2026, 10:00 in Lima: closed. */
const CLOSED = new Date('2026-12-06T15:00:00Z');

let calls = 0;
function callSid(): string {
  calls++;
  return `CA${String(calls).padStart(4, '0')}${'f'.repeat(28)}`;
}

type Node = Record<string, unknown>;
const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false, isArray: (name) => ['Say'].includes(name) });

interface Answer {
  status: number;
  type: string | null;
  text: string;
  twiml: Node | undefined;
}

/**
 * The webhooks as Twilio calls them: a form, signed over the public URL. The server is reached at its local
 * address, whose scheme, host and path prefix all differ from the public URL, as behind a TLS-terminating proxy.
 */
async function post(base: string, path: string, form: Record<string, string>, sign: 'public' | 'local' | 'none' | 'wrong' = 'public'): Promise<Answer> {
  // What Twilio requested: the public URL of this server's root, then the path and query the server sees.
  const signed = sign === 'local' ? `${base}${path}` : `${PUBLIC}${new URL(base).pathname.replace(/\/$/, '')}${path}`;
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (sign !== 'none') headers['x-twilio-signature'] = sign === 'wrong' ? twilio.getExpectedTwilioSignature('f'.repeat(32), signed, form) : twilio.getExpectedTwilioSignature(AUTH_TOKEN, signed, form);
  const res = await fetch(`${base}${path}`, { method: 'POST', headers, body: new URLSearchParams(form).toString() });
  const text = await res.text();
  const type = res.headers.get('content-type');
  return { status: res.status, type, text, twiml: type?.startsWith('text/xml') ? (xml.parse(text) as { Response: Node }).Response : undefined };
}

function says(node: Node | undefined): string[] {
  return ((node?.Say as (Node | string)[] | undefined) ?? []).map((say) => (typeof say === 'string' ? say : String(say['#text'])));
}

const SYSTEM = { kind: 'system', id: 'test' } as const;

describe('phone channel: Twilio voice webhooks (signed, real HTTP, intake through the queue)', () => {
  const prefix = uniqueName(import.meta.filename);
  let system: RunningSystem;
  let twilioApi: FakeTwilio;
  let now = OPEN;
  let server: Server;
  let base: string;

  before(async () => {
    twilioApi = await startFakeTwilio();
    system = await startSystem(await testEnv(import.meta.filename, { ROLE: 'all', ...TWILIO_ENV, TWILIO_API_BASE_URL: twilioApi.url }), { log: testLog, queuePrefix: prefix });
    // The same webhooks with a clock the test sets (office open or closed), on the running system's context.
    const { ctx } = system;
    const phone = phoneChannelEnv(ctx.env);
    if (!phone) throw new Error('the phone channel is not configured');
    const app = createHttpApp({ log: testLog, readiness: { checks: {} }, channelGroups: [phoneWebhookGroup({ ...phoneWebhookDeps(ctx, phone), now: () => now })] });
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/webhooks/twilio`;
  });

  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await system.stop();
    await twilioApi.close();
  });

  it('puts a waiting caller through to the agent the core assigns, and back in the queue when the agent does not answer', async () => {
    now = OPEN;
    const { ctx } = system;
    const agent = await seedStaff(ctx.store, { units: ['SGRC'], skills: ['registro_civil'], capacity: { phone: 1 } });
    const staffId = agent._id.toString();
    await setPresence(ctx, SYSTEM, staffId, 'available');
    const sid = callSid();
    // Key 6 is registro civil (SGRC).
    await post(base, '/voice/menu', { CallSid: sid, From: '+51987654330', Digits: '6' });
    const ticketId = ticketIdFor('phone', sid).toString();
    const redirect = await eventually(() => twilioApi.requests.find((r) => r.path.endsWith(`/Calls/${sid}.json`)), 'the connect request to Twilio');
    expect(redirect.method).to.equal('POST');
    expect(redirect.path).to.equal(`/2010-04-01/Accounts/${TWILIO_ENV.TWILIO_ACCOUNT_SID}/Calls/${sid}.json`);
    expect(redirect.authorization).to.equal(`Basic ${Buffer.from(`${TWILIO_ENV.TWILIO_API_KEY_SID}:${TWILIO_ENV.TWILIO_API_KEY_SECRET}`).toString('base64')}`);
    const dial = (xml.parse(redirect.form.Twiml ?? '') as { Response: { Dial: Node } }).Response.Dial;
    expect(dial).to.deep.include({ Client: staffId, '@timeout': '20', '@action': `${PUBLIC}/webhooks/twilio/voice/dial-result?ticketId=${ticketId}&staffId=${staffId}` });
    const assigned = await ctx.store.tickets.get(ticketId);
    expect(assigned).to.deep.include({ status: 'asignado' });
    expect(assigned?.assigneeId?.toString()).to.equal(staffId);

    const missed = await post(base, `/voice/dial-result?ticketId=${ticketId}&staffId=${staffId}`, { CallSid: sid, DialCallStatus: 'no-answer', DialCallSid: `CA${'9'.repeat(32)}` });
    expect(missed.status).to.equal(200);
    expect(says(missed.twiml)).to.deep.equal([ctx.catalogue.ivr.stillWaiting]);
    expect(missed.twiml?.Enqueue).to.deep.include({ '#text': WAITING_QUEUE, '@waitUrl': 'wait' });
    await eventually(async () => (await ctx.store.tickets.get(ticketId))?.status === 'en_cola', 'the ticket back in the queue');
    expect((await ctx.store.staffPresence.getStaff(staffId))?.presence).to.equal('away');
    expect((await ctx.store.tickets.get(ticketId))?.enqueuedAt?.getTime()).to.equal(assigned?.enqueuedAt?.getTime());
    expect(await ctx.live.locate(ticketId)).to.deep.equal({ state: 'waiting' });
    // The agent is told why they are away now.
    const told = await eventually(async () => (await ctx.store.notifications.listForRecipient(staffId, { limit: 10 })).items.find((n) => n.kind === 'call_missed'), 'the agent told');
    expect(told.message).to.contain(assigned?.trackingCode ?? '?').and.contain('ausente');
  });

  it('times an attended call on its timeline, then asks the caller to rate the attention and stores the answer against the ticket and the agent', async () => {
    now = OPEN;
    const { ctx } = system;
    const { ivr } = ctx.catalogue;
    // Key 3 is obras (SGOPC), a queue no other call of this file uses.
    const agent = await seedStaff(ctx.store, { units: ['SGOPC'], skills: ['obras'], capacity: { phone: 1 } });
    const staffId = agent._id.toString();
    const sid = callSid();
    await post(base, '/voice/menu', { CallSid: sid, From: '+51987654331', Digits: '3' });
    const ticketId = ticketIdFor('phone', sid).toString();
    // The caller waits until the agent becomes available.
    await eventually(async () => (await ctx.live.routing.position(ticketId)) ?? undefined, 'the caller waiting');
    await setPresence(ctx, SYSTEM, staffId, 'available');
    const redirect = await eventually(() => twilioApi.requests.find((r) => r.path.endsWith(`/Calls/${sid}.json`)), 'the connect request to Twilio');
    // Recording is off unless the office turns it on (config/ivr.json).
    expect((xml.parse(redirect.form.Twiml ?? '') as { Response: { Dial: Node } }).Response.Dial).to.not.have.property('@record');
    const ticket = await eventually(async () => (await ctx.store.tickets.get(ticketId)) ?? undefined, 'the ticket');

    // The agent hung up after 30 s of waiting and 95 s of conversation (the ticket's clock is the intake's, so the
    // call's end is set from it): the caller hears the question.
    now = new Date(ticket.createdAt.getTime() + 125_000);
    const dialResult = `/voice/dial-result?ticketId=${ticketId}&staffId=${staffId}`;
    const ended = await post(base, dialResult, { CallSid: sid, DialCallStatus: 'completed', DialCallSid: `CA${'8'.repeat(32)}`, DialCallDuration: '95' });
    expect(ended.status).to.equal(200);
    const gather = ended.twiml?.Gather as Node;
    expect(gather).to.deep.include({ '@input': 'dtmf', '@numDigits': '1', '@action': `survey?ticketId=${ticketId}&staffId=${staffId}&attempt=0` });
    expect(says(gather)).to.deep.equal([ivr.survey.question]);
    expect(ended.twiml).to.have.property('Hangup');
    // Who answered, how long the caller waited until then, and how long they talked.
    const answered = await eventually(async () => (await ctx.store.ticketEvents.list(ticketId)).find((e) => e.type === 'call_answered'), 'the call timed');
    expect(answered.data).to.deep.equal({ staffId, talkSeconds: 95, waitSeconds: 30 });

    const survey = `/voice/survey?ticketId=${ticketId}&staffId=${staffId}`;
    const retry = await post(base, `${survey}&attempt=0`, { CallSid: sid, Digits: '7' });
    expect(says(retry.twiml)).to.deep.equal([ivr.survey.invalidAnswer]);
    expect(retry.twiml?.Gather).to.deep.include({ '@action': `survey?ticketId=${ticketId}&staffId=${staffId}&attempt=1` });
    const rated = await post(base, `${survey}&attempt=1`, { CallSid: sid, Digits: '4' });
    expect(says(rated.twiml)).to.deep.equal([ivr.survey.thanks]);
    expect(rated.twiml).to.have.property('Hangup');
    const stored = await eventually(async () => (await ctx.store.surveyResponses.get(surveyResponseIdFor('phone', sid))) ?? undefined, 'the rating stored');
    expect(stored).to.deep.include({ score: 4, channel: 'phone', unitCode: 'SGOPC' });
    expect(stored.ticketId.toString()).to.equal(ticketId);
    expect(stored.staffId.toString()).to.equal(staffId);
    expect(stored.at.getTime()).to.equal(now.getTime());

    // Twilio delivers the answer again, and a later key on the same call: the call stays rated once.
    await post(base, `${survey}&attempt=1`, { CallSid: sid, Digits: '4' });
    await post(base, `${survey}&attempt=0`, { CallSid: sid, Digits: '1' });
    await eventually(async () => (await ctx.queues.queue('channel').getJobCounts('waiting', 'active', 'delayed')).waiting === 0, 'the channel queue to drain');
    await eventually(async () => !(await ctx.queues.isPending('channel', `survey-${sid}`)), 'the answer handled');
    expect((await ctx.store.surveyResponses.get(surveyResponseIdFor('phone', sid)))?.score).to.equal(4);
    const events = await ctx.store.ticketEvents.list(ticketId);
    expect(events.filter((e) => e.type === 'survey_answered').map((e) => e.data)).to.deep.equal([{ score: 4, staffId }]);

    // A second key that is not 1 to 5, or silence, ends the call unrated.
    const other = callSid();
    for (const [query, form] of [['&attempt=1', { Digits: '9' }], ['&attempt=0', {}]] as const) {
      const unrated = await post(base, `${survey}${query}`, { CallSid: other, ...form });
      expect(unrated.twiml).to.have.property('Hangup');
      expect(says(unrated.twiml)).to.deep.equal([]);
    }
    expect(await ctx.queues.isPending('channel', `survey-${other}`)).to.equal(false);
  });

  it('tells a waiting caller their place in the core\'s queue, where Ley 28683 and Vecino Puntual callers overtake earlier ones', async () => {
    now = OPEN;
    const { ctx } = system;
    await ctx.store.citizens.create({ dni: '45678912', phones: ['+51987654350'], vpp: true });
    await ctx.store.citizens.create({ dni: '45678913', phones: ['+51987654359'], preferential: true });
    const first = callSid();
    const second = callSid();
    const vpp = callSid();
    const preferential = callSid();
    for (const [sid, from] of [[first, '+51987654351'], [second, '+51987654352'], [vpp, '+51987654350'], [preferential, '+51987654359']] as const) {
      await post(base, '/voice/menu', { CallSid: sid, From: from, Digits: '9' });
      await eventually(async () => (await ctx.live.routing.position(ticketIdFor('phone', sid).toString())) ?? undefined, 'the caller in the live queue');
    }
    const place = async (sid: string): Promise<{ said: string[]; twiml: Node | undefined }> => {
      const answer = await post(base, '/voice/wait', { CallSid: sid, QueuePosition: '1', QueueTime: '12' });
      expect(answer.status).to.equal(200);
      return { said: says((answer.twiml?.Gather as Node | undefined) ?? answer.twiml), twiml: answer.twiml };
    };
    const sentence = (n: number): string => ctx.catalogue.ivr.waitPosition.replace('{position}', String(n));
    // Ley 28683 (preferential attention) first, then Vecino Puntual, then everyone else, each by arrival.
    expect((await place(preferential)).said[0]).to.equal(sentence(1));
    const { said: vppSaid, twiml } = await place(vpp);
    // Their number is known, so they are offered a call back: a key pressed meanwhile goes to wait-choice.
    expect(vppSaid).to.deep.equal([sentence(2), ctx.catalogue.ivr.callbackOffer]);
    expect(twiml?.Gather).to.deep.include({ '@action': 'wait-choice', '@numDigits': '1' });
    // No call of this queue was answered today: no estimate, and silence until the next announcement.
    expect(twiml?.Pause).to.deep.equal({ '@length': '30' });
    const firstPlace = Number(/\d+/.exec((await place(first)).said[0] ?? '')?.[0]);
    expect(firstPlace).to.be.greaterThan(2);
    expect((await place(second)).said).to.deep.equal([sentence(firstPlace + 1), ctx.catalogue.ivr.callbackOffer]);
    // A call the core does not have waiting (yet, or any more) hears a short pause only.
    const unknown = await place(callSid());
    expect(unknown.said).to.deep.equal([]);
    expect(unknown.twiml?.Pause).to.deep.equal({ '@length': '3' });
  });

  it('books a call back when a waiting caller presses 1, and does not count them abandoned when they hang up', async () => {
    now = OPEN;
    const { ctx } = system;
    const day = calendarOf(ctx).toLocalDate(new Date());
    const abandoned = async (): Promise<number> => (await ctx.live.figures('GDVAC', day)).queues.find((q) => q.queue === 'reclamaciones')?.abandonedToday ?? 0;
    const sid = callSid();
    const anonymous = callSid();
    await post(base, '/voice/menu', { CallSid: sid, From: '+51987654360', Digits: '9' });
    await post(base, '/voice/menu', { CallSid: anonymous, From: 'anonymous', Digits: '9' });
    const id = ticketIdFor('phone', sid).toString();
    for (const call of [sid, anonymous]) await eventually(async () => (await ctx.live.routing.position(ticketIdFor('phone', call).toString())) ?? undefined, 'the caller waiting');
    const waiting = await ctx.store.tickets.get(id);
    const before = await abandoned();

    // Without a known number there is nobody to call back: the caller keeps waiting (and is not offered it).
    const refused = await post(base, '/voice/wait-choice', { CallSid: anonymous, Digits: '1' });
    expect(refused.twiml).to.not.have.property('Hangup');
    expect(refused.twiml).to.not.have.property('Gather');

    const booked = await post(base, '/voice/wait-choice', { CallSid: sid, Digits: '1' });
    expect(says(booked.twiml)).to.deep.equal([ctx.catalogue.ivr.callbackConfirmed]);
    expect(booked.twiml).to.have.property('Hangup');
    await post(base, '/voice/status', { CallSid: sid, CallStatus: 'completed' });
    const marked = await eventually(async () => (await ctx.store.tickets.get(id))?.callbackRequestedAt ?? undefined, 'the call back booked');
    expect(marked).to.be.instanceOf(Date);
    await eventually(async () => (await ctx.queues.queue('channel').getJobCounts('waiting', 'active', 'delayed')).waiting === 0, 'the channel queue to drain');
    await eventually(async () => !(await ctx.queues.isPending('channel', `ended-${sid}`)), 'the end of the call handled');
    const after = await ctx.store.tickets.get(id);
    expect(after).to.deep.include({ status: 'en_cola' });
    expect(after?.enqueuedAt?.getTime()).to.equal(waiting?.enqueuedAt?.getTime());
    expect((await ctx.store.ticketEvents.list(id)).map((e) => e.type)).to.include('callback_requested').and.not.include('call_abandoned');
    expect(await abandoned()).to.equal(before);
    // Pressing 1 again (a retried webhook) books nothing more and keeps the caller waiting.
    expect((await post(base, '/voice/wait-choice', { CallSid: sid, Digits: '1' })).twiml).to.not.have.property('Hangup');
  });

  it('counts a caller who hangs up while waiting as abandoned: kept in its place to call back, or cancelled without a number', async () => {
    now = OPEN;
    const { ctx } = system;
    const day = calendarOf(ctx).toLocalDate(new Date());
    const abandoned = async (): Promise<number> => (await ctx.live.figures('GDVAC', day)).queues.find((q) => q.queue === 'reclamaciones')?.abandonedToday ?? 0;
    const before = await abandoned();
    // Key 9 is quejas y reclamos (GDVAC, queue reclamaciones), where nobody takes phone calls in this test.
    const known = callSid();
    await post(base, '/voice/menu', { CallSid: known, From: '+51987654340', Digits: '9' });
    const unknown = callSid();
    await post(base, '/voice/menu', { CallSid: unknown, From: 'anonymous', Digits: '9' });
    const knownId = ticketIdFor('phone', known).toString();
    const unknownId = ticketIdFor('phone', unknown).toString();
    const waiting = await eventually(async () => (await ctx.store.tickets.get(knownId)) ?? undefined, 'the caller\'s ticket');
    await eventually(async () => (await ctx.store.tickets.get(unknownId)) ?? undefined, 'the anonymous caller\'s ticket');
    // Ringing and talking are not the end of the call; only its end is.
    expect((await post(base, '/voice/status', { CallSid: known, CallStatus: 'in-progress' })).status).to.equal(204);

    for (const sid of [known, unknown]) expect((await post(base, '/voice/status', { CallSid: sid, CallStatus: 'completed', CallDuration: '42' })).status).to.equal(204);
    await eventually(async () => (await ctx.store.ticketEvents.list(knownId)).some((e) => e.type === 'call_abandoned'), 'the abandonment recorded');
    await eventually(async () => (await ctx.store.tickets.get(unknownId))?.status === 'anulado', 'the anonymous call cancelled');
    const kept = await ctx.store.tickets.get(knownId);
    expect(kept?.status).to.equal('en_cola');
    expect(kept?.callbackRequestedAt).to.be.instanceOf(Date);
    expect(kept?.enqueuedAt?.getTime()).to.equal(waiting.enqueuedAt?.getTime());
    expect(await ctx.live.locate(knownId)).to.deep.equal({ state: 'waiting' });
    expect(await ctx.live.locate(unknownId)).to.equal(null);
    expect(await abandoned()).to.equal(before + 2);

    // Twilio sends the callback again: nothing more happens.
    await post(base, '/voice/status', { CallSid: known, CallStatus: 'completed' });
    await eventually(async () => (await ctx.queues.queue('channel').getJobCounts('waiting', 'active', 'delayed')).waiting === 0, 'the channel queue to drain');
    // And should the job itself run again (its id forgotten after a day), the ticket says it was handled.
    await handleCallEnded(ctx, { callSid: known });
    expect((await ctx.store.ticketEvents.list(knownId)).filter((e) => e.type === 'call_abandoned')).to.have.length(1);
    expect(await abandoned()).to.equal(before + 2);
  });

  it('lets an agent call a citizen back from the softphone with the municipality\'s number, on the ticket\'s timeline', async () => {
    now = OPEN;
    const { ctx } = system;
    const sid = callSid();
    await post(base, '/voice/menu', { CallSid: sid, From: '+51987654370', Digits: '9' });
    const ticketId = ticketIdFor('phone', sid).toString();
    await eventually(async () => (await ctx.store.tickets.get(ticketId)) ?? undefined, 'the ticket');
    const agent = await seedStaff(ctx.store, { units: ['GDVAC'] });
    const outgoing = callSid();
    const answer = await post(base, '/voice/outgoing', { CallSid: outgoing, From: `client:${agent._id.toString()}`, To: '+51987654370', ticketId });
    expect(answer.status).to.equal(200);
    expect(answer.twiml?.Dial).to.deep.include({ Number: '+51987654370', '@callerId': TWILIO_ENV.TWILIO_CALLER_ID, '@answerOnBridge': 'true' });
    const placed = await eventually(async () => (await ctx.store.ticketEvents.list(ticketId)).find((e) => e.type === 'call_placed'), 'the call on the timeline');
    expect(placed).to.deep.include({ actorKind: 'staff', actorId: agent._id.toString() });
    expect(placed.data).to.deep.equal({ to: '+51987654370', callSid: outgoing });

    const refused: Record<string, string>[] = [
      { CallSid: callSid(), From: '+51987654370', To: '+51987654371' },
      { CallSid: callSid(), From: `client:${agent._id.toString()}`, To: 'sip:evil@example.com' },
      { CallSid: callSid(), From: `client:${agent._id.toString()}`, To: '+51987654371', ticketId: 'nope' },
    ];
    for (const form of refused) {
      expect((await post(base, '/voice/outgoing', form)).status, JSON.stringify(form)).to.equal(400);
    }
  });

  it('records agents\' calls only when the office turns it on, after the Ley 29733 notice, and puts each recording on the timeline', async () => {
    now = OPEN;
    const { ctx } = system;
    const { ivr } = ctx.catalogue;
    expect(ivr.recording.enabled, 'recording is off as shipped').to.equal(false);
    // The same webhooks with recording turned on (and the survey off).
    const phone = phoneChannelEnv(ctx.env);
    if (!phone) throw new Error('the phone channel is not configured');
    const recordedIvr = { ...ivr, recording: { ...ivr.recording, enabled: true }, survey: { ...ivr.survey, enabled: false } };
    const recorded = createServer(createHttpApp({ log: testLog, readiness: { checks: {} }, channelGroups: [phoneWebhookGroup({ ...phoneWebhookDeps(ctx, phone), ivr: recordedIvr, now: () => now })] }));
    await new Promise<void>((resolve) => recorded.listen(0, '127.0.0.1', resolve));
    const recordedBase = `http://127.0.0.1:${String((recorded.address() as AddressInfo).port)}/webhooks/twilio`;
    try {
      // Every caller hears the notice before the menu.
      expect(says((await post(recordedBase, '/voice/incoming', { CallSid: callSid(), From: '+51987654380' })).twiml)).to.deep.equal([ivr.greeting, ivr.recording.notice]);
      expect(says((await post(base, '/voice/incoming', { CallSid: callSid(), From: '+51987654380' })).twiml)).to.deep.equal([ivr.greeting]);

      const sid = callSid();
      await post(base, '/voice/menu', { CallSid: sid, From: '+51987654381', Digits: '9' });
      const ticketId = ticketIdFor('phone', sid).toString();
      await eventually(async () => (await ctx.store.tickets.get(ticketId)) ?? undefined, 'the ticket');
      const agent = await seedStaff(ctx.store, { units: ['GDVAC'] });
      const staffId = agent._id.toString();
      const query = `ticketId=${ticketId}&staffId=${staffId}`;

      // A call put through to an agent is recorded from the moment they answer, and reported for the ticket.
      const connect = (xml.parse(connectTwiml(PUBLIC, { ticketId, staffId }, true)) as { Response: { Dial: Node } }).Response.Dial;
      expect(connect).to.deep.include({ Client: staffId, '@record': 'record-from-answer-dual', '@recordingStatusCallback': `${PUBLIC}/webhooks/twilio/voice/recording?${query}`, '@recordingStatusCallbackEvent': 'completed absent' });
      // With the survey off, the call simply ends after the conversation.
      const ended = await post(recordedBase, `/voice/dial-result?${query}`, { CallSid: sid, DialCallStatus: 'completed', DialCallDuration: '30' });
      expect(ended.twiml).to.have.property('Hangup');
      expect(ended.twiml).to.not.have.property('Gather');

      // An agent's call about a ticket: the citizen hears the notice on answering, before the agent is bridged.
      const outgoing = await post(recordedBase, '/voice/outgoing', { CallSid: callSid(), From: `client:${staffId}`, To: '+51987654381', ticketId });
      expect(outgoing.twiml?.Dial).to.deep.include({ '@record': 'record-from-answer-dual', '@recordingStatusCallback': `recording?${query}`, Number: { '#text': '+51987654381', '@url': 'recording-notice', '@method': 'POST' } });
      expect(says((await post(recordedBase, '/voice/recording-notice', { CallSid: callSid(), From: TWILIO_ENV.TWILIO_CALLER_ID, To: '+51987654381' })).twiml)).to.deep.equal([ivr.recording.notice]);
      // Without a ticket there is nowhere to keep a recording: not recorded.
      expect((await post(recordedBase, '/voice/outgoing', { CallSid: callSid(), From: `client:${staffId}`, To: '+51987654381' })).twiml?.Dial).to.not.have.property('@record');

      const recordingSid = `RE${'d'.repeat(32)}`;
      const url = `https://api.twilio.com/2010-04-01/Accounts/${TWILIO_ENV.TWILIO_ACCOUNT_SID}/Recordings/${recordingSid}`;
      expect((await post(recordedBase, `/voice/recording?${query}`, { CallSid: sid, RecordingSid: recordingSid, RecordingStatus: 'in-progress' })).status).to.equal(204);
      expect((await post(recordedBase, `/voice/recording?${query}`, { CallSid: sid, RecordingSid: recordingSid, RecordingStatus: 'completed', RecordingUrl: url, RecordingDuration: '31' })).status).to.equal(204);
      const onTimeline = await eventually(async () => (await ctx.store.ticketEvents.list(ticketId)).find((e) => e.type === 'call_recorded'), 'the recording on the timeline');
      expect(onTimeline.data).to.deep.equal({ recordingSid, staffId, url, seconds: 31 });
    } finally {
      await new Promise((resolve) => recorded.close(resolve));
    }
  });

  it('adds a voicemail\'s recording to its ticket\'s timeline when Twilio has it, even when Twilio reports it before the ticket exists', async () => {
    now = CLOSED;
    const { ctx } = system;
    const sid = callSid();
    const recordingSid = `RE${'e'.repeat(32)}`;
    const url = `https://api.twilio.com/2010-04-01/Accounts/${TWILIO_ENV.TWILIO_ACCOUNT_SID}/Recordings/${recordingSid}`;
    expect((await post(base, '/voice/recording', { CallSid: sid, RecordingSid: recordingSid, RecordingStatus: 'completed', RecordingUrl: url, RecordingDuration: '14' })).status).to.equal(204);
    await post(base, '/voice/voicemail', { CallSid: sid, From: '+51987000112', RecordingUrl: url, RecordingSid: recordingSid, RecordingDuration: '14' });
    const ticketId = ticketIdFor('phone', sid).toString();
    const onTimeline = await eventually(async () => (await ctx.store.ticketEvents.list(ticketId)).find((e) => e.type === 'call_recorded'), 'the recording on the timeline');
    expect(onTimeline.data).to.deep.equal({ recordingSid, url, seconds: 14 });

    // Twilio says a recording was not made (the caller said nothing after the beep, then left a message on a second try).
    const absentSid = `RE${'f'.repeat(32)}`;
    await post(base, '/voice/recording', { CallSid: sid, RecordingSid: absentSid, RecordingStatus: 'absent', RecordingDuration: '-1' });
    const missing = await eventually(async () => (await ctx.store.ticketEvents.list(ticketId)).find((e) => e.type === 'recording_missing'), 'the missing recording noted');
    expect(missing).to.deep.include({ reason: 'absent', data: { recordingSid: absentSid } });

    const refused: [string, Record<string, string>, string][] = [
      ['/voice/recording', { CallSid: sid, RecordingSid: recordingSid, RecordingStatus: 'completed' }, 'RecordingUrl'],
      ['/voice/recording', { CallSid: sid, RecordingSid: 'RE1', RecordingStatus: 'completed', RecordingUrl: url }, 'RecordingSid'],
      ['/voice/recording', { CallSid: sid, RecordingSid: recordingSid, RecordingStatus: 'lost', RecordingUrl: url }, 'RecordingStatus'],
      ['/voice/recording?ticketId=nope', { CallSid: sid, RecordingSid: recordingSid, RecordingStatus: 'completed', RecordingUrl: url }, 'ticketId'],
      ['/voice/survey?ticketId=nope&staffId=nope', { CallSid: sid, Digits: '5' }, 'ticketId'],
      [`/voice/survey?ticketId=${ticketId}&staffId=${ticketId}&attempt=7`, { CallSid: sid, Digits: '5' }, 'attempt'],
    ];
    for (const [path, form, field] of refused) {
      const answer = await post(base, path, form);
      expect(answer.status, `${path} ${JSON.stringify(form)}`).to.equal(400);
      expect(answer.text).to.contain('VALIDATION_FAILED').and.contain(field);
    }
    // Dealt with, so that no later test's agent is handed this voicemail.
    const ticket = await ctx.store.tickets.get(ticketId);
    if (ticket) await applyTransition(ctx, SYSTEM, ticket, 'cancel', { reason: 'test_done' });
  });

  it('leaves alone a phone ticket whose call already ended when it is assigned', async () => {
    now = CLOSED;
    const { ctx } = system;
    const sid = callSid();
    twilioApi.gone.add(sid);
    await post(base, '/voice/voicemail', { CallSid: sid, From: '+51987654331', RecordingUrl: 'https://api.twilio.com/rec/RE1', RecordingSid: `RE${'c'.repeat(32)}` });
    const ticketId = ticketIdFor('phone', sid).toString();
    const ticket = await eventually(async () => (await ctx.store.tickets.get(ticketId)) ?? undefined, 'the voicemail ticket');
    const agent = await seedStaff(ctx.store, { units: [ticket.unitCode], capacity: { phone: 1 } });
    await setPresence(ctx, SYSTEM, agent._id.toString(), 'available');
    await eventually(() => twilioApi.requests.find((r) => r.path.endsWith(`/Calls/${sid}.json`)), 'the connect attempt');
    const connects = ctx.queues.queue('channel');
    const job = await eventually(async () => {
      const found = await connects.getJob(`connect-${ticketId}-${String((await ctx.store.tickets.get(ticketId))?.version ?? 0)}`);
      return found && (await found.getState()) === 'completed' ? found : undefined;
    }, 'the connect job to finish');
    expect(job.attemptsMade).to.equal(1);
    expect((await ctx.store.tickets.get(ticketId))?.status).to.equal('asignado');
  });

  it('answers only requests signed by Twilio over the public URL, whatever host and scheme the proxy used', async () => {
    const form = { CallSid: callSid(), From: '+51987654321', To: '+5114630000' };
    expect((await post(base, '/voice/incoming', form, 'none')).status).to.equal(403);
    expect((await post(base, '/voice/incoming', form, 'wrong')).status).to.equal(403);
    const local = await post(base, '/voice/incoming', form, 'local');
    expect(local.status).to.equal(403);
    expect(JSON.parse(local.text)).to.deep.include({ error: { code: 'FORBIDDEN', message: 'The request does not carry a valid Twilio signature.', details: { reason: 'invalid_signature' } } });
    // A parameter changed after signing is a forgery too.
    const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, `${PUBLIC}/webhooks/twilio/voice/incoming`, form);
    const tampered = await fetch(`${base}/voice/incoming`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
      body: new URLSearchParams({ ...form, From: '+51900000000' }).toString(),
    });
    expect(tampered.status).to.equal(403);
    expect((await post(base, '/voice/incoming', form)).status).to.equal(200);
  });

  it('greets a caller in office hours and offers the menu by key or by voice, in Spanish', async () => {
    now = OPEN;
    const answer = await post(base, '/voice/incoming', { CallSid: callSid(), From: '+51987654321' });
    expect(answer.status).to.equal(200);
    expect(answer.type).to.match(/^text\/xml/);
    const { ivr } = system.ctx.catalogue;
    expect(says(answer.twiml)).to.deep.equal([ivr.greeting]);
    const gather = answer.twiml?.Gather as Node;
    expect(gather).to.deep.include({ '@input': 'dtmf speech', '@numDigits': '1', '@language': 'es-PE', '@action': 'menu?path=&attempt=0', '@actionOnEmptyResult': 'true' });
    expect(says(gather)).to.deep.equal([ivr.menu.prompt]);
  });

  it('takes a voicemail outside office hours, and the voicemail becomes a ticket carrying the recording', async () => {
    now = CLOSED;
    const sid = callSid();
    const incoming = await post(base, '/voice/incoming', { CallSid: sid, From: '+51987000111' });
    const { ivr } = system.ctx.catalogue;
    expect(says(incoming.twiml)).to.deep.equal([ivr.closed, ivr.noMessage]);
    expect(incoming.twiml?.Record).to.deep.include({ '@action': 'voicemail', '@maxLength': '120', '@playBeep': 'true' });
    expect(incoming.twiml).to.have.property('Hangup');

    const recording = { CallSid: sid, From: '+51987000111', RecordingUrl: `https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE${'a'.repeat(32)}`, RecordingSid: `RE${'a'.repeat(32)}`, RecordingDuration: '14' };
    const saved = await post(base, '/voice/voicemail', recording);
    expect(saved.status).to.equal(200);
    expect(says(saved.twiml)).to.deep.equal([ivr.voicemailSaved]);
    const ticket = await eventually(async () => (await system.ctx.store.tickets.get(ticketIdFor('phone', sid).toString())) ?? undefined, 'the voicemail ticket');
    expect(ticket).to.deep.include({ channel: 'phone', channelKey: sid, subject: 'Mensaje de voz fuera del horario de atención' });
    expect(ticket.description).to.contain(recording.RecordingUrl).and.contain('14 s');
    const citizen = await system.ctx.store.citizens.findByIdentifier('phone', '+51987000111');
    expect(citizen?._id.toString()).to.equal(ticket.citizenId?.toString());
  });

  it('repeats the menu once after an invalid key, then queues the caller for the unit of the option chosen', async () => {
    now = OPEN;
    const sid = callSid();
    const { ivr } = system.ctx.catalogue;
    const retry = await post(base, '/voice/menu?path=&attempt=0', { CallSid: sid, From: '+51987654322', Digits: '7' });
    expect(says(retry.twiml)).to.deep.equal([ivr.invalidChoice]);
    expect(retry.twiml?.Gather).to.deep.include({ '@action': 'menu?path=&attempt=1' });

    const queued = await post(base, '/voice/menu?path=&attempt=1', { CallSid: sid, From: '+51987654322', Digits: '1' });
    expect(queued.status).to.equal(200);
    expect(says(queued.twiml)).to.deep.equal([ivr.queued]);
    expect(queued.twiml?.Enqueue).to.deep.equal({ '#text': WAITING_QUEUE, '@waitUrl': 'wait', '@waitUrlMethod': 'POST' });
    const ticket = await eventually(async () => (await system.ctx.store.tickets.get(ticketIdFor('phone', sid).toString())) ?? undefined, 'the caller\'s ticket');
    // Key 1 is rentas in config/routing.json (rule ivr-rentas).
    expect(ticket).to.deep.include({ channel: 'phone', unitCode: 'GAT', queue: 'rentas', serviceCode: 'rentas.estado_cuenta', subject: 'Llamada telefónica (opción 1)' });
    expect(ticket.routingHint).to.deep.include({ ivrDigits: '1' });
  });

  it('understands the caller\'s words, and sends silence and a second invalid key to general attention', async () => {
    now = OPEN;
    const spoken = callSid();
    await post(base, '/voice/menu', { CallSid: spoken, From: '+51987654323', SpeechResult: 'Quiero sacar una licencia de funcionamiento' });
    const silent = callSid();
    await post(base, '/voice/menu', { CallSid: silent, From: 'anonymous' });
    const twice = callSid();
    await post(base, '/voice/menu?path=&attempt=1', { CallSid: twice, Digits: '8' });
    const byVoice = await eventually(async () => (await system.ctx.store.tickets.get(ticketIdFor('phone', spoken).toString())) ?? undefined, 'the spoken choice');
    expect(byVoice).to.deep.include({ unitCode: 'SGLIC', subject: 'Llamada telefónica (opción 2)', description: 'El vecino dijo: «Quiero sacar una licencia de funcionamiento»' });
    for (const sid of [silent, twice]) {
      const general = await eventually(async () => (await system.ctx.store.tickets.get(ticketIdFor('phone', sid).toString())) ?? undefined, 'a general-attention ticket');
      expect(general).to.deep.include({ subject: 'Llamada telefónica (atención general)', queue: 'general' });
      expect(general.citizenId).to.equal(undefined);
    }
  });

  it('takes a webhook Twilio delivers twice once: one ticket, one created event', async () => {
    now = OPEN;
    const sid = callSid();
    const form = { CallSid: sid, From: '+51987654324', Digits: '6' };
    const answers = await Promise.all([post(base, '/voice/menu', form), post(base, '/voice/menu', form), post(base, '/voice/menu', form)]);
    expect(answers.map((a) => a.status)).to.deep.equal([200, 200, 200]);
    await post(base, '/voice/menu', form);
    const id = ticketIdFor('phone', sid).toString();
    await eventually(async () => (await system.ctx.store.tickets.get(id)) ?? undefined, 'the ticket');
    await eventually(async () => (await system.ctx.store.ticketEvents.list(id)).some((e) => e.type === 'routed'), 'routing');
    const events = await system.ctx.store.ticketEvents.list(id);
    expect(events.filter((e) => e.type === 'created')).to.have.length(1);
  });

  it('answers missing or malformed parameters with 400 and a stable code, never a 500', async () => {
    now = OPEN;
    const cases: [string, Record<string, string>][] = [
      ['/voice/incoming', {}],
      ['/voice/incoming', { CallSid: 'not-a-call' }],
      ['/voice/menu?path=0.x', { CallSid: callSid() }],
      ['/voice/menu?attempt=9', { CallSid: callSid() }],
      ['/voice/voicemail', { CallSid: callSid(), RecordingUrl: 'javascript:alert(1)', RecordingSid: `RE${'b'.repeat(32)}` }],
      ['/voice/voicemail', { CallSid: callSid(), RecordingUrl: 'https://api.twilio.com/x', RecordingSid: 'RE1', RecordingDuration: '-3' }],
    ];
    for (const [path, form] of cases) {
      const answer = await post(base, path, form);
      expect(answer.status, `${path} ${JSON.stringify(form)}`).to.equal(400);
      expect((JSON.parse(answer.text) as { error: { code: string } }).error.code).to.equal('VALIDATION_FAILED');
    }
  });

  it('answers 503 when Redis cannot take the contact, and leaves nothing half-written', async () => {
    now = OPEN;
    const dir = await mkdtemp(join(tmpdir(), 'phone-redis-'));
    const redis = await startRedis({ workDir: dir, logFile: join(dir, 'redis.log'), log: testLog });
    const connection = createRedis(redis.url, 'queue', testLog);
    const queues = createQueues(connection, testLog, uniqueName(import.meta.filename));
    const ctx = { ...system.ctx, queues };
    const phone = phoneChannelEnv(ctx.env);
    if (!phone) throw new Error('the phone channel is not configured');
    const app = createHttpApp({ log: testLog, readiness: { checks: {} }, channelGroups: [phoneWebhookGroup({ ...phoneWebhookDeps(ctx, phone), now: () => now })] });
    const down = createServer(app);
    await new Promise<void>((resolve) => down.listen(0, '127.0.0.1', resolve));
    try {
      await redis.stop();
      const sid = callSid();
      const answer = await post(`http://127.0.0.1:${String((down.address() as AddressInfo).port)}/webhooks/twilio`, '/voice/menu', { CallSid: sid, Digits: '1' });
      expect(answer.status).to.equal(503);
      expect((JSON.parse(answer.text) as { error: { code: string } }).error.code).to.equal('SERVICE_UNAVAILABLE');
      expect(await system.ctx.store.tickets.get(ticketIdFor('phone', sid).toString())).to.equal(null);
    } finally {
      await new Promise((resolve) => down.close(resolve));
      await queues.close().catch(() => undefined);
      connection.disconnect();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('answers 503 within the deadline when the store is down, and still queues a caller\'s contact, which is not lost', async () => {
    now = OPEN;
    const { ctx } = system;
    // The system's own context and Redis, but a store whose connection is gone.
    const store = await testStore(import.meta.filename, uniqueName(import.meta.filename));
    await store.close();
    const phone = phoneChannelEnv(ctx.env);
    if (!phone) throw new Error('the phone channel is not configured');
    const app = createHttpApp({ log: testLog, readiness: { checks: {} }, channelGroups: [phoneWebhookGroup({ ...phoneWebhookDeps({ ...ctx, store }, phone), now: () => now })] });
    const down = createServer(app);
    await new Promise<void>((resolve) => down.listen(0, '127.0.0.1', resolve));
    const downBase = `http://127.0.0.1:${String((down.address() as AddressInfo).port)}/webhooks/twilio`;
    try {
      const sid = callSid();
      // Taking the call needs Redis only: the caller is queued and becomes a ticket once a worker reaches the store.
      expect((await post(downBase, '/voice/menu', { CallSid: sid, From: '+51987654390', Digits: '9' })).status).to.equal(200);
      // The running system's workers, with their store, took the contact in.
      const id = ticketIdFor('phone', sid).toString();
      await eventually(async () => (await ctx.live.routing.position(id)) ?? undefined, 'the queued contact taken in and waiting');
      // What a waiting caller is told reads the store: 503 well before Twilio's 15 s, so Twilio plays its fallback.
      const startedAt = Date.now();
      const wait = await post(downBase, '/voice/wait', { CallSid: sid });
      expect(wait.status).to.equal(503);
      expect((JSON.parse(wait.text) as { error: { code: string } }).error.code).to.equal('SERVICE_UNAVAILABLE');
      expect(Date.now() - startedAt).to.be.below(10_000);
      // Through the running system, with its store, the same caller hears their place.
      expect(says(((await post(base, '/voice/wait', { CallSid: sid })).twiml?.Gather as Node | undefined) ?? {})[0]).to.match(/\d/);
    } finally {
      await new Promise((resolve) => down.close(resolve));
    }
  });

  it('gives an agent a softphone token bound to their staff id, and no one else', async () => {
    const agent = await seedStaff(system.ctx.store, { units: ['GDVAC'], password: 'Clave-segura-123' });
    const supervisor = await seedStaff(system.ctx.store, { units: ['GDVAC'], roles: ['supervisor'], password: 'Clave-segura-123' });
    const url = system.url ?? '';
    const session = await loginAs(url, agent.username, 'Clave-segura-123');
    const answer = await call(url, 'POST', '/api/v1/phone/token', { token: session.accessToken });
    expect(answer.status).to.equal(200);
    const body = answer.body as { token: string; identity: string; expiresAt: string };
    expect(body.identity).to.equal(agent._id.toString());
    const { payload, protectedHeader } = await jwtVerify(body.token, new TextEncoder().encode(TWILIO_ENV.TWILIO_API_KEY_SECRET));
    expect(protectedHeader).to.include({ alg: 'HS256', cty: 'twilio-fpa;v=1' });
    expect(payload).to.include({ iss: TWILIO_ENV.TWILIO_API_KEY_SID, sub: TWILIO_ENV.TWILIO_ACCOUNT_SID });
    expect(payload.grants).to.deep.equal({
      identity: agent._id.toString(),
      voice: { incoming: { allow: true }, outgoing: { application_sid: TWILIO_ENV.TWILIO_TWIML_APP_SID } },
    });
    expect((payload.exp ?? 0) - Math.floor(Date.now() / 1000)).to.be.within(3_500, 3_600);
    expect(new Date(body.expiresAt).getTime() / 1000).to.be.closeTo(payload.exp ?? 0, 2);

    const refused = await call(url, 'POST', '/api/v1/phone/token', { token: (await loginAs(url, supervisor.username, 'Clave-segura-123')).accessToken });
    expect(refused.status).to.equal(403);
    expect((await call(url, 'POST', '/api/v1/phone/token')).status).to.equal(401);
  });

  it('mounts the webhooks in the running system only when the phone channel is configured, and documents them', async () => {
    const answer = await post(`${system.url ?? ''}/webhooks/twilio`, '/voice/incoming', { CallSid: callSid(), From: '+51987654325' });
    expect(answer.status).to.equal(200);
    const doc = (await (await fetch(`${system.url ?? ''}/api/v1/openapi.json`)).json()) as OpenApiDoc;
    expect(openApiProblems(doc)).to.deep.equal([]);
    const menu = doc.paths['/webhooks/twilio/voice/menu']?.post;
    expect(menu?.security).to.deep.equal([{ twilioSignature: [] }]);
    expect(menu?.requestBody).to.have.nested.property('content.application/x-www-form-urlencoded');
    expect(menu?.responses).to.have.nested.property('200.content.text/xml');
    expect(Object.keys(menu?.responses as object)).to.include.members(['400', '403', '503']);
    const off = await startSystem(await testEnv(import.meta.filename, { ROLE: 'api' }), { log: testLog, queuePrefix: uniqueName(import.meta.filename) });
    try {
      expect((await post(`${off.url ?? ''}/webhooks/twilio`, '/voice/incoming', { CallSid: callSid() })).status).to.equal(404);
    } finally {
      await off.stop();
    }
  });
});
