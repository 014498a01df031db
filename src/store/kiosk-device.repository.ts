import { Types } from 'mongoose';
import type { KioskDeviceDoc } from './kiosk-device.model.js';
import type { Models } from './models.js';
import { storeCall } from './store-errors.js';

export type KioskDevice = KioskDeviceDoc;

/** The kiosks allowed to issue turns. Each request of a kiosk reads its device by `_id`, so a revocation holds at once. */
export function createKioskDeviceRepository(models: Models) {
  const { KioskDevice } = models;

  async function get(id: string): Promise<KioskDevice | null> {
    if (!Types.ObjectId.isValid(id)) return null;
    return storeCall('kiosk device', () => KioskDevice.findById(id).lean());
  }

  return {
    async create(input: { name: string; keyHash: string; createdBy: string; at: Date; id?: Types.ObjectId }): Promise<KioskDevice> {
      const created = await storeCall('kiosk device', () =>
        KioskDevice.create({ _id: input.id ?? new Types.ObjectId(), name: input.name, keyHash: input.keyHash, createdBy: input.createdBy, createdAt: input.at }),
      );
      return created.toObject();
    },

    get,

    /** Every device, newest first (the admin's list; a handful of documents). */
    async list(): Promise<KioskDevice[]> {
      return storeCall('kiosk device', () => KioskDevice.find({}).sort({ createdAt: -1 }).lean());
    },

    /** Revokes a device once; a second revocation keeps the first one's time and author. */
    async revoke(id: string, by: string, at: Date): Promise<KioskDevice | null> {
      const current = await get(id);
      if (!current || current.revokedAt) return current;
      return storeCall('kiosk device', () => KioskDevice.findOneAndUpdate({ _id: current._id }, { $set: { revokedAt: at, revokedBy: by } }, { returnDocument: 'after' }).lean());
    },
  };
}

export type KioskDeviceRepository = ReturnType<typeof createKioskDeviceRepository>;
