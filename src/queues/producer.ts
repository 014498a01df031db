import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../logging.js';
import { DEFAULT_JOB_OPTIONS, JOBS, QUEUE_NAMES, type JobInput, type JobName, type QueueName } from './jobs.js';

export interface QueueSet {
  readonly prefix: string;
  queue(name: QueueName): Queue;
  /** Validates the payload against its schema before it reaches Redis, then adds the job. */
  enqueue<N extends JobName>(name: N, payload: JobInput<N>, options?: JobsOptions): Promise<string>;
  /** Whether the job with this id is still to run (waiting, delayed or running), as opposed to done or absent. */
  isPending(queue: QueueName, jobId: string): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Producers for every queue, sharing one connection. `prefix` namespaces all keys (tests use a unique one per
 * file; production keeps the default).
 */
export function createQueues(connection: Redis, log: Logger, prefix = 'mcc'): QueueSet {
  const queues = new Map<QueueName, Queue>(
    QUEUE_NAMES.map((name) => {
      const queue = new Queue(name, { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
      queue.on('error', (err: Error) => {
        log.warn({ queue: name, err: err.message }, 'queue error');
      });
      return [name, queue];
    }),
  );
  const get = (name: QueueName): Queue => {
    const queue = queues.get(name);
    if (!queue) throw new Error(`unknown queue ${name}`);
    return queue;
  };
  return {
    prefix,
    queue: get,
    async enqueue(name, payload, options) {
      const definition = JOBS[name];
      const data = definition.payload.parse(payload);
      const job = await get(definition.queue).add(name, data, options);
      return job.id ?? '';
    },
    async isPending(queue, jobId) {
      const job = await get(queue).getJob(jobId);
      if (!job) return false;
      return ['waiting', 'delayed', 'active', 'prioritized', 'waiting-children'].includes(await job.getState());
    },
    async close() {
      await Promise.all([...queues.values()].map((q) => q.close()));
    },
  };
}
