import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { isAppError } from '../errors.js';
import { login, logout, logoutAll, PASSWORD_MAX_LENGTH, refresh, type ClientInfo } from '../services/auth.service.js';
import type { AppContext } from '../services/context.js';
import { actorOf, requireAuth } from './auth.middleware.js';
import { parseInput } from './validation.js';

export function clientInfo(req: Request): ClientInfo {
  return { ip: req.ip ?? req.socket.remoteAddress ?? 'unknown' };
}

/** Runs `op`; a RATE_LIMITED answer also carries `Retry-After`, which HTTP clients and proxies understand. */
export async function withRetryAfter<T>(res: Response, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    const retryAfter = isAppError(err, 'RATE_LIMITED') ? err.details?.retryAfterSeconds : undefined;
    if (typeof retryAfter === 'number') res.setHeader('retry-after', String(retryAfter));
    throw err;
  }
}

/** Tokens must not be kept by browsers or proxies. */
function noStore(res: Response): void {
  res.setHeader('cache-control', 'no-store');
}

const loginBody = z.strictObject({
  username: z.string().min(1).max(100),
  password: z.string().min(1).max(PASSWORD_MAX_LENGTH),
});

const refreshBody = z.strictObject({
  refreshToken: z.string().min(1).max(200),
});

/** `/api/v1/auth/*`: staff login, token refresh (rotating) and logout. */
export function authRoutes(ctx: AppContext): Router {
  const router = Router();

  router.post('/login', async (req, res) => {
    const input = parseInput(loginBody, req.body);
    const session = await withRetryAfter(res, () => login(ctx, input, clientInfo(req)));
    noStore(res);
    res.json(session);
  });

  router.post('/refresh', async (req, res) => {
    const { refreshToken } = parseInput(refreshBody, req.body);
    const session = await refresh(ctx, refreshToken);
    noStore(res);
    res.json(session);
  });

  router.post('/logout', async (req, res) => {
    const { refreshToken } = parseInput(refreshBody, req.body);
    await logout(ctx, refreshToken);
    res.status(204).end();
  });

  router.post('/logout-all', requireAuth(ctx), async (_req, res) => {
    await logoutAll(ctx, actorOf(res));
    res.status(204).end();
  });

  return router;
}
