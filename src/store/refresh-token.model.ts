import { Schema, type Connection, type Model, type Types } from 'mongoose';

/**
 * One staff refresh token. The token a client holds is `<_id>.<secret>`; only a SHA-256 hash of the secret is
 * stored, so a copy of the database does not let anyone refresh. Tokens are rotated: each one is used once and
 * replaced by a new one of the same family, and a used token presented again revokes the whole family.
 *
 * FerretDB has no TTL indexes, so expired tokens are deleted by a scheduled cleanup (see `expiresAt`).
 */
export interface RefreshTokenDoc {
  /** Random, public half of the token (base64url). */
  _id: string;
  /** SHA-256 of the secret half, hex. */
  secretHash: string;
  staffId: Types.ObjectId;
  /** Every token descending from one login shares it; revoking a family ends that login session. */
  familyId: string;
  /**
   * The token this one replaced, or `login:<own id>` for the first of a family. Unique: inserting the
   * successor is what claims a token, because the unique index is atomic on every server while a guarded
   * `findOneAndUpdate` is not on FerretDB v1 (two concurrent refreshes could both win there).
   */
  parentId: string;
  /** The staff member's `tokenVersion` at issue; a later bump (logout everywhere, disable) makes it useless. */
  tokenVersion: number;
  expiresAt: Date;
  /** Set when the token was exchanged for a new one. */
  usedAt?: Date;
  revokedAt?: Date;
  createdAt: Date;
}

const refreshTokenSchema = new Schema<RefreshTokenDoc>(
  {
    _id: { type: String, required: true },
    secretHash: { type: String, required: true },
    staffId: { type: Schema.Types.ObjectId, required: true },
    familyId: { type: String, required: true },
    parentId: { type: String, required: true },
    tokenVersion: { type: Number, required: true },
    expiresAt: { type: Date, required: true },
    usedAt: { type: Date },
    revokedAt: { type: Date },
  },
  { collection: 'refresh_tokens', versionKey: false, timestamps: { createdAt: true, updatedAt: false }, strict: 'throw' },
);
refreshTokenSchema.index({ familyId: 1 });
refreshTokenSchema.index({ parentId: 1 }, { unique: true });
refreshTokenSchema.index({ staffId: 1 });
// A plain index: the scheduled cleanup deletes by it (no TTL index on FerretDB).
refreshTokenSchema.index({ expiresAt: 1 });

export function registerRefreshTokenModel(connection: Connection): Model<RefreshTokenDoc> {
  return connection.model<RefreshTokenDoc>('RefreshToken', refreshTokenSchema);
}
