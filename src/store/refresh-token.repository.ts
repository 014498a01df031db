import type { Types } from 'mongoose';
import type { Models } from './models.js';
import type { RefreshTokenDoc } from './refresh-token.model.js';
import { isDuplicateKeyError, storeCall, toAppError } from './store-errors.js';

/** A refresh token to store: `id` becomes `_id`; use and revocation come later. */
export type NewRefreshToken = Omit<RefreshTokenDoc, '_id' | 'usedAt' | 'revokedAt' | 'createdAt'> & { id: string };

export type RefreshToken = RefreshTokenDoc;

/** The `refresh_tokens` collection; no TTL index (see the model). */
export function createRefreshTokenRepository(models: Models) {
  const { RefreshToken } = models;
  return {
    /**
     * Stores a token. Null when `parentId` already has a successor: the unique index makes this the atomic
     * "claim" of the parent, so of two concurrent refreshes with one token only one gets a new token.
     */
    async insert(input: NewRefreshToken): Promise<RefreshToken | null> {
      try {
        const created = await RefreshToken.create({
          _id: input.id,
          secretHash: input.secretHash,
          staffId: input.staffId,
          familyId: input.familyId,
          parentId: input.parentId,
          tokenVersion: input.tokenVersion,
          expiresAt: input.expiresAt,
        });
        return created.toObject();
      } catch (err) {
        if (isDuplicateKeyError(err)) return null;
        throw toAppError(err, 'refresh token');
      }
    },

    async get(id: string): Promise<RefreshToken | null> {
      return storeCall('refresh token', () => RefreshToken.findById(id).lean());
    },

    /** Records that a token was exchanged, so presenting it again is recognised as reuse. */
    async markUsed(id: string, at: Date): Promise<void> {
      await storeCall('refresh token', () => RefreshToken.updateOne({ _id: id, usedAt: { $exists: false } }, { $set: { usedAt: at } }));
    },

    async isFamilyRevoked(familyId: string): Promise<boolean> {
      const found = await storeCall('refresh token', () => RefreshToken.findOne({ familyId, revokedAt: { $exists: true } }, { _id: 1 }).lean());
      return found !== null;
    },

    async revokeFamily(familyId: string, at: Date): Promise<number> {
      const result = await storeCall('refresh token', () =>
        RefreshToken.updateMany({ familyId, revokedAt: { $exists: false } }, { $set: { revokedAt: at } }),
      );
      return result.modifiedCount;
    },

    async revokeAllOfStaff(staffId: Types.ObjectId, at: Date): Promise<number> {
      const result = await storeCall('refresh token', () =>
        RefreshToken.updateMany({ staffId, revokedAt: { $exists: false } }, { $set: { revokedAt: at } }),
      );
      return result.modifiedCount;
    },

    /**
     * Deletes tokens that expired before `now`. Used tokens are kept until then on purpose: reuse detection
     * needs to recognise them.
     */
    async deleteExpired(now: Date): Promise<number> {
      const result = await storeCall('refresh token', () => RefreshToken.deleteMany({ expiresAt: { $lt: now } }));
      return result.deletedCount;
    },
  };
}

export type RefreshTokenRepository = ReturnType<typeof createRefreshTokenRepository>;
