import { handleSlaCheck, reconcileSla } from '../src/services/sla/index.js';
import type { QueueHandlers } from './handler.js';

/** Handlers of the `sla` queue. */
export const slaHandlers: QueueHandlers<'sla'> = {
  'sla.check': (payload, ctx) => handleSlaCheck(ctx, payload),
  'sla.reconcile': async (_payload, ctx) => {
    const report = await reconcileSla(ctx);
    if (report.jobsChanged > 0 || report.started > 0) ctx.log.info(report, 'SLA jobs reconciled');
  },
};
