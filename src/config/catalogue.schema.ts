/**
 * Schemas for the configuration catalogue in `config/`: organisation units, the service catalogue and the office
 * calendar. Each file schema carries its own consistency checks, so `schema.safeParse(json)` alone tells whether a
 * file is usable; the only check that spans files (a service's unit must exist) takes the unit codes as input.
 *
 * Messages are for the person editing the JSON, so they name the offending value and, for duplicates, where the
 * first occurrence is.
 */
import { z } from 'zod';
import type { CalendarConfig } from '../domain/calendar.types.js';
import { CHANNELS, TICKET_TYPES } from '../domain/ticket-types.js';

// Consistency checks that compare several entries must not run on entries that failed their own validation (they
// would report nonsense such as an overlap with "25:00"). Zod skips refinements only after *aborting* issues, and a
// failed regex is not one, so each such refinement declares the shape it relies on and runs when that shape holds.
function whenValid(shape: z.ZodType): { when: (payload: z.core.ParsePayload) => boolean } {
  return { when: (payload) => shape.safeParse(payload.value).success };
}

// Readable path for messages that point at another entry ("first used at units[1]").
function at(...path: (string | number)[]): string {
  return z.core.toDotPath(path);
}

// ─── units.json ─────────────────────────────────────────────────────────────────────────────────────────────────

const UNIT_CODE = /^[A-Z][A-Z0-9]{1,9}$/;

/** Short uppercase code of an organisation unit, e.g. `GDVAC`. */
export const unitCodeSchema = z
  .string()
  .regex(UNIT_CODE, { error: 'must be 2 to 10 uppercase letters or digits, starting with a letter' });

const emailSchema = z
  .email({ error: 'not a valid e-mail address' })
  .refine((value) => value === value.toLowerCase(), { error: 'e-mail address must be lowercase' });

const nameSchema = z.string().trim().min(1, { error: 'must not be empty' });

/** Kinds of organisation unit, as named in the municipality's ROF (Reglamento de Organización y Funciones). */
export const UNIT_KINDS = ['gerencia', 'subgerencia', 'oficina'] as const;

/** One organisation unit of the municipality. */
export const unitSchema = z.strictObject({
  code: unitCodeSchema,
  /** Full official name, in Spanish, as citizens see it. */
  name: nameSchema,
  /** Name used on screens and in short messages, e.g. "Rentas". */
  shortName: nameSchema,
  kind: z.enum(UNIT_KINDS),
  /** Code of the unit this one reports to; absent for units that report to the Gerencia Municipal or Alcaldía. */
  parent: unitCodeSchema.optional(),
  /** Mailbox where cases routed to this unit are sent. */
  email: emailSchema.optional(),
  /** Marks the citizen-attention office that takes contacts in and answers for them; exactly one unit has it. */
  isAttentionOffice: z.boolean().optional(),
});

export type UnitConfig = z.output<typeof unitSchema>;

const unitGraphShape = z.object({
  units: z.array(
    z.object({ code: unitCodeSchema, parent: unitCodeSchema.optional(), isAttentionOffice: z.boolean().optional() }),
  ),
});

function checkUnitGraph(file: z.output<typeof unitGraphShape>, ctx: z.core.$RefinementCtx): void {
  const indexByCode = new Map<string, number>();
  file.units.forEach((unit, index) => {
    const first = indexByCode.get(unit.code);
    if (first === undefined) {
      indexByCode.set(unit.code, index);
    } else {
      ctx.addIssue({
        code: 'custom',
        path: ['units', index, 'code'],
        message: `duplicate unit code "${unit.code}" (first used at ${at('units', first)})`,
      });
    }
  });

  const parentOf = new Map<string, string>();
  file.units.forEach((unit, index) => {
    if (unit.parent === undefined) return;
    if (!indexByCode.has(unit.parent)) {
      ctx.addIssue({ code: 'custom', path: ['units', index, 'parent'], message: `unknown parent unit "${unit.parent}"` });
    } else if (!parentOf.has(unit.code)) {
      parentOf.set(unit.code, unit.parent);
    }
  });

  // Each cycle is reported once, at the entry of the cycle that comes first in the file.
  const reported = new Set<string>();
  file.units.forEach((unit, index) => {
    const chain = [unit.code];
    let current = parentOf.get(unit.code);
    while (current !== undefined && !chain.includes(current)) {
      chain.push(current);
      current = parentOf.get(current);
    }
    if (current !== unit.code || reported.has(unit.code)) return;
    chain.forEach((code) => reported.add(code));
    ctx.addIssue({
      code: 'custom',
      path: ['units', index, 'parent'],
      message: `parent chain forms a cycle: ${[...chain, unit.code].join(' → ')}`,
    });
  });

  const offices = file.units.filter((unit) => unit.isAttentionOffice === true).map((unit) => unit.code);
  if (offices.length !== 1) {
    ctx.addIssue({
      code: 'custom',
      path: ['units'],
      message:
        `exactly one unit must have "isAttentionOffice": true, found ${offices.length}` +
        (offices.length > 0 ? ` (${offices.join(', ')})` : ''),
    });
  }
}

/** `config/units.json`: `{ "units": [...] }`. */
export const unitsFileSchema = z
  .strictObject({ units: z.array(unitSchema).min(1, { error: 'at least one unit is required' }) })
  .superRefine(checkUnitGraph, whenValid(unitGraphShape));

export type UnitsFile = z.output<typeof unitsFileSchema>;

// ─── services.json ──────────────────────────────────────────────────────────────────────────────────────────────

const SERVICE_CODE = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;

/** Dotted lowercase code of a service, `<area>.<service>`, e.g. `rentas.estado_cuenta`. */
export const serviceCodeSchema = z.string().regex(SERVICE_CODE, {
  error: 'must be dotted lowercase words, e.g. "rentas.estado_cuenta"',
});

function noDuplicates<T extends string>(what: string) {
  return (values: T[], ctx: z.core.$RefinementCtx<T[]>): void => {
    const seen = new Set<T>();
    values.forEach((value, index) => {
      if (seen.has(value)) {
        ctx.addIssue({ code: 'custom', path: [index], message: `duplicate ${what} "${value}"` });
      }
      seen.add(value);
    });
  };
}

const keywordSchema = z
  .string()
  .trim()
  .min(1, { error: 'must not be empty' })
  .refine((value) => value === value.toLocaleLowerCase('es-PE'), { error: 'keyword must be lowercase' });

/** Options for {@link createServicesFileSchema}. */
export interface ServicesSchemaOptions {
  /**
   * Codes of the units in `units.json`. When given, every service must name one of them; leave it out when the
   * units file could not be read, so that its failure is not repeated once per service.
   */
  unitCodes?: ReadonlySet<string> | undefined;
}

function createServiceSchema(options: ServicesSchemaOptions) {
  const { unitCodes } = options;
  return z.strictObject({
    code: serviceCodeSchema,
    /** What the citizen asks for, in Spanish, as agents and citizens read it. */
    name: nameSchema,
    /** Code of the unit that resolves cases of this service. */
    unit: z
      .string()
      .min(1, { error: 'must not be empty' })
      .superRefine((code, ctx) => {
        if (unitCodes !== undefined && !unitCodes.has(code)) {
          ctx.addIssue({ code: 'custom', message: `unknown unit "${code}"` });
        }
      }),
    ticketType: z.enum(TICKET_TYPES),
    /** Channels through which this service can be requested. */
    channels: z
      .array(z.enum(CHANNELS))
      .min(1, { error: 'at least one channel is required' })
      .superRefine(noDuplicates('channel')),
    /** Lowercase Spanish words that suggest this service in a free-text message (used to route e-mail). */
    keywords: z.array(keywordSchema).superRefine(noDuplicates('keyword')).optional(),
  });
}

/** One entry of the service catalogue. */
export const serviceSchema = createServiceSchema({});

export type ServiceConfig = z.output<typeof serviceSchema>;

const serviceCodesShape = z.object({ services: z.array(z.object({ code: serviceCodeSchema })) });

function checkServiceCodes(file: z.output<typeof serviceCodesShape>, ctx: z.core.$RefinementCtx): void {
  const indexByCode = new Map<string, number>();
  file.services.forEach((service, index) => {
    const first = indexByCode.get(service.code);
    if (first === undefined) {
      indexByCode.set(service.code, index);
    } else {
      ctx.addIssue({
        code: 'custom',
        path: ['services', index, 'code'],
        message: `duplicate service code "${service.code}" (first used at ${at('services', first)})`,
      });
    }
  });
}

/** `config/services.json`: `{ "services": [...] }`, checked against the given unit codes. */
export function createServicesFileSchema(options: ServicesSchemaOptions) {
  return z
    .strictObject({
      services: z.array(createServiceSchema(options)).min(1, { error: 'at least one service is required' }),
    })
    .superRefine(checkServiceCodes, whenValid(serviceCodesShape));
}

export type ServicesFile = z.output<ReturnType<typeof createServicesFileSchema>>;

// ─── calendar.json ──────────────────────────────────────────────────────────────────────────────────────────────

const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

const timeSchema = z.string().regex(TIME, {
  error: (issue) => `must be a time "HH:mm" (00:00 to 23:59), got ${JSON.stringify(issue.input)}`,
});

function isCalendarDate(value: string): boolean {
  const match = DATE.exec(value);
  if (match === null) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

const localDateSchema = z.string().refine(isCalendarDate, {
  error: (issue) => `not a real calendar date ${JSON.stringify(issue.input)} (expected YYYY-MM-DD)`,
});

const rangeShape = z.object({ start: timeSchema, end: timeSchema });

const businessHoursRangeSchema = z.strictObject({ start: timeSchema, end: timeSchema }).superRefine((range, ctx) => {
  if (range.start >= range.end) {
    ctx.addIssue({ code: 'custom', message: `start ${range.start} must be before end ${range.end}` });
  }
}, whenValid(rangeShape));

// Zero-padded `HH:mm` strings order like the times they denote, so plain string comparison is exact here.
const dayHoursSchema = z.array(businessHoursRangeSchema).superRefine((ranges, ctx) => {
  ranges.forEach((range, index) => {
    const previous = index > 0 ? ranges[index - 1] : undefined;
    if (previous === undefined) return;
    if (range.start < previous.start) {
      ctx.addIssue({ code: 'custom', path: [index], message: 'ranges must be listed in order of start time' });
    } else if (range.start < previous.end) {
      ctx.addIssue({
        code: 'custom',
        path: [index],
        message: `${range.start}–${range.end} overlaps the previous range ${previous.start}–${previous.end}`,
      });
    }
  });
}, whenValid(z.array(rangeShape.refine((range) => range.start < range.end))));

const businessHoursSchema = z
  .strictObject({
    mon: dayHoursSchema,
    tue: dayHoursSchema,
    wed: dayHoursSchema,
    thu: dayHoursSchema,
    fri: dayHoursSchema,
    sat: dayHoursSchema,
    sun: dayHoursSchema,
  })
  .superRefine((week, ctx) => {
    if (Object.values(week).every((ranges) => ranges.length === 0)) {
      ctx.addIssue({ code: 'custom', message: 'at least one day of the week must have business hours' });
    }
  }, whenValid(z.record(z.string(), z.array(z.unknown()))));

const holidaySchema = z
  .strictObject({
    date: localDateSchema,
    /** Name of the holiday as it appears in the official calendar, in Spanish. */
    name: nameSchema,
    kind: z.enum(['national', 'non_working_public', 'local']),
    source: nameSchema.optional(),
  })
  .superRefine((holiday, ctx) => {
    if (holiday.kind === 'non_working_public' && holiday.source === undefined) {
      // Decreed days change every year; without the decree nobody can tell later whether the entry is right.
      ctx.addIssue({ code: 'custom', path: ['source'], message: 'a non_working_public day must name its decree' });
    }
  });

const holidayDatesShape = z.array(z.object({ date: localDateSchema }));

const holidaysSchema = z.array(holidaySchema).superRefine((holidays, ctx) => {
  const indexByDate = new Map<string, number>();
  holidays.forEach((holiday, index) => {
    const first = indexByDate.get(holiday.date);
    if (first === undefined) {
      indexByDate.set(holiday.date, index);
    } else {
      ctx.addIssue({
        code: 'custom',
        path: [index, 'date'],
        message: `duplicate holiday date "${holiday.date}" (first listed at ${at('holidays', first)})`,
      });
    }
  });
}, whenValid(holidayDatesShape));

/** `config/calendar.json`: opening hours per weekday and the table of holidays and decreed non-working days. */
export const calendarConfigSchema = z.strictObject({
  timeZone: z.literal('America/Lima'),
  utcOffsetMinutes: z.literal(-300),
  businessHours: businessHoursSchema,
  holidays: holidaysSchema,
});

// Mutual assignability: fails when a field is missing, renamed, retyped or required on only one side.
type Equals<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type AssertTrue<T extends true> = T;

/**
 * Compile-time proof that {@link calendarConfigSchema} produces exactly the domain's `CalendarConfig`: if either
 * side changes alone, this alias stops compiling.
 */
export type CalendarSchemaMatchesDomain = AssertTrue<Equals<z.output<typeof calendarConfigSchema>, CalendarConfig>>;
