import type { Request, RequestHandler, Response } from 'express';
import { AppError } from '../errors.js';
import { authenticate, type StaffActor } from '../services/auth.service.js';
import type { AppContext } from '../services/context.js';
import { STAFF_ROLES, type StaffRole } from '../store/staff.model.js';

/** The token of `Authorization: Bearer <token>`, or undefined when the header is missing or another scheme. */
export function bearerToken(req: Request): string | undefined {
  const header = req.get('authorization');
  if (header === undefined) return undefined;
  const match = /^Bearer +(\S+) *$/i.exec(header);
  return match?.[1];
}

/** Authenticates the request's bearer token and keeps the acting staff member in `res.locals.actor`. */
export function requireAuth(ctx: AppContext): RequestHandler {
  return async (req, res, next) => {
    const token = bearerToken(req);
    if (token === undefined) throw new AppError('UNAUTHENTICATED', 'An access token is required (Authorization: Bearer).');
    res.locals.actor = await authenticate(ctx, token);
    next();
  };
}

function isStaffActor(value: unknown): value is StaffActor {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<Record<keyof StaffActor, unknown>>;
  return (
    v.kind === 'staff' &&
    typeof v.id === 'string' &&
    Array.isArray(v.roles) &&
    v.roles.every((r) => (STAFF_ROLES as readonly unknown[]).includes(r)) &&
    Array.isArray(v.units)
  );
}

/** The staff member `requireAuth` authenticated. A route that forgot `requireAuth` answers 401, never acts as nobody. */
export function actorOf(res: Response): StaffActor {
  const value: unknown = res.locals.actor;
  if (!isStaffActor(value)) throw new AppError('UNAUTHENTICATED');
  return value;
}

/** Lets the request through when the actor holds any of `roles` (no role implies another); 403 otherwise. */
export function requireRole(...roles: StaffRole[]): RequestHandler {
  return (_req, res, next) => {
    const actor = actorOf(res);
    if (!actor.roles.some((role) => roles.includes(role))) throw new AppError('FORBIDDEN');
    next();
  };
}
