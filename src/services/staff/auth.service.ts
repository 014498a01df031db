/**
 * Staff authentication: log in (password under a throttle), refresh (rotation with reuse detection), log out, and
 * turn an access token into the acting staff member. Hashing is in `password-hash.ts`, token minting and checking
 * in `session-tokens.ts`, the failure counters in the login-throttle repository.
 */
import { randomUUID } from 'node:crypto';
import { AppError } from '../../errors.js';
import { normaliseUsername, toView, type Staff, type StaffView } from '../../store/staff.repository.js';
import type { Actor, AppContext } from '../context/index.js';
import { verifyAgainstNobody, verifyPassword } from './password-hash.js';
import { findRefreshToken, issueTokens, unauthenticated, verifyAccessToken, type TokenPair } from './session-tokens.js';

/** An authenticated staff member: what `authenticate` returns and what staff endpoints act as. */
export type StaffActor = Extract<Actor, { kind: 'staff' }>;

export const PASSWORD_MIN_LENGTH = 12;
/** Bounds the work one login can cause; nobody types more. */
export const PASSWORD_MAX_LENGTH = 256;

// ---------------------------------------------------------------------------------------------------------
// Passwords

/** Failed logins allowed per username and client address within the window, before logins are refused. */
export const LOGIN_THROTTLE = { maxFailures: 10, windowSeconds: 15 * 60 } as const;

export interface ClientInfo {
  /** The client's address as express sees it (behind a trusted proxy, the forwarded one). */
  ip: string;
}

/**
 * Checks a staff member's password under the login throttle: refused with RATE_LIMITED after too many
 * failures, counts a failure, clears the counter on success. `staff` null still costs one hash verification.
 */
export async function checkPassword(ctx: AppContext, username: string, staff: Staff | null, password: string, client: ClientInfo): Promise<boolean> {
  const name = normaliseUsername(username);
  const failures = await ctx.loginThrottle.failures(name, client.ip);
  if (failures.count >= LOGIN_THROTTLE.maxFailures) {
    const retryAfterSeconds = failures.expiresInSeconds ?? LOGIN_THROTTLE.windowSeconds;
    throw new AppError('RATE_LIMITED', 'Too many failed attempts; try again later.', { retryAfterSeconds });
  }
  const ok = staff === null ? await verifyAgainstNobody(password) : await verifyPassword(password, staff.passwordHash);
  if (ok) await ctx.loginThrottle.clear(name, client.ip);
  else await ctx.loginThrottle.recordFailure(name, client.ip, LOGIN_THROTTLE.windowSeconds);
  return ok;
}

// ---------------------------------------------------------------------------------------------------------
// Sessions

export interface Session extends TokenPair {
  staff: StaffView;
}

/** Starts a new session (token family) for a staff member who has just proven who they are. */
export async function startSession(ctx: AppContext, staff: Staff): Promise<Session> {
  const tokens = await issueTokens(ctx, staff, randomUUID(), null);
  // A fresh random id cannot already have a successor.
  if (tokens === null) throw new AppError('INTERNAL');
  return { ...tokens, staff: toView(staff) };
}

export interface LoginInput {
  username: string;
  password: string;
}

const GENERIC_LOGIN_FAILURE = 'The username or password is not correct.';

/**
 * Logs a staff member in. Unknown user, wrong password and disabled account all get the same answer, after
 * the same work, so the answer does not reveal which usernames exist.
 */
export async function login(ctx: AppContext, input: LoginInput, client: ClientInfo): Promise<Session> {
  const staff = await ctx.store.staff.findByUsername(input.username);
  const ok = await checkPassword(ctx, input.username, staff, input.password, client);
  if (!ok || staff === null || staff.disabled) {
    if (ok && staff !== null) ctx.log.info({ staffId: staff._id.toString() }, 'login refused: account disabled');
    throw unauthenticated(GENERIC_LOGIN_FAILURE);
  }
  ctx.log.info({ staffId: staff._id.toString() }, 'login');
  return startSession(ctx, staff);
}

/**
 * Exchanges a refresh token for a new pair (rotation). A token that was already used means it was copied:
 * the whole family is revoked, so neither the thief nor the victim can go on with it, and the victim logs in
 * again. Two concurrent refreshes with the same token count as reuse too: only one can insert the successor.
 */
export async function refresh(ctx: AppContext, token: string): Promise<Session> {
  const stored = await findRefreshToken(ctx, token);
  const now = ctx.clock();
  const ended = async (reason: string): Promise<never> => {
    await ctx.store.refreshTokens.revokeFamily(stored.familyId, now);
    ctx.log.warn({ staffId: stored.staffId.toString(), familyId: stored.familyId, reason }, 'refresh refused: session revoked');
    throw unauthenticated('The session has ended; log in again.');
  };
  if (stored.revokedAt !== undefined) throw unauthenticated('The session has ended; log in again.');
  if (stored.usedAt !== undefined) return ended('refresh token reused');
  if (stored.expiresAt.getTime() <= now.getTime()) throw unauthenticated('The session has expired; log in again.');
  const staff = await ctx.store.staff.get(stored.staffId.toString());
  if (staff === null || staff.disabled || staff.tokenVersion !== stored.tokenVersion) return ended('account changed');
  const tokens = await issueTokens(ctx, staff, stored.familyId, stored._id);
  if (tokens === null) return ended('refresh token reused concurrently');
  await ctx.store.refreshTokens.markUsed(stored._id, now);
  // A reuse detected while we were issuing revoked the family before our new token existed: revoke it too.
  if (await ctx.store.refreshTokens.isFamilyRevoked(stored.familyId)) return ended('revoked during refresh');
  return { ...tokens, staff: toView(staff) };
}

/** Ends the session the refresh token belongs to. Ending an already ended session is not an error. */
export async function logout(ctx: AppContext, token: string): Promise<void> {
  const stored = await findRefreshToken(ctx, token);
  await ctx.store.refreshTokens.revokeFamily(stored.familyId, ctx.clock());
}

/** Ends every session of the actor: live access tokens stop working at once, refresh tokens are revoked. */
export async function logoutAll(ctx: AppContext, actor: StaffActor): Promise<void> {
  const staff = await ctx.store.staff.bumpTokenVersion(actor.id);
  if (staff === null) throw unauthenticated();
  await ctx.store.refreshTokens.revokeAllOfStaff(staff._id, ctx.clock());
  ctx.realtime.disconnectUser(actor.id);
}

/**
 * Turns an access token into the acting staff member. Besides signature and expiry, the person must still
 * exist, be enabled and have the same token version, so disabling someone or "log out everywhere" takes
 * effect at once. Roles and units come from the store, not the token, so changes apply to live sessions too.
 */
export async function authenticate(ctx: AppContext, token: string): Promise<StaffActor> {
  const claims = await verifyAccessToken(ctx, token);
  const staff = await ctx.store.staff.get(claims.sub);
  if (staff === null || staff.disabled || staff.tokenVersion !== claims.tv) {
    throw unauthenticated('The session has ended; log in again.');
  }
  return { kind: 'staff', id: staff._id.toString(), roles: [...staff.roles], units: [...staff.units] };
}

/** Deletes expired refresh tokens (FerretDB has no TTL indexes). Meant to run on a schedule; returns how many. */
export async function purgeExpiredRefreshTokens(ctx: AppContext, now: Date = ctx.clock()): Promise<number> {
  return ctx.store.refreshTokens.deleteExpired(now);
}
