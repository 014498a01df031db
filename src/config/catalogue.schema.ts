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
import { EXTENDABLE_TICKET_TYPES } from '../domain/sla-extension.js';
import { isTemplateId, TEMPLATE_IDS, templateProblems } from '../domain/message-templates.js';
import type { SlaPolicy } from '../domain/sla-policy.js';
import { normalizeForMatching, SERVICE_ROUTE_ID, TRIAGE_ROUTE_ID, type RoutingConfig } from '../domain/routing.js';
import { TURN_PREFIX } from '../domain/counter-turns.js';

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

// Remembers where each key was first seen; answers that earlier index when a key repeats (duplicate checks).
function firstSeen(): (key: string, index: number) => number | undefined {
  const seen = new Map<string, number>();
  return (key, index) => {
    const first = seen.get(key);
    if (first === undefined) seen.set(key, index);
    return first;
  };
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
  const seenCode = firstSeen();
  file.units.forEach((unit, index) => {
    const first = seenCode(unit.code, index);
    if (first !== undefined) {
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
    if (!file.units.some((u) => u.code === unit.parent)) {
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
  const seenCode = firstSeen();
  file.services.forEach((service, index) => {
    const first = seenCode(service.code, index);
    if (first !== undefined) {
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

// ─── routing.json ───────────────────────────────────────────────────────────────────────────────────────────────

const SLUG = /^[a-z][a-z0-9_]*$/;
const SLUG_MESSAGE = 'must be lowercase letters, digits or "_", starting with a letter';
const RULE_ID = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const IVR_DIGITS = /^[0-9*#]+(\.[0-9*#]+)*$/;
// A decision reports these instead of a rule id; a rule using one would make the decision ambiguous.
const RESERVED_RULE_IDS: readonly string[] = [SERVICE_ROUTE_ID, TRIAGE_ROUTE_ID];

const queueCodeSchema = z.string().regex(SLUG, { error: `${SLUG_MESSAGE}, e.g. "registro_civil"` });

const skillsSchema = z
  .array(z.string().regex(SLUG, { error: `${SLUG_MESSAGE}, e.g. "serenazgo"` }))
  .superRefine(noDuplicates('skill'))
  .default([]);

const channelSchema = z.enum(CHANNELS, { error: `must be one of ${CHANNELS.join(', ')}` });

// Keywords are compared after folding case and accents, so one that folds to nothing ("¿?") would match nothing.
const routingKeywordSchema = keywordSchema.refine((value) => normalizeForMatching(value) !== '', {
  error: 'keyword must contain a letter or a digit',
});

/** Options for {@link createRoutingFileSchema}. */
export interface RoutingSchemaOptions {
  /** Codes of the units in `units.json`; leave out when that file could not be read. */
  unitCodes?: ReadonlySet<string> | undefined;
  /**
   * Codes of the services in `services.json`, each with its unit (`undefined` when that entry has no usable
   * unit); leave out when that file could not be read.
   */
  serviceUnits?: ReadonlyMap<string, string | undefined> | undefined;
}

function unitReference(unitCodes: ReadonlySet<string> | undefined) {
  return z
    .string()
    .min(1, { error: 'must not be empty' })
    .superRefine((code, ctx) => {
      if (unitCodes !== undefined && !unitCodes.has(code)) {
        ctx.addIssue({ code: 'custom', message: `unknown unit "${code}"` });
      }
    });
}

function serviceReference(serviceUnits: ReadonlyMap<string, string | undefined> | undefined) {
  return z
    .string()
    .min(1, { error: 'must not be empty' })
    .superRefine((code, ctx) => {
      if (serviceUnits !== undefined && !serviceUnits.has(code)) {
        ctx.addIssue({ code: 'custom', message: `unknown service "${code}"` });
      }
    });
}

function createRoutingConditionSchema(options: RoutingSchemaOptions) {
  return z
    .strictObject({
      /** One channel or a list of them. */
      channel: z
        .union([channelSchema, z.array(channelSchema).min(1).superRefine(noDuplicates('channel'))], {
          error: `must be one of ${CHANNELS.join(', ')}, or a non-empty list of them`,
        })
        .optional(),
      ivrDigits: z.string().regex(IVR_DIGITS, { error: 'must be IVR digits such as "1" or "2.1"' }).optional(),
      kioskService: z.string().regex(SLUG, { error: `${SLUG_MESSAGE}, e.g. "registro_civil"` }).optional(),
      emailTo: emailSchema.optional(),
      /** Any of these, as whole words of the contact's text, ignoring case and accents. */
      keywords: z
        .array(routingKeywordSchema)
        .min(1, { error: 'at least one keyword is required' })
        .superRefine(noDuplicates('keyword'))
        .optional(),
      serviceCode: serviceReference(options.serviceUnits).optional(),
    })
    .refine((when) => Object.keys(when).length > 0, {
      error: 'needs at least one condition; a rule without conditions would match every contact',
    });
}

function createRoutingRuleSchema(options: RoutingSchemaOptions) {
  return z.strictObject({
    id: z
      .string()
      .regex(RULE_ID, { error: 'must be lowercase words joined by "-", e.g. "ivr-rentas"' })
      .refine((id) => !RESERVED_RULE_IDS.includes(id), {
        error: (issue) => `rule id ${JSON.stringify(issue.input)} is reserved for decisions made without a rule`,
      }),
    when: createRoutingConditionSchema(options),
    then: z.strictObject({
      /** Supplies the unit and ticket type unless `unit` / `ticketType` are given. */
      service: serviceReference(options.serviceUnits).optional(),
      unit: unitReference(options.unitCodes).optional(),
      /** Must be a queue declared for the resulting unit. */
      queue: queueCodeSchema,
      skills: skillsSchema,
      ticketType: z.enum(TICKET_TYPES).optional(),
    }),
  });
}

// The checks across entries look at each entry through its own loose shape, so one malformed rule does not hide
// a wrong queue or a duplicate id in the others.
const queueRefShape = z.object({ unit: z.string(), code: z.string() });
const triageRefShape = z.object({ unit: z.string(), queue: z.string() });
const ruleConditionShape = z.object({ when: z.unknown() });
const ruleRefShape = z.object({
  id: z.string(),
  when: z.object({ serviceCode: z.string().optional() }),
  then: z.object({ service: z.string().optional(), unit: z.string().optional(), queue: z.string() }),
});
const routingRefShape = z.object({ triage: z.unknown(), queues: z.array(z.unknown()), rules: z.array(z.unknown()) });

// Two rules with the same conditions: the later one can never match. Keys are order-insensitive where the
// meaning is (a channel list, a keyword list), so reordering a copy does not hide it.
function conditionKey(when: z.output<ReturnType<typeof createRoutingConditionSchema>>): string {
  const { channel, keywords, ...rest } = when;
  const channels = channel === undefined ? undefined : [channel].flat().sort();
  const folded = keywords === undefined ? undefined : keywords.map(normalizeForMatching).sort();
  const entries = Object.entries({ ...rest, channels, keywords: folded }).filter(([, value]) => value !== undefined);
  return JSON.stringify(entries.sort(([a], [b]) => a.localeCompare(b)));
}

function checkRouting(options: RoutingSchemaOptions) {
  const { unitCodes, serviceUnits } = options;
  const conditionSchema = createRoutingConditionSchema({});

  return (file: z.output<typeof routingRefShape>, ctx: z.core.$RefinementCtx): void => {
    const queuesByUnit = new Map<string, Map<string, number>>();
    file.queues.forEach((entry, index) => {
      const queue = queueRefShape.safeParse(entry);
      if (!queue.success) return;
      const { unit, code } = queue.data;
      const codes = queuesByUnit.get(unit) ?? new Map<string, number>();
      queuesByUnit.set(unit, codes);
      const first = codes.get(code);
      if (first === undefined) {
        codes.set(code, index);
      } else {
        ctx.addIssue({
          code: 'custom',
          path: ['queues', index, 'code'],
          message: `duplicate queue "${code}" for unit ${unit} (first declared at ${at('queues', first)})`,
        });
      }
    });

    // Reported only for a unit that exists: an unknown unit has already been reported where it is named.
    const checkQueue = (unit: string, queue: string, path: (string | number)[]): void => {
      if (unitCodes !== undefined && !unitCodes.has(unit)) return;
      const declared = queuesByUnit.get(unit);
      if (declared?.has(queue) === true) return;
      const known = declared === undefined ? 'it has none' : `its queues: ${[...declared.keys()].join(', ')}`;
      ctx.addIssue({ code: 'custom', path, message: `unit ${unit} has no queue "${queue}" (${known})` });
    };

    const triage = triageRefShape.safeParse(file.triage);
    if (triage.success) checkQueue(triage.data.unit, triage.data.queue, ['triage', 'queue']);

    const seenId = firstSeen();
    const seenCondition = firstSeen();
    file.rules.forEach((entry, index) => {
      const rule = ruleRefShape.safeParse(entry);
      if (!rule.success) return;
      const { id, when, then } = rule.data;

      const first = seenId(id, index);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['rules', index, 'id'],
          message: `duplicate rule id "${id}" (first used at ${at('rules', first)})`,
        });
      }

      const condition = conditionSchema.safeParse(ruleConditionShape.parse(entry).when);
      if (condition.success) {
        const key = conditionKey(condition.data);
        const earlier = seenCondition(key, index);
        if (earlier !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['rules', index, 'when'],
            message: `same conditions as ${at('rules', earlier)}, which comes first, so this rule never matches`,
          });
        }
      }

      const serviceCode = then.service ?? when.serviceCode;
      let unit = then.unit;
      if (unit === undefined && serviceCode !== undefined) {
        // Unknown service, or a service without a usable unit: reported elsewhere, nothing to check the queue by.
        if (serviceUnits === undefined || !serviceUnits.has(serviceCode)) return;
        unit = serviceUnits.get(serviceCode);
        if (unit === undefined) return;
      }
      if (unit === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['rules', index, 'then'],
          message: 'must name a "unit" or a "service" (or the rule must have a "serviceCode" condition)',
        });
        return;
      }
      checkQueue(unit, then.queue, ['rules', index, 'then', 'queue']);
    });

    // An explicit service code routes to its unit's first queue when no rule says otherwise, so every unit that
    // a service names needs one, or such contacts would silently fall through to triage.
    if (serviceUnits === undefined) return;
    const servicesWithoutQueue = new Map<string, string[]>();
    for (const [service, unit] of serviceUnits) {
      if (unit === undefined || queuesByUnit.has(unit)) continue;
      if (unitCodes !== undefined && !unitCodes.has(unit)) continue;
      servicesWithoutQueue.set(unit, [...(servicesWithoutQueue.get(unit) ?? []), service]);
    }
    for (const [unit, services] of servicesWithoutQueue) {
      ctx.addIssue({
        code: 'custom',
        path: ['queues'],
        message: `unit ${unit} has no queue, but services route to it: ${services.join(', ')}`,
      });
    }
  };
}

/**
 * `config/routing.json`: `{ "triage": {...}, "queues": [...], "rules": [...] }`, checked against the given units
 * and services: every unit and service named must exist, every rule's queue must be declared for the unit the rule
 * resolves to, and every unit a service names must have a queue.
 */
export function createRoutingFileSchema(options: RoutingSchemaOptions) {
  return z
    .strictObject({
      /** Where contacts no rule claims go: the attention office's triage queue. */
      triage: z.strictObject({
        unit: unitReference(options.unitCodes),
        queue: queueCodeSchema,
        skills: skillsSchema,
      }),
      queues: z
        .array(z.strictObject({ unit: unitReference(options.unitCodes), code: queueCodeSchema, name: nameSchema }))
        .min(1, { error: 'at least one queue is required' }),
      /** In priority order: the first rule that matches wins. */
      rules: z.array(createRoutingRuleSchema(options)),
    })
    .superRefine(checkRouting(options), whenValid(routingRefShape));
}

export type RoutingFile = z.output<ReturnType<typeof createRoutingFileSchema>>;

/**
 * Compile-time proof that a validated `routing.json` is usable as the domain's `RoutingConfig`. One direction
 * only: the domain types are readonly and the schema output is not, so they cannot be mutually assignable.
 */
export type RoutingSchemaFitsDomain = AssertTrue<[RoutingFile] extends [RoutingConfig] ? true : false>;

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
  const seenDate = firstSeen();
  holidays.forEach((holiday, index) => {
    const first = seenDate(holiday.date, index);
    if (first !== undefined) {
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

// ─── sla.json ───────────────────────────────────────────────────────────────────────────────────────────────────

const SLA_POLICY_ID = /^[a-z][a-z0-9_.-]*$/;

// Caps catch a value written in the wrong unit (minutes where days were meant) and bound the calendar walk.
const MAX_BUSINESS_DAYS = 365;
const MAX_BUSINESS_MINUTES = 60 * 24 * 365;

const slaTargetShape = z.object({ unit: z.enum(['business_minutes', 'business_days']), value: z.number() });

/**
 * An SLA target. Business days are whole "días hábiles"; business minutes may be fractional, which lets a test
 * configuration express targets of a few seconds.
 */
const slaTargetSchema = z
  .strictObject({
    unit: z.enum(['business_minutes', 'business_days']),
    value: z.number().positive({ error: 'must be greater than 0' }),
  })
  .superRefine((target, ctx) => {
    if (target.unit === 'business_days' && !Number.isInteger(target.value)) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `business_days must be a whole number, got ${target.value}` });
    }
    const max = target.unit === 'business_days' ? MAX_BUSINESS_DAYS : MAX_BUSINESS_MINUTES;
    if (target.value > max) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `must be at most ${max} ${target.unit}, got ${target.value}` });
    }
  }, whenValid(slaTargetShape));

/** Options for {@link createSlaFileSchema}. */
export interface SlaSchemaOptions {
  /** Codes of the units in `units.json`; left out when that file could not be read (see services). */
  unitCodes?: ReadonlySet<string> | undefined;
}

function createSlaPolicySchema(options: SlaSchemaOptions) {
  const { unitCodes } = options;
  return z.strictObject({
    id: z.string().regex(SLA_POLICY_ID, {
      error: 'must be lowercase letters, digits, "_", "." or "-", starting with a letter',
    }),
    /** Why the targets are what they are (the legal basis, an agreement): JSON has no comments. */
    note: nameSchema.optional(),
    /** `{}` for the default policy; a unit-specific policy also names its ticket type. */
    match: z
      .strictObject({
        ticketType: z.enum(TICKET_TYPES).optional(),
        unit: z
          .string()
          .min(1, { error: 'must not be empty' })
          .superRefine((code, ctx) => {
            if (unitCodes !== undefined && !unitCodes.has(code)) {
              ctx.addIssue({ code: 'custom', message: `unknown unit "${code}"` });
            }
          })
          .optional(),
      })
      .superRefine((match, ctx) => {
        // A unit-only policy would rank ambiguously against a type-only one; naming both keeps the order total.
        if (match.unit !== undefined && match.ticketType === undefined) {
          ctx.addIssue({ code: 'custom', path: ['unit'], message: 'a policy for a unit must also name its "ticketType"' });
        }
      }),
    firstResponse: slaTargetSchema.optional(),
    firstResponseByChannel: z.partialRecord(z.enum(CHANNELS), slaTargetSchema).optional(),
    resolution: slaTargetSchema,
    atRiskFraction: z
      .number()
      .gt(0, { error: 'must be greater than 0' })
      .lte(1, { error: 'must be at most 1' })
      .default(0.8),
    /** The prórroga the policy allows (see `src/domain/sla-extension.ts`); absent: the term cannot be extended. */
    extension: z
      .strictObject({
        maxBusinessDays: businessDaysSchema,
        noticeWithinBusinessDays: businessDaysSchema,
      })
      .optional(),
  }).superRefine(checkSlaExtension, whenValid(slaExtensionShape));
}

const businessDaysSchema = z
  .number()
  .int({ error: 'must be a whole number of business days' })
  .min(1, { error: 'must be at least 1' })
  .max(MAX_BUSINESS_DAYS, { error: `must be at most ${MAX_BUSINESS_DAYS}` });

const slaExtensionShape = z.object({
  match: z.object({ ticketType: z.string().optional() }),
  resolution: slaTargetShape,
  extension: z.object({ maxBusinessDays: z.number(), noticeWithinBusinessDays: z.number() }).optional(),
});

// An extension is legal only where a law provides for one, adds whole business days to the term, and must be
// announced before the term it extends would end.
function checkSlaExtension(policy: z.output<typeof slaExtensionShape>, ctx: z.core.$RefinementCtx): void {
  const { extension } = policy;
  if (extension === undefined) return;
  const { ticketType } = policy.match;
  if (ticketType === undefined || !(EXTENDABLE_TICKET_TYPES as readonly string[]).includes(ticketType)) {
    ctx.addIssue({
      code: 'custom',
      path: ['extension'],
      message: `only a policy for ${EXTENDABLE_TICKET_TYPES.join(', ')} may allow an extension (Ley 27806, art. 11)`,
    });
  }
  if (policy.resolution.unit !== 'business_days') {
    ctx.addIssue({ code: 'custom', path: ['extension'], message: 'an extension adds business days: "resolution" must be in business_days' });
  } else if (extension.noticeWithinBusinessDays >= policy.resolution.value) {
    ctx.addIssue({
      code: 'custom',
      path: ['extension', 'noticeWithinBusinessDays'],
      message: `must be less than the resolution term (${policy.resolution.value} business days)`,
    });
  }
}

const slaPoliciesShape = z.object({
  policies: z.array(
    z.object({ id: z.string(), match: z.object({ ticketType: z.string().optional(), unit: z.string().optional() }) }),
  ),
});

function describeMatch(match: { ticketType?: string | undefined; unit?: string | undefined }): string {
  if (match.ticketType === undefined && match.unit === undefined) return 'the default';
  return [match.ticketType, match.unit].filter((part) => part !== undefined).join(' + ');
}

function checkSlaPolicies(file: z.output<typeof slaPoliciesShape>, ctx: z.core.$RefinementCtx): void {
  const seenId = firstSeen();
  const seenMatch = firstSeen();
  const defaults: string[] = [];
  file.policies.forEach((policy, index) => {
    const firstId = seenId(policy.id, index);
    if (firstId !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['policies', index, 'id'],
        message: `duplicate policy id "${policy.id}" (first used at ${at('policies', firstId)})`,
      });
    }
    const key = JSON.stringify([policy.match.ticketType ?? null, policy.match.unit ?? null]);
    const firstMatch = seenMatch(key, index);
    if (firstMatch !== undefined) {
      // Two policies for the same tickets: only the first would ever apply, silently.
      ctx.addIssue({
        code: 'custom',
        path: ['policies', index, 'match'],
        message: `same match as ${at('policies', firstMatch)} (${describeMatch(policy.match)})`,
      });
    }
    if (policy.match.ticketType === undefined && policy.match.unit === undefined) defaults.push(policy.id);
  });
  if (defaults.length !== 1) {
    ctx.addIssue({
      code: 'custom',
      path: ['policies'],
      message:
        `exactly one default policy (with "match": {}) is required, found ${defaults.length}` +
        (defaults.length > 0 ? ` (${defaults.join(', ')})` : ''),
    });
  }
}

/**
 * `config/sla.json`: `{ "policies": [...] }`, checked against the given unit codes. Every ticket falls under the
 * most specific matching policy (type + unit, then type, then the one default), see `selectSlaPolicy`.
 */
export function createSlaFileSchema(options: SlaSchemaOptions) {
  return z
    .strictObject({
      policies: z.array(createSlaPolicySchema(options)).min(1, { error: 'at least one policy is required' }),
    })
    .superRefine(checkSlaPolicies, whenValid(slaPoliciesShape));
}

export type SlaFile = z.output<ReturnType<typeof createSlaFileSchema>>;

/** Compile-time proof that a validated policy is what the domain's SLA functions take. */
export type SlaSchemaFitsDomain = AssertTrue<[SlaFile['policies'][number]] extends [SlaPolicy] ? true : false>;

// ─── templates.json ─────────────────────────────────────────────────────────────────────────────────────────────

const templateTextSchema = z.string().trim().min(1, { error: 'must not be empty' });

const templateSchema = z.strictObject({
  /** For whoever edits the file: where the message is used and what each placeholder holds. */
  note: nameSchema.optional(),
  subject: templateTextSchema.optional(),
  body: templateTextSchema,
});

const templatesShape = z.object({ templates: z.record(z.string(), z.unknown()) });

// Each template is checked against what the code declares for its id (see `MESSAGE_TEMPLATES`): a template the
// code does not know would never be sent, and one it needs but does not find would fail when first used. A
// template that failed its own validation is skipped here; the others are still checked.
function checkTemplates(file: z.output<typeof templatesShape>, ctx: z.core.$RefinementCtx): void {
  for (const [id, entry] of Object.entries(file.templates)) {
    if (!isTemplateId(id)) {
      ctx.addIssue({ code: 'custom', path: ['templates', id], message: `unknown template "${id}" (known: ${TEMPLATE_IDS.join(', ')})` });
      continue;
    }
    const template = templateSchema.safeParse(entry);
    if (!template.success) continue;
    for (const problem of templateProblems(id, template.data)) {
      ctx.addIssue({ code: 'custom', path: ['templates', id, ...(problem.field ? [problem.field] : [])], message: problem.message });
    }
  }
  const missing = TEMPLATE_IDS.filter((id) => !Object.hasOwn(file.templates, id));
  if (missing.length > 0) {
    ctx.addIssue({ code: 'custom', path: ['templates'], message: `missing ${missing.map((id) => `"${id}"`).join(', ')}` });
  }
}

/**
 * `config/templates.json`: `{ "locale": "es-PE", "templates": { "<id>": { "subject"?, "body", "note"? } } }`, every
 * template the code renders and no other, each using only the placeholders its id offers and all those it requires.
 */
export const templatesFileSchema = z
  .strictObject({
    locale: z.literal('es-PE'),
    templates: z.record(z.string(), templateSchema),
  })
  .superRefine(checkTemplates, whenValid(templatesShape));

export type TemplatesFile = z.output<typeof templatesFileSchema>;

// ─── ivr.json ───────────────────────────────────────────────────────────────────────────────────────────────────

const spoken = (max: number) => z.string().trim().min(1).max(max);

export interface IvrMenuInput {
  prompt: string;
  options: { key: string; keywords: string[]; menu?: IvrMenuInput }[];
}

const ivrMenuSchema: z.ZodType<IvrMenuInput> = z
  .strictObject({
    prompt: spoken(1_000),
    get options() {
      return z
        .array(
          z.strictObject({
            key: z.string().regex(/^[1-9]$/, { error: 'must be one key from 1 to 9 ("0" is always general attention)' }),
            keywords: z.array(z.string().trim().min(2).max(60)).max(30),
            get menu() {
              return ivrMenuSchema.optional();
            },
          }),
        )
        .min(1)
        .max(9);
    },
  })
  .superRefine((menu, ctx) => {
    const seen = new Map<string, number>();
    menu.options.forEach((option, i) => {
      const first = seen.get(option.key);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['options', i, 'key'], message: `key "${option.key}" already used at ${at('options', first)}` });
      else seen.set(option.key, i);
    });
  });

/** `config/ivr.json`: the phone menu (see `src/domain/ivr.ts`). */
export const ivrFileSchema = z.strictObject({
  locale: z.literal('es-PE'),
  say: z.strictObject({ voice: z.string().trim().min(1).max(60), language: z.string().regex(/^[a-z]{2}-[A-Z]{2}$/, { error: 'must be a language tag such as "es-US"' }) }),
  /** Language of speech recognition in `<Gather>`. */
  speechLanguage: z.string().regex(/^[a-z]{2}-[A-Z]{2}$/, { error: 'must be a language tag such as "es-PE"' }),
  greeting: spoken(1_000),
  invalidChoice: spoken(300),
  closed: spoken(1_000),
  queued: spoken(300),
  stillWaiting: spoken(300),
  callbackOffer: spoken(300),
  callbackConfirmed: spoken(300),
  waitPosition: spoken(300).refine((text) => text.includes('{position}'), { error: 'must say the caller\'s place with {position}' }),
  waitEstimate: spoken(300).refine((text) => text.includes('{minutes}'), { error: 'must say the wait with {minutes}' }),
  /** Played while a caller waits, between announcements; silence when absent. */
  holdMusicUrl: z.url({ protocol: /^https$/, error: 'must be an https URL' }).optional(),
  voicemailSaved: spoken(300),
  noMessage: spoken(300),
  /** Recording of the calls agents take and place; off unless the office decides otherwise (Ley 29733). */
  recording: z.strictObject({
    enabled: z.boolean(),
    /** Heard before anything is recorded: what is recorded, why, who keeps it and the caller's rights. */
    notice: spoken(1_000).refine((text) => /29733/.test(text), { error: 'must name Ley 29733, which requires telling the caller' }),
  }),
  /** One question after the agent hangs up, answered with a key from 1 to 5. */
  survey: z.strictObject({
    enabled: z.boolean(),
    question: spoken(500),
    /** Heard before the question is asked once more, after a key that is not 1 to 5. */
    invalidAnswer: spoken(300),
    thanks: spoken(300),
  }),
  menu: ivrMenuSchema,
});

export type IvrFile = z.output<typeof ivrFileSchema>;

// ─── mailboxes.json ─────────────────────────────────────────────────────────────────────────────────────────────

const MAILBOX_ID = /^[a-z][a-z0-9-]{0,30}$/;
const MIB = 1_048_576;
/** An IMAP folder path as the server names it (`INBOX`, `Procesados`, `INBOX/Procesados`). */
const folderSchema = z.string().trim().min(1).max(200);

/** One mailbox the email channel reads: one IMAP connection. */
export const mailboxSchema = z.strictObject({
  /** Stable id: names the mailbox in logs, in its stored reading state and in the key of a mail without Message-ID. */
  id: z.string().regex(MAILBOX_ID, { error: 'must be lowercase letters, digits or "-", starting with a letter (at most 31)' }),
  /** The address citizens write to. It is the routing hint (`emailTo`) of mail sent to it. */
  address: emailSchema,
  /** Other addresses the mail server delivers into the same mailbox; mail sent to one is routed by that address. */
  aliases: z.array(emailSchema).max(50).default([]),
  /** The IMAP user name of this mailbox when not IMAP_USER (a shared mailbox, a Dovecot master login); same password. */
  login: z.string().trim().min(1).max(320).optional(),
  /** The folder new mail arrives in. */
  folder: folderSchema.default('INBOX'),
  /**
   * Where a mail goes once its ticket or interaction is stored (created if missing). Without it the mail stays where
   * it is, marked read, and the stored last UID alone says it was taken in.
   */
  processedFolder: folderSchema.optional(),
});

export type MailboxConfig = z.output<typeof mailboxSchema>;

const mailboxesShape = z.object({ mailboxes: z.array(z.object({ id: z.string(), address: z.string(), aliases: z.array(z.string()), folder: z.string(), processedFolder: z.string().optional() })) });

function checkMailboxes(file: z.output<typeof mailboxesShape>, ctx: z.core.$RefinementCtx): void {
  const seenId = firstSeen();
  const seenAddress = firstSeen();
  file.mailboxes.forEach((mailbox, i) => {
    const first = seenId(mailbox.id, i);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['mailboxes', i, 'id'], message: `mailbox id "${mailbox.id}" already used at ${at('mailboxes', first)}` });
    [mailbox.address, ...mailbox.aliases].forEach((address, j) => {
      const earlier = seenAddress(address, i);
      const path = j === 0 ? ['mailboxes', i, 'address'] : ['mailboxes', i, 'aliases', j - 1];
      if (earlier !== undefined) ctx.addIssue({ code: 'custom', path, message: `address "${address}" already read by ${at('mailboxes', earlier)}` });
    });
    if (mailbox.processedFolder !== undefined && mailbox.processedFolder === mailbox.folder) {
      ctx.addIssue({ code: 'custom', path: ['mailboxes', i, 'processedFolder'], message: 'must differ from the folder new mail arrives in' });
    }
  });
}

/** `config/mailboxes.json`: the mailboxes the email channel reads, and what it keeps of their mail. */
export const mailboxesFileSchema = z
  .strictObject({
    /**
     * Calendar days after a case was resolved in which the citizen's answer reopens it; a later answer opens a new
     * case that names the old one.
     */
    reopenWindowDays: z.int().min(0).max(365),
    /** Attachments are kept up to these sizes; what does not fit is listed on the case as not kept. */
    attachments: z
      .strictObject({
        maxFileBytes: z.int().min(1).max(100 * MIB),
        maxMessageBytes: z.int().min(1).max(500 * MIB),
      })
      .refine((limits) => limits.maxFileBytes <= limits.maxMessageBytes, { error: 'maxFileBytes must not exceed maxMessageBytes' }),
    mailboxes: z.array(mailboxSchema).max(20),
  })
  .superRefine(checkMailboxes, whenValid(mailboxesShape));

export type MailboxesFile = z.output<typeof mailboxesFileSchema>;
// ─── kiosk.json ─────────────────────────────────────────────────────────────────────────────────────────────────

const COUNTER_CODE = /^[A-Z0-9][A-Z0-9-]{0,15}$/;

const kioskServiceSchema = z.strictObject({
  /** Stable code of the service at the counters, e.g. `caja`; names the hall's queue of its turns. */
  code: z.string().regex(SLUG, { error: `${SLUG_MESSAGE}, e.g. "caja"` }),
  /** What the kiosk button and the printed turn say, in Spanish. */
  name: nameSchema.max(80, { error: 'at most 80 characters (a kiosk button and a printed line)' }),
  /** The letters before the turn number: `R` gives `R-042`. */
  prefix: z.string().regex(TURN_PREFIX, { error: 'must be 1 to 3 capital letters, e.g. "R" or "RC"' }),
  /** The `kioskService` a routing rule of routing.json matches: where the turn's ticket goes. */
  routingHint: z.string().regex(SLUG, { error: `${SLUG_MESSAGE}, e.g. "caja"` }),
  /** Minutes a turn usually keeps a counter: the wait estimate's figure until the day's own attentions say more. */
  typicalServiceMinutes: z.number().positive({ error: 'must be greater than 0' }).max(240, { error: 'must be at most 240 minutes' }),
  /** Local time after which the service gives no more turns that day, so the last citizens are served before closing. */
  lastTurnAt: timeSchema.optional(),
});

const counterSchema = z.strictObject({
  /** Short code staff sign in with, e.g. `V3`. */
  code: z.string().regex(COUNTER_CODE, { error: 'must be capital letters, digits or "-", e.g. "V3"' }),
  /** What the board shows and reads out: "Ventanilla 3". */
  name: nameSchema.max(40, { error: 'at most 40 characters (the display board)' }),
  /** Codes of the kiosk services whose turns this counter calls. */
  services: z.array(z.string()).min(1, { error: 'a counter serves at least one service' }).superRefine(noDuplicates('service')),
});

const kioskRefShape = z.object({
  services: z.array(z.object({ code: z.string(), prefix: z.string() })),
  counters: z.array(z.object({ code: z.string(), name: z.string(), services: z.array(z.string()) })),
});

function checkKiosk(file: z.output<typeof kioskRefShape>, ctx: z.core.$RefinementCtx): void {
  const seenCode = firstSeen();
  const seenPrefix = firstSeen();
  file.services.forEach((service, index) => {
    const first = seenCode(service.code, index);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['services', index, 'code'], message: `duplicate service "${service.code}" (first used at ${at('services', first)})` });
    const firstPrefix = seenPrefix(service.prefix, index);
    // Two services numbering "R-001" on the same day would give two citizens the same turn.
    if (firstPrefix !== undefined) ctx.addIssue({ code: 'custom', path: ['services', index, 'prefix'], message: `prefix "${service.prefix}" already used at ${at('services', firstPrefix)}` });
  });
  const known = new Set(file.services.map((s) => s.code));
  const served = new Set<string>();
  const seenCounter = firstSeen();
  const seenName = firstSeen();
  file.counters.forEach((counter, index) => {
    const first = seenCounter(counter.code, index);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['counters', index, 'code'], message: `duplicate counter "${counter.code}" (first used at ${at('counters', first)})` });
    const firstName = seenName(counter.name.trim().toLocaleLowerCase('es-PE'), index);
    // The board calls citizens by the counter's name: two counters with one name send them to the wrong one.
    if (firstName !== undefined) ctx.addIssue({ code: 'custom', path: ['counters', index, 'name'], message: `name "${counter.name}" already used at ${at('counters', firstName)}` });
    counter.services.forEach((code, i) => {
      if (known.has(code)) served.add(code);
      else ctx.addIssue({ code: 'custom', path: ['counters', index, 'services', i], message: `unknown kiosk service "${code}"` });
    });
  });
  file.services.forEach((service, index) => {
    // Turns of a service no counter serves would be handed out and never called.
    if (!served.has(service.code)) ctx.addIssue({ code: 'custom', path: ['services', index, 'code'], message: `no counter serves "${service.code}": its turns would never be called` });
  });
}

/** `config/kiosk.json`: the counter hall, its services (with turn prefixes and routing hints) and its counters. */
export const kioskFileSchema = z
  .strictObject({
    locale: z.literal('es-PE'),
    hall: z.strictObject({
      /** Printed at the top of every turn. */
      name: nameSchema.max(80),
      /** Times a called citizen is announced again before the counter may close the turn as a no-show. */
      recallsBeforeNoShow: z.int().min(0).max(10),
      /** Calls a display board receives when it connects (the last ones first shown). */
      displayHistory: z.int().min(1).max(50),
    }),
    services: z.array(kioskServiceSchema).min(1, { error: 'at least one service is required' }),
    counters: z.array(counterSchema).min(1, { error: 'at least one counter is required' }),
  })
  .superRefine(checkKiosk, whenValid(kioskRefShape));

export type KioskFile = z.output<typeof kioskFileSchema>;
