/** Staff password hashing (scrypt) and verification. */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * scrypt cost: N = 2^15, r = 8, p = 1 needs 128·N·r = 32 MiB per hash, which makes guessing on GPUs expensive
 * while one login still takes well under 100 ms. The parameters are stored in each hash, so they can be raised
 * later without invalidating existing passwords.
 */
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, keyLength: 32, saltLength: 16 } as const;

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

// A hash of a password nobody knows, built once per process.
let dummyHash: Promise<string> | undefined;

/**
 * Does the work of verifying `password` against a hash of a password nobody knows, and fails. Used when the
 * username does not exist, so that the answer takes as long as for a real user and timing does not reveal which
 * usernames exist.
 */
export async function verifyAgainstNobody(password: string): Promise<false> {
  dummyHash ??= hashPassword(randomBytes(32).toString('base64url'));
  await verifyPassword(password, await dummyHash);
  return false;
}
