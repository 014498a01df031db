import { Router } from 'express';
import type { AppContext } from '../services/context.js';
import { queueStatsFor } from '../services/realtime.service.js';
import { actorOf, requireAuth } from './auth.middleware.js';

/** Live queue figures over REST: the same payload supervisors receive as `queue:stats`. */
export function statsRoutes(ctx: AppContext): Router {
  const router = Router();
  router.use(requireAuth(ctx));

  /** Every unit the caller supervises (all units for an admin). */
  router.get('/units', async (_req, res) => {
    const actor = actorOf(res);
    const units = actor.roles.includes('admin') ? ctx.catalogue.units.map((u) => u.code) : actor.roles.includes('supervisor') ? actor.units : [];
    res.json({ items: await Promise.all(units.map((unit) => queueStatsFor(ctx, actor, unit))) });
  });

  router.get('/units/:unitCode', async (req, res) => {
    res.json(await queueStatsFor(ctx, actorOf(res), req.params.unitCode));
  });

  return router;
}
