import { AppError } from '../errors.js';
import type { PerChannel, Presence, StaffDoc } from '../store/staff.model.js';
import { isAdmin, type Actor } from './actor.js';
import { heldTickets, returnToQueue, syncAgent } from './assignment.service.js';
import type { AppContext } from './context.js';
import { requestQueueStats } from './realtime.service.js';

function mayManage(actor: Actor, staff: StaffDoc): boolean {
  if (actor.kind === 'system') return true;
  if (actor.kind !== 'staff') return false;
  if (isAdmin(actor)) return true;
  return actor.roles.includes('supervisor') && staff.units.some((u) => actor.units.includes(u));
}

async function loadStaff(ctx: AppContext, actor: Actor, staffId: string): Promise<StaffDoc> {
  const staff = await ctx.store.staffPresence.getStaff(staffId);
  const self = actor.kind === 'staff' && actor.id === staffId;
  // Someone outside the actor's scope is reported as not found, like a ticket.
  if (!staff || (!self && !mayManage(actor, staff))) throw new AppError('NOT_FOUND', 'No such staff member.');
  return staff;
}

/**
 * Changes an agent's presence. Going `available` triggers a drain of their queues; going `offline` returns
 * their tickets that are not waiting on a citizen to the queue, so nobody waits on a closed browser.
 */
export async function setPresence(ctx: AppContext, actor: Actor, staffId: string, presence: Presence): Promise<StaffDoc> {
  const before = await loadStaff(ctx, actor, staffId);
  if (before.disabled) throw new AppError('CONFLICT', 'This account is disabled.', { reason: 'disabled' });
  const after = await ctx.store.staffPresence.setPresence(before._id, presence, new Date());
  if (!after) throw new AppError('NOT_FOUND', 'No such staff member.');
  await syncAgent(ctx, after);
  if (presence === 'offline') {
    for (const ticket of await heldTickets(ctx, staffId)) {
      if (ticket.status === 'asignado' || ticket.status === 'en_atencion') await returnToQueue(ctx, ticket, 'agent_offline');
    }
  }
  if (before.presence !== presence) ctx.log.info({ staffId, from: before.presence, to: presence }, 'presence changed');
  await announcePresence(ctx, after);
  return after;
}

/** Sets capacity per channel (supervisor of one of the agent's units, or admin); more room drains the queue. */
export async function setCapacity(ctx: AppContext, actor: Actor, staffId: string, capacity: Partial<PerChannel>): Promise<StaffDoc> {
  const staff = await loadStaff(ctx, actor, staffId);
  if (!mayManage(actor, staff)) throw new AppError('FORBIDDEN', 'Only a supervisor of the unit can change capacity.');
  const after = await ctx.store.staffPresence.setCapacity(staff._id, capacity);
  if (!after) throw new AppError('NOT_FOUND', 'No such staff member.');
  await syncAgent(ctx, after);
  await announcePresence(ctx, after);
  return after;
}

/** Supervisors see presence and capacity live, and their units' agent counts change. */
async function announcePresence(ctx: AppContext, staff: StaffDoc): Promise<void> {
  ctx.realtime.presenceChanged({ ...staff, load: await ctx.live.load(staff._id.toString()) });
  for (const unit of staff.units) await requestQueueStats(ctx, unit);
}
