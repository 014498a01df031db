import type { Progress } from './progress.js';
import { nowMs } from './stats.js';

export type PhaseStatus = 'ok' | 'timeout' | 'error' | 'skipped' | 'interrupted';

/** How a phase ended, with whatever it measured until then. */
export interface PhaseOutcome<T> {
  status: PhaseStatus;
  seconds: number;
  /** Why it was skipped, what it had reached at its deadline, or the error. */
  note?: string;
  result?: T;
}

/** What a running phase is handed. `signal` fires at its deadline or on Ctrl-C; the phase then wraps up. */
export interface PhaseContext {
  readonly deadline: number;
  readonly signal: AbortSignal;
  readonly progress: Progress;
}

/** What a phase returns: its result, and whether it stopped because time ran out. */
export interface PhaseReturn<T> {
  result: T;
  timedOut?: boolean;
  note?: string;
}

/**
 * The system did not answer in time (a login, an acknowledgement, a connection): slowness, which a phase
 * reports as a timeout, not an error of the harness.
 */
export class TooSlow extends Error {
  override name = 'TooSlow';
}

/** How long a phase that ignores its deadline is waited for before it is abandoned. */
const GRACE_MS = 15_000;

/** Resolves after `ms`, or at once when `signal` fires (never rejects). */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * The whole run's time: a hard end (`--budget-minutes`) and Ctrl-C. Phases get the smaller of their own
 * allowance and what is left, minus a reserve for stopping everything and writing the report.
 */
export class Budget {
  readonly endsAt: number;
  /** Kept for work planned later (the preloads of the larger history sizes still to come). */
  holdBackMs = 0;
  private readonly interrupt = new AbortController();

  constructor(
    totalMs: number,
    private readonly reserveMs: number,
  ) {
    this.endsAt = nowMs() + totalMs;
  }

  get signal(): AbortSignal {
    return this.interrupt.signal;
  }

  isInterrupted(): boolean {
    return this.interrupt.signal.aborted;
  }

  stop(): void {
    this.interrupt.abort();
  }

  /** Milliseconds phases may still use. */
  remainingMs(): number {
    return Math.max(0, this.endsAt - this.reserveMs - this.holdBackMs - nowMs());
  }
}

/**
 * Runs one phase under a deadline: the smallest of its allowance, what the budget has left and `until` (the
 * end of its history size's share). A phase that throws is an error, one that needs at least `minimumMs` and
 * cannot have it is skipped, and one that overruns its deadline by more than a grace period is abandoned: a
 * phase is reported, it never hangs the run.
 */
export async function runPhase<T>(
  name: string,
  budget: Budget,
  progress: Progress,
  limits: { allowanceMs: number; minimumMs?: number; until?: number },
  work: (ctx: PhaseContext) => Promise<PhaseReturn<T>>,
): Promise<PhaseOutcome<T>> {
  const started = nowMs();
  const seconds = (): number => Math.round((nowMs() - started) / 100) / 10;
  if (budget.isInterrupted()) return { status: 'skipped', seconds: 0, note: 'interrupted before it started' };
  const available = Math.min(limits.allowanceMs, budget.remainingMs(), (limits.until ?? Infinity) - started);
  if (available < (limits.minimumMs ?? 1_000)) {
    progress.line(`${name}: skipped (time budget spent)`);
    return { status: 'skipped', seconds: 0, note: 'time budget spent' };
  }
  const deadline = started + available;
  const controller = new AbortController();
  const onInterrupt = (): void => {
    controller.abort();
  };
  budget.signal.addEventListener('abort', onInterrupt, { once: true });
  const timer = setTimeout(() => {
    controller.abort();
  }, available);
  let abandon: NodeJS.Timeout | undefined;
  try {
    const abandoned = new Promise<'abandoned'>((resolve) => {
      abandon = setTimeout(() => {
        resolve('abandoned');
      }, available + GRACE_MS);
    });
    const answer = await Promise.race([work({ deadline, signal: controller.signal, progress }), abandoned]);
    if (answer === 'abandoned') {
      progress.line(`${name}: abandoned ${GRACE_MS / 1000} s after its deadline`);
      return { status: 'timeout', seconds: seconds(), note: 'did not stop at its deadline; abandoned' };
    }
    const status: PhaseStatus = budget.isInterrupted() ? 'interrupted' : answer.timedOut === true ? 'timeout' : 'ok';
    return { status, seconds: seconds(), result: answer.result, ...(answer.note !== undefined ? { note: answer.note } : {}) };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const slow = err instanceof TooSlow;
    progress.line(`${name}: ${slow ? 'the system was too slow' : 'error'}: ${message}`);
    return { status: budget.isInterrupted() ? 'interrupted' : slow ? 'timeout' : 'error', seconds: seconds(), note: message };
  } finally {
    clearTimeout(timer);
    clearTimeout(abandon);
    budget.signal.removeEventListener('abort', onInterrupt);
  }
}
