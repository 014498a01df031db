import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { isAppError } from '../src/errors.js';
import { JOBS, QUEUE_NAMES, WORKER_CONCURRENCY, type JobName, type QueueName } from '../src/queues/jobs.js';
import type { AppContext } from '../src/services/context/index.js';
import { assignHandlers } from './assign.worker.js';
import { channelHandlers } from './channel.worker.js';
import type { HandlerRegistry } from './handler.js';
import { realtimeHandlers } from './realtime.worker.js';
import { routeHandlers } from './route.worker.js';
import { slaHandlers } from './sla.worker.js';
import { systemHandlers } from './system.worker.js';

/** Every job name mapped to its handler. */
export const HANDLERS: HandlerRegistry = {
  ...systemHandlers,
  ...channelHandlers,
  ...routeHandlers,
  ...assignHandlers,
  ...slaHandlers,
  ...realtimeHandlers,
};

export class RegistryError extends Error {
  override name = 'RegistryError';
}

/**
 * Fails at boot, not at the first job, when a declared job has no handler or a handler has no declared job.
 * The type system already demands this; the check covers registries assembled at run time.
 */
export function assertRegistryComplete(handlers: Readonly<Record<string, unknown>>): void {
  const declared = Object.keys(JOBS);
  const missing = declared.filter((name) => typeof handlers[name] !== 'function');
  const unknown = Object.keys(handlers).filter((name) => !declared.includes(name));
  if (missing.length > 0 || unknown.length > 0) {
    throw new RegistryError(
      [
        missing.length > 0 ? `jobs without a handler: ${missing.join(', ')}` : '',
        unknown.length > 0 ? `handlers for undeclared jobs: ${unknown.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('; '),
    );
  }
}

function isJobName(name: string): name is JobName {
  return Object.hasOwn(JOBS, name);
}

async function dispatch(job: Job, ctx: AppContext, handlers: HandlerRegistry): Promise<void> {
  if (!isJobName(job.name)) throw new UnrecoverableError(`unknown job ${job.name}`);
  const parsed = JOBS[job.name].payload.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`invalid payload for ${job.name}: ${parsed.error.message}`);
  // Sound: the payload was just validated by the schema declared for this very job name.
  const handler = handlers[job.name] as unknown as (payload: unknown, ctx: AppContext, job: Job) => Promise<void>;
  try {
    await handler(parsed.data, ctx, job);
  } catch (err) {
    // The catalogue entry decides: a lost race (CONFLICT) or an unavailable dependency gets BullMQ's retries with
    // backoff; not found, illegal transition or invalid input would fail the same way every time. Errors outside
    // the catalogue (a driver or network failure) are retried too.
    if (isAppError(err) && !err.retryable) throw new UnrecoverableError(`${err.code}: ${err.message}`);
    throw err;
  }
}

export interface WorkerSet {
  close(): Promise<void>;
}

/** One BullMQ worker per queue, each dispatching by job name through the registry. */
export function startWorkers(
  ctx: AppContext,
  connection: Redis,
  handlers: HandlerRegistry = HANDLERS,
  concurrency: Partial<Record<QueueName, number>> = {},
): WorkerSet {
  assertRegistryComplete(handlers);
  const workers = QUEUE_NAMES.map((queue) => {
    const worker = new Worker(queue, (job) => dispatch(job, ctx, handlers), {
      connection,
      prefix: ctx.queues.prefix,
      concurrency: concurrency[queue] ?? WORKER_CONCURRENCY[queue],
    });
    worker.on('error', (err: Error) => {
      ctx.log.warn({ queue, err: err.message }, 'worker error');
    });
    worker.on('failed', (job, err) => {
      ctx.log.warn({ queue, job: job?.name, jobId: job?.id, attempts: job?.attemptsMade, err: err.message }, 'job failed');
    });
    return worker;
  });
  return {
    async close() {
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}
