import mongoose from 'mongoose';
import { AppError, type FieldProblem } from '../errors.js';

const { MongoServerError, MongoNetworkError, MongoServerSelectionError } = mongoose.mongo;

export function isDuplicateKeyError(err: unknown): boolean {
  return err instanceof MongoServerError && err.code === 11000;
}

/**
 * Translates driver and mongoose failures into the error catalogue, so nothing above the store needs to know
 * about MongoDB error shapes. Unknown errors pass through untouched (they become a logged 500).
 */
export function toAppError(err: unknown, what = 'record'): unknown {
  if (err instanceof AppError) return err;
  if (isDuplicateKeyError(err)) {
    const keyValue = (err as { keyValue?: Record<string, unknown> }).keyValue;
    return new AppError('DUPLICATE', `This ${what} already exists.`, keyValue ? { key: Object.keys(keyValue) } : {});
  }
  if (err instanceof mongoose.Error.ValidationError) {
    const fields: FieldProblem[] = Object.entries(err.errors).map(([path, e]) => ({ path, message: e.message }));
    return new AppError('VALIDATION_FAILED', `The ${what} is not valid.`, { fields });
  }
  if (err instanceof mongoose.Error.CastError) {
    return new AppError('VALIDATION_FAILED', `The ${what} is not valid.`, { fields: [{ path: err.path, message: `not a valid ${err.kind}` }] });
  }
  if (err instanceof MongoNetworkError || err instanceof MongoServerSelectionError) {
    return new AppError('SERVICE_UNAVAILABLE', 'The database is not answering.');
  }
  return err;
}

/** Runs a store operation and rethrows its failure in catalogue terms. */
export async function storeCall<T>(what: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    throw toAppError(err, what);
  }
}
