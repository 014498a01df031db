import { expect } from 'chai';
import type { Env } from '../../src/config/env.js';
import { createBusinessCalendar } from '../../src/domain/business-calendar.js';
import { pendingSlaChecks, planSlaDueDates, selectSlaPolicy, SLA_CHECK_KINDS } from '../../src/domain/sla-policy.js';
import type { TicketType } from '../../src/domain/ticket-types.js';
import { JOBS } from '../../src/queues/jobs.js';
import { routeTicket } from '../../src/services/routing/index.js';
import { startSla } from '../../src/services/sla/index.js';
import { startSession } from '../../src/services/staff/index.js';
import { startSystem, type RunningSystem } from '../../src/system.js';
import { seedStaff, settle } from '../support/seed.js';
import { testEnv, testLog, uniqueName } from '../support/services.js';

interface TicketAnswer {
  _id: string;
  status: string;
  type: TicketType;
  unitCode: string;
  originUnitCode: string;
  queue: string;
  requiredSkills: string[];
  serviceCode?: string;
  createdAt: string;
  sla?: { policy: string; startedAt: string; pauses: unknown[]; firstResponseDueAt?: string; resolutionDueAt?: string; atRiskAt?: string };
}

/**
 * What `POST /tickets` answers is what a channel acknowledges to the citizen from, so it must already state what
 * the catalogue knows. The API runs here without workers: nothing but intake can have set what the answer says.
 */
describe('intake answers with the type, unit and SLA the catalogue gives (HTTP, FerretDB, Redis)', () => {
  const prefix = uniqueName(import.meta.filename);
  let env: Env;
  let api: RunningSystem;
  let token: string;

  async function create(body: Record<string, unknown>): Promise<TicketAnswer> {
    const res = await fetch(`${api.url ?? ''}/api/v1/tickets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    expect(res.status).to.equal(201);
    return ((await res.json()) as { ticket: TicketAnswer }).ticket;
  }

  /** The due dates the SLA policy of `type` and `unit` gives a clock started at the ticket's creation. */
  function expectedSla(answer: TicketAnswer) {
    const { catalogue } = api.ctx;
    const policy = selectSlaPolicy(catalogue.sla.policies, { ticketType: answer.type, unitCode: answer.unitCode });
    if (!policy) throw new Error('no policy');
    const due = planSlaDueDates(createBusinessCalendar(catalogue.calendar), policy, 'manual', new Date(answer.createdAt), []);
    return {
      policy: policy.id,
      startedAt: answer.createdAt,
      pauses: [],
      ...(due.firstResponseDueAt ? { firstResponseDueAt: due.firstResponseDueAt.toISOString() } : {}),
      ...(due.resolutionDueAt ? { resolutionDueAt: due.resolutionDueAt.toISOString() } : {}),
      ...(due.atRiskAt ? { atRiskAt: due.atRiskAt.toISOString() } : {}),
    };
  }

  before(async () => {
    env = await testEnv(import.meta.filename, { ROLE: 'api' });
    api = await startSystem(env, { log: testLog, queuePrefix: prefix });
    const agent = await seedStaff(api.ctx.store, { username: 'oficina', units: ['GDVAC'], autoAssign: false });
    token = (await startSession(api.ctx, agent)).accessToken;
  });

  after(async () => {
    await api.stop();
  });

  it('answers a Libro de Reclamaciones entry as a reclamo of the office, in its queue, with its 30-business-day term', async () => {
    const ticket = await create({ subject: 'Cobro indebido en caja', description: 'Me cobraron dos veces', serviceCode: 'atencion.libro_reclamaciones' });

    expect(ticket).to.deep.include({
      status: 'en_cola',
      type: 'reclamo',
      unitCode: 'GDVAC',
      originUnitCode: 'GDVAC',
      queue: 'reclamaciones',
      serviceCode: 'atencion.libro_reclamaciones',
    });
    expect(ticket.requiredSkills).to.deep.equal(['reclamaciones']);
    expect(ticket.sla?.policy).to.equal('reclamo');
    expect(ticket.sla).to.deep.equal(expectedSla(ticket));
    expect(ticket.sla?.resolutionDueAt).to.be.a('string');
    // 30 business days: at least six calendar weeks away.
    expect(new Date(ticket.sla?.resolutionDueAt ?? 0).getTime() - new Date(ticket.createdAt).getTime()).to.be.greaterThan(40 * 86_400_000);

    const events = await api.ctx.store.ticketEvents.list(ticket._id);
    expect(events.map((event) => [event.type, event.fromStatus, event.toStatus, event.data])).to.deep.equal([
      ['created', undefined, 'nuevo', { channel: 'manual' }],
      ['routed', 'nuevo', 'en_cola', { rule: 'service-libro-reclamaciones', unit: 'GDVAC', queue: 'reclamaciones', service: 'atencion.libro_reclamaciones' }],
    ]);
  });

  it('keeps the type the contact states over the one of its service, and picks the SLA policy for that type', async () => {
    const ticket = await create({ subject: 'Me atendieron mal en Rentas', type: 'queja', serviceCode: 'rentas.estado_cuenta' });
    expect(ticket).to.deep.include({ type: 'queja', unitCode: 'GAT', serviceCode: 'rentas.estado_cuenta' });
    expect(ticket.sla?.policy).to.equal('queja');
    expect(ticket.sla).to.deep.equal(expectedSla(ticket));
  });

  it('is then put in the live queue by the route job without a write to the ticket, with one SLA job per check', async () => {
    const ticket = await create({ subject: 'Reclamo por demora', serviceCode: 'atencion.libro_reclamaciones' });
    const stored = await api.ctx.store.tickets.get(ticket._id);
    const sla = api.ctx.queues.queue('sla');
    // Only the route job schedules the checks: none exist while no worker runs.
    for (const kind of SLA_CHECK_KINDS) expect(await sla.getJob(`sla:${ticket._id}:${kind}`), kind).to.equal(undefined);

    const worker = await startSystem({ ...env, ROLE: 'worker' }, { log: testLog, queuePrefix: prefix });
    try {
      await settle(worker.ctx.queues, ['route', 'assign']);
      const routed = await worker.ctx.store.tickets.get(ticket._id);
      expect(routed?.status).to.equal('en_cola');
      expect(routed).to.deep.include({ type: 'reclamo', unitCode: 'GDVAC', queue: 'reclamaciones', serviceCode: 'atencion.libro_reclamaciones' });
      expect(routed?.sla).to.deep.equal(stored?.sla);
      expect(routed?.version, 'the route job writes nothing to the ticket').to.equal(stored?.version);
      expect((await worker.ctx.store.ticketEvents.list(ticket._id)).map((event) => event.type)).to.deep.equal(['created', 'routed']);

      // Routing and starting the clock again (a retried job, the reconciliation) change nothing and add no job.
      expect(await routeTicket(worker.ctx, ticket._id)).to.equal('routed');
      await startSla(worker.ctx, ticket._id, new Date());
      expect((await worker.ctx.store.tickets.get(ticket._id))?.sla).to.deep.equal(stored?.sla);
      const jobs = (await sla.getJobs(['delayed', 'waiting', 'prioritized', 'active'])).filter((job) => job.id?.startsWith(`sla:${ticket._id}:`));
      const scheduled = jobs.map((job) => {
        const payload = JOBS['sla.check'].payload.parse(job.data);
        return [job.id, payload.kind, payload.dueAt];
      });
      const wanted = stored?.sla ? pendingSlaChecks(stored.sla, 'en_cola') : {};
      expect(Object.keys(wanted)).to.have.length.greaterThan(0);
      expect(scheduled.sort()).to.deep.equal(
        Object.entries(wanted)
          .map(([kind, due]) => [`sla:${ticket._id}:${kind}`, kind, due.toISOString()])
          .sort(),
      );
    } finally {
      await worker.stop();
    }
  });
});
