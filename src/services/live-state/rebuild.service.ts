import { setTimeout as sleep } from 'node:timers/promises';
import { OWNED_STATUSES, WAITING_STATUSES } from '../../domain/ticket-lifecycle.js';
import { AppError, isAppError } from '../../errors.js';
import type { Ticket } from '../../store/ticket.repository.js';
import type { AppContext } from '../context/index.js';
import { liveAgentOf, routingEntryOf } from './entries.js';
import { restoreCounters, restoreTurn } from './hall-restore.js';

/*
 * The live routing state is rebuilt from the store (the record) when Redis lost it — it runs without
 * persistence and may restart empty — and reconciled with the store on a schedule (the assignment capability's
 * reconcile). Both read the open tickets through the open-ticket index and `_id` lookups, never the ticket history.
 */

/** A rebuild longer than this is taken as dead and may be started again by another process. */
const REBUILD_LOCK_MS = 120_000;
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

/** Every open ticket, read through the open-ticket index and by `_id`. */
export async function openTickets(ctx: AppContext): Promise<Ticket[]> {
  const ids = await ctx.store.openTickets.ids();
  const tickets = await mapLimited(ids, LOOKUP_CONCURRENCY, (id) => ctx.store.tickets.get(id));
  return tickets.filter((t): t is Ticket => t !== null);
}

/**
 * Builds the live state from the store: agents as they are, tickets held by whom they are held, waiting tickets
 * in their queues in their order; then every available agent is asked to drain the queue (an `assign.drain-agent`
 * job each, run by the workers once the state is there). Returns what it loaded.
 */
export async function rebuildLiveState(ctx: AppContext): Promise<{ agents: number; waiting: number; held: number }> {
  const owner = `${ctx.instanceId}:${String(Date.now())}`;
  if (!(await ctx.live.tryRebuildLock(owner, REBUILD_LOCK_MS))) throw new AppError('live_state_rebuilding');
  const started = Date.now();
  try {
    await ctx.live.clear();
    const staff = await ctx.store.staffPresence.allStaff();
    for (const member of staff) await ctx.live.routing.upsertAgent(liveAgentOf(member));
    await restoreCounters(ctx);
    let waiting = 0;
    let held = 0;
    for (const ticket of await openTickets(ctx)) {
      const turn = await restoreTurn(ctx, ticket);
      if (turn === 'waiting') waiting++;
      else if (turn === 'held') held++;
      else if (WAITING_STATUSES.includes(ticket.status)) {
        await ctx.live.routing.enqueue(routingEntryOf(ticket));
        waiting++;
      } else if (ticket.status === 'nuevo') {
        await ctx.live.arrive(routingEntryOf(ticket));
      } else if (OWNED_STATUSES.includes(ticket.status) && ticket.assigneeId) {
        await ctx.live.routing.hold(routingEntryOf(ticket), ticket.assigneeId.toString(), ticket.assignedAt ?? ticket.updatedAt);
        held++;
      }
      if (ticket.slaAtRisk) await ctx.live.setAtRisk(ticket.unitCode, ticket._id.toString(), true);
    }
    await ctx.live.markBuilt(new Date());
    ctx.log.info({ agents: staff.length, waiting, held, ms: Date.now() - started }, 'live routing state rebuilt from the store');
    for (const member of staff) {
      if (member.presence === 'available' && !member.disabled) await ctx.queues.enqueue('assign.drain-agent', { staffId: member._id.toString() });
    }
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
      if (!isAppError(err, 'live_state_rebuilding')) throw err;
    }
    if (Date.now() > deadline) throw new AppError('live_state_rebuilding');
    await sleep(100);
  }
}

/**
 * Runs a live-state operation; when Redis lost the state (restarted empty), rebuilds it from the store first and
 * tries once more. A rebuild already running elsewhere is waited for.
 */
export async function withLive<T>(ctx: AppContext, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (!isAppError(err, 'live_state_rebuilding')) throw err;
    await ensureLiveState(ctx);
    return op();
  }
}
