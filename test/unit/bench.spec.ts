import { expect } from 'chai';
import mongoose, { Types } from 'mongoose';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { decodeWords } from 'postal-mime';
import { parseBenchArgs, UsageError, type BenchOptions } from '../../bench/args.js';
import { closedCasesFor, compareOutcomes, encodeWords, EXPECTED_OUTCOME, mailCounts, planMailbox, renderMail, SHAPE_MIX, threadHeaders, type ClosedCase, type EarlierCase, type PlannedMail } from '../../bench/email-mail.js';
import { emailFailures, emailTargets } from '../../bench/email-report.js';
import type { EmailResult } from '../../bench/email.js';
import { ticketTermIdsFor } from '../../src/store/ticket-term.repository.js';
import { READ_KINDS, type ReadKind, type ReadWindow, type StaffReadsResult } from '../../bench/staff-reads.js';
import { BusinessClock, CHANNEL_MIX, citizenDocuments, derivedDocuments, HistoryYear, type PastAgent, type TicketLife } from '../../bench/history-shapes.js';
import { benchConfig, type KioskResult } from '../../bench/kiosk.js';
import { CALL_SCRIPT, connectRedirects, matchConnects, planWebhooks, type PhoneResult } from '../../bench/phone.js';
import type { ArrivalResult } from '../../bench/pipeline.js';
import { type HistoryRun, scanSummary, type TargetCheck } from '../../bench/report-cells.js';
import { checkTargets } from '../../bench/report.js';
import { summarize, type LatencySummary } from '../../bench/stats.js';
import { operationShape, siteOf, watchStoreOperations, type StoreOperations } from '../../bench/store-operations.js';
import { parsePprofTop } from '../../bench/store-profile.js';
import type { TakeNextResult } from '../../bench/take-next.js';
import { readMail } from '../../channels/email/mime-parser.js';
import { loadCatalogue, type Catalogue } from '../../src/config/catalogue.js';
import { createBusinessCalendar } from '../../src/domain/business-calendar.js';
import { nextStatus, type TicketAction, type TicketStatus } from '../../src/domain/ticket-lifecycle.js';
import { citizenMessageIdFor } from '../../src/store/citizen-message.repository.js';
import { createCitizenRepository } from '../../src/store/citizen.repository.js';
import type { DocumentLocks } from '../../src/store/document-lock.js';
import { registerModels, type Models } from '../../src/store/models.js';
import { ticketEventIdFor } from '../../src/store/ticket-event.repository.js';
import { onceEventId } from '../../src/store/ticket-sla.repository.js';
import { ticketIdFor } from '../../src/store/ticket.repository.js';
import { classifyMailOrigin } from '../../src/domain/automatic-mail.js';

describe('bench: command line', () => {
  it('defaults to the issue\'s run: 1,000 and 100,000 closed tickets, 100/s for 60 s, 17 minutes', () => {
    const options = parseBenchArgs([]);
    expect(options).to.include({ rate: 100, durationSeconds: 60, waiting: 10_000, budgetMinutes: 20, readers: 20, readsRate: 50, readsSeconds: 30, smoke: false });
    expect(options !== 'help' && options.history).to.deep.equal([1_000, 100_000]);
    expect(options !== 'help' && options.steps).to.deep.equal([100, 200, 400, 800]);
  });

  it('makes --smoke a tiny run with no step search, and lets flags override it', () => {
    const options = parseBenchArgs(['--smoke', '--rate', '30']);
    expect(options).to.include({ smoke: true, rate: 30, durationSeconds: 3, waiting: 200, budgetMinutes: 1 });
    expect(options !== 'help' && options.steps).to.deep.equal([]);
  });

  it('runs the phone phase at the issue\'s 50 webhooks/s, briefly in the smoke run', () => {
    expect(parseBenchArgs([])).to.include({ phoneRate: 50, phoneSeconds: 20, phoneAgents: 100 });
    expect(parseBenchArgs(['--smoke'])).to.include({ phoneRate: 50, phoneSeconds: 4, phoneAgents: 5 });
    expect(parseBenchArgs(['--phone-rate', '80', '--phone-seconds', '5', '--phone-agents', '10'])).to.include({ phoneRate: 80, phoneSeconds: 5, phoneAgents: 10 });
  });

  it('measures the counter channel with 10,000 turns waiting, a tiny hall in the smoke run', () => {
    expect(parseBenchArgs([])).to.include({ kioskWaiting: 10_000, kioskTurns: 300, kioskCalls: 300 });
    expect(parseBenchArgs(['--smoke'])).to.include({ kioskWaiting: 200, kioskTurns: 20, kioskCalls: 20 });
  });

  it('runs the systems on a hall of 20 services the catalogue accepts, each served by two counters', async () => {
    const config = await benchConfig(fileURLToPath(new URL('../../config/', import.meta.url)));
    try {
      const { kiosk } = await loadCatalogue(config.dir);
      expect(kiosk.services).to.have.length(20);
      expect(new Set(kiosk.services.map((s) => s.prefix)).size).to.equal(20);
      for (const service of kiosk.services) expect(kiosk.counters.filter((c) => c.services.includes(service.code)), service.code).to.have.length(2);
    } finally {
      await config.remove();
    }
  });

  it('sorts history sizes and accepts --steps none', () => {
    const options = parseBenchArgs(['--history', '100000,1000', '--steps', 'none']);
    expect(options !== 'help' && options.history).to.deep.equal([1_000, 100_000]);
    expect(options !== 'help' && options.steps).to.deep.equal([]);
  });

  for (const argv of [['--bogus'], ['--rate', '0'], ['--rate', 'fast'], ['--history', '1000,1000'], ['--history', '-5'], ['extra'], ['--waiting', '10', '--take-next', '20'], ['--phone-agents', '0'], ['--kiosk-waiting', '10', '--kiosk-calls', '20']]) {
    it(`refuses ${argv.join(' ')}`, () => {
      expect(() => parseBenchArgs(argv)).to.throw(UsageError);
    });
  }
});

describe('bench: latency summaries', () => {
  it('gives nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(summarize(values)).to.include({ samples: 100, missing: 0, p50: 50, p95: 95, p99: 99, max: 100 });
  });

  it('counts samples that never completed as slower than any that did', () => {
    const summary = summarize(Array.from({ length: 98 }, () => 10), 2);
    expect(summary.p50).to.equal(10);
    expect(summary.p99).to.equal(null);
    expect(summary.max).to.equal(null);
  });
});

describe('bench: the history (a year of closed tickets and what their lives left)', () => {
  const COUNT = 2_000;
  // A fixed instant, so the year is the same every run: the history ends an hour before it.
  const NOW = Date.UTC(2026, 10, 20, 20, 0, 0);
  let catalogue: Catalogue;
  let year: HistoryYear;
  let lives: TicketLife[];

  const agentsOf = (c: Catalogue): PastAgent[] => {
    const units = c.routing.queues.map((q) => q.unit);
    return Array.from({ length: 40 }, (_, i) => ({ id: new Types.ObjectId(Buffer.alloc(12, i + 1)), unit: units[i % units.length] ?? 'GDVAC', displayName: `Agente ${i}` }));
  };
  const generate = (): { year: HistoryYear; lives: TicketLife[] } => {
    const y = new HistoryYear({ catalogue, agents: agentsOf(catalogue), now: NOW }, COUNT);
    const nextSeq = new Map<number, number>();
    return { year: y, lives: [...y.lives(0, 1_000, 'PL', nextSeq), ...y.lives(1_000, COUNT, 'PL', nextSeq)] };
  };
  const share = (n: number): number => n / COUNT;
  const count = <T>(items: readonly T[], test: (item: T) => boolean): number => items.filter(test).length;

  before(async () => {
    catalogue = await loadCatalogue(fileURLToPath(new URL('../../config/', import.meta.url)));
    ({ year, lives } = generate());
  });

  it('is the same year every time for the same size', () => {
    const again = generate().lives;
    for (const i of [0, 1, 500, COUNT - 1]) expect(JSON.stringify(again[i])).to.equal(JSON.stringify(lives[i]));
  });

  it('spreads the channels as stated and keeps every ticket closed, in order, over the year before now', () => {
    const tickets = lives.map((l) => l.ticket);
    const total = CHANNEL_MIX.reduce((sum, [, w]) => sum + w, 0);
    for (const [channel, weight] of CHANNEL_MIX) expect(share(count(tickets, (t) => t.channel === channel)), channel).to.be.closeTo(weight / total, 0.04);
    expect(tickets.every((t) => t.status === 'cerrado')).to.equal(true);
    expect(tickets.every((t, i) => i === 0 || t.createdAt >= (tickets[i - 1]?.createdAt ?? t.createdAt))).to.equal(true);
    expect(tickets.every((t) => t.createdAt.getTime() > NOW - 366 * 86_400_000 && t.updatedAt.getTime() <= NOW)).to.equal(true);
    expect(new Set(tickets.map((t) => t.trackingCode)).size).to.equal(COUNT);
  });

  it('comes from about 62 citizens for every 100 tickets, a few percent from nobody, some citizens with many cases', () => {
    const named = lives.filter((l) => l.ticket.citizenId !== undefined);
    expect(share(COUNT - named.length)).to.be.within(0.02, 0.1);
    expect(share(year.citizens.length)).to.be.within(0.55, 0.72);
    expect(new Set(named.map((l) => l.ticket.citizenId?.toHexString())).size).to.equal(year.citizens.length);
    expect(Math.max(...year.citizens.map((c) => c.cases))).to.be.at.least(5);
    // Each citizen is written once, with the ticket of their first case.
    const derived = derivedDocuments(lives, new Set());
    expect(derived.citizens).to.have.length(year.citizens.length);
    for (const l of lives.filter((x) => x.newCitizen)) expect(l.ticket.citizenId?.equals(l.newCitizen?._id ?? '')).to.equal(true);
    expect(derived.citizenIdentifiers.length / derived.citizens.length).to.be.within(1, 1.5);
  });

  it('gives each citizen the identifiers of the channel they came by, as a contact of that channel finds them', () => {
    for (const l of lives.filter((x) => x.newCitizen)) {
      const c = l.newCitizen;
      if (!c) continue;
      const kinds = c.learnt.filter((x) => x.at.getTime() === c.createdAt.getTime()).map((x) => x.kind);
      const expected = { phone: ['phone'], email: ['email'], kiosk: ['dni'], manual: ['dni', 'ruc'] }[l.ticket.channel];
      expect(kinds.some((k) => expected.includes(k)), `${l.ticket.channel}: ${kinds.join(',')}`).to.equal(true);
      if (l.ticket.channel === 'phone') expect(c.phones[0]).to.match(/^\+51(9\d{8}|1\d{7})$/);
    }
    // Identifiers belong to one citizen each.
    const ids = derivedDocuments(lives, new Set()).citizenIdentifiers.map((i) => i._id);
    expect(new Set(ids).size).to.equal(ids.length);
  });

  it('writes citizens and their lookup documents as the citizen repository does, so its own lookups find them', async () => {
    const citizens = new Map<string, unknown>();
    const identifiers = new Map<string, unknown>();
    for (const c of year.citizens) {
      const docs = citizenDocuments(c);
      citizens.set(docs.citizen._id.toHexString(), docs.citizen);
      for (const i of docs.identifiers) identifiers.set(i._id, i);
    }
    let created: { citizen?: Record<string, unknown>; identifiers?: { _id: string }[] } = {};
    const models = {
      Citizen: {
        findById: (id: Types.ObjectId) => ({ lean: () => Promise.resolve(citizens.get(id.toHexString()) ?? null) }),
        create: (data: Record<string, unknown>) => {
          created = { citizen: data };
          return Promise.resolve({ toObject: () => ({ _id: new Types.ObjectId(), ...data }) });
        },
      },
      CitizenIdentifier: {
        findById: (id: string) => ({ lean: () => Promise.resolve(identifiers.get(id) ?? null) }),
        insertMany: (docs: { _id: string }[]) => {
          created.identifiers = docs;
          return Promise.resolve(docs);
        },
      },
    } as unknown as Models;
    const repository = createCitizenRepository(models, {} as DocumentLocks);
    for (const c of year.citizens.slice(0, 300)) {
      // As the channels hand them in: Twilio's E.164, a number typed with spaces, an address in capitals.
      for (const phone of c.phones) expect((await repository.findByIdentifier('phone', phone.startsWith('+') ? phone : `${phone.slice(0, 3)} ${phone.slice(3, 6)} ${phone.slice(6)}`))?._id.equals(c._id)).to.equal(true);
      for (const email of c.emails) expect((await repository.findByIdentifier('email', ` ${email.toUpperCase()} `))?._id.equals(c._id)).to.equal(true);
      if (c.dni !== undefined) expect((await repository.findByIdentifier('dni', c.dni))?._id.equals(c._id)).to.equal(true);
      if (c.ruc !== undefined) expect((await repository.findByIdentifier('ruc', c.ruc))?._id.equals(c._id)).to.equal(true);
      // The repository creating the same person stores the same fields and the same identifier keys.
      const { citizen, identifiers: ours } = citizenDocuments(c);
      await repository.create({ ...(c.dni ? { dni: c.dni } : {}), ...(c.ruc ? { ruc: c.ruc } : {}), ...(citizen.firstNames ? { firstNames: citizen.firstNames, lastNames: citizen.lastNames } : {}), emails: c.emails, phones: c.phones, preferential: c.preferential, vpp: c.vpp });
      const { _id: _ignored, createdAt: _c, updatedAt: _u, ...fields } = citizen;
      expect(created.citizen).to.deep.equal(fields);
      expect(created.identifiers?.map((i) => i._id).sort()).to.deep.equal(ours.map((i) => i._id).sort());
    }
  });

  it('leaves documents every model accepts', async () => {
    const models = registerModels(mongoose.createConnection());
    const derived = derivedDocuments(lives, new Set());
    for (const l of lives.filter((_, i) => i % 50 === 0)) await models.Ticket.validate(l.ticket);
    for (const c of derived.citizens.slice(0, 200)) await models.Citizen.validate(c);
    for (const i of derived.citizenIdentifiers.slice(0, 200)) await models.CitizenIdentifier.validate(i);
    for (const e of derived.ticketEvents.filter((_, i) => i % 20 === 0)) await models.TicketEvent.validate(e);
    for (const i of derived.interactions.filter((_, n) => n % 10 === 0)) await models.Interaction.validate(i);
    for (const t of derived.ticketTerms.filter((_, n) => n % 20 === 0)) await models.TicketTerm.validate(t);
    for (const w of derived.searchWords.slice(0, 50)) await models.SearchWord.validate(w);
  });

  it('indexes every subject for search as the ticket repository does, each word written once over the batches', () => {
    const written = new Set<string>();
    const first = derivedDocuments(lives.slice(0, 500), written);
    const second = derivedDocuments(lives.slice(500), written);
    const postings = [...first.ticketTerms, ...second.ticketTerms];
    expect(new Set(postings.map((p) => p._id)).size).to.equal(postings.length);
    for (const { ticket } of lives.filter((_, i) => i % 25 === 0)) {
      expect(postings.filter((p) => p.ticketId.equals(ticket._id)).map((p) => p._id)).to.deep.equal(ticketTermIdsFor(ticket._id, ticket.subject));
    }
    const words = [...first.searchWords, ...second.searchWords].map((w) => w._id);
    expect(new Set(words).size).to.equal(words.length);
    expect(new Set(words)).to.deep.equal(new Set(postings.map((p) => p.term)));
  });

  it('records about 8 events a ticket: the six every closed ticket has, its answer, and the rest on some', () => {
    const events = lives.flatMap((l) => l.events);
    const of = (type: string): number => share(count(events, (e) => e.type === type));
    expect(share(events.length)).to.be.within(7.5, 8.6);
    for (const l of lives) {
      const types = l.events.map((e) => e.type);
      for (const type of ['created', 'routed', 'assigned', 'replied']) expect(count(types, (t) => t === type), `${type} of ${l.ticket.trackingCode}`).to.equal(1);
      expect(l.events.filter((e) => e.type === 'status_changed').map((e) => e.data?.action)).to.deep.equal(['start', 'resolve', 'close']);
      if (types.includes('sms_sent')) expect(l.ticket.channel).to.equal('phone');
      if (types.includes('email_sent') || types.includes('email_received')) expect(l.ticket.channel).to.equal('email');
      expect(types.includes('referred')).to.equal(l.ticket.referral !== undefined);
      expect(types.includes('reported_back')).to.equal(l.ticket.referral !== undefined);
      expect(types.includes('sla_at_risk')).to.equal(l.ticket.sla?.atRiskNotifiedAt !== undefined);
      expect(types.includes('sla_breached')).to.equal(l.ticket.sla?.breachedAt !== undefined);
    }
    expect(of('referred')).to.be.within(0.02, 0.09);
    expect(of('sla_at_risk')).to.be.within(0.08, 0.25);
    expect(of('sla_breached')).to.be.within(0.02, 0.1);
    expect(of('sms_sent')).to.be.within(0.2, 0.35);
    expect(of('email_sent')).to.be.within(0.24, 0.35);
    expect(of('note_added')).to.be.within(0.01, 0.06);
  });

  it('records about 2 interactions a ticket: the citizen\'s contact in, by channel, and the office\'s answer out', () => {
    const contactKind = { phone: 'call', email: 'email', kiosk: 'visit', manual: 'note' } as const;
    const answerKind = { phone: 'sms', email: 'email', kiosk: 'note', manual: 'note' } as const;
    expect(share(lives.reduce((sum, l) => sum + l.interactions.length, 0))).to.be.within(1.98, 2.15);
    for (const { ticket, interactions } of lives) {
      const contact = interactions.find((i) => i.direction === 'in' && i.externalId === ticket.channelKey);
      expect(contact?.kind).to.equal(contactKind[ticket.channel]);
      expect(contact?.dedupeKey).to.equal(`${ticket._id.toHexString()}:${ticket.channelKey}`);
      const answers = interactions.filter((i) => i.direction === 'out');
      expect(answers.map((i) => i.kind)).to.deep.equal([answerKind[ticket.channel]]);
      expect(answers[0]?.authorKind).to.equal('staff');
      if (ticket.channel === 'email') expect(contact?.raw).to.have.nested.property('email.messageId', ticket.channelKey);
      if (ticket.channel === 'phone') expect(contact?.raw).to.have.property('CallSid', ticket.channelKey);
    }
    const keys = lives.flatMap((l) => l.interactions.map((i) => i.dedupeKey));
    expect(new Set(keys).size).to.equal(keys.length);
  });

  it('orders each ticket\'s times after its creation, through the transitions the state machine allows', () => {
    const actionOf: Record<string, TicketAction> = { routed: 'enqueue', assigned: 'assign', referred: 'refer' };
    for (const { ticket, events, interactions } of lives) {
      const created = ticket.createdAt.getTime();
      expect(events.every((e, i) => i === 0 || e.at >= (events[i - 1]?.at ?? e.at)), ticket.trackingCode).to.equal(true);
      expect(events.every((e) => e.at.getTime() >= created && e.at <= ticket.updatedAt), ticket.trackingCode).to.equal(true);
      expect(events[events.length - 1]?.toStatus).to.equal('cerrado');
      // The contact was received when the ticket was made (a mail a moment before); everything else after.
      expect(interactions.every((i) => (i.externalId === ticket.channelKey ? i.at.getTime() <= created : i.at.getTime() > created))).to.equal(true);
      let status: TicketStatus | undefined;
      for (const e of events.filter((x) => x.toStatus !== undefined)) {
        if (e.type === 'created') {
          status = e.toStatus;
          continue;
        }
        expect(e.fromStatus, `${ticket.trackingCode} ${e.type}`).to.equal(status);
        const action = (e.data?.action as TicketAction | undefined) ?? actionOf[e.type];
        if (status === undefined || action === undefined) throw new Error(`no transition for ${e.type}`);
        expect(nextStatus(status, action), `${ticket.trackingCode} ${e.type}`).to.deep.equal({ ok: true, to: e.toStatus });
        status = e.toStatus;
      }
      if (ticket.sla?.firstRespondedAt) expect(ticket.sla.firstRespondedAt.getTime()).to.be.within(created, ticket.updatedAt.getTime());
      if (ticket.resolution) expect(ticket.resolution.resolvedAt <= ticket.updatedAt).to.equal(true);
    }
  });

  it('names tickets, messages and SLA checks with the ids the application derives', () => {
    for (const { ticket, events } of lives) {
      const id = ticket._id.toHexString();
      expect(ticket._id.equals(ticketIdFor(ticket.channel, ticket.channelKey))).to.equal(true);
      for (const e of events) {
        if (e.type === 'sms_sent') expect(e._id.equals(ticketEventIdFor(`citizen-message-outcome\n${citizenMessageIdFor(`sms-${id}-call`).toHexString()}`))).to.equal(true);
        if (e.type === 'email_sent') {
          const reply = String(e.data?.messageId).split('@')[0] ?? '';
          expect(e._id.equals(ticketEventIdFor(`citizen-message-outcome\n${citizenMessageIdFor(reply).toHexString()}`))).to.equal(true);
        }
        if (e.type === 'sla_at_risk' || e.type === 'sla_breached' || e.type === 'first_response_breached') {
          const due = new Date(String(e.data?.dueAt));
          expect(e._id.equals(onceEventId(`${e.type}:${id}:${due.toISOString()}`, due))).to.equal(true);
        }
      }
    }
    const all = lives.flatMap((l) => [...l.events, ...l.interactions].map((d) => d._id.toHexString()));
    expect(new Set(all).size).to.equal(all.length);
  });

  it('answers business time as the office calendar does, from its windows', () => {
    const calendar = createBusinessCalendar(catalogue.calendar);
    const clock = new BusinessClock(catalogue.calendar, NOW - 366 * 86_400_000, NOW + 120 * 86_400_000);
    let r = 7;
    const next = (): number => ((r = (r * 48_271) % 2_147_483_647) / 2_147_483_647);
    for (let i = 0; i < 2_000; i++) {
      const a = new Date(NOW - 365 * 86_400_000 + next() * 400 * 86_400_000);
      const b = new Date(a.getTime() + (next() - 0.2) * 40 * 86_400_000);
      const minutes = i % 5 === 0 ? 0 : next() * 30 * 540;
      expect(clock.addBusinessMinutes(a, minutes).getTime(), `${a.toISOString()} + ${minutes}`).to.equal(calendar.addBusinessMinutes(a, minutes).getTime());
      expect(clock.businessMinutesBetween(a, b)).to.be.closeTo(calendar.businessMinutesBetween(a, b), 1e-9);
    }
  });
});

describe('bench: targets', () => {
  const none = summarize([]);
  const arrivals = (latency: LatencySummary): ArrivalResult => ({
    rate: 100,
    seconds: 60,
    planned: 1,
    sent: 1,
    created: 1,
    errors: {},
    unanswered: 0,
    assigned: latency.samples,
    backlog: latency.missing,
    reached: { created: 1, routed: 1, assigned: latency.samples },
    latency,
    stages: { post: none, sendLag: none, intake: none, route: none, assign: none, deliver: none },
    achieved: { sentPerSecond: 100, assignedPerSecond: 100 },
    cpu: {},
    warnings: {},
    settled: { idle: true, ms: 0 },
  });
  const takeNext = (p99: number): TakeNextResult => ({
    unit: 'SGPS',
    waiting: 10_000,
    prepare: { inserted: 10_000, seconds: 1, perSecond: 10_000 },
    latency: summarize([p99]),
    agents: 1,
    errors: {},
    emptied: false,
    cpu: {},
    warnings: {},
  });
  const noStore: StoreOperations = { total: 0, byShape: {}, scans: [] };
  const once = (ms: number | null): LatencySummary => summarize(ms === null ? [] : [ms], ms === null ? 1 : 0);
  const phone = (webhookP99: number | null, connectP99: number | null, scans: StoreOperations['scans'] = []): PhoneResult => ({
    webhooks: {
      rate: 50,
      seconds: 20,
      planned: 1,
      sent: 1,
      answered: webhookP99 === null ? 0 : 1,
      errors: webhookP99 === null ? { 'HTTP 503': 1 } : {},
      unanswered: 0,
      calls: 1,
      queued: 1,
      latency: once(webhookP99),
      byPath: { incoming: none, menu: once(webhookP99), wait: none },
      sendLag: none,
      cpu: {},
      store: { ...noStore, scans },
      warnings: {},
    },
    connect: {
      agents: 1,
      rate: 10,
      connected: connectP99 === null ? 0 : 1,
      latency: once(connectP99),
      acknowledged: none,
      duplicates: 0,
      unexpected: 0,
      settled: { idle: true, ms: 0 },
      cpu: {},
      store: noStore,
      warnings: {},
    },
  });
  const kioskResult = (callNextP99: number, scans: StoreOperations['scans'] = [], duplicates = 0): KioskResult => ({
    services: 20,
    counters: 20,
    waiting: 10_000,
    prepare: { inserted: 10_000, seconds: 3, perSecond: 3_333 },
    takeTurn: once(40),
    callNext: once(callNextP99),
    duplicates,
    errors: {},
    cpu: {},
    store: { takeTurn: noStore, callNext: { ...noStore, scans } },
    warnings: {},
  });
  const run = (history: number, p99: number | null, takeNextP99: number, phoneResult?: PhoneResult, kiosk?: KioskResult, reads?: StaffReadsResult): HistoryRun => {
    const latency = summarize(p99 === null ? [] : [p99], p99 === null ? 1 : 0);
    return {
      history,
      database: 'x',
      destinations: [],
      takeNextUnit: null,
      preload: { status: 'ok', seconds: 1 },
      staffing: { status: 'ok', seconds: 1 },
      ceilings: { status: 'ok', seconds: 1 },
      pipeline: { status: 'ok', seconds: 1, result: arrivals(latency) },
      sustained: { status: 'skipped', seconds: 0 },
      takeNext: { status: 'ok', seconds: 1, result: takeNext(takeNextP99) },
      phone: phoneResult ? { status: 'ok', seconds: 1, result: phoneResult } : { status: 'skipped', seconds: 0 },
      kiosk: kiosk ? { status: 'ok', seconds: 1, result: kiosk } : { status: 'skipped', seconds: 0 },
      email: { status: 'skipped', seconds: 0 },
      staffReads: reads ? { status: 'ok', seconds: 1, result: reads } : { status: 'skipped', seconds: 0 },
      pipelineShareOfStoreInsert: null,
      agents: 0,
      stoppedCleanly: true,
    };
  };
  const staffReads = (p99: (kind: ReadKind) => number, scans: StoreOperations['scans'] = []): StaffReadsResult => {
    const window = (busy: boolean): ReadWindow => ({
      seconds: 30,
      arrivals: { planned: busy ? 1_500 : 0, created: busy ? 1_500 : 0, perSecond: busy ? 50 : 0, errors: {} },
      reads: Object.fromEntries(READ_KINDS.map((kind) => [kind, { ...summarize([p99(kind) / 2, p99(kind)]), errors: 0 }])) as ReadWindow['reads'],
      readsPerSecond: 20,
      cpu: {},
      store: { total: 10, byShape: {}, scans: busy ? scans : [] },
    });
    return { readers: 20, settled: { idle: true, ms: 0 }, quiet: window(false), busy: window(true), errors: {}, warnings: {} };
  };

  it('holds every staff read to 50 ms at p99 and to 1.2× of the smallest history, and counts their scans', () => {
    const options = parseBenchArgs([]);
    if (options === 'help') throw new Error('unexpected');
    const flat = checkTargets([run(1_000, 50, 20, undefined, undefined, staffReads(() => 20)), run(100_000, 50, 20, undefined, undefined, staffReads(() => 22))], options).checks;
    expect(flat.filter((c) => c.target.startsWith('every staff read p99')).map((c) => c.met)).to.deep.equal([true, true]);
    expect(flat.find((c) => c.target.startsWith('staff read search-words p99 (readers alone) at history'))?.met).to.equal(true);
    expect(flat.find((c) => c.target.startsWith('while staff read'))?.met).to.equal(true);
    const grown = checkTargets(
      [run(1_000, 50, 20, undefined, undefined, staffReads(() => 20)), run(100_000, 50, 20, undefined, undefined, staffReads((k) => (k === 'search-words' ? 60 : 20), [{ shape: 'tickets.find {subject}', site: 'x', count: 3 }]))],
      options,
    ).checks;
    const slow = grown.find((c) => c.target.startsWith('every staff read p99'));
    expect(slow?.met).to.equal(false);
    expect(slow?.value).to.contain('search-words 60');
    expect(grown.find((c) => c.target.startsWith('staff read search-words p99 (readers alone) at history'))?.met).to.equal(false);
    expect(grown.find((c) => c.target.startsWith('while staff read'))).to.deep.include({ met: false, value: '3× tickets.find {subject}' });
    // The workers' periodic repairs read the open work on their own schedule: not a read's scan.
    const repair = { shape: 'open_tickets.find {}', site: 'src/store/ticket-sla.repository.ts:156 ← workers/sla.worker.ts:8', count: 1 };
    const withRepair = checkTargets([run(1_000, 50, 20), run(100_000, 50, 20, undefined, undefined, staffReads(() => 20, [repair]))], options).checks;
    expect(withRepair.find((c) => c.target.startsWith('while staff read'))?.met).to.equal(true);
  });

  it('judges at the largest history and compares it with the smallest', () => {
    const options = parseBenchArgs([]);
    if (options === 'help') throw new Error('unexpected');
    const { atHistory, checks } = checkTargets([run(1_000, 50, 20), run(100_000, 80, 25)], options);
    expect(atHistory).to.equal(100_000);
    expect(checks.find((c) => c.target.startsWith('p99 contact'))?.met).to.equal(true);
    expect(checks.find((c) => c.target.startsWith('take-next p99 ≤'))?.met).to.equal(true);
    expect(checks.find((c) => c.target.startsWith('pipeline p99 at history'))?.met).to.equal(false);
    expect(checks.find((c) => c.target.startsWith('take-next p99 at history'))?.met).to.equal(false);
  });

  it('checks the phone channel\'s targets: webhook p99 ≤ 50 ms, connect p99 ≤ 200 ms, no scan on either path', () => {
    const options = parseBenchArgs([]);
    if (options === 'help') throw new Error('unexpected');
    const met = (checks: ReturnType<typeof checkTargets>['checks'], prefix: string): boolean | null | undefined => checks.find((c) => c.target.startsWith(prefix))?.met;
    const good = checkTargets([run(1_000, 50, 20, phone(20, 100)), run(100_000, 80, 25, phone(30, 150))], options).checks;
    expect(met(good, 'p99 signed Twilio webhook')).to.equal(true);
    expect(met(good, 'p99 agent available')).to.equal(true);
    expect(met(good, 'no store operation reads')).to.equal(true);
    expect(met(good, 'phone webhook p99 at history')).to.equal(false);
    expect(met(good, 'phone connect p50 at history')).to.equal(false);

    const scans = [{ shape: 'staff.findOneAndUpdate {_id,version}', site: 'src/services/presence.service.ts:30', count: 3 }];
    const bad = checkTargets([run(100_000, 80, 25, phone(null, 250, scans))], options).checks;
    expect(met(bad, 'p99 signed Twilio webhook')).to.equal(false);
    expect(bad.find((c) => c.target.startsWith('p99 signed Twilio webhook'))?.value).to.contain('beyond the deadline').and.contain('1 failed of 1');
    expect(met(bad, 'p99 agent available')).to.equal(false);
    expect(bad.find((c) => c.target.startsWith('no store operation reads'))).to.deep.include({ met: false, value: '3× staff.findOneAndUpdate {_id,version}' });

    // A phone phase that did not run is not a missed target.
    expect(met(checkTargets([run(100_000, 80, 25)], options).checks, 'p99 agent available')).to.equal(null);
  });

  it('checks the counter channel\'s targets: call-next p99 ≤ 30 ms with 10,000 waiting across 20 services, no scan', () => {
    const options = parseBenchArgs([]);
    if (options === 'help') throw new Error('unexpected');
    const met = (checks: ReturnType<typeof checkTargets>['checks'], prefix: string): boolean | null | undefined => checks.find((c) => c.target.startsWith(prefix))?.met;
    const good = checkTargets([run(1_000, 50, 20, undefined, kioskResult(12)), run(100_000, 80, 25, undefined, kioskResult(14))], options).checks;
    expect(met(good, 'call-next p99 ≤ 30 ms')).to.equal(true);
    expect(met(good, 'take-a-turn p99 (reported')).to.equal(null);
    expect(met(good, 'no store operation reads a whole collection on take-a-turn')).to.equal(true);
    expect(met(good, 'call-next p99 at history')).to.equal(true);
    const scans = [{ shape: 'tickets.find {status}', site: 'src/services/x.ts:1', count: 2 }];
    const bad = checkTargets([run(100_000, 80, 25, undefined, kioskResult(45, scans, 1))], options).checks;
    expect(met(bad, 'call-next p99 ≤ 30 ms')).to.equal(false);
    expect(bad.find((c) => c.target.startsWith('no store operation reads a whole collection on take-a-turn'))).to.deep.include({ met: false, value: '2× tickets.find {status}' });
    expect(met(checkTargets([run(100_000, 80, 25)], options).checks, 'call-next p99 ≤ 30 ms')).to.equal(null);
  });

  it('counts a latency beyond the deadline as a missed target, not as unknown', () => {
    const options = parseBenchArgs([]);
    if (options === 'help') throw new Error('unexpected');
    const { checks } = checkTargets([run(1_000, 50, 20), run(100_000, null, 25)], options);
    expect(checks.find((c) => c.target.startsWith('p99 contact'))?.met).to.equal(false);
    expect(checks.find((c) => c.target.startsWith('pipeline p99 at history'))?.met).to.equal(false);
  });
});

describe('bench: the store profile', () => {
  it('reads the table go tool pprof prints, shortening FerretDB\'s package paths', () => {
    const out = [
      'File: ferretdb',
      'Type: cpu',
      'Duration: 8s, Total samples = 9.37s (117.10%)',
      'Showing nodes accounting for 5.33s, 56.88% of 9.37s total',
      '      flat  flat%   sum%        cum   cum%',
      '         0     0%     0%      7.16s 76.41%  github.com/FerretDB/FerretDB/internal/handler.(*Handler).MsgFind',
      '     0.41s  4.38%  9.18%      1.22s 13.02%  encoding/json.(*Decoder).readValue',
      '    1.50ms  0.02%  9.20%     20ms  0.21%  runtime.futex',
    ].join('\n');
    const { rows, busyPercent } = parsePprofTop(out);
    expect(busyPercent).to.equal(117.1);
    expect(rows).to.deep.equal([
      { function: 'handler.(*Handler).MsgFind', flatPercent: 0, cumPercent: 76.41 },
      { function: 'encoding/json.(*Decoder).readValue', flatPercent: 4.38, cumPercent: 13.02 },
      { function: 'runtime.futex', flatPercent: 0.02, cumPercent: 0.21 },
    ]);
  });
});

describe('bench: the phone phase\'s plan of webhooks', () => {
  it('sends exactly the rate, each call in order: in, menu choice, then its wait requests', () => {
    const plan = planWebhooks(50, 20, CALL_SCRIPT);
    expect(plan).to.have.length(1_000);
    expect(plan.map((w) => w.atMs)).to.deep.equal(Array.from({ length: 1_000 }, (_, i) => i * 20));
    const byCall = new Map<number, typeof plan>();
    for (const w of plan) byCall.set(w.call, [...(byCall.get(w.call) ?? []), w]);
    for (const steps of byCall.values()) {
      expect(steps.map((w) => w.kind)).to.deep.equal(['incoming', 'menu', 'wait', 'wait', 'wait', 'wait'].slice(0, steps.length));
      const [incoming, menu, ...waits] = steps;
      if (menu && incoming) expect(menu.atMs - incoming.atMs).to.be.at.least(CALL_SCRIPT.menuAfterMs);
      for (const [i, wait] of waits.entries()) expect(wait.atMs - (steps[i + 1]?.atMs ?? 0)).to.be.at.least(CALL_SCRIPT.pollEveryMs);
    }
  });

  it('settles at one call in, one menu choice and the script\'s wait requests per caller', () => {
    const plan = planWebhooks(50, 120, CALL_SCRIPT).filter((w) => w.atMs >= 60_000);
    const share = (kind: string): number => plan.filter((w) => w.kind === kind).length / plan.length;
    const perCall = 2 + CALL_SCRIPT.polls;
    expect(share('incoming')).to.be.closeTo(1 / perCall, 0.02);
    expect(share('menu')).to.be.closeTo(1 / perCall, 0.02);
    expect(share('wait')).to.be.closeTo(CALL_SCRIPT.polls / perCall, 0.02);
  });

  it('starts with calls coming in when the run is too short for anyone to wait yet', () => {
    expect(planWebhooks(50, 0.5, CALL_SCRIPT).every((w) => w.kind === 'incoming')).to.equal(true);
  });
});

describe('bench: matching connect redirects to the agents who became available', () => {
  const staff = (n: number): string => n.toString(16).padStart(24, 'a');
  const sid = (n: number): string => `CA${n.toString(16).padStart(32, '0')}`;
  const redirect = (call: number, agent: number, at: number) => ({
    method: 'POST',
    path: `/2010-04-01/Accounts/AC${'1'.repeat(32)}/Calls/${sid(call)}.json`,
    form: { Twiml: `<?xml version="1.0" encoding="UTF-8"?><Response><Dial action="x" method="POST" timeout="20"><Client>${staff(agent)}</Client></Dial></Response>` },
    authorization: undefined,
    at,
  });

  it('reads the call and the agent of each redirect, and nothing else the fake Twilio received', () => {
    const sms = { method: 'POST', path: `/2010-04-01/Accounts/AC${'1'.repeat(32)}/Messages.json`, form: { To: '+51987654321', Body: 'x' }, authorization: undefined, at: 5 };
    expect(connectRedirects([redirect(1, 1, 10), sms])).to.deep.equal([{ callSid: sid(1), staffId: staff(1), at: 10 }]);
  });

  it('times each agent to their first redirect, and reports calls put through twice or not queued by the phase', () => {
    const turns = [
      { staffId: staff(1), availableAt: 100 },
      { staffId: staff(2), availableAt: 200 },
      { staffId: staff(3), availableAt: 300 },
    ];
    const redirects = connectRedirects([redirect(1, 1, 130), redirect(2, 2, 260), redirect(2, 2, 400), redirect(9, 1, 500)]);
    const match = matchConnects(turns, redirects, new Set([sid(1), sid(2), sid(3)]));
    expect(match).to.deep.equal({ latencies: [30, 60], connected: 2, duplicates: 1, unexpected: 1 });
  });
});

describe('bench: store operations that read a whole collection on FerretDB v1', () => {
  const id = { _bsontype: 'ObjectId', id: 'x' };

  it('tells an exact _id lookup from every other filter', () => {
    expect(operationShape('tickets', 'findOne', [{ _id: id }, { projection: { status: 1 } }])).to.deep.equal({ shape: 'tickets.findOne {_id}', scan: false });
    expect(operationShape('tickets', 'findOneAndUpdate', [{ _id: 'a' }, { $set: { x: 1 } }])).to.deep.equal({ shape: 'tickets.findOneAndUpdate {_id}', scan: false });
    expect(operationShape('staff', 'findOneAndUpdate', [{ _id: id, version: 3 }, {}])).to.deep.equal({ shape: 'staff.findOneAndUpdate {_id,version}', scan: true });
    expect(operationShape('tickets', 'deleteMany', [{ _id: { $in: [id] } }])).to.deep.equal({ shape: 'tickets.deleteMany {_id:$in}', scan: true });
    expect(operationShape('tickets', 'find', [{ unitCode: 'GAT', status: 'en_cola' }])).to.deep.equal({ shape: 'tickets.find {status,unitCode}', scan: true });
    expect(operationShape('tickets', 'find', [{}])).to.deep.equal({ shape: 'tickets.find {}', scan: true });
  });

  it('counts counts and aggregations as scans, and inserts as none', () => {
    expect(operationShape('tickets', 'countDocuments', [{}]).scan).to.equal(true);
    expect(operationShape('tickets', 'aggregate', [[{ $match: {} }]])).to.deep.equal({ shape: 'tickets.aggregate', scan: true });
    expect(operationShape('tickets', 'insertOne', [{ _id: id }])).to.deep.equal({ shape: 'tickets.insertOne', scan: false });
    expect(operationShape('tickets', 'bulkWrite', [[{ insertOne: { document: {} } }, { updateOne: { filter: { _id: id }, update: {} } }]])).to.deep.equal({
      shape: 'tickets.bulkWrite [insertOne|updateOne]',
      scan: false,
    });
    expect(operationShape('tickets', 'bulkWrite', [[{ deleteOne: { filter: { status: 'x' } } }]]).scan).to.equal(true);
  });

  it('names where an operation came from in this repository, skipping dependencies and the harness', () => {
    const stack = [
      'Error: store operation',
      '    at listener (/repo/bench/store-operations.ts:120:19)',
      '    at NativeCollection.<computed> [as findOneAndUpdate] (/repo/node_modules/mongoose/lib/drivers/node-mongodb-native/collection.js:184:17)',
      '    at storeCall (/repo/src/store/store-errors.ts:36:11)',
      '    at async Object.withLock (file:///repo/src/store/document-lock.ts:52:14)',
      '    at async setPresence (/repo/src/services/presence.service.ts:30:17)',
      '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
    ].join('\n');
    expect(siteOf(stack, '/repo')).to.equal('src/store/store-errors.ts:36 ← src/store/document-lock.ts:52 ← src/services/presence.service.ts:30');
    expect(siteOf('Error\n    at x (node:internal/a:1:1)', '/repo')).to.equal('outside this repository');
  });

  it('counts and times what a connection runs while watched, and says where a scan came from', async () => {
    const connection = new EventEmitter();
    const clock = { ms: 1_000 };
    const watch = watchStoreOperations(connection, import.meta.dirname.replace(/\/test\/unit$/, ''), () => clock.ms);
    const run = (collectionName: string, method: string, params: unknown[]): (() => void) => {
      const _id = {};
      connection.emit('operation-start', { _id, collectionName, method, params });
      return () => connection.emit('operation-end', { _id, collectionName, method, result: null });
    };
    const lookups = [run('tickets', 'findOne', [{ _id: id }]), run('tickets', 'findOne', [{ _id: id }])];
    const scan = run('staff', 'findOneAndUpdate', [{ _id: id, version: 1 }, {}]);
    run('tickets', 'find', [{ _id: id }]);
    clock.ms += 5;
    for (const end of [...lookups, scan]) end();
    const seen = await watch.stop();
    run('tickets', 'findOne', [{ _id: id }]);
    expect(seen.total).to.equal(4);
    expect(seen.byShape['tickets.findOne {_id}']?.count).to.equal(2);
    expect(seen.byShape['tickets.findOne {_id}']).to.deep.include({ meanMs: 5, maxMs: 5 });
    expect(seen.byShape['tickets.find {_id}']).to.deep.equal({ count: 1, meanMs: null, maxMs: null });
    expect(seen.scans).to.have.length(1);
    expect(seen.scans[0]).to.deep.include({ shape: 'staff.findOneAndUpdate {_id,version}', count: 1 });
    expect(seen.scans[0]?.site).to.match(/^test\/unit\/bench\.spec\.ts:\d+/);
  });

  it('sums scans by shape for the targets table', () => {
    expect(scanSummary([])).to.equal('none');
    expect(
      scanSummary([
        { shape: 'counters.updateOne {_id,seq}', site: 'a', count: 2 },
        { shape: 'staff.findOneAndUpdate {_id,version}', site: 'b', count: 3 },
        { shape: 'counters.updateOne {_id,seq}', site: 'c', count: 2 },
      ]),
    ).to.equal('4× counters.updateOne {_id,seq}, 3× staff.findOneAndUpdate {_id,version}');
  });
});

describe('bench: the email phase\'s mailbox', () => {
  const office = { address: 'atencionalciudadano@muniplibre.gob.pe', aliases: ['reclamos@muniplibre.gob.pe', 'transparencia@muniplibre.gob.pe'] };
  const earlier: EarlierCase[] = Array.from({ length: 20 }, (_, i) => ({
    messageId: `antes.${String(i)}@mail.gmail.com`,
    from: `vecina${String(i)}@gmail.com`,
    subject: `Consulta ${String(i)}`,
    code: `PL-2026-${String(100 + i).padStart(6, '0')}`,
    ...(i % 5 === 4 ? {} : { ackId: `email-${String(i)}-acknowledgement@muniplibre.gob.pe` }),
  }));
  const closed = (count: { recent: number; old: number }): ClosedCase[] =>
    Array.from({ length: count.recent + count.old }, (_, i) => ({ code: `PL-2026-${String(900 + i).padStart(6, '0')}`, ackId: `email-c${String(i)}-acknowledgement@muniplibre.gob.pe`, from: `c${String(i)}@gmail.com`, subject: 'Poda', recent: i < count.recent }));
  const plan = (count: number, seed = 1): PlannedMail[] => planMailbox(count, { seed, prefix: 'buzon', office, earlier, closed: closed(closedCasesFor(count)) });

  it('holds mostly new cases, then answers, automatic mail and a bounce or two', () => {
    const counts = mailCounts(2_000);
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).to.equal(2_000);
    expect(counts).to.include({ new: 1_438, follow_on: 120, reply_code: 140, reply_headers: 60, code_only: 40, auto_reply: 100, auto_unknown: 20, bounce: 2 });
    expect(Object.values(mailCounts(100)).every((n) => n >= 1)).to.equal(true);
    expect(mailCounts(10)).to.include({ new: 10, bounce: 0 });
    expect(closedCasesFor(2_000)).to.deep.equal({ recent: 20, old: 20 });
  });

  it('is the same mailbox for the same seed, each answer citing what it answers, after it', () => {
    const mails = plan(2_000);
    expect(plan(2_000)).to.deep.equal(mails);
    expect(plan(2_000, 2)).to.not.deep.equal(mails);
    expect(new Set(mails.map((m) => m.messageId)).size).to.equal(mails.length);
    const kinds = new Map<string, number>();
    for (const m of mails) kinds.set(m.kind, (kinds.get(m.kind) ?? 0) + 1);
    expect(Object.fromEntries(kinds)).to.deep.equal(mailCounts(2_000));
    const fresh = mails.filter((m) => m.kind === 'new');
    for (const [shape, percent] of SHAPE_MIX) expect((100 * fresh.filter((m) => m.shape === shape).length) / fresh.length, shape).to.be.closeTo(percent, 4);
    expect(fresh.every((m) => (m.shape === 'attachments') === m.attachments.length > 0)).to.equal(true);
    const acked = new Map(earlier.flatMap((c) => (c.ackId === undefined ? [] : [[c.ackId, c] as const])));
    const answeredClosed: string[] = [];
    for (const [i, m] of mails.entries()) {
      if (m.kind === 'follow_on') {
        // A citizen's second mail answers their own first one: a new case before it, or one acknowledged earlier.
        const parent = mails.slice(0, i).find((p) => p.kind === 'new' && p.messageId === m.inReplyTo);
        const before = earlier.find((c) => c.messageId === m.inReplyTo);
        expect(parent !== undefined || before !== undefined, m.messageId).to.equal(true);
        expect(m.from.address).to.equal(parent?.from.address ?? before?.from);
      }
      if (m.kind === 'reply_code' || m.kind === 'auto_reply') expect(m.subject).to.contain(`[${acked.get(m.inReplyTo ?? '')?.code ?? '?'}]`);
      if (m.kind === 'reply_headers') {
        expect(acked.has(m.inReplyTo ?? '')).to.equal(true);
        expect(m.subject).to.not.match(/PL-\d{4}-\d{6}/);
      }
      if (m.kind === 'code_only') expect(m).to.not.have.property('inReplyTo');
      if (m.kind === 'bounce') expect(acked.has(m.bounced?.messageId ?? '')).to.equal(true);
      if (m.kind === 'reply_resolved' || m.kind === 'reply_old') answeredClosed.push(m.code ?? '');
    }
    expect(new Set(answeredClosed).size).to.equal(40);
  });

  it('writes a new case instead of an answer when there is nothing to answer', () => {
    const alone = planMailbox(100, { seed: 3, prefix: 'x', office, earlier: [], closed: [] });
    expect([...new Set(alone.map((m) => m.kind))].sort()).to.deep.equal(['auto_unknown', 'follow_on', 'forward', 'list', 'new']);
    expect(planMailbox(50, { seed: 3, prefix: 'x', office, earlier, closed: [], newOnly: true }).every((m) => m.kind === 'new')).to.equal(true);
  });

  it('renders each kind and shape as its client writes it, and the channel reads back what was planned', async () => {
    const mails = plan(400);
    const samples = [...new Map(mails.map((m) => [`${m.kind}/${m.shape}`, m] as const)).values()];
    expect(samples.length).to.be.at.least(15);
    for (const m of samples) {
      const raw = renderMail(m, new Date('2026-03-02T15:00:00Z'));
      const mail = await readMail({ mailbox: { id: 'atencion', ...office }, uidValidity: 1, uid: m.index + 1, source: raw, size: raw.length });
      const what = `${m.kind}/${m.shape}`;
      expect(mail.problem, what).to.equal(undefined);
      expect(mail.messageId, what).to.equal(m.messageId);
      expect(mail.contact.subject, what).to.equal(m.subject);
      if (m.inReplyTo !== undefined) expect(mail.inReplyTo, what).to.equal(`<${m.inReplyTo}>`);
      expect(mail.contact.hint.emailTo, what).to.equal(m.to);
      const origin = classifyMailOrigin({ headers: mail.headers, subject: mail.contact.subject, ownAddresses: [office.address, ...office.aliases], ...(mail.from !== undefined ? { from: mail.from } : {}), ...(mail.contentType !== undefined ? { contentType: mail.contentType } : {}) }).origin;
      expect(origin, what).to.equal(m.kind === 'bounce' ? 'bounce' : m.kind.startsWith('auto_') ? 'auto_reply' : m.kind === 'list' ? 'bulk' : 'person');
      if (m.kind === 'bounce') expect(mail.bounce?.messageIds, what).to.deep.equal([m.bounced?.messageId]);
      else expect(mail.contact.body, what).to.match(/^(Señores|Estaré)/);
      if (m.shape === 'html_latin1') expect(mail.contentType, what).to.equal('text/html; charset=ISO-8859-1');
      // A bounce's report parts come out as attachments; everything else carries exactly the files planned.
      if (m.kind !== 'bounce') expect(mail.attachments.map((a) => [a.filename, a.content.byteLength]), what).to.deep.equal(m.attachments.map((a) => [a.filename, a.size]));
    }
  });

  it('encodes non-ASCII header text in words of at most 75 characters', () => {
    expect(encodeWords('Poda de árboles')).to.match(/^=\?UTF-8\?B\?/);
    expect(encodeWords('Consulta general')).to.equal('Consulta general');
    const long = encodeWords('Solicitud de acceso a la información pública — año 2026, ñandú y pingüino');
    expect(long.split('\r\n ').every((word) => word.length <= 75)).to.equal(true);
    expect(decodeWords(long.replace(/\r\n /g, ' '))).to.equal('Solicitud de acceso a la información pública — año 2026, ñandú y pingüino');
    expect(decodeWords(encodeWords('Señora Ñahui', 'ISO-8859-1'))).to.equal('Señora Ñahui');
  });

  it('reads our acknowledgement\'s ids from the SMTP sink, folded or not', () => {
    const raw = Buffer.from('From: a@b.pe\r\nMessage-ID:\r\n <email-1-acknowledgement@muniplibre.gob.pe>\r\nIn-Reply-To: <antes.1@mail.gmail.com>\r\n\r\nMessage-ID: <not-a-header@x>\r\n');
    expect(threadHeaders(raw)).to.deep.equal({ messageId: 'email-1-acknowledgement@muniplibre.gob.pe', inReplyTo: 'antes.1@mail.gmail.com' });
    expect(threadHeaders(Buffer.from('Subject: x\r\n\r\n'))).to.deep.equal({});
  });

  it('compares what each mail became with what its kind should become', () => {
    const mails = plan(100).slice(0, 3);
    const [a, b, c] = mails;
    if (!a || !b || !c) throw new Error('unexpected');
    const outcomes = new Map([
      [a.messageId, { kind: EXPECTED_OUTCOME[a.kind] }],
      [b.messageId, { kind: 'created' === EXPECTED_OUTCOME[b.kind] ? 'joined' : 'created' }],
    ]);
    const { asPlanned, mismatches } = compareOutcomes(mails, outcomes);
    expect(asPlanned).to.equal(1);
    expect(Object.keys(mismatches)).to.have.length(2);
    expect(mismatches[`${c.kind}: ${EXPECTED_OUTCOME[c.kind]} → missing`]).to.equal(1);
  });
});

describe('bench: the email phase\'s targets and failures', () => {
  const none = summarize([]);
  const email = (perSecond: number, options: { takenIn?: number; scans?: StoreOperations['scans']; setAside?: number; mismatches?: Record<string, number> } = {}): EmailResult => ({
    mailbox: 'atencion',
    messages: 2_000,
    mix: {},
    shapes: {},
    mailboxBytes: 1,
    delivery: { seconds: 1, perSecond: 2_000 },
    earlier: { messages: 200, seconds: 5, perSecond: 40, acknowledged: 200 },
    closedCases: 40,
    takenIn: options.takenIn ?? 2_000,
    batches: 80,
    complete: (options.takenIn ?? 2_000) === 2_000,
    seconds: 2_000 / perSecond,
    perSecond,
    perMessage: summarize([1_000 / perSecond]),
    stages: { read: none, useCase: none, move: none, record: none },
    outcomes: { created: 1_478 },
    asPlanned: 2_000,
    mismatches: options.mismatches ?? {},
    refused: {},
    setAside: options.setAside ?? 0,
    acknowledgements: { expected: 1_478, atEnd: 1_400, sent: 1_478, drainSeconds: 0.5 },
    ticketsFound: 1_518,
    cpu: {},
    store: { total: 40_000, byShape: {}, scans: options.scans ?? [] },
    storeOperationsPerMessage: 20,
    warnings: {},
  });
  const options = parseBenchArgs([]);
  if (options === 'help') throw new Error('unexpected');
  const met = (result: EmailResult | undefined, prefix: string, o: BenchOptions = options): TargetCheck | undefined => emailTargets(result, o, '').find((c) => c.target.startsWith(prefix));

  it('takes 2,000 messages (100 in the smoke run), or what --email-messages says', () => {
    expect(options.emailMessages).to.equal(2_000);
    expect(parseBenchArgs(['--smoke'])).to.include({ emailMessages: 100 });
    expect(parseBenchArgs(['--email-messages', '500'])).to.include({ emailMessages: 500 });
    expect(() => parseBenchArgs(['--email-messages', '0'])).to.throw(UsageError);
  });

  it('meets the rate at 50 messages/s with the whole mailbox of 2,000 taken in, and no scan', () => {
    expect(met(email(52), '≥ 50 messages/s')).to.deep.include({ met: true, value: '52.0/s, 2,000 of 2,000 taken in' });
    expect(met(email(39.4), '≥ 50 messages/s')?.met).to.equal(false);
    expect(met(email(80, { takenIn: 1_500 }), '≥ 50 messages/s')?.met).to.equal(false);
    expect(met(email(80, { setAside: 1 }), '≥ 50 messages/s')?.met).to.equal(false);
    const smoke = parseBenchArgs(['--smoke']);
    if (smoke === 'help') throw new Error('unexpected');
    expect(met(email(80), '≥ 50 messages/s', smoke)?.value).to.contain('(the mailbox held 100)');
    expect(met(email(80), '≥ 50 messages/s', smoke)?.met).to.equal(false);
    expect(met(email(52), 'while mail is taken in')).to.deep.include({ met: true, value: 'none' });
    const scans = [{ shape: 'tickets.findOne {trackingCode}', site: 'src/services/email-intake.service.ts:190', count: 2 }];
    expect(met(email(52, { scans }), 'while mail is taken in')).to.deep.include({ met: false, value: '2× tickets.findOne {trackingCode}' });
    expect(met(undefined, '≥ 50 messages/s')?.met).to.equal(null);
  });

  it('fails the run for mail set aside or mishandled, never for slowness', () => {
    const run = (result: EmailResult): Pick<HistoryRun, 'history' | 'email'> => ({ history: 1_000, email: { status: 'ok', seconds: 60, result } });
    expect(emailFailures(run(email(10, { takenIn: 500, mismatches: { 'reply_code: joined → missing': 1_500 } })), false)).to.deep.equal([]);
    expect(emailFailures(run(email(40, { setAside: 2 })), false)).to.have.length(1);
    expect(emailFailures(run(email(40, { mismatches: { 'reply_headers: joined → created': 3 } })), false)[0]).to.contain('3× reply_headers: joined → created');
    expect(emailFailures(run(email(0, { takenIn: 0 })), true)).to.deep.equal(['h1000.email: no mail was taken in']);
    expect(emailFailures({ history: 1_000, email: { status: 'skipped', seconds: 0 } }, true)).to.deep.equal([]);
  });
});
