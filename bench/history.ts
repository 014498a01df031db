import { randomUUID } from 'node:crypto';
import type { Service } from '../src/config/catalogue.js';
import { createBusinessCalendar, type BusinessCalendar } from '../src/domain/business-calendar.js';
import { priorityScore, type PriorityClass } from '../src/domain/priority.js';
import { planSlaDueDates, selectSlaPolicy } from '../src/domain/sla-policy.js';
import { isOpenStatus, type TicketStatus } from '../src/domain/ticket-lifecycle.js';
import type { Channel } from '../src/domain/ticket-types.js';
import { formatTrackingCode } from '../src/domain/tracking-code.js';
import type { AppContext } from '../src/services/context/index.js';
import type { StaffDoc } from '../src/store/staff.model.js';
import type { TicketDoc } from '../src/store/ticket.model.js';
import { ticketIdFor } from '../src/store/ticket.repository.js';
import { nowMs, seededRandom, weighted } from './stats.js';

const DAY_MS = 86_400_000;
const BATCH = 1_000;

const CHANNEL_MIX: readonly (readonly [Channel, number])[] = [
  ['phone', 35],
  ['email', 30],
  ['kiosk', 25],
  ['manual', 10],
];

const PRIORITY_MIX: readonly (readonly [PriorityClass, number])[] = [
  ['normal', 80],
  ['vpp', 12],
  ['preferential', 8],
];

const RESOLUTIONS = [
  'Se brindó la orientación solicitada al vecino.',
  'Se derivó la información del trámite y los requisitos vigentes.',
  'El área atendió el pedido y se informó al vecino por su canal de contacto.',
  'Se verificó en campo y se programó la atención.',
  'El vecino confirmó que su consulta quedó resuelta.',
] as const;

const FIRST_NAMES = ['Rosa', 'Luis', 'María', 'Jorge', 'Carmen', 'José', 'Ana', 'Víctor', 'Lucía', 'Pedro'] as const;

function pick<T>(list: readonly T[], r: number): T {
  const item = list[Math.floor(r * list.length)];
  if (item === undefined) throw new Error('pick: empty list');
  return item;
}

/** The channel's own idempotency key, shaped as each channel shapes it (CallSid, Message-ID, kiosk request). */
function channelKeyFor(channel: Channel): string {
  const uuid = randomUUID();
  switch (channel) {
    case 'phone':
      return `CA${uuid.replace(/-/g, '')}`;
    case 'email':
      return `<${uuid}@correo.vecino.pe>`;
    case 'kiosk':
      return `kiosk-${uuid}`;
    case 'manual':
      return `manual:${uuid}`;
  }
}

/**
 * The counter intake numbers tracking codes from (`tracking:<prefix>:<year>`, see the intake service): moved
 * past the codes the harness writes, so the system never hands out one that is already taken.
 */
async function reserveSequence(ctx: AppContext, year: number, count: number): Promise<number> {
  // Through the repository, under the counter's lock like intake's own reservations: on FerretDB the lock is the guard.
  return ctx.store.counters.reserveRange(`tracking:${ctx.env.TRACKING_CODE_PREFIX}:${year}`, count);
}

/**
 * The people who worked the history: staff accounts that exist but are not connected, as in any office.
 * They cannot log in (no valid password hash).
 */
async function createPastAgents(ctx: AppContext): Promise<StaffDoc['_id'][]> {
  const units = ctx.catalogue.routing.queues.map((q) => q.unit);
  const ids: StaffDoc['_id'][] = [];
  for (let i = 0; i < 40; i++) {
    const staff = await ctx.store.staff.create({
      username: `historico.${String(i + 1).padStart(2, '0')}`,
      displayName: `Agente histórico ${i + 1}`,
      passwordHash: 'disabled',
      roles: ['agent'],
      units: [units[i % units.length] ?? ctx.catalogue.attentionOffice.code],
    });
    ids.push(staff._id);
  }
  return ids;
}

/** What every generated ticket needs from the catalogue. */
class TicketFactory {
  private readonly calendar: BusinessCalendar;
  private readonly office: string;
  private readonly servicesByChannel: Map<Channel, Service[]>;

  constructor(
    private readonly ctx: AppContext,
    private readonly random: () => number,
    private readonly pastAgents: readonly StaffDoc['_id'][] = [],
  ) {
    this.calendar = createBusinessCalendar(ctx.catalogue.calendar);
    this.office = ctx.catalogue.attentionOffice.code;
    const routable = ctx.catalogue.services.filter((s) => ctx.catalogue.routing.queues.some((q) => q.unit === s.unit));
    this.servicesByChannel = new Map(CHANNEL_MIX.map(([channel]) => [channel, routable.filter((s) => s.channels.includes(channel))]));
  }

  localYear(at: Date): number {
    return new Date(at.getTime() + this.ctx.catalogue.calendar.utcOffsetMinutes * 60_000).getUTCFullYear();
  }

  /** A ticket as routing leaves it; `unit` forces the unit (tickets waiting for one unit's agents). */
  make(input: { createdAt: Date; code: string; status: TicketStatus; unit?: string; channel?: Channel }): TicketDoc {
    const r = this.random;
    const drawn = weighted(CHANNEL_MIX, r());
    const channel = input.channel ?? drawn;
    const candidates = (this.servicesByChannel.get(channel) ?? []).filter((s) => input.unit === undefined || s.unit === input.unit);
    const service = candidates.length > 0 ? pick(candidates, r()) : undefined;
    const unitCode = input.unit ?? service?.unit ?? this.office;
    const queue = this.ctx.catalogue.routing.queues.find((q) => q.unit === unitCode)?.code ?? 'general';
    const type = service?.ticketType ?? 'consulta';
    const priorityClass = weighted(PRIORITY_MIX, r());
    const channelKey = channelKeyFor(channel);
    const createdAt = input.createdAt;
    const enqueuedAt = new Date(createdAt.getTime() + 500 + r() * 20_000);
    const policy = selectSlaPolicy(this.ctx.catalogue.sla.policies, { ticketType: type, unitCode });
    const due = policy ? planSlaDueDates(this.calendar, policy, channel, createdAt, []) : {};
    const subject = `${service?.name ?? 'Consulta general'} — ${pick(FIRST_NAMES, r())}`.slice(0, 300);
    const base: TicketDoc = {
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
      subject,
      description: `Vecino solicita atención sobre: ${subject}. Dirección referencial: Av. San Martín ${Math.floor(r() * 1500) + 100}, Pueblo Libre.`,
      routingHint: { ...(service ? { serviceCode: service.code } : {}), text: subject },
      enqueuedAt,
      ...(policy ? { sla: { policy: policy.id, startedAt: createdAt, pauses: [], ...due } } : {}),
      version: 2,
      createdAt,
      updatedAt: enqueuedAt,
    };
    if (input.status !== 'cerrado' || this.pastAgents.length === 0) return base;

    const agent = pick(this.pastAgents, r());
    const assignedAt = new Date(enqueuedAt.getTime() + r() * 1_800_000);
    const resolvedAt = new Date(assignedAt.getTime() + 600_000 + r() * 5 * DAY_MS);
    const closedAt = new Date(resolvedAt.getTime() + r() * 3 * DAY_MS);
    return {
      ...base,
      assigneeId: agent,
      assignedAt,
      resolution: { summary: pick(RESOLUTIONS, r()), resolvedBy: agent.toString(), resolvedAt },
      ...(base.sla ? { sla: { ...base.sla, firstRespondedAt: new Date(assignedAt.getTime() + r() * 600_000) } } : {}),
      version: 6,
      updatedAt: closedAt,
    };
  }
}

export interface InsertReport {
  inserted: number;
  seconds: number;
  perSecond: number;
}

/** Writes generated tickets in batches of 1,000 (one validated against the model), listing the open ones. */
export async function insertInBatches(
  ctx: AppContext,
  count: number,
  makeBatch: (from: number, to: number) => TicketDoc[],
  onProgress: (done: number) => void,
  signal: AbortSignal,
): Promise<InsertReport> {
  const started = nowMs();
  let inserted = 0;
  for (let from = 0; from < count && !signal.aborted; from += BATCH) {
    const docs = makeBatch(from, Math.min(count, from + BATCH));
    // Unvalidated (lean) inserts are 2-3 times faster; one document per batch is checked against the schema,
    // so a model that changed under the harness fails loudly instead of loading documents it would refuse.
    if (docs[0] !== undefined) await ctx.store.models.Ticket.validate(docs[0]);
    // Timestamps are the generated ones (a year of history), not the moment of the insert.
    await ctx.store.models.Ticket.insertMany(docs, { ordered: false, timestamps: false, lean: true });
    // Open tickets are listed in the open-ticket index, as intake lists them (rebuilds read it).
    const open = docs.filter((d) => isOpenStatus(d.status)).map((d) => ({ _id: d._id, since: d.createdAt }));
    if (open.length > 0) await ctx.store.models.OpenTicket.insertMany(open, { ordered: false, lean: true });
    inserted += docs.length;
    onProgress(inserted);
  }
  const seconds = (nowMs() - started) / 1000;
  return { inserted, seconds: Math.round(seconds * 10) / 10, perSecond: seconds > 0 ? Math.round(inserted / seconds) : 0 };
}

/**
 * Closed tickets of the past year, written straight into the store in batches (a harness shortcut: the same
 * documents a year of intake, routing, assignment and resolution would have left). Tracking codes follow
 * creation order within each year, and intake's counter is moved past them.
 */
export async function preloadHistory(ctx: AppContext, count: number, onProgress: (done: number) => void, signal: AbortSignal): Promise<InsertReport> {
  const random = seededRandom(count);
  const factory = new TicketFactory(ctx, random, await createPastAgents(ctx));
  const now = Date.now();
  const times = Array.from({ length: count }, () => now - 3_600_000 - random() * 365 * DAY_MS).sort((a, b) => a - b);
  const perYear = new Map<number, number>();
  for (const t of times) {
    const year = factory.localYear(new Date(t));
    perYear.set(year, (perYear.get(year) ?? 0) + 1);
  }
  const nextSeq = new Map<number, number>();
  for (const [year, n] of perYear) nextSeq.set(year, await reserveSequence(ctx, year, n));
  const prefix = ctx.env.TRACKING_CODE_PREFIX;
  return insertInBatches(
    ctx,
    count,
    (from, to) =>
      times.slice(from, to).map((t) => {
        const createdAt = new Date(t);
        const year = factory.localYear(createdAt);
        const seq = nextSeq.get(year) ?? 1;
        nextSeq.set(year, seq + 1);
        return factory.make({ createdAt, code: formatTrackingCode(prefix, year, seq), status: 'cerrado' });
      }),
    onProgress,
    signal,
  );
}

/** A block of this year's tracking codes set aside for tickets the harness writes later. */
export interface ReservedCodes {
  year: number;
  first: number;
  count: number;
}

/**
 * Sets aside tracking codes for the waiting tickets take-next needs, before anything else numbers tickets:
 * reserving them later would race with intake, which may still be working off an earlier phase's backlog.
 */
export async function reserveCodes(ctx: AppContext, count: number): Promise<ReservedCodes> {
  const year = new TicketFactory(ctx, Math.random).localYear(new Date());
  return { year, first: await reserveSequence(ctx, year, count), count };
}

/**
 * Tickets already routed to `unit` and waiting there (arrived over the last two hours), written straight into
 * the store: what take-next serves from. Channels and priority classes are mixed as in the history.
 */
/** What `insertWaiting` wrote: the report and the ids, so exactly those can be removed afterwards. */
export type WaitingReport = InsertReport & { ids: TicketDoc['_id'][] };

export async function insertWaiting(ctx: AppContext, unit: string, codes: ReservedCodes, onProgress: (done: number) => void, signal: AbortSignal): Promise<WaitingReport> {
  const count = codes.count;
  const random = seededRandom(count + 7);
  const factory = new TicketFactory(ctx, random);
  const now = Date.now();
  const times = Array.from({ length: count }, () => now - 60_000 - random() * 7_200_000).sort((a, b) => a - b);
  const year = codes.year;
  let seq = codes.first;
  const prefix = ctx.env.TRACKING_CODE_PREFIX;
  const ids: TicketDoc['_id'][] = [];
  const report = await insertInBatches(
    ctx,
    count,
    (from, to) =>
      times.slice(from, to).map((t) => {
        const doc = factory.make({ createdAt: new Date(t), code: formatTrackingCode(prefix, year, seq++), status: 'en_cola', unit });
        ids.push(doc._id);
        return doc;
      }),
    onProgress,
    signal,
  );
  return { ...report, ids };
}

/**
 * Cases that came by mail and were closed `daysAgo` days ago (one per entry), written straight into the store as the
 * history is: what a citizen may still answer. Resolved as they were closed (no assignee recorded).
 */
export async function insertClosedMailCases(ctx: AppContext, codes: ReservedCodes, daysAgo: readonly number[], signal: AbortSignal): Promise<TicketDoc[]> {
  const factory = new TicketFactory(ctx, seededRandom(daysAgo.length + 11));
  const now = Date.now();
  let seq = codes.first;
  const docs = daysAgo.map((days) => factory.make({ createdAt: new Date(now - days * DAY_MS), code: formatTrackingCode(ctx.env.TRACKING_CODE_PREFIX, codes.year, seq++), status: 'cerrado', channel: 'email' }));
  await insertInBatches(ctx, docs.length, (from, to) => docs.slice(from, to), () => undefined, signal);
  return docs;
}
