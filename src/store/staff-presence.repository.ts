import { Types } from 'mongoose';
import type { Presence, StaffRole } from '../domain/staff.js';
import type { DocumentLocks } from './document-lock.js';
import { guardedStep, type GuardedStep, type WriteFilters } from './guarded-update.js';
import type { Models } from './models.js';
import type { PerChannel, StaffDoc } from './staff.model.js';
import { storeCall } from './store-errors.js';

function staffObjectId(id: Types.ObjectId | string): Types.ObjectId | null {
  if (typeof id !== 'string') return id;
  return Types.ObjectId.isValid(id) ? new Types.ObjectId(id) : null;
}

/** Who may have a change made to them, judged on the document as stored under its lock. */
export type StaffGuard = (current: StaffDoc) => boolean;

/**
 * The staff side of assignment as the store records it: presence and capacity. Who holds what, and so each
 * agent's load, is the live routing state's (src/live), rebuilt from the tickets' assignees.
 */
export function createStaffPresenceRepository(models: Models, locks: DocumentLocks, filters: WriteFilters) {
  const { Staff } = models;

  /**
   * One guarded write (see guarded-update.ts), made only if `allowed` holds for the person as stored: the caller's
   * checks see the very document that is changed, and need no read of their own. `before` null: no such person;
   * `after` null: not allowed.
   */
  async function change(staffId: Types.ObjectId | string, allowed: StaffGuard, set: Record<string, unknown>, runValidators = false): Promise<GuardedStep<StaffDoc>> {
    const id = staffObjectId(staffId);
    if (id === null) return { before: null, after: null };
    return guardedStep(Staff, locks, filters, 'staff', id, (current) => (allowed(current) ? { set } : null), { runValidators });
  }

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

    async setPresence(staffId: Types.ObjectId | string, presence: Presence, at: Date, allowed: StaffGuard): Promise<GuardedStep<StaffDoc>> {
      return change(staffId, allowed, { presence, presenceChangedAt: at });
    },

    async setCapacity(staffId: Types.ObjectId | string, capacity: Partial<PerChannel>, allowed: StaffGuard): Promise<GuardedStep<StaffDoc>> {
      const set = Object.fromEntries(Object.entries(capacity).map(([channel, value]) => [`capacity.${channel}`, value]));
      return change(staffId, allowed, set, true);
    },
  };
}

export type StaffPresenceRepository = ReturnType<typeof createStaffPresenceRepository>;
