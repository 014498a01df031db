import { Types } from 'mongoose';
import type { DocumentLocks } from './document-lock.js';
import type { Models } from './models.js';
import type { PerChannel, Presence, StaffDoc, StaffRole } from './staff.model.js';
import { updateStaffLocked } from './staff-update.js';
import { storeCall } from './store-errors.js';

/** Roles whose holders receive tickets automatically or by "take next". */
export const ASSIGNABLE_ROLES = ['agent', 'area_staff'] as const;

/**
 * The staff side of assignment as the store records it: presence and capacity. Who holds what, and so each
 * agent's load, is the live routing state's (src/live), rebuilt from the tickets' assignees.
 */
export function createStaffPresenceRepository(models: Models, locks: DocumentLocks) {
  const { Staff } = models;
  return {
    async getStaff(id: Types.ObjectId | string): Promise<StaffDoc | null> {
      if (!Types.ObjectId.isValid(id)) return null;
      return storeCall('staff', () => Staff.findById(id).lean());
    },

    /** Every staff member (rebuilding the live routing state; the staff collection is small). */
    async allStaff(): Promise<StaffDoc[]> {
      return storeCall('staff', () => Staff.find({}).lean());
    },

    /** Enabled staff of a unit holding any of these roles (e.g. to notify the office of a report-back). */
    async staffOfUnit(unitCode: string, roles: readonly StaffRole[]): Promise<StaffDoc[]> {
      return storeCall('staff', () => Staff.find({ units: unitCode, disabled: false, roles: { $in: roles } }).lean());
    },

    async setPresence(staffId: Types.ObjectId | string, presence: Presence, at: Date): Promise<StaffDoc | null> {
      return updateStaffLocked(Staff, locks, new Types.ObjectId(staffId), () => ({ set: { presence, presenceChangedAt: at } }));
    },

    async setCapacity(staffId: Types.ObjectId | string, capacity: Partial<PerChannel>): Promise<StaffDoc | null> {
      const set = Object.fromEntries(Object.entries(capacity).map(([channel, value]) => [`capacity.${channel}`, value]));
      return updateStaffLocked(Staff, locks, new Types.ObjectId(staffId), () => ({ set }), { runValidators: true });
    },
  };
}

export type StaffPresenceRepository = ReturnType<typeof createStaffPresenceRepository>;
