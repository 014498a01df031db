import { handleSlaCheck } from '../src/services/sla.service.js';
import type { QueueHandlers } from './registry.js';

/** Handlers of the `sla` queue. */
export const slaHandlers: QueueHandlers<'sla'> = {
  'sla.check': (payload, ctx) => handleSlaCheck(ctx, payload),
};
