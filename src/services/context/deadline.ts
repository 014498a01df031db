import { AppError } from '../../errors.js';

/**
 * How long a channel's webhook may wait on Redis or the store. Twilio gives a webhook 15 s; answering 503 well before
 * that lets it try the number's fallback URL. Work already under way when the deadline passes still completes (or is
 * retried by its job), and is idempotent, so a late success changes nothing.
 */
export const WEBHOOK_DEADLINE_MS = 5_000;

/**
 * Runs `op`, or fails with SERVICE_UNAVAILABLE (retryable) when it fails or has not finished within `ms`: a vendor
 * waiting on us gets a clear answer in time, whether Redis or the store is down or only slow.
 */
export async function withinDeadline<T>(ms: number, what: string, op: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      op(),
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => { reject(new Error(`no answer within ${String(ms)} ms`)); }, ms);
      }),
    ]);
  } catch (err) {
    if (err instanceof AppError && !err.retryable) throw err;
    throw new AppError('SERVICE_UNAVAILABLE', `${what} could not be done now; try again.`, { cause: err instanceof Error ? err.message : String(err) });
  } finally {
    clearTimeout(timer);
  }
}
