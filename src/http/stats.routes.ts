import { z } from 'zod';
import type { AppContext } from '../services/context/index.js';
import { queueStatsFor, supervisedQueueStats } from '../services/figures/index.js';
import { staffRoute, type ApiRoute } from './route-table.js';
import { queueStatsView, unitCodeOf } from './schemas.js';

/** `/api/v1/stats`: live queue figures over REST, the same payload supervisors receive as `queue:stats`. */
export function statsRoutes(ctx: AppContext): ApiRoute[] {
  return [
    staffRoute({
      method: 'get',
      path: '/units',
      summary: 'Live queue figures of every unit you supervise (all units for an admin)',
      responses: { 200: { description: 'Figures per unit', schema: z.object({ items: z.array(queueStatsView) }) } },
      handle: async ({ actor }) => ({ status: 200, body: { items: await supervisedQueueStats(ctx, actor) } }),
    }),

    staffRoute({
      method: 'get',
      path: '/units/:unitCode',
      summary: 'Live queue figures of a unit (its supervisors, admins; NOT_FOUND for anyone else)',
      params: z.strictObject({ unitCode: unitCodeOf(ctx.catalogue.units) }),
      responses: { 200: { description: 'Figures of the unit', schema: queueStatsView } },
      handle: async ({ actor, params }) => ({ status: 200, body: await queueStatsFor(ctx, actor, params.unitCode) }),
    }),
  ];
}
