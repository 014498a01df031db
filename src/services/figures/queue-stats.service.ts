import { figuresFromCounters } from '../../domain/queue-stats.js';
import { AppError } from '../../errors.js';
import type { QueueStatsPayload } from '../../realtime/events.js';
import { calendarOf, isSupervisorOf, type Actor, type AppContext } from '../context/index.js';
import { hallFigures } from './hall-figures.js';

/**
 * Asks for a unit's live figures to be recomputed and pushed. Requests in the same second share one job
 * (its id names the unit and the next second), so a burst of a thousand tickets sends supervisors one
 * update per second, not a thousand; a change during a computation lands in the next second's job.
 */
export async function requestQueueStats(ctx: AppContext, unitCode: string, now = Date.now()): Promise<void> {
  const second = Math.floor(now / 1000) + 1;
  await ctx.queues.enqueue('realtime.stats', { unitCode }, { jobId: `stats-${unitCode}-${second}`, delay: second * 1000 - now, removeOnComplete: true, removeOnFail: true });
}


export async function queueStats(ctx: AppContext, unitCode: string, now = new Date()): Promise<QueueStatsPayload> {
  // Read from the live routing state's counters: the same cost with a thousand or a million tickets stored.
  const live = await ctx.live.figures(unitCode, calendarOf(ctx).toLocalDate(now));
  const declared = ctx.catalogue.routing.queues.filter((q) => q.unit === unitCode).map((q) => q.code);
  return {
    unitCode,
    queues: figuresFromCounters(declared, live.queues, now),
    agents: live.agents,
    // The attention office runs the counter hall: its supervisors watch the hall with their queues.
    ...(unitCode === ctx.catalogue.attentionOffice.code ? { hall: await hallFigures(ctx, now) } : {}),
    at: now.toISOString(),
  };
}

/** Computes and pushes a unit's figures (the `realtime.stats` job). */
export async function pushQueueStats(ctx: AppContext, unitCode: string): Promise<void> {
  ctx.realtime.queueStats(await queueStats(ctx, unitCode));
}

/** The same figures over REST, for the supervisors of the unit and admins. */
export async function queueStatsFor(ctx: AppContext, actor: Actor, unitCode: string): Promise<QueueStatsPayload> {
  if (!ctx.catalogue.unitByCode(unitCode) || !isSupervisorOf(actor, unitCode)) throw new AppError('NOT_FOUND', 'No such unit.');
  return queueStats(ctx, unitCode);
}

/** The figures of every unit the actor supervises: all units for an admin, none for someone who supervises nothing. */
export async function supervisedQueueStats(ctx: AppContext, actor: Actor): Promise<QueueStatsPayload[]> {
  const units = ctx.catalogue.units.map((u) => u.code).filter((unit) => isSupervisorOf(actor, unit));
  return Promise.all(units.map((unit) => queueStats(ctx, unit)));
}
