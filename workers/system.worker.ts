import { purgeExpiredRefreshTokens } from '../src/services/auth.service.js';
import type { QueueHandlers } from './registry.js';

/** Handlers of the `system` queue. */
export const systemHandlers: QueueHandlers<'system'> = {
  'system.heartbeat': async (_payload, ctx) => {
    await ctx.heartbeats.record(ctx.instanceId, new Date());
  },
  'system.maintenance': async (_payload, ctx) => {
    const purged = await purgeExpiredRefreshTokens(ctx);
    if (purged > 0) ctx.log.info({ purged }, 'expired refresh tokens deleted');
  },
};
