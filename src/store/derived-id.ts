import { createHash } from 'node:crypto';
import { Types } from 'mongoose';

/**
 * An `_id` derived from what names a record (a channel key, a Message-ID, a job's key): the first 12 bytes of the
 * SHA-256 of the parts joined by newlines. The same name always maps to the same document, so "is it stored?" is an
 * `_id` lookup and storing it twice is a duplicate-key error (on FerretDB v1 only `_id` filters use an index).
 */
export function derivedObjectId(...parts: readonly string[]): Types.ObjectId {
  return new Types.ObjectId(createHash('sha256').update(parts.join('\n')).digest().subarray(0, 12));
}
