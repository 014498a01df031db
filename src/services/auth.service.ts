import { createHash, randomBytes, randomUUID, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import { z } from 'zod';
import { AppError } from '../errors.js';
import type { Staff, StaffView } from '../store/staff.repository.js';
import { normaliseUsername, toView } from '../store/staff.repository.js';
import { STAFF_ROLES } from '../store/staff.model.js';
import type { Actor } from './actor.js';
import type { AppContext } from './context.js';

/** An authenticated staff member: what `authenticate` returns and what staff endpoints act as. */
export type StaffActor = Extract<Actor, { kind: 'staff' }>;

// ---------------------------------------------------------------------------------------------------------
// Password hashing

/**
 * scrypt cost: N = 2^15, r = 8, p = 1 needs 128·N·r = 32 MiB per hash, which makes guessing on GPUs expensive
 * while one login still takes well under 100 ms. The parameters are stored in each hash, so they can be raised
 * later without invalidating existing passwords.
 */
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, keyLength: 32, saltLength: 16 } as const;

export const PASSWORD_MIN_LENGTH = 12;
/** Bounds the work one login can cause; nobody types more. */
export const PASSWORD_MAX_LENGTH = 256;

/** node's default `maxmem` (32 MiB) is exactly what N=2^15, r=8 needs and scrypt refuses to run at the limit. */
function scryptMaxmem(N: number, r: number): number {
  return 2 * 128 * N * r;
}

function deriveKey(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyLength, options, (err, key) => {
      if (err) reject(err);
      else resolve(key);
    });
  });
}

/** NFC so that the same password typed on different keyboards or systems (é composed or not) matches. */
function normalisePassword(password: string): string {
  return password.normalize('NFC');
}

/** Hashes a password as `scrypt$N$r$p$<salt>$<hash>` (salt and hash base64url). */
export async function hashPassword(password: string): Promise<string> {
  const { N, r, p, keyLength, saltLength } = SCRYPT;
  const salt = randomBytes(saltLength);
  const hash = await deriveKey(normalisePassword(password), salt, keyLength, { N, r, p, maxmem: scryptMaxmem(N, r) });
  return ['scrypt', N, r, p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

/** Reads a stored hash; anything malformed or with absurd cost parameters is treated as not matching. */
function parseHash(encoded: string): ParsedHash | null {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [, nText = '', rText = '', pText = '', saltText = '', hashText = ''] = parts;
  if (![nText, rText, pText].every((t) => /^[1-9]\d{0,7}$/.test(t))) return null;
  const N = Number(nText);
  const r = Number(rText);
  const p = Number(pText);
  // A power of two between 2^10 and 2^20, and memory bounded, so a corrupted record cannot stall the process.
  if (N < 2 ** 10 || N > 2 ** 20 || (N & (N - 1)) !== 0 || r > 32 || p > 16 || 128 * N * r > 256 * 1024 * 1024) return null;
  if (!BASE64URL.test(saltText) || !BASE64URL.test(hashText)) return null;
  const salt = Buffer.from(saltText, 'base64url');
  const hash = Buffer.from(hashText, 'base64url');
  if (salt.length < 8 || hash.length < 16 || hash.length > 64) return null;
  return { N, r, p, salt, hash };
}

/** True when `password` matches `encoded` (compared in constant time). Never throws for a bad hash. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parsed = parseHash(encoded);
  if (parsed === null) return false;
  const { N, r, p, salt, hash } = parsed;
  let derived: Buffer;
  try {
    derived = await deriveKey(normalisePassword(password), salt, hash.length, { N, r, p, maxmem: scryptMaxmem(N, r) });
  } catch {
    return false;
  }
  return timingSafeEqual(derived, hash);
}

/**
 * A hash of a password nobody knows, verified when the username does not exist, so that the answer takes
 * as long as for a real user and timing does not reveal which usernames exist.
 */
let dummyHash: Promise<string> | undefined;
function getDummyHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(32).toString('base64url'));
  return dummyHash;
}

// ---------------------------------------------------------------------------------------------------------
// Login throttle

/** Failed logins allowed per username and client address within the window, before logins are refused. */
export const LOGIN_THROTTLE = { maxFailures: 10, windowSeconds: 15 * 60 } as const;

export interface ClientInfo {
  /** The client's address as express sees it (behind a trusted proxy, the forwarded one). */
  ip: string;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Namespaced by database name so that two deployments (or test files) sharing one Redis never mix counters. */
function throttleKey(ctx: AppContext, username: string, client: ClientInfo): string {
  return `${ctx.env.MONGODB_DB}:auth:login-failures:${sha256(`${username}\n${client.ip}`)}`;
}

async function redisCall<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch {
    // Failing closed: without the counter we cannot tell a guessing attack from a user.
    throw new AppError('SERVICE_UNAVAILABLE', 'Login is unavailable right now; try again shortly.');
  }
}

async function assertNotThrottled(ctx: AppContext, key: string): Promise<void> {
  const [count, ttl] = await redisCall(() => Promise.all([ctx.redis.get(key), ctx.redis.ttl(key)]));
  if (count !== null && Number(count) >= LOGIN_THROTTLE.maxFailures) {
    const retryAfterSeconds = ttl > 0 ? ttl : LOGIN_THROTTLE.windowSeconds;
    throw new AppError('RATE_LIMITED', 'Too many failed attempts; try again later.', { retryAfterSeconds });
  }
}

async function recordFailure(ctx: AppContext, key: string): Promise<void> {
  // The window starts at the first failure (SET NX EX); INCR keeps the expiry.
  await redisCall(() => ctx.redis.multi().set(key, '0', 'EX', LOGIN_THROTTLE.windowSeconds, 'NX').incr(key).exec());
}

/**
 * Checks a staff member's password under the login throttle: refused with RATE_LIMITED after too many
 * failures, counts a failure, clears the counter on success. `staff` null still costs one hash verification.
 */
export async function checkPassword(ctx: AppContext, username: string, staff: Staff | null, password: string, client: ClientInfo): Promise<boolean> {
  const key = throttleKey(ctx, normaliseUsername(username), client);
  await assertNotThrottled(ctx, key);
  let ok = false;
  if (staff === null) await verifyPassword(password, await getDummyHash());
  else ok = await verifyPassword(password, staff.passwordHash);
  if (ok) await redisCall(() => ctx.redis.del(key));
  else await recordFailure(ctx, key);
  return ok;
}

// ---------------------------------------------------------------------------------------------------------
// Tokens

const ISSUER = 'municipal-contact-center';
const AUDIENCE = 'staff-api';
/** Far larger than any token we issue; refusing bigger input early keeps hostile headers cheap. */
const MAX_TOKEN_LENGTH = 4096;

export interface TokenPair {
  /** JWT (HS256) for `Authorization: Bearer`. */
  accessToken: string;
  tokenType: 'Bearer';
  /** Seconds until the access token expires. */
  expiresIn: number;
  /** Opaque, single use: exchange it at `/auth/refresh` for a new pair. */
  refreshToken: string;
  /** Seconds until the refresh token expires. */
  refreshExpiresIn: number;
}

export interface Session extends TokenPair {
  staff: StaffView;
}

function signingKey(ctx: AppContext): Uint8Array {
  return new TextEncoder().encode(ctx.env.AUTH_SECRET);
}

function unauthenticated(message = 'Authentication is required.'): AppError {
  return new AppError('UNAUTHENTICATED', message);
}

/**
 * Signs an access token and stores a new refresh token in `familyId` as the successor of `parentId` (a login
 * passes null). Null when the parent already has a successor, i.e. someone else refreshed with it first.
 */
async function issueTokens(ctx: AppContext, staff: Staff, familyId: string, parentId: string | null): Promise<TokenPair | null> {
  const accessTtl = ctx.env.AUTH_ACCESS_TTL_SECONDS;
  const refreshTtl = ctx.env.AUTH_REFRESH_TTL_SECONDS;
  const now = Math.floor(Date.now() / 1000);
  const accessToken = await new SignJWT({ roles: staff.roles, units: staff.units, tv: staff.tokenVersion })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(staff._id.toString())
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + accessTtl)
    .sign(signingKey(ctx));
  const id = randomBytes(16).toString('base64url');
  const secret = randomBytes(32).toString('base64url');
  const stored = await ctx.store.refreshTokens.insert({
    id,
    secretHash: sha256(secret),
    staffId: staff._id,
    familyId,
    parentId: parentId ?? `login:${id}`,
    tokenVersion: staff.tokenVersion,
    expiresAt: new Date((now + refreshTtl) * 1000),
  });
  if (stored === null) return null;
  return { accessToken, tokenType: 'Bearer', expiresIn: accessTtl, refreshToken: `${id}.${secret}`, refreshExpiresIn: refreshTtl };
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

const REFRESH_TOKEN = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

/** Finds a refresh token and proves the presenter knows its secret; anything else is UNAUTHENTICATED. */
async function findRefreshToken(ctx: AppContext, token: string) {
  const match = REFRESH_TOKEN.exec(token);
  if (!match?.[1] || !match[2]) throw unauthenticated('The refresh token is not valid.');
  const stored = await ctx.store.refreshTokens.get(match[1]);
  if (stored === null) throw unauthenticated('The refresh token is not valid.');
  const presented = Buffer.from(sha256(match[2]), 'hex');
  const expected = Buffer.from(stored.secretHash, 'hex');
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
    throw unauthenticated('The refresh token is not valid.');
  }
  return stored;
}

/**
 * Exchanges a refresh token for a new pair (rotation). A token that was already used means it was copied:
 * the whole family is revoked, so neither the thief nor the victim can go on with it, and the victim logs in
 * again. Two concurrent refreshes with the same token count as reuse too: only one can insert the successor.
 */
export async function refresh(ctx: AppContext, token: string): Promise<Session> {
  const stored = await findRefreshToken(ctx, token);
  const now = new Date();
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
  await ctx.store.refreshTokens.revokeFamily(stored.familyId, new Date());
}

/** Ends every session of the actor: live access tokens stop working at once, refresh tokens are revoked. */
export async function logoutAll(ctx: AppContext, actor: StaffActor): Promise<void> {
  const staff = await ctx.store.staff.bumpTokenVersion(actor.id);
  if (staff === null) throw unauthenticated();
  await ctx.store.refreshTokens.revokeAllOfStaff(staff._id, new Date());
  ctx.realtime.disconnectUser(actor.id);
}

const accessClaims = z.object({
  sub: z.string().regex(/^[0-9a-f]{24}$/),
  tv: z.number().int().min(0),
  roles: z.array(z.enum(STAFF_ROLES)),
  units: z.array(z.string()),
});

/**
 * Turns an access token into the acting staff member. Besides signature and expiry, the person must still
 * exist, be enabled and have the same token version, so disabling someone or "log out everywhere" takes
 * effect at once. Roles and units come from the store, not the token, so changes apply to live sessions too.
 */
export async function authenticate(ctx: AppContext, token: string): Promise<StaffActor> {
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) throw unauthenticated('The access token is not valid.');
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, signingKey(ctx), {
      algorithms: ['HS256'],
      issuer: ISSUER,
      audience: AUDIENCE,
      requiredClaims: ['sub', 'exp', 'iat', 'tv'],
    }));
  } catch (err) {
    const expired = err instanceof Error && 'code' in err && err.code === 'ERR_JWT_EXPIRED';
    throw unauthenticated(expired ? 'The access token has expired.' : 'The access token is not valid.');
  }
  const claims = accessClaims.safeParse(payload);
  if (!claims.success) throw unauthenticated('The access token is not valid.');
  const staff = await ctx.store.staff.get(claims.data.sub);
  if (staff === null || staff.disabled || staff.tokenVersion !== claims.data.tv) {
    throw unauthenticated('The session has ended; log in again.');
  }
  return { kind: 'staff', id: staff._id.toString(), roles: [...staff.roles], units: [...staff.units] };
}

// ---------------------------------------------------------------------------------------------------------
// Housekeeping

/** Deletes expired refresh tokens (FerretDB has no TTL indexes). Meant to run on a schedule; returns how many. */
export async function purgeExpiredRefreshTokens(ctx: AppContext, now: Date = new Date()): Promise<number> {
  return ctx.store.refreshTokens.deleteExpired(now);
}

export const BOOTSTRAP_ADMIN_USERNAME = 'admin';

/**
 * Makes sure a fresh installation can be administered: when there is no staff at all, creates `admin` with
 * `BOOTSTRAP_ADMIN_PASSWORD`, or in development with a random password printed once in the log. Production
 * without the variable creates nobody (a guessable or logged password would be worse) and says so; tests
 * create nobody unless they set the variable. Safe to call from several processes starting at once.
 */
export async function ensureBootstrapAdmin(ctx: AppContext): Promise<void> {
  if ((await ctx.store.staff.count()) > 0) return;
  let password = ctx.env.BOOTSTRAP_ADMIN_PASSWORD;
  const generated = password === undefined;
  if (password === undefined) {
    if (ctx.env.NODE_ENV === 'production') {
      ctx.log.warn('There is no staff account yet. Set BOOTSTRAP_ADMIN_PASSWORD and restart to create the "admin" user.');
      return;
    }
    if (ctx.env.NODE_ENV !== 'development') return;
    password = randomBytes(18).toString('base64url');
  }
  try {
    await ctx.store.staff.create({
      username: BOOTSTRAP_ADMIN_USERNAME,
      displayName: 'Administrador',
      passwordHash: await hashPassword(password),
      roles: ['admin'],
      autoAssign: false,
    });
  } catch (err) {
    // Another process starting at the same time created it first.
    if (err instanceof AppError && err.code === 'DUPLICATE') return;
    throw err;
  }
  if (generated) {
    ctx.log.warn(
      { username: BOOTSTRAP_ADMIN_USERNAME },
      `Created the first staff account "${BOOTSTRAP_ADMIN_USERNAME}" with the password ${password} ` +
        '(shown only this once: log in and change it now).',
    );
  } else {
    ctx.log.info({ username: BOOTSTRAP_ADMIN_USERNAME }, 'Created the first staff account with BOOTSTRAP_ADMIN_PASSWORD.');
  }
}
