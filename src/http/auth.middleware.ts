import type { Request } from 'express';
import type { StaffRole } from '../domain/staff.js';
import { AppError } from '../errors.js';
import type { StaffActor } from '../services/staff/index.js';

/** Turns an access token into the staff member it was issued to; throws UNAUTHENTICATED otherwise. */
export type Authenticator = (token: string) => Promise<StaffActor>;

/** The token of `Authorization: Bearer <token>`, or undefined when the header is missing or another scheme. */
export function bearerToken(req: Request): string | undefined {
  const header = req.get('authorization');
  if (header === undefined) return undefined;
  const match = /^Bearer +(\S+) *$/i.exec(header);
  return match?.[1];
}

/**
 * The staff member the request's bearer token belongs to: 401 without a valid token, 403 when `roles` is given
 * and they hold none of them (no role implies another).
 */
export async function authorise(req: Request, roles: readonly StaffRole[] | undefined, authenticate: Authenticator): Promise<StaffActor> {
  const token = bearerToken(req);
  if (token === undefined) throw new AppError('UNAUTHENTICATED', 'An access token is required (Authorization: Bearer).');
  const actor = await authenticate(token);
  if (roles !== undefined && !actor.roles.some((role) => roles.includes(role))) throw new AppError('FORBIDDEN');
  return actor;
}
