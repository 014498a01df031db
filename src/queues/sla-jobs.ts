/**
 * The delayed `sla.check` jobs of tickets (BullMQ). Jobs only wake the SLA service up: what a check records is
 * decided from the ticket when it runs, so a job that could not be removed in time is stale and does nothing.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { SLA_CHECK_KINDS, type SlaCheckKind } from '../domain/sla-policy.js';
import { AppError } from '../errors.js';
import { JOBS } from './jobs.js';
import type { QueueSet } from './producer.js';

// A check job that is running cannot be removed; it finishes in milliseconds (one read, one guarded update, a few
// inserts), so waiting for it is simpler and safer than leaving two schedules around.
const ACTIVE_JOB_WAIT_MS = 10_000;
const ACTIVE_JOB_POLL_MS = 50;

/** The due date of each check a ticket needs; a kind left out has no job. */
export type WantedChecks = Partial<Record<SlaCheckKind, Date>>;

/** States in which a job will still run (or is running) for the due date it carries. */
const LIVE_STATES: ReadonlySet<string> = new Set(['delayed', 'waiting', 'prioritized', 'active']);

/**
 * Every BullMQ call of the SLA. One job per ticket and kind, id `sla:<ticketId>:<kind>`. BullMQ ignores an `add`
 * whose id exists in any state, so a moved due date means remove, then add; a running job cannot be removed, so
 * removal waits for it to finish.
 */
export function createSlaJobs(queues: QueueSet) {
  const queue = queues.queue('sla');
  const jobIdOf = (ticketId: string, kind: SlaCheckKind): string => `sla:${ticketId}:${kind}`;

  async function scheduled(jobId: string): Promise<{ dueAt: string | undefined; live: boolean } | undefined> {
    const job = await queue.getJob(jobId);
    if (!job) return undefined;
    const payload = JOBS['sla.check'].payload.safeParse(job.data);
    return { dueAt: payload.success ? payload.data.dueAt : undefined, live: LIVE_STATES.has(await job.getState()) };
  }

  async function remove(jobId: string): Promise<void> {
    const deadline = Date.now() + ACTIVE_JOB_WAIT_MS;
    for (;;) {
      // 1: removed or absent; 0: locked by the worker running it.
      const code = await queue.remove(jobId);
      if (code === 1) return;
      if (code !== 0) throw new Error(`BullMQ refused to remove job ${jobId} (code ${code})`);
      if (Date.now() >= deadline) {
        throw new AppError('SERVICE_UNAVAILABLE', 'An SLA check of this ticket is still running; try again.');
      }
      await sleep(ACTIVE_JOB_POLL_MS);
    }
  }

  return {
    /**
     * Makes the jobs of a ticket exactly `wanted`: missing ones added, moved ones replaced, others removed. Returns
     * how many jobs it added or removed.
     */
    async apply(ticketId: string, wanted: WantedChecks): Promise<number> {
      let changes = 0;
      for (const kind of SLA_CHECK_KINDS) {
        const jobId = jobIdOf(ticketId, kind);
        const due = wanted[kind];
        const current = await scheduled(jobId);
        if (due === undefined) {
          if (current) {
            await remove(jobId);
            changes++;
          }
          continue;
        }
        const dueAt = due.toISOString();
        if (current?.live === true && current.dueAt === dueAt) continue;
        if (current) await remove(jobId);
        changes++;
        await queues.enqueue(
          'sla.check',
          { ticketId, kind, dueAt },
          // A finished check has nothing to tell, and its key would block the next schedule with the same id.
          { jobId, delay: Math.max(0, due.getTime() - Date.now()), removeOnComplete: true },
        );
      }
      return changes;
    },

    /**
     * Adds the jobs of `wanted` without looking at what is there: BullMQ ignores an `add` whose id exists, so a job
     * already scheduled (by a concurrent change, or an earlier attempt) stays as it is. For a ticket that has no
     * jobs yet; one add per check, no reads.
     */
    async addNew(ticketId: string, wanted: WantedChecks): Promise<void> {
      for (const kind of SLA_CHECK_KINDS) {
        const due = wanted[kind];
        if (due === undefined) continue;
        await queues.enqueue(
          'sla.check',
          { ticketId, kind, dueAt: due.toISOString() },
          { jobId: jobIdOf(ticketId, kind), delay: Math.max(0, due.getTime() - Date.now()), removeOnComplete: true },
        );
      }
    },

    /** Whether Redis holds exactly `wanted` for the ticket (an `add` may have lost a race to another). */
    async matches(ticketId: string, wanted: WantedChecks): Promise<boolean> {
      for (const kind of SLA_CHECK_KINDS) {
        const current = await scheduled(jobIdOf(ticketId, kind));
        const due = wanted[kind];
        if (due === undefined ? current !== undefined : current?.live !== true || current.dueAt !== due.toISOString()) {
          return false;
        }
      }
      return true;
    },
  };
}
