import type { QueueHandlers } from './registry.js';

/** Handlers of the `sla` queue. */
export const slaHandlers: QueueHandlers<'sla'> = {
  'sla.check': async () => {
    // implemented by the SLA service
  },
};
