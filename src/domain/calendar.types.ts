/** Days of the week as used in `config/calendar.json`. */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

export type Weekday = (typeof WEEKDAYS)[number];

/** A local date in America/Lima, `YYYY-MM-DD`. */
export type LocalDate = string;

/** An opening window within one day, local time `HH:mm`, `start` < `end`. */
export interface BusinessHoursRange {
  start: string;
  end: string;
}

/**
 * `national`: feriado by law. `non_working_public`: día no laborable decreed for the public sector (the PCM
 * publishes them each year). `local`: a municipal non-working day.
 */
export type HolidayKind = 'national' | 'non_working_public' | 'local';

export interface Holiday {
  date: LocalDate;
  name: string;
  kind: HolidayKind;
  /** The legal instrument that makes it a non-working day, e.g. "D.S. 089-2024-PCM". */
  source?: string;
}

/**
 * The office calendar. A business day is a weekday with at least one opening window that is not in
 * `holidays`. Lima has no daylight saving time, so a fixed offset is exact.
 */
export interface CalendarConfig {
  timeZone: 'America/Lima';
  utcOffsetMinutes: -300;
  businessHours: Record<Weekday, BusinessHoursRange[]>;
  holidays: Holiday[];
}
