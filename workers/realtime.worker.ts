import { pushQueueStats } from '../src/services/realtime.service.js';
import type { QueueHandlers } from './registry.js';

/** Handlers of the `realtime` queue. */
export const realtimeHandlers: QueueHandlers<'realtime'> = {
  'realtime.stats': async ({ unitCode }, ctx) => {
    await pushQueueStats(ctx, unitCode);
  },
};
