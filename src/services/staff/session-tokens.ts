/**
 * The tokens of a staff session: a short-lived access token (JWT, HS256) and an opaque, single-use refresh token
 * `<id>.<secret>` of which only a hash of the secret is stored. Minting and checking them; when to rotate or revoke
 * is decided by the auth use-cases.
 */
import { SignJWT, jwtVerify } from 'jose';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { STAFF_ROLES } from '../../domain/staff.js';
import { AppError } from '../../errors.js';
import type { RefreshToken } from '../../store/refresh-token.repository.js';
import type { Staff } from '../../store/staff.repository.js';
import type { AppContext } from '../context/index.js';

const ISSUER = 'municipal-contact-center';
const AUDIENCE = 'staff-api';
/** Far larger than any token we issue; refusing bigger input early keeps hostile headers cheap. */
const MAX_TOKEN_LENGTH = 4096;
const REFRESH_TOKEN = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

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

export function unauthenticated(message = 'Authentication is required.'): AppError {
  return new AppError('UNAUTHENTICATED', message);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function signingKey(ctx: AppContext): Uint8Array {
  return new TextEncoder().encode(ctx.env.AUTH_SECRET);
}

/**
 * Signs an access token and stores a new refresh token in `familyId` as the successor of `parentId` (a login
 * passes null). Null when the parent already has a successor, i.e. someone else refreshed with it first.
 */
export async function issueTokens(ctx: AppContext, staff: Staff, familyId: string, parentId: string | null): Promise<TokenPair | null> {
  const accessTtl = ctx.env.AUTH_ACCESS_TTL_SECONDS;
  const refreshTtl = ctx.env.AUTH_REFRESH_TTL_SECONDS;
  const now = Math.floor(ctx.clock().getTime() / 1000);
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

/** Finds a refresh token and proves the presenter knows its secret; anything else is UNAUTHENTICATED. */
export async function findRefreshToken(ctx: AppContext, token: string): Promise<RefreshToken> {
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

const accessClaims = z.object({
  sub: z.string().regex(/^[0-9a-f]{24}$/),
  tv: z.number().int().min(0),
  roles: z.array(z.enum(STAFF_ROLES)),
  units: z.array(z.string()),
});

/** The claims of an access token we signed that has not expired; anything else is UNAUTHENTICATED. */
export async function verifyAccessToken(ctx: AppContext, token: string): Promise<z.infer<typeof accessClaims>> {
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) throw unauthenticated('The access token is not valid.');
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, signingKey(ctx), {
      algorithms: ['HS256'],
      issuer: ISSUER,
      audience: AUDIENCE,
      requiredClaims: ['sub', 'exp', 'iat', 'tv'],
      currentDate: ctx.clock(),
    }));
  } catch (err) {
    const expired = err instanceof Error && 'code' in err && err.code === 'ERR_JWT_EXPIRED';
    throw unauthenticated(expired ? 'The access token has expired.' : 'The access token is not valid.');
  }
  const claims = accessClaims.safeParse(payload);
  if (!claims.success) throw unauthenticated('The access token is not valid.');
  return claims.data;
}
