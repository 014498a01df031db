import type { ZodError, ZodType } from 'zod';
import { AppError, type FieldProblem } from '../errors.js';

export function zodFields(error: ZodError): FieldProblem[] {
  return error.issues.flatMap((issue) => {
    // An unknown field is named by its own path, so a client sees which one to drop.
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ path: [...issue.path, key].map(String).join('.'), message: 'unknown field' }));
    return [{ path: issue.path.map(String).join('.') || '(body)', message: issue.message }];
  });
}

/** Parses request input; a mismatch becomes VALIDATION_FAILED listing every field at fault. */
export function parseInput<T>(schema: ZodType<T>, input: unknown, where = 'body'): T {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new AppError('VALIDATION_FAILED', `The request ${where} is not valid.`, { fields: zodFields(result.error) });
  }
  return result.data;
}
