import { Router } from 'express';
import type { AppContext } from '../services/context.js';
import { authRoutes } from './auth.routes.js';
import { notificationRoutes } from './notifications.routes.js';
import { OPENAPI_DOCUMENT } from './openapi.js';
import { staffRoutes } from './staff.routes.js';
import { statsRoutes } from './stats.routes.js';
import { ticketRoutes } from './tickets.routes.js';

/** Everything under `/api/v1`. Each area adds its router here. */
export function apiRouter(ctx: AppContext): Router {
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(OPENAPI_DOCUMENT);
  });
  router.use('/auth', authRoutes(ctx));
  router.use('/staff', staffRoutes(ctx));
  router.use('/tickets', ticketRoutes(ctx));
  router.use('/notifications', notificationRoutes(ctx));
  router.use('/stats', statsRoutes(ctx));
  return router;
}
