import { expect } from 'chai';
import { JOBS, SLA_RECONCILE_EVERY_MS } from '../../src/queues/jobs.js';
import type { AppContext } from '../../src/services/context/index.js';
import { reconcileSla, startSla } from '../../src/services/sla/index.js';
import type { NewTicket, Ticket } from '../../src/store/ticket.repository.js';
import { startSystem, type RunningSystem } from '../../src/system.js';
import { seedTicket } from '../support/seed.js';
import { testEnv, testLog, uniqueName } from '../support/services.js';
import { eventually } from '../support/wait.js';

const KINDS = ['first_response', 'at_risk', 'resolution'] as const;

/** What most tests here need: a report being worked on in Fiscalización. */
const CASE = {
  type: 'denuncia',
  unitCode: 'SGF',
  subject: 'Construcción sin licencia en la cuadra 5',
  status: 'en_atencion',
} as const satisfies Partial<NewTicket>;

describe('SLA reconciliation: lost checks come back, a routed ticket without SLA gets one (FerretDB + Redis)', () => {
  let system: RunningSystem;
  let ctx: AppContext;

  async function current(id: string): Promise<Ticket> {
    const ticket = await ctx.store.tickets.get(id);
    if (!ticket) throw new Error(`ticket ${id} vanished`);
    return ticket;
  }

  /** The SLA check jobs of a ticket, by kind, with the instant each is scheduled to run. */
  async function slaJobsOf(id: string): Promise<Record<string, { state: string; dueAt: string; runsAt: number }>> {
    const queue = ctx.queues.queue('sla');
    const found: Record<string, { state: string; dueAt: string; runsAt: number }> = {};
    for (const kind of KINDS) {
      const job = await queue.getJob(`sla:${id}:${kind}`);
      if (!job) continue;
      const payload = JOBS['sla.check'].payload.parse(job.data);
      found[kind] = { state: await job.getState(), dueAt: payload.dueAt, runsAt: job.timestamp + (job.opts.delay ?? 0) };
    }
    return found;
  }

  /** What a crash or a Redis blip leaves behind: the ticket's dates are stored, its jobs are gone. */
  async function loseJobs(id: string): Promise<void> {
    for (const kind of KINDS) await ctx.queues.queue('sla').remove(`sla:${id}:${kind}`);
    expect(await slaJobsOf(id)).to.deep.equal({});
  }

  function expectScheduledFor(jobs: Awaited<ReturnType<typeof slaJobsOf>>, ticket: Ticket): void {
    const due = { first_response: ticket.sla?.firstResponseDueAt, at_risk: ticket.sla?.atRiskAt, resolution: ticket.sla?.resolutionDueAt };
    expect(Object.keys(jobs).sort()).to.deep.equal([...KINDS].sort());
    for (const kind of KINDS) {
      const job = jobs[kind];
      expect(job?.state, kind).to.equal('delayed');
      expect(job?.dueAt, kind).to.equal(due[kind]?.toISOString());
      // Delayed until the due date itself, not by a stale or default delay.
      expect(Math.abs((job?.runsAt ?? 0) - (due[kind]?.getTime() ?? 0)), kind).to.be.below(5_000);
    }
  }

  before(async () => {
    system = await startSystem(await testEnv(import.meta.filename, { ROLE: 'worker' }), { log: testLog, queuePrefix: uniqueName(import.meta.filename) });
    ctx = system.ctx;
    // The scheduler runs the job once at start; let that run finish, so the tests see only their own repairs.
    await eventually(async () => {
      const counts = await ctx.queues.queue('sla').getJobCounts('waiting', 'active', 'prioritized', 'completed', 'failed');
      const count = (state: string): number => counts[state] ?? 0;
      return count('waiting') + count('active') + count('prioritized') === 0 && count('completed') + count('failed') > 0;
    }, 'the first scheduled reconcile to finish');
  });

  after(async () => {
    await ctx.queues.queue('sla').obliterate({ force: true });
    await ctx.store.connection.dropDatabase();
    await system.stop();
  });

  it('re-adds missing checks with their delays, replaces a stale one, removes a stray one and runs an overdue one', async () => {
    const lost = await seedTicket(ctx.store, CASE);
    const lostId = lost._id.toString();
    await startSla(ctx, lostId, new Date());
    const lostTicket = await current(lostId);
    await loseJobs(lostId);

    const stale = await seedTicket(ctx.store, CASE);
    const staleId = stale._id.toString();
    await startSla(ctx, staleId, new Date());
    const staleTicket = await current(staleId);
    await ctx.queues.queue('sla').remove(`sla:${staleId}:resolution`);
    const wrongDue = new Date(Date.now() + 3_600_000).toISOString();
    await ctx.queues.enqueue('sla.check', { ticketId: staleId, kind: 'resolution', dueAt: wrongDue }, { jobId: `sla:${staleId}:resolution`, delay: 3_600_000 });

    // Paused: it needs no check, yet one was left behind.
    const paused = await seedTicket(ctx.store, { ...CASE, status: 'esperando_vecino' });
    const pausedId = paused._id.toString();
    await startSla(ctx, pausedId, new Date());
    await ctx.queues.enqueue('sla.check', { ticketId: pausedId, kind: 'resolution', dueAt: wrongDue }, { jobId: `sla:${pausedId}:resolution`, delay: 3_600_000 });

    // The SLA was stored, then the process died before scheduling: the due dates have passed since.
    const overdue = await seedTicket(ctx.store, CASE);
    const overdueId = overdue._id.toString();
    const past = (minutes: number) => new Date(Date.now() - minutes * 60_000);
    await ctx.store.ticketSla.start(overdueId, { policy: 'denuncia', startedAt: past(600), pauses: [], firstResponseDueAt: past(300), atRiskAt: past(120), resolutionDueAt: past(60) });

    const closed = await seedTicket(ctx.store, { ...CASE, status: 'resuelto' });
    await ctx.store.ticketSla.start(closed._id.toString(), { policy: 'denuncia', startedAt: past(600), pauses: [], resolutionDueAt: past(60) });

    // Small pages: the scan must carry on from page to page.
    const report = await reconcileSla(ctx, { batchSize: 2 });
    expect(report.scanned).to.equal(4);
    expect(report.failed).to.equal(0);
    expect(report.jobsChanged).to.be.at.least(3 + 1 + 1);

    expectScheduledFor(await slaJobsOf(lostId), lostTicket);
    expectScheduledFor(await slaJobsOf(staleId), staleTicket);
    expect(await slaJobsOf(pausedId)).to.deep.equal({});
    const breached = await eventually(async () => {
      const ticket = await current(overdueId);
      return ticket.sla?.breachedAt !== undefined && ticket.sla.firstResponseBreachedAt !== undefined && ticket;
    }, 'the overdue checks to run');
    expect(breached.sla?.breachedAt?.getTime()).to.be.at.least(breached.sla?.resolutionDueAt?.getTime() ?? Infinity);
    expect((await ctx.store.ticketEvents.list(overdueId)).filter((event) => event.type === 'sla_breached')).to.have.length(1);
    expect(await slaJobsOf(closed._id.toString())).to.deep.equal({});

    // Nothing left to repair: a second run changes nothing.
    await eventually(async () => Object.keys(await slaJobsOf(overdueId)).length === 0, 'the finished checks to be gone');
    expect((await reconcileSla(ctx)).jobsChanged).to.equal(0);
  });

  it('starts the SLA, from the filing, of a routed ticket that never got one; leaves a new ticket to routing', async () => {
    const queued = await seedTicket(ctx.store, { ...CASE, status: 'en_cola', queue: 'general', enqueuedAt: new Date() });
    const queuedId = queued._id.toString();
    const referred = await seedTicket(ctx.store, { ...CASE, status: 'derivado' });
    const fresh = await seedTicket(ctx.store, { ...CASE, status: 'nuevo' });

    const report = await reconcileSla(ctx);
    expect(report.started).to.equal(2);

    for (const ticket of [queued, referred]) {
      const after = await current(ticket._id.toString());
      expect(after.sla?.policy).to.equal('denuncia');
      expect(after.sla?.startedAt).to.deep.equal(ticket.createdAt);
      expectScheduledFor(await slaJobsOf(ticket._id.toString()), after);
    }
    expect((await current(queuedId)).status).to.equal('en_cola');
    expect((await current(fresh._id.toString())).sla).to.equal(undefined);
    expect(await slaJobsOf(fresh._id.toString())).to.deep.equal({});
  });

  it('runs every few minutes as the sla.reconcile job, through its worker', async () => {
    const scheduler = await ctx.queues.queue('sla').getJobScheduler('sla.reconcile');
    expect(scheduler?.every).to.equal(SLA_RECONCILE_EVERY_MS);

    const ticket = await seedTicket(ctx.store, CASE);
    const id = ticket._id.toString();
    await startSla(ctx, id, new Date());
    const started = await current(id);
    await loseJobs(id);
    await ctx.queues.enqueue('sla.reconcile', {});
    const jobs = await eventually(async () => {
      const found = await slaJobsOf(id);
      return Object.keys(found).length === 3 && found;
    }, 'the reconcile job to restore the checks');
    expectScheduledFor(jobs, started);
  });
});
