import { routeTicket } from '../src/services/routing/index.js';
import type { QueueHandlers } from './handler.js';

/** Handlers of the `route` queue. */
export const routeHandlers: QueueHandlers<'route'> = {
  'route.ticket': async ({ ticketId }, ctx) => {
    await routeTicket(ctx, ticketId);
  },
};
