import { recordHeartbeat } from '../src/services/heartbeat.service.js';
import type { QueueHandlers } from './registry.js';

/** Handlers of the `system` queue. */
export const systemHandlers: QueueHandlers<'system'> = {
  'system.heartbeat': async (_payload, ctx) => {
    await recordHeartbeat(ctx.redis, ctx.queues.prefix, ctx.instanceId, new Date());
  },
};
