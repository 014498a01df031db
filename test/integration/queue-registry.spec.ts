import { expect } from 'chai';
import { QueueEvents } from 'bullmq';
import { JOBS } from '../../src/queues/jobs.js';
import { startSystem, type RunningSystem } from '../../src/system.js';
import { assertRegistryComplete, HANDLERS, RegistryError, type HandlerRegistry } from '../../workers/registry.js';
import { testEnv, testLog, uniqueName } from '../support/services.js';

describe('queues and the worker registry on real Redis', () => {
  let system: RunningSystem;
  let events: QueueEvents;
  const prefix = uniqueName(import.meta.filename);

  before(async () => {
    system = await startSystem(await testEnv(import.meta.filename, { ROLE: 'worker' }), { log: testLog, queuePrefix: prefix });
    events = new QueueEvents('system', { connection: { url: system.ctx.env.REDIS_URL ?? '' }, prefix });
    await events.waitUntilReady();
  });

  after(async () => {
    await events.close();
    await system.stop();
  });

  it('runs an enqueued job through its registered handler', async () => {
    const jobId = await system.ctx.queues.enqueue('system.heartbeat', {}, { jobId: 'beat-test-1' });
    const job = await system.ctx.queues.queue('system').getJob(jobId);
    await job?.waitUntilFinished(events, 15_000);
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
    let failure: unknown;
    try {
      await job.waitUntilFinished(events, 15_000);
    } catch (err) {
      failure = err;
    }
    expect(String(failure)).to.contain('invalid payload for system.heartbeat');
    const after = await system.ctx.queues.queue('system').getJob('bad-payload');
    expect(after?.attemptsMade).to.equal(1);
    expect(await after?.getState()).to.equal('failed');
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
