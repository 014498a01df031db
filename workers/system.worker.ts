import { READ_INDEX_BATCHES_PER_JOB } from '../src/queues/jobs.js';
import { reconcileLiveState, settleLiveState } from '../src/services/assignment/index.js';
import { rebuildReadIndexStep, reconcileReadIndex } from '../src/services/read-index/index.js';
import { purgeExpiredRefreshTokens } from '../src/services/staff/index.js';
import type { QueueHandlers } from './handler.js';

/** Handlers of the `system` queue. */
export const systemHandlers: QueueHandlers<'system'> = {
  'system.heartbeat': async (_payload, ctx) => {
    await ctx.heartbeats.record(ctx.instanceId, new Date());
  },
  'system.maintenance': async (_payload, ctx) => {
    const purged = await purgeExpiredRefreshTokens(ctx);
    if (purged > 0) ctx.log.info({ purged }, 'expired refresh tokens deleted');
  },
  'system.live-reconcile': async ({ full }, ctx) => {
    const report = await (full ? reconcileLiveState(ctx) : settleLiveState(ctx));
    if (report.rebuilt || report.staleClaims + report.requeued + report.dropped > 0) ctx.log.info(report, 'live routing state reconciled');
  },
  'system.read-index': async ({ step }, ctx) => {
    if (step === 'reconcile') {
      const report = await reconcileReadIndex(ctx);
      if (report.referrals + report.written + report.moved > 0) ctx.log.info(report, 'read index reconciled');
      return;
    }
    const run = await rebuildReadIndexStep(ctx, { batches: READ_INDEX_BATCHES_PER_JOB });
    ctx.log.info({ phase: run.phase, processed: run.processed, changed: run.changed }, run.finishedAt ? 'read index rebuilt' : 'read index rebuild under way');
    if (!run.finishedAt) await ctx.queues.enqueue('system.read-index', { step: 'rebuild' }, { jobId: `read-index-${String(run.startedAt.getTime())}-${String(run.processed)}` });
  },
};
