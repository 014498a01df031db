import { pushQueueStats } from '../src/services/figures/index.js';
import type { QueueHandlers } from './handler.js';

/** Handlers of the `realtime` queue. */
export const realtimeHandlers: QueueHandlers<'realtime'> = {
  'realtime.stats': async ({ unitCode }, ctx) => {
    await pushQueueStats(ctx, unitCode);
  },
};
