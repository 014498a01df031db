import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { PRESENCES, STAFF_ROLES, type Presence, type StaffRole } from '../domain/staff.js';
import { CHANNELS, type Channel } from '../domain/ticket-types.js';


export type PerChannel = Record<Channel, number>;

export interface StaffDoc {
  _id: Types.ObjectId;
  /** Login name, lowercase. */
  username: string;
  displayName: string;
  email?: string;
  /** scrypt hash in PHC-like form; never leaves the store layer's callers in API answers. */
  passwordHash: string;
  roles: StaffRole[];
  /** Units whose tickets this person may see and work on. */
  units: string[];
  skills: string[];
  presence: Presence;
  presenceChangedAt: Date;
  /** Most tickets this person may own at once, per channel (e.g. phone 1, email 5, counter 1). */
  capacity: PerChannel;
  /**
   * Not kept up to date here: what an agent holds, and so their load, is the live routing state's (src/live),
   * rebuilt from the tickets' assignees. Views fill it from there.
   */
  load: PerChannel;
  /** false: the agent works in manual mode ("take next") and is never picked automatically. */
  autoAssign: boolean;
  lastAssignedAt?: Date;
  disabled: boolean;
  /** Bumped to invalidate every token issued before (password change, disable, logout everywhere). */
  tokenVersion: number;
  /** Bumped by every update; the compare-and-set guard of assignment. */
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export const DEFAULT_CAPACITY: PerChannel = { phone: 1, email: 5, kiosk: 1, manual: 5 };

const perChannel = (defaults: PerChannel) =>
  Object.fromEntries(CHANNELS.map((c) => [c, { type: Number, min: 0, max: 100, required: true, default: defaults[c] }]));

const staffSchema = new Schema<StaffDoc>(
  {
    username: { type: String, required: true, lowercase: true, trim: true, match: /^[a-z0-9._-]{3,40}$/ },
    displayName: { type: String, required: true, trim: true, maxlength: 120 },
    email: { type: String, lowercase: true, trim: true, maxlength: 200 },
    passwordHash: { type: String, required: true },
    roles: { type: [{ type: String, enum: STAFF_ROLES }], required: true },
    units: { type: [String], default: [] },
    skills: { type: [String], default: [] },
    presence: { type: String, enum: PRESENCES, required: true, default: 'offline' },
    presenceChangedAt: { type: Date, required: true, default: () => new Date() },
    capacity: perChannel(DEFAULT_CAPACITY),
    load: perChannel({ phone: 0, email: 0, kiosk: 0, manual: 0 }),
    autoAssign: { type: Boolean, default: true },
    lastAssignedAt: { type: Date },
    disabled: { type: Boolean, default: false },
    tokenVersion: { type: Number, default: 0 },
    version: { type: Number, default: 0 },
  },
  { timestamps: true, collection: 'staff', versionKey: false, strict: 'throw' },
);
staffSchema.index({ username: 1 }, { unique: true });
staffSchema.index({ units: 1, presence: 1 });

export function registerStaffModel(connection: Connection): Model<StaffDoc> {
  return connection.model<StaffDoc>('Staff', staffSchema);
}
