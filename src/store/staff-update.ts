import type { Model, Types } from 'mongoose';
import type { DocumentLocks } from './document-lock.js';
import type { StaffDoc } from './staff.model.js';
import { storeCall } from './store-errors.js';

export interface StaffChange {
  set: Record<string, unknown>;
  unset?: Record<string, 1>;
}

/**
 * The one way a staff document changes: under its document lock, read it, let `build` decide the change from
 * what is there (null: nothing to do), and write it with `version + 1`, guarded on the version read. Counters
 * (load, version, tokenVersion) are written as computed values, not `$inc`: FerretDB v1 runs `$inc` about ten
 * times slower than `$set` (21 ms against 2 ms on a 5,000-document collection), and under the lock the read
 * value is the current one.
 */
export async function updateStaffLocked(
  Staff: Model<StaffDoc>,
  locks: DocumentLocks,
  id: Types.ObjectId,
  build: (current: StaffDoc) => StaffChange | null,
  options: { runValidators?: boolean } = {},
): Promise<StaffDoc | null> {
  return locks.withLock(`staff:${id.toString()}`, async () => {
    const current = await storeCall('staff', () => Staff.findById(id).lean());
    if (!current) return null;
    const change = build(current);
    if (!change) return null;
    return storeCall('staff', () =>
      Staff.findOneAndUpdate(
        { _id: id, version: current.version },
        { $set: { ...change.set, version: current.version + 1 }, ...(change.unset && Object.keys(change.unset).length > 0 ? { $unset: change.unset } : {}) },
        { returnDocument: 'after', runValidators: options.runValidators ?? false },
      ).lean(),
    );
  });
}
