import { Schema, type Connection, type Model, type Types } from 'mongoose';

/**
 * A kiosk that issues turns. It authenticates with a device key that is shown once when an admin issues it; only
 * a hash of the key's secret is kept, so the store never holds a usable key.
 */
export interface KioskDeviceDoc {
  _id: Types.ObjectId;
  /** What the admin calls it: "Kiosco 1, hall principal". */
  name: string;
  /** SHA-256 of the key's secret, hex. The secret is 32 random bytes: a slow hash would add nothing. */
  keyHash: string;
  createdBy: string;
  createdAt: Date;
  /** Set once, by an admin: from then on the key is refused. */
  revokedAt?: Date;
  revokedBy?: string;
}

const kioskDeviceSchema = new Schema<KioskDeviceDoc>(
  {
    name: { type: String, required: true, trim: true, maxlength: 120 },
    keyHash: { type: String, required: true, match: /^[a-f0-9]{64}$/ },
    createdBy: { type: String, required: true },
    createdAt: { type: Date, required: true },
    revokedAt: Date,
    revokedBy: String,
  },
  { collection: 'kiosk_devices', versionKey: false, strict: 'throw' },
);

export function registerKioskDeviceModel(connection: Connection): Model<KioskDeviceDoc> {
  return connection.model<KioskDeviceDoc>('KioskDevice', kioskDeviceSchema);
}
