import { assignTicket, drainAgent } from '../src/services/assignment/index.js';
import type { QueueHandlers } from './handler.js';

/** Handlers of the `assign` queue. */
export const assignHandlers: QueueHandlers<'assign'> = {
  'assign.ticket': async ({ ticketId }, ctx) => {
    await assignTicket(ctx, ticketId);
  },
  'assign.drain-agent': async ({ staffId }, ctx) => {
    await drainAgent(ctx, staffId);
  },
};
