import type { Actor } from './actor.js';
import type { AppContext } from './context.js';
import type { PerChannel, Presence, StaffDoc } from '../store/staff.model.js';

/**
 * Changes an agent's presence. Going `available` (or raising capacity) triggers a drain of their queues;
 * going `offline` returns their open tickets to the queue so nobody waits on a closed browser.
 */
export async function setPresence(ctx: AppContext, actor: Actor, staffId: string, presence: Presence): Promise<StaffDoc> {
  void ctx; void actor; void staffId; void presence;
  throw new Error('not implemented yet');
}

/** Sets capacity per channel (supervisor of one of the agent's units, or admin). */
export async function setCapacity(ctx: AppContext, actor: Actor, staffId: string, capacity: Partial<PerChannel>): Promise<StaffDoc> {
  void ctx; void actor; void staffId; void capacity;
  throw new Error('not implemented yet');
}
