import { randomUUID } from 'node:crypto';
import { Types } from 'mongoose';
import type { Catalogue, Service } from '../src/config/catalogue.js';
import { createBusinessCalendar, type BusinessCalendar } from '../src/domain/business-calendar.js';
import { WEEKDAYS, type CalendarConfig, type LocalDate } from '../src/domain/calendar.types.js';
import { parseRuc } from '../src/domain/identity-documents.js';
import { priorityClassOf, priorityScore, type PriorityClass } from '../src/domain/priority.js';
import { planSlaDueDates, selectSlaPolicy } from '../src/domain/sla-policy.js';
import type { TicketStatus } from '../src/domain/ticket-lifecycle.js';
import type { Channel } from '../src/domain/ticket-types.js';
import { searchTerms } from '../src/domain/search-text.js';
import { formatTrackingCode } from '../src/domain/tracking-code.js';
import { citizenMessageIdFor } from '../src/store/citizen-message.repository.js';
import type { CitizenDoc, CitizenIdentifierDoc, CitizenIdentifierKind } from '../src/store/citizen.model.js';
import type { InteractionDoc } from '../src/store/interaction.model.js';
import type { ActorKind, TicketEventDoc } from '../src/store/ticket-event.model.js';
import { ticketEventIdFor } from '../src/store/ticket-event.repository.js';
import { onceEventId } from '../src/store/ticket-sla.repository.js';
import type { SearchWordDoc, TicketTermDoc } from '../src/store/ticket-term.model.js';
import { postingOf } from '../src/store/ticket-term.repository.js';
import type { TicketDoc } from '../src/store/ticket.model.js';
import { ticketIdFor } from '../src/store/ticket.repository.js';
import { seededRandom, weighted } from './stats.js';

/*
 * What a year of closed tickets leaves in the store, shaped as the application writes it: the tickets, the citizens who
 * called, wrote or came (with the lookup documents their identifiers are found by), and each ticket's audit events and
 * interactions. Pure: no store, no clock but the `now` handed in; the same size gives the same year. bench/history.ts
 * writes it. The proportions are stated below, in one place, and in docs/benchmarks.md ("The history").
 */

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** Business minutes in a business day (08:00-17:00). */
const BUSINESS_DAY_MINUTES = 540;

// ─── proportions of a real office ─────────────────────────────────────────────────────────────────────────────────

/** How contacts arrive. */
export const CHANNEL_MIX: readonly (readonly [Channel, number])[] = [
  ['phone', 35],
  ['email', 30],
  ['kiosk', 25],
  ['manual', 10],
];

/** Priority classes of tickets not tied to a citizen's standing (the waiting tickets of take-next). */
export const PRIORITY_MIX: readonly (readonly [PriorityClass, number])[] = [
  ['normal', 80],
  ['vpp', 12],
  ['preferential', 8],
];

/**
 * Who the history's citizens are. A contact names a citizen unless the channel gave nothing to know them by; it comes
 * from a citizen already known by what the channel gives (`returning`, about a third) or from a new one, so about 62
 * citizens for every 100 tickets; half of the returning contacts come from citizens drawn in proportion to the cases
 * they have had, so a few have dozens.
 */
export const CITIZENS = {
  /** Contacts that name nobody: withheld numbers, a kiosk turn taken without a DNI, a list's bulletin. */
  anonymous: { phone: 0.05, email: 0.01, kiosk: 0.15, manual: 0 } satisfies Record<Channel, number>,
  /** Of the contacts that name someone, those from a citizen the channel's identifier already finds. */
  returning: 0.34,
  /** Of those, the share drawn in proportion to the cases the citizen already had (the rest: any known citizen). */
  byCases: 0.5,
  /** A caller's number: a mobile (`+519…`), else a Lima landline (`+511…`). */
  mobile: 0.85,
  /** Cases keyed in by hand: a business (RUC 20…) rather than a person (DNI); a person's RUC 10…; a phone; an email. */
  manualBusiness: 0.15,
  manualPersonRuc: 0.05,
  manualPhone: 0.6,
  manualEmail: 0.35,
  /** Standing of a citizen known by DNI or RUC: Vecino Puntual, Ley 28683 preferential attention. */
  vpp: 0.2,
  preferential: 0.08,
  /** Preferential attention declared at the kiosk for one turn (a pregnancy, a child in arms). */
  kioskDeclaredPreferential: 0.05,
} as const;

/** Share of email contacts that arrive outside office hours (the rest, like every other channel, within them). */
const EMAIL_ANY_HOUR = 0.25;

/**
 * What happens to a ticket between its creation and its closing (`LifeWriter`). Every ticket is assigned to an agent of
 * its unit (by the assignment service, or taken with take-next), started, answered in writing (the `replied`
 * interaction, out), resolved and closed by its agent; the rest happens to some.
 */
export const LIFE = {
  /** Assignments an agent took with take-next (actor: the agent) rather than the assignment service (actor: system). */
  takeNext: 0.25,
  /** Cases the agent refers to another unit (`referred`), which resolves them (`reported_back`); the office answers and closes. */
  referred: 0.05,
  /** Cases with an internal note (`note_added`). */
  note: 0.03,
  /** Cases by mail on which the citizen writes again while they are worked (`email_received`). */
  mailFollowUp: 0.05,
  /** SLA outcome aimed at for cases with a policy: resolved before the at-risk warning, after it, or after the due date. */
  sla: { onTime: 0.84, atRisk: 0.1, breached: 0.06 },
  /** Business minutes, [from, to): in the queue before assignment, assigned before started, started before answered. */
  queueMinutes: { phone: [0.2, 6], email: [5, 300], kiosk: [2, 30], manual: [1, 30] } satisfies Record<Channel, readonly [number, number]>,
  startMinutes: { phone: [0.05, 0.5], email: [1, 120], kiosk: [0.5, 3], manual: [0.5, 20] } satisfies Record<Channel, readonly [number, number]>,
  answerMinutes: { phone: [1, 15], email: [10, 300], kiosk: [3, 15], manual: [5, 120] } satisfies Record<Channel, readonly [number, number]>,
  /** Business minutes from resolved to closed. */
  closeMinutes: [5, 2 * BUSINESS_DAY_MINUTES] as const,
} as const;

/** The interaction that records the contact, by channel (intake's `FIRST_INTERACTION`). */
const CONTACT_KIND = { phone: 'call', email: 'email', kiosk: 'visit', manual: 'note' } as const satisfies Record<Channel, InteractionDoc['kind']>;
/** The interaction that records the office's answer, by channel (`replyToCitizen`). */
const ANSWER_KIND = { phone: 'sms', email: 'email', kiosk: 'note', manual: 'note' } as const satisfies Record<Channel, InteractionDoc['kind']>;

// ─── words ────────────────────────────────────────────────────────────────────────────────────────────────────────────

const RESOLUTIONS = [
  'Se brindó la orientación solicitada al vecino.',
  'Se derivó la información del trámite y los requisitos vigentes.',
  'El área atendió el pedido y se informó al vecino por su canal de contacto.',
  'Se verificó en campo y se programó la atención.',
  'El vecino confirmó que su consulta quedó resuelta.',
] as const;

const FIRST_NAMES = ['Rosa', 'Luis', 'María', 'Jorge', 'Carmen', 'José', 'Ana', 'Víctor', 'Lucía', 'Pedro', 'Juana', 'Carlos', 'Elena', 'Miguel', 'Teresa', 'Raúl'] as const;
const LAST_NAMES = ['Quispe', 'Flores', 'Sánchez', 'Rodríguez', 'García', 'Rojas', 'Díaz', 'Torres', 'López', 'Mendoza', 'Huamán', 'Chávez', 'Vásquez', 'Ramírez', 'Castillo', 'Mamani'] as const;
const MAIL_DOMAINS: readonly (readonly [string, number])[] = [
  ['gmail.com', 60],
  ['hotmail.com', 20],
  ['outlook.com', 8],
  ['yahoo.es', 5],
  ['pucp.edu.pe', 2],
  ['empresa.com.pe', 5],
];
const NOTES = [
  'Se coordinó por teléfono con el área; confirman que atenderán esta semana.',
  'El vecino volverá con la copia del documento que faltaba.',
  'Se revisó el expediente en el sistema de trámite documentario: está en evaluación.',
  'Caso similar atendido el mes pasado; se siguió el mismo criterio.',
] as const;
const FOLLOW_UPS = [
  'Buenos días, adjunto la información que me solicitaron para continuar con mi pedido. Quedo atento.',
  'Buenas tardes, quisiera saber en qué estado se encuentra mi solicitud. Gracias de antemano.',
  'Gracias por su respuesta. Tengo una consulta adicional sobre los requisitos: ¿el trámite puede hacerse en línea?',
] as const;
const ANSWERS = [
  'Le informamos que su pedido fue registrado y derivado al área competente, que lo atenderá en el plazo de ley.',
  'Los requisitos vigentes están publicados en el TUPA de la municipalidad; puede presentarlos en mesa de partes o por correo.',
  'Se programó la visita de inspección; el personal se identificará con su fotocheck institucional.',
  'Su consulta fue atendida: el estado de cuenta actualizado puede verse en la web de la municipalidad.',
] as const;
/** The office's phone number, as Twilio names the called number. */
const OFFICE_PHONE = '+5114630000';

function pick<T>(list: readonly T[], r: number): T {
  const item = list[Math.floor(r * list.length)];
  if (item === undefined) throw new Error('pick: empty list');
  return item;
}

function hex(random: () => number, digits: number): string {
  let out = '';
  while (out.length < digits) out += Math.floor(random() * 0x1_0000_0000).toString(16).padStart(8, '0');
  return out.slice(0, digits);
}

const ascii = (text: string): string => text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();

// ─── business time ────────────────────────────────────────────────────────────────────────────────────────────────────

/**
 * The office calendar (`createBusinessCalendar`) with its business-minute arithmetic answered from the opening windows
 * of a span of days laid end to end (a binary search instead of a walk day by day), and its day arithmetic remembered:
 * the same answers, fast enough for the hundreds of thousands of instants of a year of tickets. Outside the span it
 * asks the calendar.
 */
export class BusinessClock implements BusinessCalendar {
  private readonly calendar: BusinessCalendar;
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  /** Business milliseconds in the windows before each one. */
  private readonly before: number[] = [];
  private readonly days = new Map<string, unknown>();

  /** `fromMs`, `toMs`: the span of instants asked about (a margin of days is added on both sides). */
  constructor(config: CalendarConfig, fromMs: number, toMs: number) {
    this.calendar = createBusinessCalendar(config);
    const offsetMs = config.utcOffsetMinutes * MINUTE_MS;
    const minutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
    let total = 0;
    for (let day = Math.floor(fromMs / DAY_MS) - 3; day <= Math.ceil(toMs / DAY_MS) + 3; day++) {
      const date = new Date(day * DAY_MS).toISOString().slice(0, 10);
      if (!this.calendar.isBusinessDay(date)) continue;
      const weekday = WEEKDAYS[(new Date(day * DAY_MS).getUTCDay() + 6) % 7] ?? 'mon';
      const midnight = day * DAY_MS - offsetMs;
      for (const range of [...config.businessHours[weekday]].sort((a, b) => minutes(a.start) - minutes(b.start))) {
        this.starts.push(midnight + minutes(range.start) * MINUTE_MS);
        this.ends.push(midnight + minutes(range.end) * MINUTE_MS);
        this.before.push(total);
        total += (minutes(range.end) - minutes(range.start)) * MINUTE_MS;
      }
    }
  }

  /** Index of the first window that ends after `ms`, or -1 when `ms` is outside the span. */
  private windowAfter(ms: number): number {
    const first = this.starts[0];
    const lastEnd = this.ends[this.ends.length - 1];
    if (first === undefined || lastEnd === undefined || ms < first - DAY_MS || ms >= lastEnd) return -1;
    let lo = 0;
    let hi = this.ends.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.ends[mid] ?? 0) > ms) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Business milliseconds from the span's start to `ms`. */
  private offset(ms: number, i: number): number {
    return (this.before[i] ?? 0) + Math.max(0, ms - (this.starts[i] ?? 0));
  }

  addBusinessMinutes(start: Date, minutes: number): Date {
    const i = this.windowAfter(start.getTime());
    if (i < 0 || !Number.isFinite(minutes) || minutes < 0) return this.calendar.addBusinessMinutes(start, minutes);
    const target = this.offset(start.getTime(), i) + Math.round(minutes * MINUTE_MS);
    // The first window from i on whose end reaches the target (a target at a closing time stays there).
    let lo = i;
    let hi = this.ends.length - 1;
    if ((this.before[hi] ?? 0) + (this.ends[hi] ?? 0) - (this.starts[hi] ?? 0) < target) return this.calendar.addBusinessMinutes(start, minutes);
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.before[mid] ?? 0) + (this.ends[mid] ?? 0) - (this.starts[mid] ?? 0) >= target) hi = mid;
      else lo = mid + 1;
    }
    return new Date((this.starts[lo] ?? 0) + target - (this.before[lo] ?? 0));
  }

  businessMinutesBetween(a: Date, b: Date): number {
    const i = this.windowAfter(a.getTime());
    const j = this.windowAfter(b.getTime());
    if (i < 0 || j < 0) return this.calendar.businessMinutesBetween(a, b);
    return (this.offset(b.getTime(), j) - this.offset(a.getTime(), i)) / MINUTE_MS;
  }

  private remember<T>(key: string, answer: () => T): T {
    if (!this.days.has(key)) this.days.set(key, answer());
    return this.days.get(key) as T;
  }

  toLocalDate(instant: Date): LocalDate {
    return this.calendar.toLocalDate(instant);
  }
  isHoliday(date: LocalDate): ReturnType<BusinessCalendar['isHoliday']> {
    return this.calendar.isHoliday(date);
  }
  isBusinessDay(date: LocalDate): boolean {
    return this.remember(`business ${date}`, () => this.calendar.isBusinessDay(date));
  }
  nextBusinessDay(date: LocalDate): LocalDate {
    return this.remember(`next ${date}`, () => this.calendar.nextBusinessDay(date));
  }
  addBusinessDays(date: LocalDate, n: number): LocalDate {
    return this.remember(`add ${date} ${n}`, () => this.calendar.addBusinessDays(date, n));
  }
  businessDaysBetween(from: LocalDate, to: LocalDate): number {
    return this.calendar.businessDaysBetween(from, to);
  }
  isOpen(instant: Date): boolean {
    return this.calendar.isOpen(instant);
  }
  dueAtEndOfBusinessDay(date: LocalDate): Date {
    return this.remember(`due ${date}`, () => this.calendar.dueAtEndOfBusinessDay(date));
  }
}

/** The span of a year of history ending at `now`, with room for its SLA due dates. */
export function historyClock(catalogue: Catalogue, now: number): BusinessClock {
  return new BusinessClock(catalogue.calendar, now - 366 * DAY_MS, now + 120 * DAY_MS);
}

// ─── tickets ──────────────────────────────────────────────────────────────────────────────────────────────────────────

/** The channel's own idempotency key, shaped as each channel shapes it (CallSid, Message-ID, kiosk request, manual entry). */
export type ChannelKeys = (channel: Channel) => string;

/** Random channel keys: the tickets the harness writes for a phase (no two runs share them). */
export const randomChannelKeys: ChannelKeys = (channel) => keyOf(channel, () => randomUUID().replace(/-/g, ''));

/** Channel keys drawn from `random`: the history's, the same every run. */
export function seededChannelKeys(random: () => number): ChannelKeys {
  return (channel) => keyOf(channel, () => hex(random, 32));
}

function keyOf(channel: Channel, hex32: () => string): string {
  const h = hex32();
  const uuid = `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
  switch (channel) {
    case 'phone':
      return `CA${h}`;
    case 'email':
      // The Message-ID without its angle brackets, as the email channel keeps it.
      return `${uuid}@correo.vecino.pe`;
    case 'kiosk':
      // `<device>:<request id>`, as the kiosk service names a turn.
      return `kiosk-${(parseInt(h.slice(0, 2), 16) % 3) + 1}:${uuid}`;
    case 'manual':
      return `manual:${uuid}`;
  }
}

/** What every generated ticket needs from the catalogue. */
export class TicketFactory {
  private readonly calendar: BusinessCalendar;
  private readonly office: string;
  private readonly servicesByChannel: Map<Channel, Service[]>;

  constructor(
    private readonly catalogue: Catalogue,
    private readonly random: () => number,
    private readonly channelKeys: ChannelKeys = randomChannelKeys,
    calendar?: BusinessCalendar,
  ) {
    this.calendar = calendar ?? createBusinessCalendar(catalogue.calendar);
    this.office = catalogue.attentionOffice.code;
    const routable = catalogue.services.filter((s) => catalogue.routing.queues.some((q) => q.unit === s.unit));
    this.servicesByChannel = new Map(CHANNEL_MIX.map(([channel]) => [channel, routable.filter((s) => s.channels.includes(channel))]));
  }

  localYear(at: Date): number {
    return new Date(at.getTime() + this.catalogue.calendar.utcOffsetMinutes * 60_000).getUTCFullYear();
  }

  /**
   * A ticket as intake and routing leave it; `unit` forces the unit (tickets waiting for one unit's agents). Without a
   * `priorityClass`, one is drawn from {@link PRIORITY_MIX}.
   */
  make(input: { createdAt: Date; code: string; status: TicketStatus; unit?: string; channel?: Channel; citizenId?: Types.ObjectId; priorityClass?: PriorityClass }): TicketDoc {
    const r = this.random;
    const drawn = weighted(CHANNEL_MIX, r());
    const channel = input.channel ?? drawn;
    const candidates = (this.servicesByChannel.get(channel) ?? []).filter((s) => input.unit === undefined || s.unit === input.unit);
    const service = candidates.length > 0 ? pick(candidates, r()) : undefined;
    const unitCode = input.unit ?? service?.unit ?? this.office;
    const queue = this.catalogue.routing.queues.find((q) => q.unit === unitCode)?.code ?? 'general';
    const type = service?.ticketType ?? 'consulta';
    const priorityClass = input.priorityClass ?? weighted(PRIORITY_MIX, r());
    const channelKey = this.channelKeys(channel);
    const createdAt = input.createdAt;
    const enqueuedAt = new Date(createdAt.getTime() + 500 + r() * 20_000);
    const policy = selectSlaPolicy(this.catalogue.sla.policies, { ticketType: type, unitCode });
    const due = policy ? planSlaDueDates(this.calendar, policy, channel, createdAt, []) : {};
    const subject = `${service?.name ?? 'Consulta general'} — ${pick(FIRST_NAMES, r())}`.slice(0, 300);
    return {
      _id: ticketIdFor(channel, channelKey),
      trackingCode: input.code,
      channel,
      channelKey,
      type,
      ...(service ? { serviceCode: service.code } : {}),
      unitCode,
      queue,
      requiredSkills: [],
      originUnitCode: this.office,
      status: input.status,
      priorityClass,
      priorityScore: priorityScore({ priorityClass, slaAtRisk: false }),
      slaAtRisk: false,
      ...(input.citizenId ? { citizenId: input.citizenId } : {}),
      subject,
      description: `Vecino solicita atención sobre: ${subject}. Dirección referencial: Av. San Martín ${Math.floor(r() * 1500) + 100}, Pueblo Libre.`,
      routingHint: { ...(service ? { serviceCode: service.code } : {}), text: subject },
      enqueuedAt,
      ...(policy ? { sla: { policy: policy.id, startedAt: createdAt, pauses: [], ...due } } : {}),
      version: 2,
      createdAt,
      updatedAt: enqueuedAt,
    };
  }
}

// ─── citizens ─────────────────────────────────────────────────────────────────────────────────────────────────────────

/** A citizen of the history: who they are, every identifier they are known by (in the order learnt), and since when. */
export interface PlannedCitizen {
  _id: Types.ObjectId;
  /** Their number in the history (0, 1, …): what their identifiers are made from, so no two citizens share one. */
  n: number;
  firstNames: string;
  lastNames: string;
  /** Whether the citizen record has the names (an agent keyed them in); contacts by phone, mail or kiosk give none. */
  named: boolean;
  dni?: string;
  ruc?: string;
  /** As the citizen repository stores them: emails lower case, phones as digits with a leading + when given. */
  emails: string[];
  phones: string[];
  preferential: boolean;
  vpp: boolean;
  /** When each identifier was learnt: the contact that gave it. */
  learnt: { kind: CitizenIdentifierKind; value: string; at: Date }[];
  createdAt: Date;
  cases: number;
}

/** One contact of the history, in creation order: its channel, when, and who (if anyone). */
export interface PlannedContact {
  channel: Channel;
  createdAt: Date;
  citizen?: PlannedCitizen;
  /** This contact made the citizen: the citizen and their identifiers are written with its ticket. */
  firstOfCitizen: boolean;
  /** As intake gives it: the citizen's standing, or preferential attention declared at the kiosk. */
  priorityClass: PriorityClass;
  /** The mailbox's UID of the mail (email contacts), in the order the mail arrived. */
  mailUid?: number;
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');
/** A different number for every `n` below `modulus` (the factor is prime to it). */
const scramble = (n: number, offset: number, modulus: number): number => (n * 7_919 + offset) % modulus;

/** The last digit SUNAT's check gives the first ten. */
function withRucCheck(firstTen: string): string {
  for (let d = 0; d <= 9; d++) if (parseRuc(`${firstTen}${d}`).ok) return `${firstTen}${d}`;
  throw new Error(`no RUC check digit for ${firstTen}`);
}

/** Each citizen's identifiers, made from their number. */
const citizenIds = {
  mobile: (n: number): string => `9${pad(scramble(n, 13_579_246, 100_000_000), 8)}`,
  landline: (n: number): string => `1${pad(scramble(n, 2_718_281, 10_000_000), 7)}`,
  dni: (n: number): string => String(10_000_000 + scramble(n, 4_242_424, 80_000_000)),
  businessRuc: (n: number): string => withRucCheck(`20${pad(scramble(n, 31_415_926, 100_000_000), 8)}`),
  personRuc: (dni: string): string => withRucCheck(`10${dni}`),
  /** `rosa.quispe17@gmail.com`: the first given name and surname, and the citizen's number. */
  email: (n: number, first: string, last: string, r: number): string => `${ascii(first.split(' ')[0] ?? first)}.${ascii(last.split(' ')[0] ?? last)}${n}@${weighted(MAIL_DOMAINS, r)}`,
};

/** The identifier a channel's contact is looked up by: what makes a known citizen "known" to that channel. */
function lookupKind(channel: Channel): CitizenIdentifierKind {
  return channel === 'phone' ? 'phone' : channel === 'email' ? 'email' : 'dni';
}

/** The history's citizens, and who each contact came from, in creation order. */
class CitizenRoll {
  readonly all: PlannedCitizen[] = [];
  /** Per lookup kind, the citizens it finds, and one entry per case of each (drawing from it favours those with more cases). */
  private readonly people = new Map<CitizenIdentifierKind, PlannedCitizen[]>([['phone', []], ['email', []], ['dni', []]]);
  private readonly cases = new Map<CitizenIdentifierKind, PlannedCitizen[]>([['phone', []], ['email', []], ['dni', []]]);
  private readonly knownAs = new Map<PlannedCitizen, Set<CitizenIdentifierKind>>();

  constructor(private readonly random: () => number) {}

  contactOf(channel: Channel, at: Date): PlannedCitizen | undefined {
    const r = this.random;
    if (r() < CITIZENS.anonymous[channel]) return undefined;
    const kind = lookupKind(channel);
    // A known citizen: half the time anyone the channel finds, half the time in proportion to their cases.
    const pool = (r() < CITIZENS.byCases ? this.cases : this.people).get(kind) ?? [];
    const returning = pool.length > 0 && r() < CITIZENS.returning;
    const citizen = returning ? pick(pool, r()) : this.newCitizen(channel, at);
    if (returning && channel === 'manual') {
      // The agent keys in what the citizen gives; the repository adds what it did not have (`addIdentifiers`).
      if (citizen.phones.length === 0 && r() < CITIZENS.manualPhone) this.learn(citizen, 'phone', citizenIds.mobile(citizen.n), at);
      if (citizen.emails.length === 0 && r() < CITIZENS.manualEmail) this.learn(citizen, 'email', citizenIds.email(citizen.n, citizen.firstNames, citizen.lastNames, r()), at);
    }
    citizen.cases++;
    const knownAs = this.knownAs.get(citizen) ?? new Set();
    this.knownAs.set(citizen, knownAs);
    for (const k of ['phone', 'email', 'dni'] as const) {
      if (!this.knownBy(citizen, k)) continue;
      if (!knownAs.has(k)) this.people.get(k)?.push(citizen);
      knownAs.add(k);
      this.cases.get(k)?.push(citizen);
    }
    return citizen;
  }

  /** Whether a contact of that kind finds the citizen: phones only as a caller's number (E.164), as Twilio gives them. */
  private knownBy(c: PlannedCitizen, kind: 'phone' | 'email' | 'dni'): boolean {
    if (kind === 'phone') return c.phones.some((p) => p.startsWith('+'));
    if (kind === 'email') return c.emails.length > 0;
    return c.dni !== undefined;
  }

  private learn(c: PlannedCitizen, kind: CitizenIdentifierKind, value: string, at: Date): void {
    if (kind === 'email') c.emails.push(value);
    if (kind === 'phone') c.phones.push(value);
    if (kind === 'dni') c.dni = value;
    if (kind === 'ruc') c.ruc = value;
    c.learnt.push({ kind, value, at });
  }

  private newCitizen(channel: Channel, at: Date): PlannedCitizen {
    const r = this.random;
    const n = this.all.length;
    const c: PlannedCitizen = {
      _id: objectIdAt(at, citizenWriter(n), 0),
      n,
      firstNames: pick(FIRST_NAMES, r()),
      lastNames: `${pick(LAST_NAMES, r())} ${pick(LAST_NAMES, r())}`,
      named: channel === 'manual',
      emails: [],
      phones: [],
      preferential: false,
      vpp: false,
      learnt: [],
      createdAt: at,
      cases: 0,
    };
    switch (channel) {
      case 'phone':
        // Twilio's `From`, E.164.
        this.learn(c, 'phone', `+51${r() < CITIZENS.mobile ? citizenIds.mobile(n) : citizenIds.landline(n)}`, at);
        break;
      case 'email':
        this.learn(c, 'email', citizenIds.email(n, c.firstNames, c.lastNames, r()), at);
        break;
      case 'kiosk':
        this.learn(c, 'dni', citizenIds.dni(n), at);
        break;
      case 'manual':
        if (r() < CITIZENS.manualBusiness) {
          this.learn(c, 'ruc', citizenIds.businessRuc(n), at);
        } else {
          this.learn(c, 'dni', citizenIds.dni(n), at);
          if (r() < CITIZENS.manualPersonRuc) this.learn(c, 'ruc', citizenIds.personRuc(citizenIds.dni(n)), at);
        }
        // Typed by the agent as the citizen says it (`987 654 321`): the repository keeps the digits.
        if (r() < CITIZENS.manualPhone) this.learn(c, 'phone', citizenIds.mobile(n), at);
        if (r() < CITIZENS.manualEmail) this.learn(c, 'email', citizenIds.email(n, c.firstNames, c.lastNames, r()), at);
        break;
    }
    if (c.dni !== undefined || c.ruc !== undefined) {
      c.vpp = r() < CITIZENS.vpp;
      c.preferential = r() < CITIZENS.preferential;
    }
    this.all.push(c);
    return c;
  }
}

/** The citizen as the citizen repository stores it, with its identifiers' lookup documents (`_id` `<kind>:<value>`). */
export function citizenDocuments(c: PlannedCitizen): { citizen: CitizenDoc; identifiers: CitizenIdentifierDoc[] } {
  const updatedAt = c.learnt.reduce((latest, l) => (l.at > latest ? l.at : latest), c.createdAt);
  return {
    citizen: {
      _id: c._id,
      ...(c.dni !== undefined ? { dni: c.dni } : {}),
      ...(c.ruc !== undefined ? { ruc: c.ruc } : {}),
      ...(c.named ? { firstNames: c.firstNames, lastNames: c.lastNames } : {}),
      emails: [...c.emails],
      phones: [...c.phones],
      preferential: c.preferential,
      vpp: c.vpp,
      createdAt: c.createdAt,
      updatedAt,
    },
    identifiers: c.learnt.map(({ kind, value, at }) => ({ _id: `${kind}:${value}`, kind, value, citizenId: c._id, createdAt: at })),
  };
}

/**
 * The contacts of a year, in creation order: channels in {@link CHANNEL_MIX}, spread evenly over the business hours of
 * the business days of the year that ends an hour before `now` (a quarter of the mail at any hour), each with its
 * citizen (see {@link CITIZENS}) and priority class.
 */
export function planContacts(calendar: BusinessCalendar, count: number, random: () => number, now: number): { contacts: PlannedContact[]; citizens: PlannedCitizen[] } {
  const end = now - 3_600_000;
  const start = end - 365 * DAY_MS;
  const businessMinutes = calendar.businessMinutesBetween(new Date(start), new Date(end));
  const drawn = Array.from({ length: count }, () => {
    const channel = weighted(CHANNEL_MIX, random());
    return { channel, anyHour: channel === 'email' && random() < EMAIL_ANY_HOUR, u: random(), at: 0 };
  });
  // Business instants in one walk: each is the previous one plus its share of the year's business minutes.
  let cursor = new Date(start);
  let done = 0;
  for (const d of drawn.filter((x) => !x.anyHour).sort((a, b) => a.u - b.u)) {
    cursor = calendar.addBusinessMinutes(cursor, (d.u - done) * businessMinutes);
    done = d.u;
    d.at = cursor.getTime();
  }
  for (const d of drawn) if (d.anyHour) d.at = start + d.u * (end - start);
  drawn.sort((a, b) => a.at - b.at);

  const roll = new CitizenRoll(random);
  let mailUid = 0;
  const contacts = drawn.map(({ channel, at }): PlannedContact => {
    const createdAt = new Date(at);
    const known = roll.all.length;
    const citizen = roll.contactOf(channel, createdAt);
    const declared = channel === 'kiosk' && random() < CITIZENS.kioskDeclaredPreferential;
    return {
      channel,
      createdAt,
      ...(citizen ? { citizen } : {}),
      firstOfCitizen: citizen !== undefined && citizen.n >= known,
      priorityClass: priorityClassOf({ preferential: declared || (citizen?.preferential ?? false), vpp: citizen?.vpp ?? false }),
      ...(channel === 'email' ? { mailUid: ++mailUid } : {}),
    };
  });
  return { contacts, citizens: roll.all };
}

// ─── a ticket's life ──────────────────────────────────────────────────────────────────────────────────────────────────

/** A staff account of the history (offline, as in any office) and the unit it works in. */
export interface PastAgent {
  id: Types.ObjectId;
  unit: string;
  displayName: string;
}

/** A closed ticket of the history with everything its life left in the store. */
export interface TicketLife {
  ticket: TicketDoc;
  events: TicketEventDoc[];
  interactions: InteractionDoc[];
  /** The citizen this ticket made (their first case): written with it, with every identifier they came to be known by. */
  newCitizen?: PlannedCitizen;
}

/** An ObjectId as the driver makes it at `at`: the time in seconds, then five bytes naming the writer, then a counter. */
function objectIdAt(at: Date, writer: Uint8Array, counter: number): Types.ObjectId {
  const bytes = Buffer.alloc(12);
  bytes.writeUInt32BE(Math.floor(at.getTime() / 1000) >>> 0, 0);
  bytes.set(writer.subarray(0, 5), 4);
  bytes.writeUIntBE(counter % 0x100_0000, 9, 3);
  return new Types.ObjectId(bytes);
}

/** The five writer bytes of a citizen's ObjectId: a marker and their number. */
function citizenWriter(n: number): Uint8Array {
  const bytes = Buffer.alloc(5);
  bytes[0] = 0xc1;
  bytes.writeUInt32BE(n >>> 0, 1);
  return bytes;
}

/** A ticket's own random numbers: its life depends on the ticket alone, not on what was generated before it. */
function randomOf(ticketId: Types.ObjectId): () => number {
  return seededRandom(parseInt(ticketId.toHexString().slice(-8), 16));
}

interface Actor {
  kind: ActorKind;
  id: string;
}
const SYSTEM = (id: string): Actor => ({ kind: 'system', id });
const STAFF = (agent: PastAgent): Actor => ({ kind: 'staff', id: agent.id.toString() });

/** What `LifeWriter` needs besides the tickets. */
export interface LifeSetting {
  catalogue: Catalogue;
  /** The office calendar (a {@link BusinessClock} for a whole year). */
  calendar: BusinessCalendar;
  agents: readonly PastAgent[];
  /** Nothing of the history happens after this instant (ms). */
  horizon: number;
}

/** Who worked a case. */
interface Cast {
  /** The agent of its unit it was assigned to, who started it (and, unless it was referred, answered, resolved and closed it). */
  agent: PastAgent;
  /** Who keyed it in (manual cases): an agent of the attention office. */
  creator: PastAgent;
  /** The agent took it with take-next (else the assignment service gave it). */
  takeNext: boolean;
  /** The unit it was referred to, whose agent resolved it; an agent of the referring unit then answered and closed it. */
  referredTo?: string;
  resolver: PastAgent;
  answerer: PastAgent;
}

/** When each step of a case happened. */
interface Times {
  assignedAt: Date;
  startedAt: Date;
  /** Phone: the call ends some minutes after the agent took it. */
  callEndedAt?: Date;
  referredAt?: Date;
  answeredAt: Date;
  resolvedAt: Date;
  closedAt: Date;
  notedAt?: Date;
  /** The citizen wrote again (mail). */
  followUpAt?: Date;
}

/** What the SLA checks recorded: each check that fell due while the case was open, a moment after its due time. */
interface Checks {
  firstRespondedAt: Date;
  firstResponseBreachedAt?: Date;
  atRiskNotifiedAt?: Date;
  breachedAt?: Date;
}

/** Events and interactions of one ticket, as they are recorded, each id made at its time (`objectIdAt`). */
class Trail {
  private counter = 0;
  private readonly events: (Omit<TicketEventDoc, '_id'> & { _id?: Types.ObjectId })[] = [];
  readonly interactions: InteractionDoc[] = [];

  constructor(private readonly ticketId: Types.ObjectId) {}

  idAt(at: Date): Types.ObjectId {
    return objectIdAt(at, this.ticketId.id, this.counter++);
  }

  event(type: string, at: Date, actor: Actor, details: Partial<Pick<TicketEventDoc, '_id' | 'fromStatus' | 'toStatus' | 'reason' | 'data'>> = {}): void {
    this.events.push({ ticketId: this.ticketId, type, actorKind: actor.kind, actorId: actor.id, at, ...details });
  }

  /** Adds an interaction (`dedupeKey`: `<ticket>:<externalId>` when the channel names it, else a fresh id, as the repository sets it). */
  interaction(i: Omit<InteractionDoc, '_id' | 'ticketId' | 'dedupeKey' | 'attachments'> & Partial<Pick<InteractionDoc, 'attachments'>>): Types.ObjectId {
    const _id = this.idAt(i.at);
    const dedupeKey = i.externalId !== undefined ? `${this.ticketId.toHexString()}:${i.externalId}` : this.idAt(i.at).toHexString();
    this.interactions.push({ _id, ticketId: this.ticketId, attachments: [], dedupeKey, ...i });
    return _id;
  }

  /** The events in time order (ties in the order recorded), those without an id of their own given one. */
  orderedEvents(): TicketEventDoc[] {
    const ordered = this.events.map((e, i) => ({ e, i })).sort((a, b) => a.e.at.getTime() - b.e.at.getTime() || a.i - b.i);
    return ordered.map(({ e }) => ({ ...e, _id: e._id ?? this.idAt(e.at) }));
  }
}

/**
 * Closes the tickets of a year as their lives would have: each assigned to an agent of its unit, started, answered in
 * writing, resolved and closed, with the SLA outcomes its times give (see {@link LIFE}); every step leaves the audit
 * event the application records for it and every exchange its interaction, shaped as their services write them
 * (intake, assignment, `applyTransition`, `replyToCitizen`, `addNote`, the SMS and mail deliveries, the SLA checks,
 * the email intake).
 */
export class LifeWriter {
  private readonly calendar: BusinessCalendar;
  private readonly agentsByUnit = new Map<string, PastAgent[]>();
  private readonly units: string[];
  private readonly mailbox: string;

  constructor(private readonly setting: LifeSetting) {
    this.calendar = setting.calendar;
    for (const agent of setting.agents) this.agentsByUnit.set(agent.unit, [...(this.agentsByUnit.get(agent.unit) ?? []), agent]);
    this.units = [...new Set(setting.catalogue.routing.queues.map((q) => q.unit))];
    this.mailbox = setting.catalogue.mailboxes.mailboxes[0]?.address ?? 'atencionalciudadano@muniplibre.gob.pe';
  }

  /** `open`, as intake and routing left it (its channel, citizen and SLA due dates set), closed, with its events and interactions. */
  close(open: TicketDoc, contact: PlannedContact): TicketLife {
    const r = randomOf(open._id);
    const cast = this.cast(open, r);
    const times = this.times(open, contact, cast, r);
    const checks = slaChecks(open, times, r);
    const trail = new Trail(open._id);
    this.intake(trail, open, contact, cast, r);
    this.attention(trail, open, contact, cast, times, r);
    this.slaEvents(trail, open, cast, times, checks);
    this.closing(trail, open, cast, times, r);
    return {
      ticket: this.closedTicket(open, cast, times, checks, r),
      events: trail.orderedEvents(),
      interactions: trail.interactions.sort((a, b) => a.at.getTime() - b.at.getTime()),
      ...(contact.firstOfCitizen && contact.citizen ? { newCitizen: contact.citizen } : {}),
    };
  }

  private agentOf(unit: string, r: number): PastAgent {
    return pick(this.agentsByUnit.get(unit) ?? this.setting.agents, r);
  }

  private cast(open: TicketDoc, r: () => number): Cast {
    const agent = this.agentOf(open.unitCode, r());
    const creator = this.agentOf(this.setting.catalogue.attentionOffice.code, r());
    const takeNext = r() < LIFE.takeNext;
    const others = this.units.filter((u) => u !== open.unitCode);
    const referredTo = r() < LIFE.referred && others.length > 0 ? pick(others, r()) : undefined;
    if (referredTo === undefined) return { agent, creator, takeNext, resolver: agent, answerer: agent };
    return { agent, creator, takeNext, referredTo, resolver: this.agentOf(referredTo, r()), answerer: this.agentOf(open.unitCode, r()) };
  }

  /** Business minutes after the step before (`LIFE`), the resolution aimed at an SLA outcome; a recent case squeezed before the horizon. */
  private times(open: TicketDoc, contact: PlannedContact, cast: Cast, r: () => number): Times {
    const biz = (from: Date, minutes: number): Date => this.calendar.addBusinessMinutes(from, Math.max(0, minutes));
    const between = (range: readonly [number, number]): number => range[0] + r() * (range[1] - range[0]);
    const channel = open.channel;
    const t0 = open.createdAt;
    const assignedAt = biz(t0, between(LIFE.queueMinutes[channel]));
    const startedAt = biz(assignedAt, between(LIFE.startMinutes[channel]));
    const callEndedAt = channel === 'phone' ? new Date(startedAt.getTime() + (2 + r() * 7) * MINUTE_MS) : undefined;
    const referredAt = cast.referredTo !== undefined ? biz(startedAt, 5 + r() * 85) : undefined;
    // The agent answers before resolving; a referred case is answered by its office once the unit reported back.
    const answeredFirst = referredAt === undefined ? biz(callEndedAt ?? startedAt, between(LIFE.answerMinutes[channel])) : undefined;
    const resolvedAt = this.resolutionTime(open, biz(referredAt ?? answeredFirst ?? startedAt, 1 + r() * 30), r);
    const answeredAt = answeredFirst ?? biz(resolvedAt, 10 + r() * 230);
    const closedAt = biz(answeredAt > resolvedAt ? answeredAt : resolvedAt, between(LIFE.closeMinutes));
    const span = (from: Date, to: Date, share: number): Date => new Date(from.getTime() + share * (to.getTime() - from.getTime()));
    const notedAt = r() < LIFE.note ? span(startedAt, resolvedAt, r()) : undefined;
    const followUpAt = channel === 'email' && contact.citizen !== undefined && answeredFirst !== undefined && r() < LIFE.mailFollowUp ? span(answeredFirst, resolvedAt, 0.1 + 0.8 * r()) : undefined;
    const times: Times = { assignedAt, startedAt, callEndedAt, referredAt, answeredAt, resolvedAt, closedAt, notedAt, followUpAt };
    if (closedAt.getTime() <= this.setting.horizon) return times;
    // A recent case: its life squeezed into the time left before the horizon, in the same order.
    const factor = Math.max(0, this.setting.horizon - t0.getTime()) / (closedAt.getTime() - t0.getTime());
    const squeeze = (at: Date): Date => span(t0, at, factor);
    const maybe = (at: Date | undefined): Date | undefined => (at ? squeeze(at) : undefined);
    return {
      assignedAt: squeeze(assignedAt),
      startedAt: squeeze(startedAt),
      callEndedAt: maybe(callEndedAt),
      referredAt: maybe(referredAt),
      answeredAt: squeeze(answeredAt),
      resolvedAt: squeeze(resolvedAt),
      closedAt: squeeze(closedAt),
      notedAt: maybe(notedAt),
      followUpAt: maybe(followUpAt),
    };
  }

  /** When the case is resolved, no earlier than `earliest`: aimed at an SLA outcome of {@link LIFE}`.sla` when it has a policy. */
  private resolutionTime(open: TicketDoc, earliest: Date, r: () => number): Date {
    const biz = (from: Date, minutes: number): Date => this.calendar.addBusinessMinutes(from, Math.max(0, minutes));
    const minutesBetween = (a: Date, b: Date): number => Math.max(0, this.calendar.businessMinutesBetween(a, b));
    const due = open.sla?.resolutionDueAt;
    const risk = open.sla?.atRiskAt;
    if (due === undefined || risk === undefined) return biz(earliest, r() * 3 * BUSINESS_DAY_MINUTES);
    const aim = r();
    if (aim < LIFE.sla.onTime && earliest < risk) return biz(earliest, r() * minutesBetween(earliest, risk));
    if (aim < LIFE.sla.onTime + LIFE.sla.atRisk && earliest < due) {
      const from = earliest > risk ? earliest : risk;
      return biz(from, r() * minutesBetween(from, due));
    }
    return biz(earliest > due ? earliest : due, (0.05 + 0.45 * r()) * minutesBetween(open.createdAt, due));
  }

  /** The ticket as its last write left it. */
  private closedTicket(open: TicketDoc, cast: Cast, t: Times, checks: Checks, r: () => number): TicketDoc {
    const { catalogue } = this.setting;
    const { referredTo } = cast;
    const slaAtRisk = checks.atRiskNotifiedAt !== undefined;
    const owner =
      referredTo !== undefined && t.referredAt
        ? {
            // Referred: the receiving unit's queue, nobody's (a referral returns the case to a queue).
            unitCode: referredTo,
            queue: catalogue.routing.queues.find((q) => q.unit === referredTo)?.code ?? 'general',
            requiredSkills: [],
            referral: { fromUnit: open.unitCode, toUnit: referredTo, referredBy: cast.agent.id.toString(), referredAt: t.referredAt, reason: referralReason(catalogue, referredTo), reportedBackAt: t.resolvedAt },
            referralFromUnit: open.unitCode,
          }
        : { assigneeId: cast.agent.id, assignedAt: t.assignedAt };
    // Guarded writes after intake's insert: assign, start, first response, resolve, close, and each recorded check.
    const writes = 5 + (referredTo !== undefined ? 1 : 0) + [checks.firstResponseBreachedAt, checks.atRiskNotifiedAt, checks.breachedAt].filter(Boolean).length;
    return {
      ...open,
      ...owner,
      status: 'cerrado',
      enqueuedAt: open.createdAt,
      slaAtRisk,
      priorityScore: priorityScore({ priorityClass: open.priorityClass, slaAtRisk }),
      resolution: { summary: pick(RESOLUTIONS, r()), resolvedBy: cast.resolver.id.toString(), resolvedAt: t.resolvedAt },
      ...(open.sla
        ? {
            sla: {
              ...open.sla,
              firstRespondedAt: checks.firstRespondedAt,
              ...(checks.firstResponseBreachedAt ? { firstResponseBreachedAt: checks.firstResponseBreachedAt } : {}),
              ...(checks.atRiskNotifiedAt ? { atRiskNotifiedAt: checks.atRiskNotifiedAt } : {}),
              ...(checks.breachedAt ? { breachedAt: checks.breachedAt } : {}),
            },
          }
        : {}),
      version: writes,
      updatedAt: t.closedAt,
    };
  }

  /** The contact as intake records it, and `created` and `routed` in one write, as the channel's actor. */
  private intake(trail: Trail, open: TicketDoc, contact: PlannedContact, cast: Cast, r: () => number): void {
    const { channel } = open;
    const t0 = open.createdAt;
    const actor = channel === 'manual' ? STAFF(cast.creator) : channel === 'email' ? SYSTEM('email') : channel === 'kiosk' ? SYSTEM(`kiosk:${open.channelKey.split(':')[0] ?? ''}`) : SYSTEM('intake:phone');
    // A mail was received a moment before the poller took it in; the other channels' contacts when they arrived.
    const receivedAt = channel === 'email' ? new Date(t0.getTime() - (2 + r() * 58) * 1000) : t0;
    trail.interaction({
      kind: CONTACT_KIND[channel],
      direction: 'in',
      channel,
      authorKind: channel === 'manual' ? 'staff' : 'citizen',
      ...(channel === 'manual' ? { authorId: cast.creator.id.toString() } : {}),
      subject: open.subject,
      body: open.description ?? open.subject,
      externalId: open.channelKey,
      attachments: channel === 'email' && r() < 0.15 ? [{ filename: 'documento.pdf', contentType: 'application/pdf', size: 40_000 + Math.floor(r() * 400_000), sha256: hex(r, 64) }] : [],
      ...rawOf(channel, open, { r, citizen: contact.citizen, mailbox: this.mailbox, receivedAt, uid: contact.mailUid ?? 0 }),
      at: receivedAt,
    });
    const recordedAt = new Date(t0.getTime() + 5 + r() * 40);
    trail.event('created', recordedAt, actor, { toStatus: 'nuevo', data: { channel } });
    trail.event('routed', recordedAt, actor, {
      fromStatus: 'nuevo',
      toStatus: 'en_cola',
      data: { rule: open.serviceCode ? 'service' : 'triage', unit: open.unitCode, queue: open.queue, ...(open.serviceCode ? { service: open.serviceCode } : {}) },
    });
  }

  /** Assigned, started, the SMS after a call, referred, a note, the office's answer (and its mail), the citizen writing again. */
  private attention(trail: Trail, open: TicketDoc, contact: PlannedContact, cast: Cast, t: Times, r: () => number): void {
    const { channel } = open;
    const ticketId = open._id.toHexString();
    const { citizen } = contact;
    trail.event('assigned', t.assignedAt, cast.takeNext ? STAFF(cast.agent) : SYSTEM('assignment'), { fromStatus: 'en_cola', toStatus: 'asignado', data: { assigneeId: cast.agent.id.toString() } });
    trail.event('status_changed', t.startedAt, STAFF(cast.agent), { fromStatus: 'asignado', toStatus: 'en_atencion', data: { action: 'start' } });
    const mobile = citizen?.phones.find((p) => /^(\+51)?9\d{8}$/.test(p));
    if (t.callEndedAt && mobile !== undefined) {
      // The tracking code by SMS once the call ended (`requestCallSms`): its outcome recorded once, named by the message.
      trail.event('sms_sent', new Date(t.callEndedAt.getTime() + 3_000 + r() * 17_000), SYSTEM('sms'), {
        _id: messageOutcomeId(`sms-${ticketId}-call`),
        data: { to: mobile.startsWith('+') ? mobile : `+51${mobile}`, about: 'call', template: 'sms.call_registered', messageSid: `SM${hex(r, 32)}`, segments: 1 },
      });
    }
    if (cast.referredTo !== undefined && t.referredAt) {
      trail.event('referred', t.referredAt, STAFF(cast.agent), { fromStatus: 'en_atencion', toStatus: 'derivado', reason: referralReason(this.setting.catalogue, cast.referredTo), data: { action: 'refer' } });
    }
    if (t.notedAt) {
      const note = trail.interaction({ kind: 'note', direction: 'internal', channel, authorKind: 'staff', authorId: cast.agent.id.toString(), body: pick(NOTES, r()), at: t.notedAt });
      trail.event('note_added', t.notedAt, STAFF(cast.agent), { data: { interactionId: note.toHexString() } });
    }

    // The office's answer, on the ticket's channel; by mail it goes out in the case's thread (when there is someone to write to).
    const to = citizen?.emails[0];
    const mailed = channel === 'email' && to !== undefined;
    const answer = trail.interaction({
      kind: ANSWER_KIND[channel],
      direction: 'out',
      channel,
      authorKind: 'staff',
      authorId: cast.answerer.id.toString(),
      ...(channel === 'email' ? { subject: `Respuesta a su solicitud ${open.trackingCode}` } : {}),
      body: answerText(channel, open, pick(ANSWERS, r()), cast.answerer),
      deliveryStatus: mailed ? 'sent' : 'queued',
      at: t.answeredAt,
    });
    trail.event('replied', t.answeredAt, STAFF(cast.answerer), { data: { interactionId: answer.toHexString() } });
    if (mailed) {
      const key = `email-${ticketId}-reply-${answer.toHexString()}`;
      trail.event('email_sent', new Date(t.answeredAt.getTime() + 2_000 + r() * 38_000), SYSTEM('email'), {
        _id: messageOutcomeId(key),
        data: { to, about: 'reply', template: 'email.reply', messageId: `${key}@${this.mailbox.slice(this.mailbox.indexOf('@') + 1)}` },
      });
    }
    if (t.followUpAt && to !== undefined) {
      // The citizen writes again in the case's thread: the mail joins the case.
      const messageId = `${hex(r, 24)}@${to.slice(to.indexOf('@') + 1)}`;
      const subject = `RE: Respuesta a su solicitud ${open.trackingCode}`;
      const mail = trail.interaction({
        kind: 'email',
        direction: 'in',
        channel: 'email',
        authorKind: 'citizen',
        subject,
        body: pick(FOLLOW_UPS, r()),
        externalId: messageId,
        raw: mailRaw({ mailbox: this.mailbox, messageId, from: to, name: citizen?.firstNames ?? '', subject, at: t.followUpAt, uid: (contact.mailUid ?? 0) + 1_000_000, size: 3_000 + Math.floor(r() * 20_000) }),
        at: t.followUpAt,
      });
      trail.event('email_received', new Date(t.followUpAt.getTime() + 1_000 + r() * 30_000), SYSTEM('email'), { data: { interactionId: mail.toHexString(), via: 'tracking_code', knownSender: true, from: to } });
    }
  }

  /** The SLA checks that fell due while the case was open (`appendEventOnce`: the id names the check). */
  private slaEvents(trail: Trail, open: TicketDoc, cast: Cast, t: Times, checks: Checks): void {
    const { sla } = open;
    if (!sla) return;
    const ticketId = open._id.toHexString();
    const record = (type: string, kind: string, due: Date | undefined, at: Date | undefined): void => {
      if (due === undefined || at === undefined) return;
      // The unit holding the case then: a referred case moved to its new unit.
      const unit = cast.referredTo !== undefined && t.referredAt !== undefined && at > t.referredAt ? cast.referredTo : open.unitCode;
      trail.event(type, at, SYSTEM('sla'), {
        _id: onceEventId(`${type}:${ticketId}:${due.toISOString()}`, due),
        data: { kind, dueAt: due.toISOString(), policy: sla.policy, unit, ...(sla.resolutionDueAt ? { resolutionDueAt: sla.resolutionDueAt.toISOString() } : {}) },
      });
    };
    record('first_response_breached', 'first_response', sla.firstResponseDueAt, checks.firstResponseBreachedAt);
    record('sla_at_risk', 'at_risk', sla.atRiskAt, checks.atRiskNotifiedAt);
    record('sla_breached', 'resolution', sla.resolutionDueAt, checks.breachedAt);
  }

  /** Resolved (by the unit it was referred to, which reports back), closed by whoever answers for it. */
  private closing(trail: Trail, open: TicketDoc, cast: Cast, t: Times, r: () => number): void {
    trail.event('status_changed', t.resolvedAt, STAFF(cast.resolver), { fromStatus: cast.referredTo !== undefined ? 'derivado' : 'en_atencion', toStatus: 'resuelto', data: { action: 'resolve' } });
    if (cast.referredTo !== undefined) {
      trail.event('reported_back', new Date(t.resolvedAt.getTime() + 20 + r() * 200), SYSTEM('report-back'), { data: { toUnit: open.unitCode, fromUnit: cast.referredTo } });
    }
    trail.event('status_changed', t.closedAt, STAFF(cast.answerer), { fromStatus: 'resuelto', toStatus: 'cerrado', data: { action: 'close' } });
  }
}

/** The checks that fell due while the case was open, each recorded a moment (the job's run) after its due time. */
function slaChecks(open: TicketDoc, t: Times, r: () => number): Checks {
  const sla = open.sla;
  // The first response: the call or the counter attention starting (`recordFirstResponse` on start), else the answer.
  const firstRespondedAt = open.channel === 'phone' || open.channel === 'kiosk' ? t.startedAt : t.answeredAt;
  const ran = (due: Date | undefined, before: Date): Date | undefined => {
    if (due === undefined) return undefined;
    const at = new Date(due.getTime() + 200 + r() * 2_800);
    return at < before ? at : undefined;
  };
  const firstResponseBreachedAt = ran(sla?.firstResponseDueAt, firstRespondedAt);
  const atRiskNotifiedAt = ran(sla?.atRiskAt, t.resolvedAt);
  const breachedAt = ran(sla?.resolutionDueAt, t.resolvedAt);
  return { firstRespondedAt, ...(firstResponseBreachedAt ? { firstResponseBreachedAt } : {}), ...(atRiskNotifiedAt ? { atRiskNotifiedAt } : {}), ...(breachedAt ? { breachedAt } : {}) };
}

/** The id of the event that records how a message to the citizen ended: named by the message, recorded once (`deliverMessage`). */
function messageOutcomeId(messageKey: string): Types.ObjectId {
  return ticketEventIdFor(`citizen-message-outcome\n${citizenMessageIdFor(messageKey).toHexString()}`);
}

function referralReason(catalogue: Catalogue, unit: string): string {
  return `Corresponde a ${catalogue.unitByCode(unit)?.name ?? unit}.`;
}

function answerText(channel: Channel, ticket: TicketDoc, answer: string, agent: PastAgent): string {
  switch (channel) {
    case 'phone':
      return `MPL: sobre su caso ${ticket.trackingCode}: ${answer}`.slice(0, 320);
    case 'email':
      return `Estimado(a) vecino(a):\n\nEn atención a su solicitud ${ticket.trackingCode} («${ticket.subject}»), le comunicamos lo siguiente. ${answer}\n\nDe tener alguna consulta adicional, puede responder a este correo indicando el código de su caso.\n\nAtentamente,\n${agent.displayName}\nGerencia de Desarrollo Vecinal y Atención al Ciudadano\nMunicipalidad de Pueblo Libre`;
    case 'kiosk':
    case 'manual':
      return `Se informó al vecino en ventanilla: ${answer}`;
  }
}

/** What the email channel keeps of a mail (`raw.email`), without its HTML and with its main headers only. */
function mailRaw(m: { mailbox: string; messageId: string; from: string; name: string; subject: string; at: Date; uid: number; size: number; origin?: 'person' | 'bulk' }): { email: Record<string, unknown> } {
  const date = m.at.toUTCString();
  return {
    email: {
      mailboxId: 'atencion',
      uidValidity: 1,
      uid: m.uid,
      messageId: m.messageId,
      from: { name: m.name, address: m.from },
      to: [m.mailbox],
      cc: [],
      date,
      headers: [
        { name: 'From', value: m.name === '' ? m.from : `${m.name} <${m.from}>` },
        { name: 'To', value: m.mailbox },
        { name: 'Subject', value: m.subject },
        { name: 'Date', value: date },
        { name: 'Message-ID', value: `<${m.messageId}>` },
        { name: 'MIME-Version', value: '1.0' },
        { name: 'Content-Type', value: 'text/plain; charset=UTF-8' },
      ],
      origin: m.origin ?? 'person',
      size: m.size,
    },
  };
}

/** What the channel kept of the contact (`raw`): Twilio's form, the kiosk's request, the mail's record; nothing when keyed in. */
function rawOf(channel: Channel, ticket: TicketDoc, c: { r: () => number; citizen: PlannedCitizen | undefined; mailbox: string; receivedAt: Date; uid: number }): { raw?: unknown } {
  switch (channel) {
    case 'phone': {
      const from = c.citizen?.phones.find((p) => p.startsWith('+')) ?? 'anonymous';
      const digits = String(1 + Math.floor(c.r() * 6));
      return {
        raw: { AccountSid: 'AC00000000000000000000000000000000', ApiVersion: '2010-04-01', CallSid: ticket.channelKey, CallStatus: 'in-progress', Direction: 'inbound', From: from, Caller: from, FromCountry: 'PE', To: OFFICE_PHONE, Called: OFFICE_PHONE, ToCountry: 'PE', Digits: digits, choice: { kind: 'chosen', path: digits, ivrDigits: digits } },
      };
    }
    case 'kiosk': {
      const [kiosk, requestId] = ticket.channelKey.split(':');
      return { raw: { kiosk, requestId, service: pick(['caja', 'rentas', 'declaracion_jurada', 'licencias', 'registro_civil'], c.r()) } };
    }
    case 'email': {
      const from = c.citizen?.emails[0] ?? 'boletin@noticias.example.pe';
      return { raw: mailRaw({ mailbox: c.mailbox, messageId: ticket.channelKey, from, name: c.citizen ? `${c.citizen.firstNames} ${c.citizen.lastNames}` : 'Boletín', subject: ticket.subject, at: c.receivedAt, uid: c.uid, size: 3_000 + Math.floor(c.r() * 60_000), origin: c.citizen ? 'person' : 'bulk' }) };
    }
    case 'manual':
      return {};
  }
}

// ─── a year ───────────────────────────────────────────────────────────────────────────────────────────────────────────

/**
 * A year of history of `count` tickets ending an hour before `now`: its contacts planned at once (channels, times,
 * citizens; see {@link planContacts}), then closed batch by batch. The same count gives the same year: every number is
 * drawn from the seeded random of the count, in order, or from the ticket's own.
 */
export class HistoryYear {
  readonly contacts: readonly PlannedContact[];
  readonly citizens: readonly PlannedCitizen[];
  private readonly factory: TicketFactory;
  private readonly writer: LifeWriter;

  constructor(setting: { catalogue: Catalogue; agents: readonly PastAgent[]; now: number }, count: number) {
    const random = seededRandom(count);
    const calendar = historyClock(setting.catalogue, setting.now);
    const planned = planContacts(calendar, count, random, setting.now);
    this.contacts = planned.contacts;
    this.citizens = planned.citizens;
    this.factory = new TicketFactory(setting.catalogue, random, seededChannelKeys(random), calendar);
    this.writer = new LifeWriter({ catalogue: setting.catalogue, calendar, agents: setting.agents, horizon: setting.now - 60_000 });
  }

  /** Tickets per local year: how many tracking codes each year's counter must set aside. */
  codesPerYear(): Map<number, number> {
    const perYear = new Map<number, number>();
    for (const c of this.contacts) {
      const year = this.factory.localYear(c.createdAt);
      perYear.set(year, (perYear.get(year) ?? 0) + 1);
    }
    return perYear;
  }

  /** Contacts `from`..`to` as closed tickets with their lives, numbered in creation order from `nextSeq` (year → next number, advanced). */
  lives(from: number, to: number, prefix: string, nextSeq: Map<number, number>): TicketLife[] {
    return this.contacts.slice(from, to).map((contact) => {
      const { createdAt } = contact;
      const year = this.factory.localYear(createdAt);
      const seq = nextSeq.get(year) ?? 1;
      nextSeq.set(year, seq + 1);
      const open = this.factory.make({ createdAt, code: formatTrackingCode(prefix, year, seq), status: 'en_cola', channel: contact.channel, citizenId: contact.citizen?._id, priorityClass: contact.priorityClass });
      return this.writer.close(open, contact);
    });
  }
}

// ─── the seam ─────────────────────────────────────────────────────────────────────────────────────────────────────────

/** What a batch of history tickets leaves in the store besides the tickets, by collection (models: `bench/history.ts`). */
export interface DerivedDocuments {
  citizens: CitizenDoc[];
  citizenIdentifiers: CitizenIdentifierDoc[];
  ticketEvents: TicketEventDoc[];
  interactions: InteractionDoc[];
  /** The search index of the subjects: a posting per word, and the words not written by an earlier batch. */
  ticketTerms: TicketTermDoc[];
  searchWords: SearchWordDoc[];
}

/**
 * Every document a batch of closed tickets leaves in the store besides the tickets themselves, by collection: the one
 * place to add another kind derived from tickets (one more key here and in `DerivedDocuments`, and its model in
 * `DERIVED_MODELS`, bench/history.ts).
 */
export function derivedDocuments(lives: readonly TicketLife[], wordsWritten: Set<string>): DerivedDocuments {
  const made = lives.flatMap((l) => (l.newCitizen ? [citizenDocuments(l.newCitizen)] : []));
  const ticketTerms = lives.flatMap(({ ticket }) => searchTerms(ticket.subject).map((term) => postingOf(ticket, term)));
  const searchWords: SearchWordDoc[] = [];
  for (const { term } of ticketTerms) {
    if (wordsWritten.has(term)) continue;
    wordsWritten.add(term);
    searchWords.push({ _id: term, word: term });
  }
  return {
    citizens: made.map((m) => m.citizen),
    citizenIdentifiers: made.flatMap((m) => m.identifiers),
    ticketEvents: lives.flatMap((l) => l.events),
    interactions: lives.flatMap((l) => l.interactions),
    ticketTerms,
    searchWords,
  };
}
