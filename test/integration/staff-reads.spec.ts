import { AsyncLocalStorage } from 'node:async_hooks';
import { expect } from 'chai';
import { Types } from 'mongoose';
import { readIndexReady, rebuildReadIndexStep, reconcileReadIndex } from '../../src/services/read-index/index.js';
import { citizenCases, getTicketDetail, getTicketTimeline, listTickets, myTickets, searchTickets, syncSince, waitingTickets, type TicketListQuery } from '../../src/services/tickets/index.js';
import type { PageCursor } from '../../src/store/pages.js';
import { explainFind, findQueryOf, type FindQuery } from '../../src/store/query-plan.js';
import type { Referral } from '../../src/store/ticket.model.js';
import type { NewTicket, Ticket } from '../../src/store/ticket.repository.js';
import type { StaffActor } from '../../src/services/staff/index.js';
import { startSystem, type RunningSystem } from '../../src/system.js';
import { seedStaff, seedTicket, ticketInput } from '../support/seed.js';
import { testEnv, testLog, uniqueName } from '../support/services.js';
import { actorOf } from '../support/staff-fixtures.js';

/*
 * The reads staff make all day, on the real embedded store: each list, filter and search is checked against the same
 * answer worked out in the test from every ticket it wrote (newest first, by creation then id), page by page.
 */

const DAY = 24 * 3600_000;
const T0 = Date.parse('2026-10-01T15:00:00Z');

const newestFirst = (a: Ticket, b: Ticket): number => b.createdAt.getTime() - a.createdAt.getTime() || (b._id.toString() < a._id.toString() ? -1 : 1);
const ids = (tickets: readonly Ticket[]): string[] => tickets.map((t) => t._id.toString());
const referralFrom = (fromUnit: string, toUnit: string): Referral => ({ fromUnit, toUnit, referredBy: new Types.ObjectId().toString(), referredAt: new Date(T0), reason: 'Competencia de la unidad' });

describe('staff reads: lists, search, a citizen’s cases, the read index (real FerretDB)', () => {
  let system: RunningSystem;
  let office: StaffActor;
  let rentas: StaffActor;
  let admin: StaffActor;
  const seeded: Ticket[] = [];
  // Every store read the reads below make (and only theirs: not the test's own, nor the workers'), to ask the store
  // afterwards how it answers each.
  const reading = new AsyncLocalStorage<true>();
  const reads = new Map<string, FindQuery>();
  /** A test whose reads are recorded. */
  const readingIt = (title: string, test: () => Promise<void>): Mocha.Test => it(title, () => reading.run(true, test));

  async function seed(overrides: Partial<NewTicket>): Promise<Ticket> {
    const ticket = await seedTicket(system.ctx.store, overrides);
    seeded.push(ticket);
    return ticket;
  }

  /** Every page of a list, `size` at a time, put together. */
  async function allPages(read: (after: PageCursor | undefined) => Promise<{ items: Ticket[]; next?: PageCursor }>): Promise<Ticket[]> {
    const found: Ticket[] = [];
    let after: PageCursor | undefined;
    for (let page = 0; page < 100; page++) {
      const answer = await read(after);
      found.push(...answer.items);
      if (answer.next === undefined) return found;
      after = answer.next;
    }
    throw new Error('more than 100 pages');
  }

  before(async () => {
    system = await startSystem(await testEnv(import.meta.filename, { ROLE: 'all' }), { log: testLog, queuePrefix: uniqueName(import.meta.filename) });
    const { store } = system.ctx;
    office = actorOf(await seedStaff(store, { units: ['GDVAC'], autoAssign: false }));
    rentas = actorOf(await seedStaff(store, { units: ['GAT'], autoAssign: false }));
    admin = actorOf(await seedStaff(store, { roles: ['admin'], units: [] }));
    store.connection.set('debug', (collection: string, method: string, ...args: unknown[]) => {
      const query = reading.getStore() ? findQueryOf(collection, method, args) : undefined;
      if (query) reads.set(`${collection} ${JSON.stringify({ f: Object.keys(query.filter), s: query.sort, l: query.limit !== undefined })}`, query);
    });
    const assignee = new Types.ObjectId();
    const statuses = ['en_cola', 'asignado', 'resuelto', 'cerrado'] as const;
    const channels = ['email', 'phone', 'kiosk', 'manual'] as const;
    const types = ['consulta', 'reclamo', 'tramite'] as const;
    // 48 tickets over 48 days in two units, every combination of the filters, two of them at the very same instant.
    for (let i = 0; i < 48; i++) {
      const status = statuses[i % 4] ?? 'en_cola';
      await seed({
        unitCode: i % 3 === 0 ? 'GAT' : 'GDVAC',
        status,
        channel: channels[i % 4] ?? 'email',
        type: types[i % 3] ?? 'consulta',
        serviceCode: i % 2 === 0 ? 'rentas.estado_cuenta' : 'atencion.consulta_general',
        ...(status === 'asignado' && i % 8 === 1 ? { assigneeId: assignee } : {}),
        createdAt: new Date(T0 + (i === 47 ? 46 : i) * DAY),
        subject: `Caso ${String(i)} de prueba`,
      });
    }
    // Referred by the office to rentas: both see it.
    await seed({ unitCode: 'GAT', originUnitCode: 'GDVAC', status: 'derivado', referral: referralFrom('GDVAC', 'GAT'), createdAt: new Date(T0 + 10.5 * DAY), subject: 'Derivado a rentas' });
  });

  after(async () => {
    await system.stop();
  });

  function visibleTo(actor: StaffActor, ticket: Ticket): boolean {
    return actor.roles.includes('admin') || actor.units.includes(ticket.unitCode) || (ticket.referral !== undefined && actor.units.includes(ticket.referral.fromUnit));
  }

  const cases: { name: string; query: Omit<TicketListQuery, 'limit' | 'after'>; expected: (t: Ticket) => boolean }[] = [
    { name: 'no filter', query: {}, expected: () => true },
    { name: 'one status', query: { status: ['en_cola'] }, expected: (t) => t.status === 'en_cola' },
    { name: 'two statuses', query: { status: ['resuelto', 'derivado'] }, expected: (t) => t.status === 'resuelto' || t.status === 'derivado' },
    { name: 'type', query: { type: 'reclamo' }, expected: (t) => t.type === 'reclamo' },
    { name: 'channel', query: { channel: 'phone' }, expected: (t) => t.channel === 'phone' },
    { name: 'service', query: { serviceCode: 'rentas.estado_cuenta' }, expected: (t) => t.serviceCode === 'rentas.estado_cuenta' },
    { name: 'range of days', query: { from: new Date(T0 + 5 * DAY), to: new Date(T0 + 20 * DAY) }, expected: (t) => t.createdAt.getTime() >= T0 + 5 * DAY && t.createdAt.getTime() < T0 + 20 * DAY },
    { name: 'status, type and channel', query: { status: ['asignado'], type: 'consulta', channel: 'phone' }, expected: (t) => t.status === 'asignado' && t.type === 'consulta' && t.channel === 'phone' },
  ];

  for (const { name, query, expected } of cases) {
    readingIt(`lists a unit's tickets newest first, filtered by ${name}, page by page, as each sees them`, async () => {
      for (const actor of [office, rentas, admin]) {
        const want = seeded.filter((t) => visibleTo(actor, t) && expected(t)).sort(newestFirst);
        const got = await allPages((after) => listTickets(system.ctx, actor, { ...query, after, limit: 4 }));
        expect(ids(got), `${name} for ${actor.units.join(',') || 'admin'}`).to.deep.equal(ids(want));
      }
    });
  }

  readingIt('narrows to one unit: its own tickets, or those the caller’s unit referred there', async () => {
    const gat = await allPages((after) => listTickets(system.ctx, admin, { unit: 'GAT', after, limit: 7 }));
    expect(ids(gat)).to.deep.equal(ids(seeded.filter((t) => t.unitCode === 'GAT').sort(newestFirst)));
    const referredThere = await allPages((after) => listTickets(system.ctx, office, { unit: 'GAT', after, limit: 7 }));
    expect(referredThere.map((t) => t.subject)).to.deep.equal(['Derivado a rentas']);
  });

  readingIt('lists by assignee from the assignee’s own index', async () => {
    const assigned = seeded.filter((t) => t.assigneeId !== undefined);
    const assignee = assigned[0]?.assigneeId?.toString() ?? '';
    expect(assigned.length).to.be.greaterThan(1);
    const got = await allPages((after) => listTickets(system.ctx, admin, { assigneeId: assignee, after, limit: 1 }));
    expect(ids(got)).to.deep.equal(ids(assigned.sort(newestFirst)));
  });

  readingIt('pages by a cursor that neither repeats nor skips a ticket while new ones arrive', async () => {
    const before = seeded.filter((t) => visibleTo(office, t)).sort(newestFirst);
    const first = await listTickets(system.ctx, office, { limit: 5 });
    // New cases arrive between the pages, some at the very instant of the page's last ticket.
    const edge = first.items.at(-1)?.createdAt ?? new Date();
    for (let i = 0; i < 6; i++) await seed({ unitCode: 'GDVAC', createdAt: i < 3 ? edge : new Date(), subject: `Llegó mientras se leía ${String(i)}` });
    const rest = await allPages((after) => listTickets(system.ctx, office, { after: after ?? first.next, limit: 5 }));
    const read = [...first.items, ...rest];
    expect(new Set(ids(read)).size, 'no ticket twice').to.equal(read.length);
    // Every ticket there was when the first page was read is in the list, in order; arrivals at the cursor's instant
    // fall where their id puts them.
    expect(ids(read.filter((t) => before.some((b) => b._id.equals(t._id))))).to.deep.equal(ids(before));
    const tied = seeded.filter((t) => t.createdAt.getTime() === edge.getTime());
    const lastOfFirst = first.items.at(-1)?._id.toString() ?? '';
    for (const t of tied) expect(ids(read).includes(t._id.toString()), t.subject).to.equal(t._id.toString() < lastOfFirst || first.items.some((f) => f._id.equals(t._id)));
  });

  describe('search', () => {
    const subjects = {
      licencia: 'Licencia de funcionamiento para bodega',
      poda: 'Poda de árboles en el parque Candamo',
      arbol: 'Árbol caído sobre la pista',
      reclamo: 'RECLAMO por cobro indebido de arbitrios',
      licitacion: 'Consulta sobre licitación de obras',
      ajena: 'Licencia de edificación en otra unidad',
    } as const;
    const found: Record<keyof typeof subjects, Ticket> = {} as Record<keyof typeof subjects, Ticket>;

    before(async () => {
      for (const [key, subject] of Object.entries(subjects) as [keyof typeof subjects, string][]) {
        found[key] = await seed({ unitCode: key === 'ajena' ? 'GDU' : 'GDVAC', subject, createdAt: new Date(T0 + 60 * DAY + Object.keys(found).length * 1000) });
      }
    });

    async function words(q: string, actor: StaffActor = office): Promise<string[]> {
      const answer = await searchTickets(system.ctx, actor, q, { limit: 50 });
      expect(answer.kind, q).to.equal('words');
      return answer.items.map((t) => t.subject);
    }

    readingIt('finds words accent- and case-insensitively, by a word’s beginning, singular and plural alike', async () => {
      expect(await words('licen')).to.deep.equal([subjects.licencia]);
      expect(await words('LICENCIA')).to.deep.equal([subjects.licencia]);
      expect(await words('árboles')).to.deep.equal([subjects.arbol, subjects.poda]);
      expect(await words('arbol')).to.deep.equal([subjects.arbol, subjects.poda]);
      expect(await words('reclamos')).to.deep.equal([subjects.reclamo]);
      expect(await words('licitacion')).to.deep.equal([subjects.licitacion]);
      expect(await words('funcionamiento bodega')).to.deep.equal([subjects.licencia]);
      expect(await words('arbol parque')).to.deep.equal([subjects.poda]);
      expect(await words('arbol helicoptero')).to.deep.equal([]);
      expect(await words('zzzz')).to.deep.equal([]);
    });

    readingIt('finds only what the caller may see, and everything for an admin', async () => {
      expect(await words('licencia', rentas)).to.deep.equal([]);
      expect(await words('licencia', admin)).to.deep.equal([subjects.ajena, subjects.licencia]);
    });

    readingIt('pages a search newest first without repeating a case', async () => {
      expect((await searchTickets(system.ctx, admin, 'de la', { limit: 10 })).kind, 'only common words').to.equal('none');
      const caso = await allPages(async (cursor) => {
        const answer = await searchTickets(system.ctx, admin, 'caso prueba', { limit: 3, after: cursor });
        return answer.kind === 'words' ? answer : { items: [] };
      });
      expect(ids(caso)).to.deep.equal(ids(seeded.filter((t) => /^Caso \d+ de prueba$/.test(t.subject)).sort(newestFirst)));
    });

    readingIt('finds a case by its tracking code with or without dashes and prefix, in any case', async () => {
      const code = found.poda.trackingCode;
      for (const q of [code, code.toLowerCase(), code.replace(/-/g, ''), code.replace(/^PL-/, ''), ` ${code.replace(/-/g, ' ')} `]) {
        const answer = await searchTickets(system.ctx, office, q, { limit: 10 });
        expect(answer.kind, q).to.equal('code');
        expect(ids(answer.items), q).to.deep.equal([found.poda._id.toString()]);
      }
      const other = await searchTickets(system.ctx, rentas, code, { limit: 10 });
      expect(other.items, 'not a case of rentas').to.deep.equal([]);
    });

    readingIt('finds a citizen by DNI, RUC, email or phone, and their cases newest first', async () => {
      const { store } = system.ctx;
      const citizen = await store.citizens.create({ dni: '45678912', ruc: '20131312955', emails: ['vecina.search@correo.pe'], phones: ['+51987650001'], firstNames: 'Rosa' });
      const older = await seed({ citizenId: citizen._id, subject: 'Primera consulta de Rosa', createdAt: new Date(T0 + 70 * DAY) });
      const newer = await seed({ citizenId: citizen._id, subject: 'Segunda consulta de Rosa', createdAt: new Date(T0 + 71 * DAY) });
      const elsewhere = await seed({ citizenId: citizen._id, unitCode: 'GAT', subject: 'Consulta de Rosa en rentas', createdAt: new Date(T0 + 72 * DAY) });
      for (const q of ['45678912', '20131312955', 'Vecina.Search@correo.pe', '987650001', '+51 987 650 001']) {
        const answer = await searchTickets(system.ctx, office, q, { limit: 10 });
        expect(answer.kind, q).to.equal('citizen');
        if (answer.kind !== 'citizen') continue;
        expect(answer.citizen?._id.toString(), q).to.equal(citizen._id.toString());
        expect(ids(answer.items), q).to.deep.equal(ids([newer, older]));
      }
      const history = await allPages((after) => citizenCases(system.ctx, admin, citizen._id.toString(), { after, limit: 1 }));
      expect(ids(history)).to.deep.equal(ids([elsewhere, newer, older]));
      const unknown = await searchTickets(system.ctx, office, '11111111', { limit: 10 });
      expect(unknown).to.deep.include({ kind: 'citizen', citizen: null, items: [] });
    });
  });

  describe('read index: reconcile and rebuild', () => {
    it('repairs an open ticket whose postings a crash left unwritten or in its old unit', async () => {
      const { store } = system.ctx;
      // Stopped between the ticket's write and its postings': the ticket is stored, its words are not.
      const input = ticketInput({ subject: 'Ruido de construcción nocturna', unitCode: 'GDVAC' });
      const lost = (await store.models.Ticket.create({ ...input, _id: new Types.ObjectId(), version: 0 })).toObject();
      await store.openTickets.add(lost._id, lost.createdAt);
      expect(await words('nocturna')).to.deep.equal([]);
      // Stopped between a referral's write and its postings' move: the referrer's search misses it.
      const referred = await seed({ unitCode: 'GDU', subject: 'Veredas rotas en la avenida' });
      await store.models.Ticket.updateOne({ _id: referred._id }, { $set: { referral: referralFrom('GDVAC', 'GDU'), referralFromUnit: 'GDVAC' } });
      expect(await words('veredas')).to.deep.equal([]);

      const report = await reconcileReadIndex(system.ctx);
      expect(report.written).to.be.at.least(3);
      expect(report.moved).to.be.at.least(1);
      expect(await words('nocturna')).to.deep.equal(['Ruido de construcción nocturna']);
      expect(await words('veredas')).to.deep.equal(['Veredas rotas en la avenida']);
      const again = await reconcileReadIndex(system.ctx);
      expect(again, 'nothing left to repair').to.deep.include({ referrals: 0, written: 0, moved: 0 });
    });

    async function words(q: string): Promise<string[]> {
      const answer = await searchTickets(system.ctx, office, q, { limit: 50 });
      return answer.items.map((t) => t.subject);
    }

    it('rebuilds from the tickets a batch at a time, goes on where it stopped, and removes postings of missing tickets', async () => {
      const { store } = system.ctx;
      // A store as the version before wrote it: tickets with no postings and no top-level referral unit.
      const old = Array.from({ length: 12 }, (_, i) => ({
        ...ticketInput({ subject: `Expediente antiguo ${String(i)} alumbrado`, unitCode: 'GDU', status: 'cerrado', createdAt: new Date(T0 - (i + 1) * DAY) }),
        _id: new Types.ObjectId(),
        version: 0,
        updatedAt: new Date(),
        ...(i % 4 === 0 ? { referral: referralFrom('GDVAC', 'GDU') } : {}),
      }));
      await store.models.Ticket.collection.insertMany(old);
      await store.models.TicketTerm.create({ _id: `${new Types.ObjectId().toString()}:fantasma`, term: 'fantasma', ticketId: new Types.ObjectId(), createdAt: new Date(), unitCode: 'GDVAC' });
      await store.models.SearchWord.create({ _id: 'fantasma', word: 'fantasma' });
      const count = async (): Promise<number> => (await store.models.Ticket.find({}, { _id: 1 }).lean()).length;
      const total = await count();
      expect(await words('alumbrado')).to.deep.equal([]);

      // Two batches of five, then the process "stops".
      const stopped = await rebuildReadIndexStep(system.ctx, { batches: 2, batchSize: 5, restart: true });
      expect(stopped).to.deep.include({ phase: 'tickets', processed: 10 });
      expect(stopped.finishedAt).to.equal(undefined);
      expect(await readIndexReady(system.ctx)).to.equal(false);
      let run = stopped;
      while (run.finishedAt === undefined) run = await rebuildReadIndexStep(system.ctx, { batches: 3, batchSize: 5 });
      expect(run.startedAt.getTime(), 'the same run went on').to.equal(stopped.startedAt.getTime());
      expect(run.changed.referrals).to.equal(3);
      expect(run.changed.postingsRemoved, 'the posting of a ticket removed by hand').to.equal(1);
      expect(run.changed.wordsRemoved, 'and its word, which no posting has now').to.equal(1);
      expect(await readIndexReady(system.ctx)).to.equal(true);

      expect(await count(), 'no ticket lost or added').to.equal(total);
      expect((await words('alumbrado')).sort()).to.deep.equal(old.filter((t) => t.referral !== undefined).map((t) => t.subject).sort());
      const gdu = await allPages((after) => listTickets(system.ctx, admin, { unit: 'GDU', after, limit: 50 }));
      expect(ids(gdu).filter((id) => old.some((t) => t._id.toString() === id))).to.have.length(12);
      const referred = await allPages((after) => listTickets(system.ctx, office, { unit: 'GDU', after, limit: 50 }));
      expect(referred.filter((t) => t.subject.includes('alumbrado'))).to.have.length(3);
      expect(await store.ticketTerms.wordsBeginning('fantasma', 5)).to.deep.equal([]);
      expect((await store.ticketTerms.postingsOf('fantasma', undefined, 5)).items).to.deep.equal([]);
    });
  });

  describe('what the store does for them', () => {
    readingIt('opens a ticket with its timeline, what waits, what is mine and the catch-up after a reconnect', async () => {
      const { ctx } = system;
      const ticket = await seed({ unitCode: 'GDVAC', subject: 'Para abrir' });
      const detail = await getTicketDetail(ctx, office, ticket._id.toString(), { order: 'newest', limit: 5 });
      expect(detail.ticket._id.toString()).to.equal(ticket._id.toString());
      await getTicketTimeline(ctx, office, ticket._id.toString(), { order: 'oldest', after: { at: new Date(0), id: '000000000000000000000000' }, limit: 5 });
      expect((await waitingTickets(ctx, office, { limit: 50 })).total).to.be.a('number');
      expect(await myTickets(ctx, office)).to.deep.equal([]);
      await syncSince(ctx, office, new Date(Date.now() - 60_000));
    });

    it('answers every read above from an index, none of them reading a whole collection', async () => {
      expect(reads.size, 'reads recorded').to.be.greaterThan(10);
      const collections = new Set([...reads.values()].map((q) => q.collection));
      expect([...collections]).to.include.members(['tickets', 'ticket_terms', 'search_words', 'ticket_events', 'interactions', 'citizens', 'citizen_identifiers']);
      const scans: string[] = [];
      for (const [shape, query] of reads) {
        const plan = await explainFind(system.ctx.store.connection, query);
        if (!plan.indexed) scans.push(`${shape}: ${plan.detail}`);
      }
      expect(scans, 'reads that are not answered from an index').to.deep.equal([]);
    });
  });
});
