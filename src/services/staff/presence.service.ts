import type { Presence } from '../../domain/staff.js';
import { AppError } from '../../errors.js';
import type { GuardedStep } from '../../store/guarded-update.js';
import type { PerChannel, StaffDoc } from '../../store/staff.model.js';
import { heldTickets, returnToQueue, syncAgent } from '../assignment/index.js';
import { isAdmin, type Actor, type AppContext } from '../context/index.js';
import { requestQueueStats } from '../figures/index.js';

function mayManage(actor: Actor, staff: StaffDoc): boolean {
  if (actor.kind === 'system') return true;
  if (actor.kind !== 'staff') return false;
  if (isAdmin(actor)) return true;
  return actor.roles.includes('supervisor') && staff.units.some((u) => actor.units.includes(u));
}

/** Oneself, or someone the actor manages: anyone else is reported as not found, like a ticket. */
function mayReach(actor: Actor, staff: StaffDoc): boolean {
  return (actor.kind === 'staff' && actor.id === staff._id.toString()) || mayManage(actor, staff);
}

/** The person a change was asked for, as the store had them, if the actor may reach them; NOT_FOUND otherwise. */
function reached(actor: Actor, step: GuardedStep<StaffDoc>): StaffDoc {
  if (!step.before || !mayReach(actor, step.before)) throw new AppError('NOT_FOUND', 'No such staff member.');
  return step.before;
}

/**
 * Changes an agent's presence. Going `available` triggers a drain of their queues; going `offline` returns
 * their tickets that are not waiting on a citizen to the queue, so nobody waits on a closed browser. The checks
 * run on the person as read under their document lock, by the write itself: one store read, not one per check.
 */
export async function setPresence(ctx: AppContext, actor: Actor, staffId: string, presence: Presence): Promise<StaffDoc> {
  const step = await ctx.store.staffPresence.setPresence(staffId, presence, new Date(), (s) => mayReach(actor, s) && !s.disabled);
  const before = reached(actor, step);
  if (before.disabled) throw new AppError('disabled');
  const after = step.after;
  if (!after) throw new AppError('NOT_FOUND', 'No such staff member.');
  await syncAgent(ctx, after);
  const id = after._id.toString();
  if (presence === 'offline') {
    for (const ticket of await heldTickets(ctx, id)) {
      if (ticket.status === 'asignado' || ticket.status === 'en_atencion') await returnToQueue(ctx, ticket, 'agent_offline');
    }
  }
  if (before.presence !== presence) ctx.log.info({ staffId: id, from: before.presence, to: presence }, 'presence changed');
  await announcePresence(ctx, after);
  return after;
}

/** Sets capacity per channel (supervisor of one of the agent's units, or admin); more room drains the queue. */
export async function setCapacity(ctx: AppContext, actor: Actor, staffId: string, capacity: Partial<PerChannel>): Promise<StaffDoc> {
  const step = await ctx.store.staffPresence.setCapacity(staffId, capacity, (s) => mayManage(actor, s));
  if (!mayManage(actor, reached(actor, step))) {
    throw new AppError('FORBIDDEN', "Only a supervisor of the person's unit or an administrator can change their capacity.");
  }
  const after = step.after;
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
