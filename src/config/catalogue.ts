/**
 * Loads the configuration catalogue (`units.json`, `services.json`, `calendar.json`, `routing.json`, `sla.json`,
 * `templates.json`, `ivr.json`, `mailboxes.json`, `kiosk.json`) once at boot. Every problem in every file is collected and thrown together as one
 * {@link CatalogueError}, so whoever edits the JSON fixes the whole list in one pass instead of restarting once per
 * mistake.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { CalendarConfig } from '../domain/calendar.types.js';
import type { MessageTemplates } from '../domain/message-templates.js';
import { ivrChoicePaths, type IvrConfig } from '../domain/ivr.js';
import type { RoutingConfig } from '../domain/routing.js';
import {
  calendarConfigSchema,
  createRoutingFileSchema,
  createServicesFileSchema,
  createSlaFileSchema,
  ivrFileSchema,
  kioskFileSchema,
  mailboxesFileSchema,
  templatesFileSchema,
  unitsFileSchema,
  type KioskFile,
  type MailboxesFile,
  type ServiceConfig,
  type SlaFile,
  type UnitConfig,
} from './catalogue.schema.js';

/** A value and everything inside it made read-only, as the loaded catalogue is frozen at runtime. */
export type DeepReadonly<T> = T extends (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** An organisation unit of the municipality (`config/units.json`). */
export type Unit = DeepReadonly<UnitConfig>;

/** An entry of the service catalogue (`config/services.json`). */
export type Service = DeepReadonly<ServiceConfig>;

/** The SLA policies (`config/sla.json`); a ticket's policy is chosen with `selectSlaPolicy`. */
export type SlaCatalogue = DeepReadonly<SlaFile>;

/** The mailboxes the email channel reads and what it keeps of their mail (`config/mailboxes.json`). */
export type MailboxesCatalogue = DeepReadonly<MailboxesFile>;
/** A service offered at the counters (`config/kiosk.json`). */
export type KioskService = DeepReadonly<KioskFile['services'][number]>;

/** A counter (ventanilla) of the hall. */
export type HallCounter = DeepReadonly<KioskFile['counters'][number]>;

/** The counter hall: its services, counters and rules (`config/kiosk.json`), every service routed by routing.json. */
export interface KioskCatalogue {
  readonly hall: DeepReadonly<KioskFile['hall']>;
  readonly services: readonly KioskService[];
  readonly counters: readonly HallCounter[];
  serviceByCode(code: string): KioskService | undefined;
  counterByCode(code: string): HallCounter | undefined;
}

/** The validated, frozen configuration catalogue. */
export interface Catalogue {
  readonly units: readonly Unit[];
  readonly services: readonly Service[];
  /**
   * Business hours and holidays, holidays sorted by date. Frozen at runtime like the rest; typed as the domain's
   * `CalendarConfig` because `createBusinessCalendar` takes that type and readonly arrays would not be accepted.
   */
  readonly calendar: CalendarConfig;
  /** Routing rules, queues per unit and the triage queue (`config/routing.json`), for `routeContact`. */
  readonly routing: RoutingConfig;
  /** SLA targets per ticket type and unit (`config/sla.json`), exactly one default policy among them. */
  readonly sla: SlaCatalogue;
  /** What citizens and staff read, es-PE, by template id (`config/templates.json`); render with `renderMessage`. */
  readonly templates: MessageTemplates;
  /** The phone menu (`config/ivr.json`), every choice covered by a phone routing rule. */
  readonly ivr: IvrConfig;
  /** The email channel's mailboxes (`config/mailboxes.json`), every address covered by an email routing rule. */
  readonly mailboxes: MailboxesCatalogue;
  /** The counter hall: services at the counters, counters, turn rules (`config/kiosk.json`). */
  readonly kiosk: KioskCatalogue;
  /** The one unit with `isAttentionOffice: true`: it takes contacts in and answers for them to the citizen. */
  readonly attentionOffice: Unit;
  unitByCode(code: string): Unit | undefined;
  serviceByCode(code: string): Service | undefined;
}

/** One thing wrong with the catalogue. */
export interface CatalogueProblem {
  /** The file as `configDir` + file name, e.g. `config/services.json`. */
  readonly file: string;
  /** Where in the file, JSON-path-like (`services[3].unit`); empty when the problem concerns the whole file. */
  readonly path: string;
  readonly message: string;
}

/** Renders problems one per line: `config/services.json: services[3].unit: unknown unit "XYZ"`. */
export function formatProblems(problems: readonly CatalogueProblem[]): string {
  return problems
    .map(({ file, path, message }) => (path === '' ? `${file}: ${message}` : `${file}: ${path}: ${message}`))
    .join('\n');
}

/** Thrown by {@link loadCatalogue} with every problem found in every file. */
export class CatalogueError extends Error {
  override readonly name = 'CatalogueError';
  readonly problems: readonly CatalogueProblem[];

  constructor(problems: readonly CatalogueProblem[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(`configuration catalogue is invalid (${count}):\n${formatProblems(problems)}`);
    this.problems = Object.freeze([...problems]);
  }
}

type JsonRead = { ok: true; value: unknown } | { ok: false; problem: CatalogueProblem };

function isErrnoException(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && 'code' in error;
}

async function readJson(file: string): Promise<JsonRead> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const message =
      isErrnoException(error) && error.code === 'ENOENT'
        ? 'file not found'
        : `cannot read file: ${error instanceof Error ? error.message : String(error)}`;
    return { ok: false, problem: { file, path: '', message } };
  }
  try {
    // Editors on Windows save UTF-8 with a byte-order mark, which JSON.parse rejects.
    return { ok: true, value: JSON.parse(text.replace(/^\uFEFF/, '')) };
  } catch (error) {
    const message = `invalid JSON: ${error instanceof Error ? error.message : String(error)}`;
    return { ok: false, problem: { file, path: '', message } };
  }
}

function validate<T>(schema: z.ZodType<T>, read: JsonRead, file: string, problems: CatalogueProblem[]): T | undefined {
  if (!read.ok) {
    problems.push(read.problem);
    return undefined;
  }
  const result = schema.safeParse(read.value);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    problems.push({ file, path: z.core.toDotPath(issue.path), message: issue.message });
  }
  return undefined;
}

// Services are checked against whatever unit codes units.json declares, even when that file has other problems:
// a bad e-mail on one unit must not hide a service that names a unit that does not exist.
function declaredUnitCodes(read: JsonRead): ReadonlySet<string> | undefined {
  if (!read.ok) return undefined;
  const shape = z.object({ units: z.array(z.unknown()) }).safeParse(read.value);
  if (!shape.success) return undefined;
  const codes = new Set<string>();
  for (const unit of shape.data.units) {
    const code = z.object({ code: z.string() }).safeParse(unit);
    if (code.success) codes.add(code.data.code);
  }
  return codes;
}

// Like declaredUnitCodes, so routing.json is checked against the services that services.json declares even when
// another entry of that file is broken. A service whose unit is unusable maps to undefined.
function declaredServiceUnits(read: JsonRead): ReadonlyMap<string, string | undefined> | undefined {
  if (!read.ok) return undefined;
  const shape = z.object({ services: z.array(z.unknown()) }).safeParse(read.value);
  if (!shape.success) return undefined;
  const units = new Map<string, string | undefined>();
  for (const service of shape.data.services) {
    const entry = z.object({ code: z.string(), unit: z.string().optional().catch(undefined) }).safeParse(service);
    if (entry.success && !units.has(entry.data.code)) units.set(entry.data.code, entry.data.unit);
  }
  return units;
}

function deepFreeze<T>(value: T): DeepReadonly<T> {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value as DeepReadonly<T>;
}

/**
 * Reads and validates every catalogue file (`units.json`, `services.json`, `calendar.json`, `routing.json`, ...)
 * from `configDir`.
 *
 * @throws {CatalogueError} listing every problem found in all the files: missing or unreadable file, invalid
 *   JSON, schema violation, or a reference to something that does not exist.
 */
export async function loadCatalogue(configDir: string): Promise<Catalogue> {
  const files = {
    units: join(configDir, 'units.json'),
    services: join(configDir, 'services.json'),
    calendar: join(configDir, 'calendar.json'),
    routing: join(configDir, 'routing.json'),
    sla: join(configDir, 'sla.json'),
    templates: join(configDir, 'templates.json'),
    ivr: join(configDir, 'ivr.json'),
    mailboxes: join(configDir, 'mailboxes.json'),
    kiosk: join(configDir, 'kiosk.json'),
  };
  const [unitsRead, servicesRead, calendarRead, routingRead] = await Promise.all([
    readJson(files.units),
    readJson(files.services),
    readJson(files.calendar),
    readJson(files.routing),
  ]);

  const [slaRead, templatesRead, ivrRead, mailboxesRead, kioskRead] = await Promise.all([readJson(files.sla), readJson(files.templates), readJson(files.ivr), readJson(files.mailboxes), readJson(files.kiosk)]);
  const problems: CatalogueProblem[] = [];
  const unitsFile = validate(unitsFileSchema, unitsRead, files.units, problems);
  const servicesSchema = createServicesFileSchema({ unitCodes: declaredUnitCodes(unitsRead) });
  const servicesFile = validate(servicesSchema, servicesRead, files.services, problems);
  const calendarConfig = validate(calendarConfigSchema, calendarRead, files.calendar, problems);
  const routingSchema = createRoutingFileSchema({
    unitCodes: declaredUnitCodes(unitsRead),
    serviceUnits: declaredServiceUnits(servicesRead),
  });
  const routingFile = validate(routingSchema, routingRead, files.routing, problems);
  const slaFile = validate(createSlaFileSchema({ unitCodes: declaredUnitCodes(unitsRead) }), slaRead, files.sla, problems);
  const templatesFile = validate(templatesFileSchema, templatesRead, files.templates, problems);
  const ivrFile = validate(ivrFileSchema, ivrRead, files.ivr, problems);
  const kioskFile = validate(kioskFileSchema, kioskRead, files.kiosk, problems);
  if (kioskFile !== undefined && routingFile !== undefined) {
    // A kiosk service no kiosk rule matches would send every turn of it to triage.
    kioskFile.services.forEach((service, index) => {
      const covered = routingFile.rules.some((rule) => rule.when.kioskService === service.routingHint && (rule.when.channel === undefined || [rule.when.channel].flat().includes('kiosk')));
      if (!covered) problems.push({ file: files.kiosk, path: `services[${index}].routingHint`, message: `no rule of routing.json matches the kiosk service "${service.routingHint}" (when.kioskService)` });
    });
  }
  if (ivrFile !== undefined && routingFile !== undefined) {
    // A choice no phone rule matches would send its callers to triage, whatever the menu promised them.
    for (const path of ivrChoicePaths(ivrFile)) {
      const covered = routingFile.rules.some((rule) => rule.when.ivrDigits === path && (rule.when.channel === undefined || rule.when.channel === 'phone'));
      if (!covered) problems.push({ file: files.ivr, path: 'menu', message: `no rule of routing.json matches the phone choice "${path}" (when.ivrDigits)` });
    }
  }

  const mailboxesFile = validate(mailboxesFileSchema, mailboxesRead, files.mailboxes, problems);
  if (mailboxesFile !== undefined && routingFile !== undefined) {
    // Mail to an address no rule names would be routed by its words alone, or land in triage, whatever the office
    // published the address for.
    mailboxesFile.mailboxes.forEach((mailbox, i) => {
      for (const address of [mailbox.address, ...mailbox.aliases]) {
        const covered = routingFile.rules.some((rule) => rule.when.emailTo?.toLowerCase() === address && (rule.when.channel === undefined || rule.when.channel === 'email' || (Array.isArray(rule.when.channel) && rule.when.channel.includes('email'))));
        if (!covered) problems.push({ file: files.mailboxes, path: `mailboxes[${i}]`, message: `no rule of routing.json matches mail to "${address}" (when.emailTo)` });
      }
    });
  }

  if (
    unitsFile === undefined ||
    servicesFile === undefined ||
    calendarConfig === undefined ||
    routingFile === undefined
  ) {
    throw new CatalogueError(problems);
  }
  if (slaFile === undefined || templatesFile === undefined || ivrFile === undefined || mailboxesFile === undefined || kioskFile === undefined || problems.length > 0) throw new CatalogueError(problems);

  const units = deepFreeze(unitsFile.units);
  const services = deepFreeze(servicesFile.services);
  const calendar: CalendarConfig = {
    ...calendarConfig,
    holidays: [...calendarConfig.holidays].sort((a, b) => a.date.localeCompare(b.date)),
  };
  deepFreeze(calendar);
  const routing: RoutingConfig = deepFreeze(routingFile);
  const sla = deepFreeze(slaFile);
  const templates: MessageTemplates = deepFreeze(templatesFile.templates);
  const ivr: IvrConfig = deepFreeze(ivrFile);
  const mailboxes = deepFreeze(mailboxesFile);
  const kioskServices = new Map(kioskFile.services.map((service) => [service.code, service]));
  const counters = new Map(kioskFile.counters.map((counter) => [counter.code, counter]));
  const kiosk: KioskCatalogue = Object.freeze({
    ...deepFreeze(kioskFile),
    serviceByCode: (code: string) => kioskServices.get(code),
    counterByCode: (code: string) => counters.get(code),
  });
  const unitsByCode = new Map(units.map((unit) => [unit.code, unit]));
  const servicesByCode = new Map(services.map((service) => [service.code, service]));
  const attentionOffice = units.find((unit) => unit.isAttentionOffice === true);
  if (attentionOffice === undefined) {
    // unitsFileSchema guarantees exactly one; reaching this means the schema and the loader disagree.
    throw new Error('units.json passed validation without an attention office');
  }

  return Object.freeze({
    units,
    services,
    calendar,
    routing,
    sla,
    templates,
    ivr,
    mailboxes,
    kiosk,
    attentionOffice,
    unitByCode: (code: string) => unitsByCode.get(code),
    serviceByCode: (code: string) => servicesByCode.get(code),
  });
}
