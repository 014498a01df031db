import { WEEKDAYS } from './calendar.types.js';
import type { CalendarConfig, Holiday, LocalDate, Weekday } from './calendar.types.js';

/**
 * Business-day and business-hour arithmetic on the office calendar.
 *
 * Days follow Peruvian "días hábiles": the day of the event itself is not counted, counting starts on the
 * next business day. Minutes count only inside the opening windows of business days; they are used for SLA
 * targets such as "answer a call-back within 240 business minutes".
 */
export interface BusinessCalendar {
  /** The local (America/Lima) date on which `instant` falls. */
  toLocalDate(instant: Date): LocalDate;
  /** The holiday entry for `date`, if the calendar has one. */
  isHoliday(date: LocalDate): Holiday | undefined;
  /** A weekday with at least one opening window that is not a holiday. */
  isBusinessDay(date: LocalDate): boolean;
  /** The first business day strictly after `date`. */
  nextBusinessDay(date: LocalDate): LocalDate;
  /**
   * The date that is `n` business days after `date`, counting from the business day after `date`
   * (a filing on Friday with `n = 1` is due on Monday when Monday is a business day). `n = 0` gives `date`
   * itself if it is a business day, else the next business day.
   *
   * @throws RangeError when `n` is not a non-negative integer
   */
  addBusinessDays(date: LocalDate, n: number): LocalDate;
  /** Business days in `(from, to]`; negative when `to` is before `from`. */
  businessDaysBetween(from: LocalDate, to: LocalDate): number;
  /** Whether `instant` falls inside an opening window of a business day (start inclusive, end exclusive). */
  isOpen(instant: Date): boolean;
  /**
   * The instant at which `minutes` of business time have elapsed since `start`. A start outside opening
   * hours begins at the next opening. Time that ends exactly at a closing time stays at that closing time.
   *
   * @throws RangeError when `minutes` is negative or not finite
   */
  addBusinessMinutes(start: Date, minutes: number): Date;
  /**
   * Business minutes between two instants (fractional when the instants carry seconds); negative when `b`
   * is before `a`.
   */
  businessMinutesBetween(a: Date, b: Date): number;
  /**
   * The instant the last opening window of `date` closes: a deadline in days ends at closing time. A date
   * that is not a business day is moved to the next business day, as a term that ends on a non-working day
   * is extended to the first working day after it (TUO Ley 27444, art. 145).
   */
  dueAtEndOfBusinessDay(date: LocalDate): Date;
}

interface Window {
  startMs: number;
  endMs: number;
}

const MS_PER_MINUTE = 60_000;
const MS_PER_DAY = 86_400_000;
// 1970-01-01 was a Thursday; WEEKDAYS starts on Monday.
const EPOCH_WEEKDAY_INDEX = 3;
// A calendar with no business day in ten years is misconfigured; stop rather than loop forever.
const MAX_DAYS_WITHOUT_BUSINESS_DAY = 3_660;

const LOCAL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const LOCAL_TIME = /^(\d{2}):(\d{2})$/;

function toEpochDay(date: LocalDate): number {
  const match = LOCAL_DATE.exec(date);
  if (!match) {
    throw new RangeError(`Not a local date (YYYY-MM-DD): ${date}`);
  }
  const [, y, m, d] = match;
  const ms = Date.UTC(Number(y), Number(m) - 1, Number(d));
  const day = ms / MS_PER_DAY;
  if (fromEpochDay(day) !== date) {
    throw new RangeError(`Not a calendar date: ${date}`);
  }
  return day;
}

function fromEpochDay(day: number): LocalDate {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}

function weekdayOf(day: number): Weekday {
  const index = (((day + EPOCH_WEEKDAY_INDEX) % 7) + 7) % 7;
  return WEEKDAYS[index] ?? 'mon';
}

function minutesOfDay(time: string): number {
  const match = LOCAL_TIME.exec(time);
  if (!match) {
    throw new RangeError(`Not a local time (HH:mm): ${time}`);
  }
  return Number(match[1]) * 60 + Number(match[2]);
}

/** Builds a {@link BusinessCalendar} over an already validated configuration. */
export function createBusinessCalendar(config: CalendarConfig): BusinessCalendar {
  const offsetMs = config.utcOffsetMinutes * MS_PER_MINUTE;
  const holidays = new Map<LocalDate, Holiday>(config.holidays.map((h) => [h.date, h]));
  const windowsByWeekday = new Map<Weekday, readonly { start: number; end: number }[]>(
    WEEKDAYS.map((weekday) => [
      weekday,
      config.businessHours[weekday]
        .map((range) => ({ start: minutesOfDay(range.start), end: minutesOfDay(range.end) }))
        .sort((a, b) => a.start - b.start),
    ]),
  );

  function dayWindows(day: number): readonly { start: number; end: number }[] {
    return windowsByWeekday.get(weekdayOf(day)) ?? [];
  }

  function isBusinessEpochDay(day: number): boolean {
    return dayWindows(day).length > 0 && !holidays.has(fromEpochDay(day));
  }

  function windowsOn(day: number): Window[] {
    if (!isBusinessEpochDay(day)) return [];
    // Local midnight of `day` as a UTC instant: local = utc + offset.
    const midnightMs = day * MS_PER_DAY - offsetMs;
    return dayWindows(day).map((w) => ({
      startMs: midnightMs + w.start * MS_PER_MINUTE,
      endMs: midnightMs + w.end * MS_PER_MINUTE,
    }));
  }

  function localEpochDay(ms: number): number {
    return Math.floor((ms + offsetMs) / MS_PER_DAY);
  }

  function nextBusinessEpochDay(day: number): number {
    for (let next = day + 1; next <= day + MAX_DAYS_WITHOUT_BUSINESS_DAY; next++) {
      if (isBusinessEpochDay(next)) return next;
    }
    throw new RangeError('The calendar has no business day in the next ten years');
  }

  function* windowsFrom(ms: number): Generator<Window> {
    let day = localEpochDay(ms);
    for (;;) {
      for (const w of windowsOn(day)) {
        if (w.endMs > ms) yield w;
      }
      day = nextBusinessEpochDay(day);
    }
  }

  function businessMsBetween(fromMs: number, toMs: number): number {
    let total = 0;
    for (let day = localEpochDay(fromMs); day <= localEpochDay(toMs); day++) {
      for (const w of windowsOn(day)) {
        total += Math.max(0, Math.min(w.endMs, toMs) - Math.max(w.startMs, fromMs));
      }
    }
    return total;
  }

  const calendar: BusinessCalendar = {
    toLocalDate(instant) {
      return fromEpochDay(localEpochDay(instant.getTime()));
    },

    isHoliday(date) {
      toEpochDay(date);
      return holidays.get(date);
    },

    isBusinessDay(date) {
      return isBusinessEpochDay(toEpochDay(date));
    },

    nextBusinessDay(date) {
      return fromEpochDay(nextBusinessEpochDay(toEpochDay(date)));
    },

    addBusinessDays(date, n) {
      if (!Number.isInteger(n) || n < 0) {
        throw new RangeError(`Business days must be a non-negative integer, got ${n}`);
      }
      let day = toEpochDay(date);
      if (n === 0) {
        return isBusinessEpochDay(day) ? date : fromEpochDay(nextBusinessEpochDay(day));
      }
      for (let i = 0; i < n; i++) {
        day = nextBusinessEpochDay(day);
      }
      return fromEpochDay(day);
    },

    businessDaysBetween(from, to) {
      const fromDay = toEpochDay(from);
      const toDay = toEpochDay(to);
      if (toDay < fromDay) return -calendar.businessDaysBetween(to, from);
      let count = 0;
      for (let day = fromDay + 1; day <= toDay; day++) {
        if (isBusinessEpochDay(day)) count++;
      }
      return count;
    },

    isOpen(instant) {
      const ms = instant.getTime();
      return windowsOn(localEpochDay(ms)).some((w) => w.startMs <= ms && ms < w.endMs);
    },

    addBusinessMinutes(start, minutes) {
      if (!Number.isFinite(minutes) || minutes < 0) {
        throw new RangeError(`Business minutes must be a non-negative number, got ${minutes}`);
      }
      const startMs = start.getTime();
      let remaining = Math.round(minutes * MS_PER_MINUTE);
      for (const w of windowsFrom(startMs)) {
        const cursor = Math.max(w.startMs, startMs);
        const available = w.endMs - cursor;
        if (remaining <= available) return new Date(cursor + remaining);
        remaining -= available;
      }
      // windowsFrom never ends without throwing; this satisfies the type checker.
      throw new RangeError('Business time requested too far ahead');
    },

    businessMinutesBetween(a, b) {
      const aMs = a.getTime();
      const bMs = b.getTime();
      if (bMs < aMs) return -businessMsBetween(bMs, aMs) / MS_PER_MINUTE;
      return businessMsBetween(aMs, bMs) / MS_PER_MINUTE;
    },

    dueAtEndOfBusinessDay(date) {
      let day = toEpochDay(date);
      if (!isBusinessEpochDay(day)) day = nextBusinessEpochDay(day);
      const windows = windowsOn(day);
      const last = windows[windows.length - 1];
      if (!last) throw new RangeError(`No opening window on ${fromEpochDay(day)}`);
      return new Date(last.endMs);
    },
  };

  return calendar;
}
