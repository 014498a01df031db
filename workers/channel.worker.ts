import { intakeQueuedContact } from '../src/services/channel-intake.service.js';
import type { QueueHandlers } from './registry.js';

/** Handlers of the `channel` queue. */
export const channelHandlers: QueueHandlers<'channel'> = {
  'channel.intake': async (payload, ctx) => {
    await intakeQueuedContact(ctx, payload);
  },
};
