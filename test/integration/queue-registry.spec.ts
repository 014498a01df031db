import { QueueEvents, type Job } from 'bullmq';
import { expect } from 'chai';
import { AppError } from '../../src/errors.js';
import { JOBS, type QueueName } from '../../src/queues/jobs.js';
import { assignTo } from '../../src/services/assignment/index.js';
import type { Actor, AppContext } from '../../src/services/context/index.js';
import { setPresence } from '../../src/services/staff/index.js';
import type { TicketRepository } from '../../src/store/ticket.repository.js';
import { startSystem, type RunningSystem } from '../../src/system.js';
import type { HandlerRegistry } from '../../workers/handler.js';
import { assertRegistryComplete, HANDLERS, RegistryError } from '../../workers/registry.js';
import { seedStaff, seedTicket } from '../support/seed.js';
import { testEnv, testLog, uniqueName } from '../support/services.js';
import { eventually } from '../support/wait.js';

/**
 * What the router meets on a contested first attempt: right after each of its reads of a ticket that has an SLA,
 * a second writer commits new due dates on that ticket (as a concurrent change of the clock would), so the
 * router's SLA scheduling never reads the same dates twice in a row and gives up with the catalogue's CONFLICT.
 */
function withSlaRival(ctx: AppContext): AppContext {
  const tickets: TicketRepository = {
    ...ctx.store.tickets,
    async get(id) {
      const ticket = await ctx.store.tickets.get(id);
      const due = ticket?.sla?.resolutionDueAt;
      if (ticket?.sla && due) {
        await ctx.store.ticketSla.replace(ticket._id, ticket.version, { ...ticket.sla, resolutionDueAt: new Date(due.getTime() + 60_000) });
      }
      return ticket;
    },
  };
  return { ...ctx, store: { ...ctx.store, tickets } };
}

const SUPERVISOR: Actor = { kind: 'staff', id: 'supervisor', roles: ['supervisor'], units: ['SGRC'] };

const SYSTEM: Actor = { kind: 'system' };

describe('queues and the worker registry on real Redis', () => {
  let system: RunningSystem;
  const events = new Map<QueueName, QueueEvents>();
  const prefix = uniqueName(import.meta.filename);
  /** Tickets whose first routing attempt runs against a rival writer (see withSlaRival). */
  const contested = new Set<string>();
  /** What the first routing attempt of a contested ticket threw. */
  const firstAttemptErrors = new Map<string, unknown>();
  /** Tickets whose assignment job runs the supervisor's hand-over to this agent instead of the automatic search. */
  const handOvers = new Map<string, string>();

  /** The real handlers; the route and assign jobs of the tickets named above run through the same use-cases. */
  const handlers: HandlerRegistry = {
    ...HANDLERS,
    'route.ticket': async (payload, ctx, job) => {
      if (!contested.has(payload.ticketId) || job.attemptsMade > 0) {
        await HANDLERS['route.ticket'](payload, ctx, job);
        return;
      }
      try {
        await HANDLERS['route.ticket'](payload, withSlaRival(ctx), job);
      } catch (err) {
        firstAttemptErrors.set(payload.ticketId, err);
        throw err;
      }
    },
    'assign.ticket': async (payload, ctx, job) => {
      const staffId = handOvers.get(payload.ticketId);
      const ticket = staffId === undefined ? null : await ctx.store.tickets.get(payload.ticketId);
      if (staffId === undefined || !ticket) {
        await HANDLERS['assign.ticket'](payload, ctx, job);
        return;
      }
      await assignTo(ctx, SUPERVISOR, ticket, staffId);
    },
  };

  async function finished(queue: QueueName, job: Job): Promise<unknown> {
    const queueEvents = events.get(queue);
    if (!queueEvents) throw new Error(`no events for queue ${queue}`);
    try {
      await job.waitUntilFinished(queueEvents, 15_000);
      return undefined;
    } catch (err) {
      return err;
    }
  }

  before(async () => {
    system = await startSystem(await testEnv(import.meta.filename, { ROLE: 'worker' }), { log: testLog, queuePrefix: prefix, handlers });
    for (const queue of ['system', 'route', 'assign'] as const) {
      const queueEvents = new QueueEvents(queue, { connection: { url: system.ctx.env.REDIS_URL ?? '' }, prefix });
      await queueEvents.waitUntilReady();
      events.set(queue, queueEvents);
    }
  });

  after(async () => {
    for (const queueEvents of events.values()) await queueEvents.close();
    await system.stop();
  });

  it('runs an enqueued job through its registered handler', async () => {
    const jobId = await system.ctx.queues.enqueue('system.heartbeat', {}, { jobId: 'beat-test-1' });
    const job = await system.ctx.queues.queue('system').getJob(jobId);
    if (!job) throw new Error('the heartbeat job vanished');
    expect(await finished('system', job)).to.equal(undefined);
    const beats = await system.ctx.heartbeats.list(new Date());
    expect(beats.map((b) => b.instanceId)).to.include(system.ctx.instanceId);
    expect(beats.find((b) => b.instanceId === system.ctx.instanceId)?.alive).to.equal(true);
  });

  it('refuses an invalid payload before it reaches Redis', async () => {
    const queue = system.ctx.queues.queue('system');
    const before = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
    let error: unknown;
    try {
      await system.ctx.queues.enqueue('system.heartbeat', { extra: 1 } as never);
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(Error);
    expect(await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed')).to.deep.equal(before);
  });

  it('fails a job with a payload that bypassed the producer once, without retries', async () => {
    const job = await system.ctx.queues.queue('system').add('system.heartbeat', { extra: true }, { jobId: 'bad-payload', attempts: 5 });
    const failure = await finished('system', job);
    expect(String(failure)).to.contain('invalid payload for system.heartbeat');
    const after = await system.ctx.queues.queue('system').getJob('bad-payload');
    expect(after?.attemptsMade).to.equal(1);
    expect(await after?.getState()).to.equal('failed');
  });

  it('retries a routing job that lost a race (CONFLICT) until the ticket is routed and assigned', async () => {
    const { ctx } = system;
    const agent = await seedStaff(ctx.store, { units: ['SGRC'] });
    await setPresence(ctx, SYSTEM, agent._id.toString(), 'available');
    const ticket = await seedTicket(ctx.store, { routingHint: { serviceCode: 'registro_civil.partidas' } });
    const id = ticket._id.toString();
    contested.add(id);
    // As intake enqueues it (job id = ticket id, default attempts); a short backoff only keeps the test quick.
    await ctx.queues.enqueue('route.ticket', { ticketId: id }, { jobId: id, backoff: { type: 'fixed', delay: 50 } });
    const job = await ctx.queues.queue('route').getJob(id);
    if (!job) throw new Error('the routing job vanished');

    expect(await finished('route', job)).to.equal(undefined);
    const lost = firstAttemptErrors.get(id);
    expect(lost).to.be.instanceOf(AppError);
    expect(lost).to.include({ code: 'CONFLICT', retryable: true });
    const done = await ctx.queues.queue('route').getJob(id);
    expect(done?.attemptsMade).to.equal(2);
    expect(await done?.getState()).to.equal('completed');
    const assigned = await eventually(async () => {
      const now = await ctx.store.tickets.get(id);
      return now?.status === 'asignado' && now;
    }, 'the ticket to be assigned');
    expect(assigned.assigneeId?.toString()).to.equal(agent._id.toString());
    expect(assigned.unitCode).to.equal('SGRC');
    expect(assigned.sla?.resolutionDueAt).to.be.instanceOf(Date);
  });

  it('fails a job after one attempt when its use-case refuses with a permanent catalogue error', async () => {
    const { ctx } = system;
    const agent = await seedStaff(ctx.store, { units: ['SGRC'], autoAssign: false });
    const ticket = await seedTicket(ctx.store, { unitCode: 'SGRC', status: 'resuelto' });
    const id = ticket._id.toString();
    handOvers.set(id, agent._id.toString());
    const jobId = await ctx.queues.enqueue('assign.ticket', { ticketId: id }, { jobId: `hand-over-${id}`, backoff: { type: 'fixed', delay: 50 } });
    const job = await ctx.queues.queue('assign').getJob(jobId);
    if (!job) throw new Error('the assignment job vanished');

    const failure = await finished('assign', job);
    const failed = await ctx.queues.queue('assign').getJob(jobId);
    expect(failed?.opts.attempts).to.be.above(1);
    expect(failed?.attemptsMade).to.equal(1);
    expect(await failed?.getState()).to.equal('failed');
    expect(String(failure)).to.contain('ILLEGAL_TRANSITION');
    expect((await ctx.store.tickets.get(id))?.status).to.equal('resuelto');
  });

  it('fails at boot when a declared job has no handler', () => {
    const incomplete: Partial<HandlerRegistry> = {};
    expect(() => { assertRegistryComplete(incomplete); }).to.throw(RegistryError, `jobs without a handler: ${Object.keys(JOBS).join(', ')}`);
    expect(() => { assertRegistryComplete({ ...HANDLERS, 'ghost.job': async () => {} }); }).to.throw(RegistryError, 'handlers for undeclared jobs: ghost.job');
    expect(() => { assertRegistryComplete(HANDLERS); }).not.to.throw();
  });

  it('refuses to start workers with an incomplete registry', async () => {
    let error: unknown;
    try {
      await startSystem(await testEnv(import.meta.filename, { ROLE: 'worker' }), {
        log: testLog,
        queuePrefix: `${prefix}_x`,
        handlers: {} as HandlerRegistry,
      });
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(RegistryError);
  });
});
