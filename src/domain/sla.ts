import type { BusinessCalendar } from './business-calendar.js';

/**
 * SLA clocks that stop while the office waits for the citizen (Zammad #1322 is what happens otherwise: a
 * clock that keeps running, or resets, while the ball is in the citizen's court).
 *
 * Everything is recomputed from the start instant and the full list of pauses, never adjusted
 * incrementally, so a job that runs twice or a pause recorded late gives the same answer.
 */

/** Unit of an SLA target. Days follow "días hábiles" (counting starts the next business day). */
export type SlaTargetUnit = 'business_minutes' | 'business_days';

/** An SLA target from a policy in `config/`, e.g. `{ unit: 'business_days', value: 30 }` for a reclamo. */
export interface SlaTarget {
  unit: SlaTargetUnit;
  value: number;
}

/** A span during which the clock was stopped. `to` undefined: the clock is stopped right now. */
export interface PauseInterval {
  from: Date;
  to?: Date;
}

interface ClosedPause {
  fromMs: number;
  toMs: number;
}

// Pauses before the clock started do not count, overlapping pauses count once, empty ones not at all.
function normalisePauses(startedAt: Date, pauses: readonly PauseInterval[]): ClosedPause[] | undefined {
  const closed: ClosedPause[] = [];
  for (const pause of pauses) {
    if (pause.to === undefined) return undefined;
    const fromMs = Math.max(pause.from.getTime(), startedAt.getTime());
    const toMs = pause.to.getTime();
    if (toMs > fromMs) closed.push({ fromMs, toMs });
  }
  closed.sort((a, b) => a.fromMs - b.fromMs);
  const merged: ClosedPause[] = [];
  for (const pause of closed) {
    const last = merged[merged.length - 1];
    if (last && pause.fromMs <= last.toMs) {
      last.toMs = Math.max(last.toMs, pause.toMs);
    } else {
      merged.push({ ...pause });
    }
  }
  return merged;
}

/**
 * When the SLA is due, or `undefined` while the clock is currently paused (any interval without `to`).
 *
 * Pauses are taken in time order, and a pause that begins at or after the deadline computed so far does not
 * move it: a case already overdue stays overdue.
 * - `business_minutes`: the deadline moves forward by the business minutes inside each pause.
 * - `business_days`: the deadline (closing time of the due day) moves forward by the business days in
 *   `(day the pause began, day it ended]`. The day a pause begins has already been used by the office; the
 *   day the citizen replies counts like a new filing day, which under "días hábiles" is not counted either.
 *   So a pause that begins and ends on the same day costs nothing, and a pause from Monday to Wednesday
 *   gives back Tuesday and Wednesday. Consecutive pauses never give back the same day twice.
 *
 * @throws RangeError when the target is negative, or fractional for `business_days`
 */
export function computeDueAt(
  calendar: BusinessCalendar,
  startedAt: Date,
  target: SlaTarget,
  pausedIntervals: readonly PauseInterval[] = [],
): Date | undefined {
  const pauses = normalisePauses(startedAt, pausedIntervals);
  if (pauses === undefined) return undefined;

  if (target.unit === 'business_minutes') {
    let due = calendar.addBusinessMinutes(startedAt, target.value);
    for (const pause of pauses) {
      if (pause.fromMs >= due.getTime()) break;
      const extra = calendar.businessMinutesBetween(new Date(pause.fromMs), new Date(pause.toMs));
      // Adding zero minutes to a deadline sitting at closing time would jump to the next opening.
      if (extra > 0) due = calendar.addBusinessMinutes(due, extra);
    }
    return due;
  }

  let dueDate = calendar.addBusinessDays(calendar.toLocalDate(startedAt), target.value);
  let due = calendar.dueAtEndOfBusinessDay(dueDate);
  for (const pause of pauses) {
    if (pause.fromMs >= due.getTime()) break;
    const extra = calendar.businessDaysBetween(
      calendar.toLocalDate(new Date(pause.fromMs)),
      calendar.toLocalDate(new Date(pause.toMs)),
    );
    if (extra > 0) {
      dueDate = calendar.addBusinessDays(dueDate, extra);
      due = calendar.dueAtEndOfBusinessDay(dueDate);
    }
  }
  return due;
}

/**
 * The instant at which `fraction` of the business time between `startedAt` and `dueAt` has elapsed: when a
 * supervisor is warned and the ticket's priority is raised. It measures plain business time between the two
 * instants, so paused time (already folded into `dueAt` by {@link computeDueAt}) is spread evenly: after a
 * pause the warning may move by a share of the paused time. That is accepted to keep one simple rule for both
 * units; the deadline itself is exact. When there is no business time before `dueAt`, the answer is `dueAt`.
 *
 * @throws RangeError when `fraction` is outside `[0, 1]`
 */
export function atRiskAt(calendar: BusinessCalendar, startedAt: Date, dueAt: Date, fraction = 0.8): Date {
  if (!(fraction >= 0 && fraction <= 1)) {
    throw new RangeError(`fraction must be within [0, 1], got ${fraction}`);
  }
  const total = calendar.businessMinutesBetween(startedAt, dueAt);
  if (total <= 0) return dueAt;
  return calendar.addBusinessMinutes(startedAt, total * fraction);
}
