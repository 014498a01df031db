import { Types } from 'mongoose';
import type { Channel } from '../domain/ticket-types.js';
import type { DocumentLocks } from './document-lock.js';
import type { Models } from './models.js';
import type { PerChannel, Presence, StaffDoc, StaffRole } from './staff.model.js';
import { updateStaffLocked } from './staff-update.js';
import { storeCall } from './store-errors.js';

/** Roles whose holders receive tickets automatically or by "take next". */
export const ASSIGNABLE_ROLES = ['agent', 'area_staff'] as const;

/**
 * Staff presence, capacity and load: what assignment reads and reserves, and what presence changes. Capacity is
 * never exceeded because `load` only grows through {@link reserve}, a compare-and-set on the staff document's
 * `version` under its document lock: it succeeds only if nothing about the agent (presence, capacity, load)
 * changed since the caller read them and saw room.
 */
export function createStaffPresenceRepository(models: Models, locks: DocumentLocks) {
  const { Staff } = models;
  return {
    async getStaff(id: Types.ObjectId | string): Promise<StaffDoc | null> {
      if (!Types.ObjectId.isValid(id)) return null;
      return storeCall('staff', () => Staff.findById(id).lean());
    },

    /** Agents of a unit who could take work now (room and skills are checked by the caller). */
    async availableAgents(unitCode: string): Promise<StaffDoc[]> {
      return storeCall('staff', () =>
        Staff.find({ units: unitCode, presence: 'available', disabled: false, autoAssign: true, roles: { $in: ASSIGNABLE_ROLES } }).lean(),
      );
    },

    /** Presence of every enabled person who takes work in a unit. */
    async presenceOfUnit(unitCode: string): Promise<Pick<StaffDoc, '_id' | 'presence'>[]> {
      return storeCall('staff', () => Staff.find({ units: unitCode, disabled: false, roles: { $in: ASSIGNABLE_ROLES } }, { presence: 1 }).lean());
    },

    /** Enabled staff of a unit holding any of these roles (e.g. to notify the office of a report-back). */
    async staffOfUnit(unitCode: string, roles: readonly StaffRole[]): Promise<StaffDoc[]> {
      return storeCall('staff', () => Staff.find({ units: unitCode, disabled: false, roles: { $in: roles } }).lean());
    },

    /** Takes one unit of the agent's capacity on `channel`, if the agent is exactly as the caller read it. */
    async reserve(agent: StaffDoc, channel: Channel, at: Date, options: { requireAvailable: boolean }): Promise<StaffDoc | null> {
      return updateStaffLocked(Staff, locks, agent._id, (current) => {
        if (current.version !== agent.version || current.disabled) return null;
        if (options.requireAvailable && current.presence !== 'available') return null;
        if (current.load[channel] >= current.capacity[channel]) return null;
        return { set: { [`load.${channel}`]: current.load[channel] + 1, lastAssignedAt: at } };
      });
    },

    /** Gives back one unit of capacity (a ticket left the agent, or a reservation was not used). */
    async release(staffId: Types.ObjectId | string, channel: Channel): Promise<StaffDoc | null> {
      return updateStaffLocked(Staff, locks, new Types.ObjectId(staffId), (current) =>
        current.load[channel] > 0 ? { set: { [`load.${channel}`]: current.load[channel] - 1 } } : null,
      );
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
