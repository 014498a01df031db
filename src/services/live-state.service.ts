import { setTimeout as sleep } from 'node:timers/promises';
import { OWNED_STATUSES, WAITING_STATUSES } from '../domain/ticket-lifecycle.js';
import { AppError } from '../errors.js';
import type { Ticket } from '../store/ticket.repository.js';
import { completeClaim, drainAgent, liveAgentOf, queueTicket, routingEntryOf } from './assignment.service.js';
import type { AppContext } from './context.js';
import { restoreCounters, restoreTurn } from './hall-state.js';

/*
 * The live routing state is rebuilt from the store (the record) when Redis lost it — it runs without
 * persistence and may restart empty — and reconciled with the store on a schedule. Both read the open tickets
 * through the open-ticket index and `_id` lookups, never the ticket history.
 */

/** A rebuild longer than this is taken as dead and may be started again by another process. */
const REBUILD_LOCK_MS = 120_000;
/** A claim not confirmed in the store after this long is completed or given back by the reconcile. */
export const STALE_CLAIM_MS = 15_000;
const LOOKUP_CONCURRENCY = 16;

async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

async function openTickets(ctx: AppContext): Promise<Ticket[]> {
  const ids = await ctx.store.openTickets.ids();
  const tickets = await mapLimited(ids, LOOKUP_CONCURRENCY, (id) => ctx.store.tickets.get(id));
  return tickets.filter((t): t is Ticket => t !== null);
}

/**
 * Builds the live state from the store: agents as they are, tickets held by whom they are held, waiting tickets
 * in their queues in their order; then every available agent drains the queue. Returns what it loaded.
 */
export async function rebuildLiveState(ctx: AppContext): Promise<{ agents: number; waiting: number; held: number }> {
  const owner = `${ctx.instanceId}:${String(Date.now())}`;
  if (!(await ctx.live.tryRebuildLock(owner, REBUILD_LOCK_MS))) throw new AppError('SERVICE_UNAVAILABLE', 'The live queue is being rebuilt; try again in a moment.', { reason: 'live_state_rebuilding' });
  const started = Date.now();
  try {
    await ctx.live.clear();
    const staff = await ctx.store.staffPresence.allStaff();
    for (const member of staff) await ctx.live.upsertAgent(liveAgentOf(member));
    await restoreCounters(ctx);
    let waiting = 0;
    let held = 0;
    for (const ticket of await openTickets(ctx)) {
      const turn = await restoreTurn(ctx, ticket);
      if (turn === 'waiting') waiting++;
      else if (turn === 'held') held++;
      else if (WAITING_STATUSES.includes(ticket.status)) {
        await ctx.live.enqueue(routingEntryOf(ticket));
        waiting++;
      } else if (ticket.status === 'nuevo') {
        await ctx.live.arrive(routingEntryOf(ticket));
      } else if (OWNED_STATUSES.includes(ticket.status) && ticket.assigneeId) {
        await ctx.live.hold(routingEntryOf(ticket), ticket.assigneeId.toString(), ticket.assignedAt ?? ticket.updatedAt);
        held++;
      }
      if (ticket.slaAtRisk) await ctx.live.setAtRisk(ticket.unitCode, ticket._id.toString(), true);
    }
    await ctx.live.markBuilt(new Date());
    ctx.log.info({ agents: staff.length, waiting, held, ms: Date.now() - started }, 'live routing state rebuilt from the store');
    for (const member of staff) if (member.presence === 'available' && !member.disabled) await drainAgent(ctx, member._id);
    return { agents: staff.length, waiting, held };
  } finally {
    await ctx.live.releaseRebuildLock(owner);
  }
}

/** Makes sure the live state exists: rebuilds it, or waits for the process that is rebuilding it. */
export async function ensureLiveState(ctx: AppContext, waitMs = 30_000): Promise<void> {
  const deadline = Date.now() + waitMs;
  while (!(await ctx.live.isBuilt())) {
    try {
      await rebuildLiveState(ctx);
      return;
    } catch (err) {
      if (!(err instanceof AppError) || err.details?.reason !== 'live_state_rebuilding') throw err;
    }
    if (Date.now() > deadline) throw new AppError('SERVICE_UNAVAILABLE', 'The live queue is being rebuilt; try again in a moment.', { reason: 'live_state_rebuilding' });
    await sleep(100);
  }
}

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
      const was = await ctx.live.remove(id);
      report.dropped++;
      if (was?.staffId) await drainAgent(ctx, was.staffId);
    }
  }
  for (const member of await ctx.store.staffPresence.allStaff()) await ctx.live.recount(member._id.toString());
  return report;
}
