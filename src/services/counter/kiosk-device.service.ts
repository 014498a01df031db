import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError } from '../../errors.js';
import type { KioskDevice } from '../../store/kiosk-device.repository.js';
import { isAdmin, type Actor, type AppContext } from '../context/index.js';

/*
 * Kiosks are devices, not people: an admin issues each one a device key (shown once), and revokes it when a kiosk is
 * lost or replaced. A key can take turns and nothing else: it is not a staff token, so every other endpoint refuses
 * it. Only the SHA-256 of the key's secret is stored: the secret is 32 random bytes, so a slow hash would add nothing.
 */

/** `kio_<device id>_<secret>`: the id finds the device by `_id`, the secret proves the key. */
const KEY_FORMAT = /^kio_([a-f0-9]{24})_([A-Za-z0-9_-]{43})$/;

/** Requests per device are counted in windows of this length. */
const RATE_WINDOW_SECONDS = 60;

/** A kiosk as the use-cases see the caller of a kiosk endpoint. */
export interface KioskCaller {
  kind: 'kiosk';
  deviceId: string;
  name: string;
}

/** A device as an admin sees it; never its key or hash. */
export interface DeviceView {
  id: string;
  name: string;
  createdAt: Date;
  createdBy: string;
  revokedAt?: Date;
  revokedBy?: string;
}

function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

function viewOf(device: KioskDevice): DeviceView {
  return {
    id: device._id.toString(),
    name: device.name,
    createdAt: device.createdAt,
    createdBy: device.createdBy,
    ...(device.revokedAt ? { revokedAt: device.revokedAt } : {}),
    ...(device.revokedBy ? { revokedBy: device.revokedBy } : {}),
  };
}

function requireAdmin(actor: Actor): string {
  if (actor.kind !== 'staff' || !isAdmin(actor)) throw new AppError('FORBIDDEN', 'Only an administrator manages kiosk devices.');
  return actor.id;
}

/** Issues a kiosk its key. The key is in this answer only: store it in the kiosk's configuration. */
export async function issueDeviceKey(ctx: AppContext, actor: Actor, name: string, now = new Date()): Promise<{ device: DeviceView; key: string }> {
  const by = requireAdmin(actor);
  const secret = randomBytes(32).toString('base64url');
  const device = await ctx.store.kioskDevices.create({ name, keyHash: hashSecret(secret), createdBy: by, at: now });
  ctx.log.info({ deviceId: device._id.toString(), by }, 'kiosk device key issued');
  return { device: viewOf(device), key: `kio_${device._id.toString()}_${secret}` };
}

export async function listDevices(ctx: AppContext, actor: Actor): Promise<DeviceView[]> {
  requireAdmin(actor);
  return (await ctx.store.kioskDevices.list()).map(viewOf);
}

/** Revokes a kiosk's key: its next request is refused. Revoking again changes nothing. */
export async function revokeDevice(ctx: AppContext, actor: Actor, deviceId: string, now = new Date()): Promise<DeviceView> {
  const by = requireAdmin(actor);
  const device = await ctx.store.kioskDevices.revoke(deviceId, by, now);
  if (!device) throw new AppError('NOT_FOUND', 'No such kiosk device.');
  ctx.log.info({ deviceId, by }, 'kiosk device key revoked');
  return viewOf(device);
}

/**
 * The kiosk a device key belongs to, read by `_id` on every request so a revocation holds from the next one, and
 * counted against its rate limit. A missing, malformed, unknown, wrong or revoked key is UNAUTHENTICATED; too many
 * requests in the window, RATE_LIMITED with the seconds until it ends.
 */
export async function authenticateDevice(ctx: AppContext, key: string | undefined, now = new Date()): Promise<KioskCaller> {
  if (key === undefined || key.trim() === '') throw new AppError('missing_key');
  const match = KEY_FORMAT.exec(key.trim());
  const device = match?.[1] !== undefined ? await ctx.store.kioskDevices.get(match[1]) : null;
  const given = Buffer.from(hashSecret(match?.[2] ?? ''), 'hex');
  const stored = Buffer.from(device?.keyHash ?? '', 'hex');
  if (!device || stored.length !== given.length || !timingSafeEqual(stored, given)) {
    throw new AppError('invalid_key');
  }
  if (device.revokedAt) throw new AppError('revoked');
  const deviceId = device._id.toString();
  const { allowed, retryAfterSeconds } = await ctx.live.hall.admit(deviceId, ctx.env.KIOSK_RATE_LIMIT_PER_MINUTE, RATE_WINDOW_SECONDS, now);
  if (!allowed) {
    throw new AppError('device_rate_limit', undefined, { retryAfterSeconds });
  }
  return { kind: 'kiosk', deviceId, name: device.name };
}
