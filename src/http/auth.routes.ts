import type { Request, Response } from 'express';
import { z } from 'zod';
import { isAppError } from '../errors.js';
import type { AppContext } from '../services/context/index.js';
import { login, logout, logoutAll, PASSWORD_MAX_LENGTH, refresh, type ClientInfo } from '../services/staff/index.js';
import { publicRoute, staffRoute, type ApiRoute } from './route-table.js';
import { sessionView } from './schemas.js';

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
const NO_STORE = { 'cache-control': 'no-store' } as const;

const loginBody = z.strictObject({
  username: z.string().min(1).max(100),
  password: z.string().min(1).max(PASSWORD_MAX_LENGTH),
});

const refreshBody = z.strictObject({
  refreshToken: z.string().min(1).max(200),
});

/** `/api/v1/auth`: staff login, token refresh (rotating) and logout. */
export function authRoutes(ctx: AppContext): ApiRoute[] {
  return [
    publicRoute({
      method: 'post',
      path: '/login',
      summary: 'Log in with username and password',
      description: 'Repeated failures for a username or from an address are throttled: 429 RATE_LIMITED with `Retry-After`.',
      body: loginBody,
      errors: [401, 429],
      responses: { 200: { description: 'A new session', schema: sessionView } },
      handle: async ({ body, req, res }) => ({ status: 200, headers: NO_STORE, body: await withRetryAfter(res, () => login(ctx, body, clientInfo(req))) }),
    }),

    publicRoute({
      method: 'post',
      path: '/refresh',
      summary: 'Exchange a refresh token for a new session (rotation: a token used twice revokes its family)',
      body: refreshBody,
      errors: [401],
      responses: { 200: { description: 'A new session', schema: sessionView } },
      handle: async ({ body }) => ({ status: 200, headers: NO_STORE, body: await refresh(ctx, body.refreshToken) }),
    }),

    publicRoute({
      method: 'post',
      path: '/logout',
      summary: 'Revoke the family of a refresh token',
      body: refreshBody,
      responses: { 204: { description: 'Logged out' } },
      handle: async ({ body }) => {
        await logout(ctx, body.refreshToken);
        return { status: 204 };
      },
    }),

    staffRoute({
      method: 'post',
      path: '/logout-all',
      summary: 'End every session of the caller',
      responses: { 204: { description: 'Logged out everywhere' } },
      handle: async ({ actor }) => {
        await logoutAll(ctx, actor);
        return { status: 204 };
      },
    }),
  ];
}
