import { z } from 'zod';

/** BullMQ queue names. One worker per queue; a queue may carry several job names. */
export const QUEUE_NAMES = ['system'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/**
 * Every job the system runs: its queue and the schema of its payload. Payloads carry ids and small values,
 * never whole documents. Workers refuse a payload that does not match (permanently: retrying cannot fix it).
 */
export const JOBS = {
  /** Workers record that they are alive; `/ready` and supervisors read it. Repeats every 30 s. */
  'system.heartbeat': {
    queue: 'system',
    payload: z.object({}).strict(),
  },
} as const satisfies Record<string, { queue: QueueName; payload: z.ZodType }>;

export type JobName = keyof typeof JOBS;
export type JobPayload<N extends JobName> = z.infer<(typeof JOBS)[N]['payload']>;

/** Retry and retention defaults for every job; a job overrides only with a reason. */
export const DEFAULT_JOB_OPTIONS = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
} as const;

export const HEARTBEAT_EVERY_MS = 30_000;
