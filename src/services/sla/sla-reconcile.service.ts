import { WAITING_STATUSES } from '../../domain/ticket-lifecycle.js';
import { isAppError } from '../../errors.js';
import { queueTicket } from '../assignment/index.js';
import type { AppContext } from '../context/index.js';
import { startSla, syncSlaJobs } from './sla.service.js';

// Tickets read per store round trip; each then costs a few Redis calls, so a page is quick.
const DEFAULT_BATCH_SIZE = 100;

export interface SlaReconcileReport {
  /** Open tickets looked at. */
  scanned: number;
  /** SLA check jobs added, replaced or removed to match the tickets. */
  jobsChanged: number;
  /** Queued tickets whose SLA had never started. */
  started: number;
  /** Tickets that could not be repaired this time (logged; the next run tries again). */
  failed: number;
}

/**
 * Brings Redis in line with the SLA state stored on tickets, for the cases where the status change committed but
 * the SLA step after it did not (a crash, a Redis blip): otherwise such a ticket would never be warned about or
 * recorded as breached. It reads the open tickets (from the open-ticket index) page by page in `_id` order and
 * - for a ticket with an SLA, makes its `sla.check` jobs exactly what its dates call for (the same routine every
 *   SLA change uses): a missing job is added, a stale or failed one replaced, an overdue one runs at once;
 * - for a ticket waiting in a queue without an SLA (routed, then the SLA never started), finishes routing: the
 *   clock starts from the filing, as routing would have started it, and a queued ticket is offered to agents.
 * Safe to run at any time and concurrently with everything else: each step is idempotent and converges on the
 * ticket's latest state. A failure on one ticket does not stop the scan; if any was worth retrying soon (an
 * unavailable dependency) it throws at the end, so the job is retried before its next scheduled run.
 */
export async function reconcileSla(ctx: AppContext, options: { batchSize?: number } = {}): Promise<SlaReconcileReport> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const report: SlaReconcileReport = { scanned: 0, jobsChanged: 0, started: 0, failed: 0 };
  let retryable = false;
  let afterId: string | undefined;
  for (;;) {
    const page = await ctx.store.ticketSla.listForReconcile(afterId, batchSize);
    for (const ticket of page.items) {
      report.scanned++;
      try {
        if (ticket.hasSla) {
          report.jobsChanged += await syncSlaJobs(ctx, ticket.id);
        } else {
          const started = await startSla(ctx, ticket.id, ticket.createdAt);
          if (ticket.status === 'en_cola' && WAITING_STATUSES.includes(started.status)) await queueTicket(ctx, started);
          report.started++;
        }
      } catch (err) {
        report.failed++;
        if (!isAppError(err) || err.retryable) retryable = true;
        ctx.log.warn({ ticketId: ticket.id, err: err instanceof Error ? err.message : String(err) }, 'SLA reconcile could not repair a ticket');
      }
    }
    if (page.cursor === undefined) break;
    afterId = page.cursor;
  }
  if (retryable) throw new Error(`SLA reconcile left ${report.failed} ticket(s) unrepaired`);
  return report;
}
