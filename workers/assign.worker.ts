import type { QueueHandlers } from './registry.js';

/** Handlers of the `assign` queue. */
export const assignHandlers: QueueHandlers<'assign'> = {
  'assign.ticket': async () => {
    // implemented with the assignment service
  },
  'assign.drain-agent': async () => {
    // implemented with the assignment service
  },
};
