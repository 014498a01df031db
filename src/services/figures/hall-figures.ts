import { secondsBetween, type HallFigures } from '../../domain/counter-turns.js';
import type { AppContext } from '../context/index.js';

/** Turns waiting for each of these kiosk services, and how long the oldest of each has waited. */
export async function serviceQueues(ctx: AppContext, services: readonly string[], now: Date): Promise<HallFigures['services']> {
  const queues = await ctx.live.hall.queues(services);
  return queues.map((q) => ({
    code: q.service,
    name: ctx.catalogue.kiosk.serviceByCode(q.service)?.name ?? q.service,
    waiting: q.waiting,
    longestWaitSeconds: q.oldestArrivedAt && q.waiting > 0 ? secondsBetween(q.oldestArrivedAt, now) : 0,
  }));
}

/** The hall's figures: turns waiting per service, the longest wait, counters open, paused and closed. */
export async function hallFigures(ctx: AppContext, now = new Date()): Promise<HallFigures> {
  const { kiosk } = ctx.catalogue;
  const [services, counters] = await Promise.all([serviceQueues(ctx, kiosk.services.map((s) => s.code), now), ctx.live.hall.counters(kiosk.counters.map((c) => c.code))]);
  return {
    waiting: services.reduce((n, s) => n + s.waiting, 0),
    longestWaitSeconds: Math.max(0, ...services.map((s) => s.longestWaitSeconds)),
    services,
    counters: {
      open: counters.filter((c) => c.state === 'open').length,
      paused: counters.filter((c) => c.state === 'paused').length,
      closed: counters.filter((c) => c.state === 'closed').length,
    },
  };
}
