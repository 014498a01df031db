import { reconcileLiveState, settleLiveState } from '../src/services/assignment/index.js';
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
};
