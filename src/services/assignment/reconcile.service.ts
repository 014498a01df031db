import { OWNED_STATUSES, WAITING_STATUSES } from '../../domain/ticket-lifecycle.js';
import type { AppContext } from '../context/index.js';
import { ensureLiveState, leaveLive, openTickets } from '../live-state/index.js';
import { completeClaim, drainAgent, queueTicket } from './assignment.service.js';

/*
 * The live routing state reconciled with the store, on a schedule (`system.live-reconcile`): claims whose worker died
 * before the store write are completed or given back, a state Redis lost is rebuilt, and (the full pass) waiting
 * tickets the live state lost are queued again and entries of tickets no longer open dropped.
 */

/** A claim not confirmed in the store after this long is completed or given back by the reconcile. */
export const STALE_CLAIM_MS = 15_000;

/** The cheap part of the reconcile: rebuild a state Redis lost, settle claims whose worker died. */
export async function settleLiveState(ctx: AppContext, now = new Date()): Promise<ReconcileReport> {
  const report: ReconcileReport = { rebuilt: false, staleClaims: 0, requeued: 0, dropped: 0 };
  if (!(await ctx.live.isBuilt())) {
    await ensureLiveState(ctx);
    return { ...report, rebuilt: true };
  }
  for (const ticketId of await ctx.live.pendingBefore(new Date(now.getTime() - STALE_CLAIM_MS))) {
    const where = await ctx.live.locate(ticketId);
    if (where?.state === 'held' && where.staffId) await completeClaim(ctx, { ticketId, staffId: where.staffId });
    else await ctx.live.confirm(ticketId, '');
    report.staleClaims++;
  }
  return report;
}

export interface ReconcileReport {
  rebuilt: boolean;
  staleClaims: number;
  requeued: number;
  dropped: number;
}

/**
 * Repairs what a crash left between the store and the live state: claims whose store write never happened are
 * completed (or given back), waiting tickets the live state lost are queued again, entries of tickets no longer
 * open are dropped, agents' loads are recounted. Safe to run at any time, in any process.
 */
export async function reconcileLiveState(ctx: AppContext, now = new Date()): Promise<ReconcileReport> {
  const settled = await settleLiveState(ctx, now);
  if (settled.rebuilt) return settled;
  const report = { ...settled };
  const open = await openTickets(ctx);
  const openIds = new Set(open.map((t) => t._id.toString()));
  for (const ticket of open) {
    const id = ticket._id.toString();
    if (ticket.status === 'nuevo') {
      // Its route job may have been lost with Redis: ask again (the job id makes a repeat harmless).
      if (now.getTime() - ticket.createdAt.getTime() > STALE_CLAIM_MS) await ctx.queues.enqueue('route.ticket', { ticketId: id }, { jobId: id });
      continue;
    }
    if (!WAITING_STATUSES.includes(ticket.status)) {
      if (!OWNED_STATUSES.includes(ticket.status)) await ctx.store.openTickets.remove(id);
      continue;
    }
    if ((await ctx.live.locate(id)) === null) {
      // Read again: it may have been assigned or closed since the list was read.
      const fresh = await ctx.store.tickets.get(id);
      if (fresh && WAITING_STATUSES.includes(fresh.status) && (await ctx.live.locate(id)) === null) {
        await queueTicket(ctx, fresh);
        report.requeued++;
      }
    }
  }
  for (const id of await ctx.live.allTicketIds()) {
    if (openIds.has(id)) continue;
    const fresh = await ctx.store.tickets.get(id);
    if (!fresh || (!WAITING_STATUSES.includes(fresh.status) && !OWNED_STATUSES.includes(fresh.status))) {
      const was = await leaveLive(ctx, id);
      report.dropped++;
      if (was?.staffId) await drainAgent(ctx, was.staffId);
    }
  }
  for (const member of await ctx.store.staffPresence.allStaff()) await ctx.live.recount(member._id.toString());
  return report;
}
