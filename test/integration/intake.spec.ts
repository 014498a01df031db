import { expect } from 'chai';
import type { Contact } from '../../src/domain/contact.js';
import type { Actor } from '../../src/services/context/index.js';
import { receiveContact } from '../../src/services/intake/index.js';
import { setPresence } from '../../src/services/staff/index.js';
import type { Ticket } from '../../src/store/ticket.repository.js';
import { startSystem, type RunningSystem } from '../../src/system.js';
import { contact, intakeNow, seedStaff, settle } from '../support/seed.js';
import { testEnv, testLog, uniqueName } from '../support/services.js';
import { eventually } from '../support/wait.js';

const SYSTEM: Actor = { kind: 'system' };

describe('intake: every contact becomes one ticket (real FerretDB + Redis)', () => {
  let system: RunningSystem;

  before(async () => {
    system = await startSystem(await testEnv(import.meta.filename, { ROLE: 'worker' }), { log: testLog, queuePrefix: uniqueName(import.meta.filename) });
  });

  after(async () => {
    await system.stop();
  });

  it('creates the ticket, the citizen, the first interaction and the audit event, then routes it', async () => {
    const { ticket, created } = await intakeNow(
      system.ctx,
      contact({
        channel: 'email',
        externalId: '<abc-1@correo.pe>',
        subject: 'Desmonte en la calle',
        body: 'Hay desmonte abandonado en la esquina',
        citizen: { dni: '10000001', email: 'Vecina@Correo.pe', firstNames: 'Ana' },
        hint: { serviceCode: 'limpieza.recojo_maleza_desmonte' },
        raw: { headers: { 'message-id': '<abc-1@correo.pe>' } },
      }),
    );
    expect(created).to.equal(true);
    expect(ticket.trackingCode).to.match(/^PL-\d{4}-\d{6}$/);
    expect(ticket.status).to.equal('en_cola');
    const citizen = await system.ctx.store.citizens.findByIdentifier('dni', '10000001');
    expect(citizen?.emails).to.deep.equal(['vecina@correo.pe']);
    expect(ticket.citizenId?.toString()).to.equal(citizen?._id.toString());
    const interactions = await system.ctx.store.interactions.list(ticket._id.toString(), { includeRaw: true });
    expect(interactions.map((i) => [i.kind, i.direction, i.externalId])).to.deep.equal([['email', 'in', '<abc-1@correo.pe>']]);
    expect(interactions[0]?.raw).to.deep.equal({ headers: { 'message-id': '<abc-1@correo.pe>' } });

    await settle(system.ctx.queues, ['route', 'assign']);
    const routed = await system.ctx.store.tickets.get(ticket._id.toString());
    expect(routed?.status).to.equal('en_cola');
    expect(routed?.unitCode).to.equal('SGLP');
    expect(routed?.type).to.equal('tramite');
    expect(routed?.sla?.resolutionDueAt).to.be.instanceOf(Date);
    const events = await system.ctx.store.ticketEvents.list(ticket._id.toString());
    expect(events.map((e) => e.type)).to.deep.equal(['created', 'routed']);
  });

  it('gives one ticket for the same contact delivered many times at once', async () => {
    const same = contact({ channel: 'phone', externalId: 'CA0123456789abcdef', subject: 'Llamada' });
    const results = await Promise.all(Array.from({ length: 12 }, () => intakeNow(system.ctx, same)));
    const ids = new Set(results.map((r) => r.ticket._id.toString()));
    expect(ids.size).to.equal(1);
    expect(results.filter((r) => r.created)).to.have.length(1);
    expect(await system.ctx.store.models.Ticket.countDocuments({ channelKey: 'CA0123456789abcdef' })).to.equal(1);
    expect(await system.ctx.store.models.Interaction.countDocuments({ externalId: 'CA0123456789abcdef' })).to.equal(1);
  });

  it('numbers tickets per year without gaps under concurrency and never reuses a number', async () => {
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => intakeNow(system.ctx, contact({ externalId: `seq-${i}`, receivedAt: new Date('2027-03-01T15:00:00Z') }))));
    const seqs = results.map((r) => Number(r.ticket.trackingCode.slice(-6))).sort((a, b) => a - b);
    expect(seqs).to.deep.equal(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(results.every((r) => r.ticket.trackingCode.startsWith('PL-2027-'))).to.equal(true);
  });

  it('uses the Lima year: 31 Dec 20:00 in Lima is still that year', async () => {
    const { ticket } = await intakeNow(system.ctx, contact({ externalId: 'new-year', receivedAt: new Date('2029-01-01T01:00:00Z') }));
    expect(ticket.trackingCode).to.match(/^PL-2028-/);
  });

  it('keeps a contact whose DNI is mistyped, without the DNI, and says so in the audit trail', async () => {
    const { ticket } = await intakeNow(system.ctx, contact({ externalId: 'bad-dni', citizen: { dni: '1234', phone: '+51 999 888 777' } }));
    expect(ticket.citizenId).to.not.equal(undefined);
    const events = await system.ctx.store.ticketEvents.list(ticket._id.toString());
    expect(events[0]?.data).to.deep.include({ droppedIdentifiers: ['dni'] });
  });

  it('finds the same citizen by any identifier and learns new ones', async () => {
    const first = await intakeNow(system.ctx, contact({ externalId: 'c1', citizen: { dni: '20000002' } }));
    const second = await intakeNow(system.ctx, contact({ externalId: 'c2', citizen: { dni: '20000002', email: 'nuevo@correo.pe' } }));
    const third = await intakeNow(system.ctx, contact({ externalId: 'c3', citizen: { email: 'NUEVO@correo.pe' } }));
    expect(second.ticket.citizenId?.toString()).to.equal(first.ticket.citizenId?.toString());
    expect(third.ticket.citizenId?.toString()).to.equal(first.ticket.citizenId?.toString());
  });

  it('marks a preferential citizen (Ley 28683) and serves them before citizens queued earlier', async () => {
    const { store } = system.ctx;
    // Registro Civil has nobody on duty yet, so every request waits in its queue.
    const partida = async (externalId: string, citizen: Contact['citizen'] = {}) =>
      (await intakeNow(system.ctx, contact({ externalId, subject: 'Copia de partida de nacimiento', citizen, hint: { serviceCode: 'registro_civil.partidas' } }))).ticket;
    // Stored as queued by intake, then put in the live queue by its route job: waiting only once both are done.
    const queued = (ticket: Ticket) =>
      eventually(async () => {
        const now = await store.tickets.get(ticket._id.toString());
        return now?.status === 'en_cola' && now.unitCode === 'SGRC' && (await system.ctx.live.routing.position(ticket._id.toString())) !== null && now;
      }, `${ticket.trackingCode} queued in Registro Civil`);
    const earlier = [await partida('pref-before-1'), await partida('pref-before-2')];
    await Promise.all(earlier.map(queued));
    const preferential = await partida('pref', { preferential: true });
    expect(preferential.priorityClass).to.equal('preferential');
    await queued(preferential);

    // One agent with room for one email comes on duty: the preferential citizen is served, the others keep waiting
    // (the agent has no room left for them, so nothing assigns them later).
    const agent = await seedStaff(store, { units: ['SGRC'], capacity: { email: 1 } });
    await setPresence(system.ctx, SYSTEM, agent._id.toString(), 'available');
    const served = await eventually(async () => {
      const mine = (await store.tickets.page('all', { assigneeId: agent._id.toString(), status: ['asignado'] }, undefined, 50)).items;
      return mine.length > 0 && mine;
    }, 'the agent to be given a ticket');
    expect(served.map((t) => t._id.toString())).to.deep.equal([preferential._id.toString()]);
    for (const ticket of earlier) expect((await store.tickets.get(ticket._id.toString()))?.status).to.equal('en_cola');
  });

  it('rejects hostile contacts with VALIDATION_FAILED and writes nothing', async () => {
    const before = await system.ctx.store.models.Ticket.countDocuments();
    for (const bad of [
      { ...contact(), externalId: '' },
      { ...contact(), subject: 'x'.repeat(301) },
      { ...contact(), channel: 'fax' },
      { ...contact(), citizen: { dni: { $gt: '' } } },
      { ...contact(), receivedAt: 'yesterday' },
    ]) {
      let error: unknown;
      try {
        await receiveContact(system.ctx, bad as never);
      } catch (err) {
        error = err;
      }
      expect(error, JSON.stringify(bad).slice(0, 80)).to.have.property('code', 'VALIDATION_FAILED');
    }
    expect(await system.ctx.store.models.Ticket.countDocuments()).to.equal(before);
  });
});
