import { routeTicket } from '../src/services/routing.service.js';
import type { QueueHandlers } from './registry.js';

/** Handlers of the `route` queue. */
export const routeHandlers: QueueHandlers<'route'> = {
  'route.ticket': async ({ ticketId }, ctx) => {
    await routeTicket(ctx, ticketId);
  },
};
