import { Router } from 'express';
import type { AppContext } from '../services/context.js';

/** Everything under `/api/v1`. Each area adds its router here. */
export function apiRouter(ctx: AppContext): Router {
  const router = Router();
  void ctx;
  return router;
}
