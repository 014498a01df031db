import type { QueueHandlers } from './registry.js';

/** Handlers of the `route` queue. */
export const routeHandlers: QueueHandlers<'route'> = {
  'route.ticket': async () => {
    // implemented with the routing service
  },
};
