import { Types } from 'mongoose';
import type { StaffRole } from '../domain/staff.js';
import { AppError } from '../errors.js';
import type { DocumentLocks } from './document-lock.js';
import { guardedStep, type GuardedChange, type WriteFilters } from './guarded-update.js';
import type { Models } from './models.js';
import { DEFAULT_CAPACITY, type PerChannel, type StaffDoc } from './staff.model.js';
import { isDuplicateKeyError, storeCall, toAppError } from './store-errors.js';

export type Staff = StaffDoc;

/** A staff member as API answers show it: never the password hash nor the token version. */
export type StaffView = Omit<StaffDoc, '_id' | 'passwordHash' | 'tokenVersion'> & { id: string };

export interface NewStaff {
  username: string;
  displayName: string;
  email?: string;
  /** Already hashed by the auth service; the store never sees a password. */
  passwordHash: string;
  roles: StaffRole[];
  units?: string[];
  skills?: string[];
  capacity?: Partial<PerChannel>;
  autoAssign?: boolean;
}

/** What an administrator may change about a person. Presence, capacity and load have their own paths. */
export interface StaffProfilePatch {
  displayName?: string;
  /** `null` removes the address. */
  email?: string | null;
  roles?: StaffRole[];
  units?: string[];
  skills?: string[];
  disabled?: boolean;
  autoAssign?: boolean;
}

export interface StaffListFilter {
  /** Only staff of any of these units (a supervisor's scope). */
  anyOfUnits?: readonly string[];
  /** Only staff of this unit. */
  unit?: string;
  role?: StaffRole;
  limit: number;
  offset: number;
}

export function toView(doc: StaffDoc): StaffView {
  return {
    id: doc._id.toString(),
    username: doc.username,
    displayName: doc.displayName,
    ...(doc.email ? { email: doc.email } : {}),
    roles: [...doc.roles],
    units: [...doc.units],
    skills: [...doc.skills],
    presence: doc.presence,
    presenceChangedAt: doc.presenceChangedAt,
    capacity: pickPerChannel(doc.capacity),
    load: pickPerChannel(doc.load),
    autoAssign: doc.autoAssign,
    ...(doc.lastAssignedAt ? { lastAssignedAt: doc.lastAssignedAt } : {}),
    disabled: doc.disabled,
    version: doc.version,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}

function pickPerChannel(value: PerChannel): PerChannel {
  return { phone: value.phone, email: value.email, kiosk: value.kiosk, manual: value.manual };
}

export function normaliseUsername(username: string): string {
  return username.trim().toLowerCase();
}

function objectId(id: string): Types.ObjectId | null {
  return Types.ObjectId.isValid(id) && /^[0-9a-f]{24}$/i.test(id) ? new Types.ObjectId(id) : null;
}

/**
 * Staff accounts. Every write bumps `version` (the assignment engine's compare-and-set guard must notice any
 * change), and every change that must end live sessions (disable, password) also bumps `tokenVersion`.
 */
export function createStaffRepository(models: Models, locks: DocumentLocks, filters: WriteFilters) {
  const { Staff } = models;

  async function updateOne(id: string, change: (current: StaffDoc) => GuardedChange): Promise<Staff | null> {
    const _id = objectId(id);
    if (_id === null) return null;
    // Same lock and write path as presence and capacity (staff-presence.repository.ts): every writer takes the lock.
    const { after } = await guardedStep(Staff, locks, filters, 'staff', _id, change, { runValidators: true });
    return after;
  }

  return {
    /** Creates an account; a taken username is refused with DUPLICATE. */
    async create(input: NewStaff): Promise<Staff> {
      try {
        const created = await Staff.create({
          username: normaliseUsername(input.username),
          displayName: input.displayName,
          ...(input.email !== undefined ? { email: input.email } : {}),
          passwordHash: input.passwordHash,
          roles: input.roles,
          units: input.units ?? [],
          skills: input.skills ?? [],
          capacity: { ...DEFAULT_CAPACITY, ...input.capacity },
          autoAssign: input.autoAssign ?? true,
        });
        return created.toObject();
      } catch (err) {
        // The username index is the only unique one besides _id; FerretDB does not always say which clashed.
        if (isDuplicateKeyError(err)) {
          throw new AppError('DUPLICATE', 'A staff member with this username already exists.', { key: ['username'] });
        }
        throw toAppError(err, 'staff member');
      }
    },

    async get(id: string): Promise<Staff | null> {
      const _id = objectId(id);
      if (_id === null) return null;
      return storeCall('staff member', () => Staff.findById(_id).lean());
    },

    async findByUsername(username: string): Promise<Staff | null> {
      return storeCall('staff member', () => Staff.findOne({ username: normaliseUsername(username) }).lean());
    },

    async count(): Promise<number> {
      return storeCall('staff member', () => Staff.countDocuments({}));
    },

    /** A page of staff sorted by username, and how many match in all. */
    async list(filter: StaffListFilter): Promise<{ items: Staff[]; total: number }> {
      const unitConditions: Record<string, unknown>[] = [];
      if (filter.anyOfUnits !== undefined) unitConditions.push({ units: { $in: [...filter.anyOfUnits] } });
      if (filter.unit !== undefined) unitConditions.push({ units: filter.unit });
      const query: Record<string, unknown> = {};
      if (unitConditions.length > 0) query.$and = unitConditions;
      if (filter.role !== undefined) query.roles = filter.role;
      const [items, total] = await Promise.all([
        storeCall('staff member', () => Staff.find(query).sort({ username: 1 }).skip(filter.offset).limit(filter.limit).lean()),
        storeCall('staff member', () => Staff.countDocuments(query)),
      ]);
      return { items, total };
    },

    /**
     * Changes profile fields. Disabling also bumps `tokenVersion`, so the person's live access tokens stop
     * working at once instead of when they expire.
     */
    async updateProfile(id: string, patch: StaffProfilePatch): Promise<Staff | null> {
      const set: Record<string, unknown> = {};
      const unset: string[] = [];
      if (patch.displayName !== undefined) set.displayName = patch.displayName;
      if (patch.email === null) unset.push('email');
      else if (patch.email !== undefined) set.email = patch.email;
      if (patch.roles !== undefined) set.roles = patch.roles;
      if (patch.units !== undefined) set.units = patch.units;
      if (patch.skills !== undefined) set.skills = patch.skills;
      if (patch.disabled !== undefined) set.disabled = patch.disabled;
      if (patch.autoAssign !== undefined) set.autoAssign = patch.autoAssign;
      return updateOne(id, (current) => ({
        set: { ...set, ...(patch.disabled === true ? { tokenVersion: current.tokenVersion + 1 } : {}) },
        unset,
      }));
    },

    /** Replaces the password hash and ends every session of the person. */
    async setPasswordHash(id: string, passwordHash: string): Promise<Staff | null> {
      return updateOne(id, (current) => ({ set: { passwordHash, tokenVersion: current.tokenVersion + 1 } }));
    },

    /** Invalidates every access token issued so far ("log out everywhere"). */
    async bumpTokenVersion(id: string): Promise<Staff | null> {
      return updateOne(id, (current) => ({ set: { tokenVersion: current.tokenVersion + 1 } }));
    },
  };
}

export type StaffRepository = ReturnType<typeof createStaffRepository>;
