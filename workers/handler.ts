import type { Job } from 'bullmq';
import type { JOBS, JobName, JobPayload, QueueName } from '../src/queues/jobs.js';
import type { AppContext } from '../src/services/context/index.js';

/**
 * What a worker is made of: one handler per job. The registry has checked the payload against the job's schema before
 * a handler runs, so a handler only calls one use case with it.
 */
export type JobHandler<N extends JobName> = (payload: JobPayload<N>, ctx: AppContext, job: Job) => Promise<void>;

type JobsOfQueue<Q extends QueueName> = { [N in JobName]: (typeof JOBS)[N]['queue'] extends Q ? N : never }[JobName];

/** The handlers a `<queue>.worker.ts` exports: exactly one per job of that queue. */
export type QueueHandlers<Q extends QueueName> = { [N in JobsOfQueue<Q>]: JobHandler<N> };

export type HandlerRegistry = { [N in JobName]: JobHandler<N> };
