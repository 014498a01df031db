import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { KioskService } from '../../config/catalogue.js';
import { estimateTurnWait, formatTurnNumber, printedLocalTime, PRIORITY_NOTES_ES, publicTurnState, publicTurnStateText, RECENT_SERVICE_SAMPLES, serviceOpenness, turnPrintout, type PreferentialReason, type PublicTurnState, type WaitEstimate } from '../../domain/counter-turns.js';
import { parseDni, type DniRejection } from '../../domain/identity-documents.js';
import { PRIORITY_LABELS_ES, type PriorityClass } from '../../domain/priority.js';
import { WAITING_STATUSES } from '../../domain/ticket-lifecycle.js';
import { AppError } from '../../errors.js';
import type { TicketTurn } from '../../store/ticket.model.js';
import type { Ticket } from '../../store/ticket.repository.js';
import { queueTicket } from '../assignment/index.js';
import { calendarOf, type AppContext } from '../context/index.js';
import { requestQueueStats } from '../figures/index.js';
import { receiveContact } from '../intake/index.js';
import { placeContact } from '../routing/index.js';
import type { KioskCaller } from './kiosk-device.service.js';

/*
 * The kiosk's use-cases: the services offered at the counters (open now or not), taking a turn, and the public
 * status of a turn. A turn is a ticket of channel `kiosk` through intake, keyed on the kiosk's request id, so a
 * kiosk that retries gets the same turn back; it waits in its service's queue of the live hall until a counter
 * calls it (counter.service.ts).
 */

/** Numbers reserved in the store at a time for one prefix and day: at most this many are skipped when Redis restarts. */
const TURN_BLOCK = 20;

// ─── turn numbers ──────────────────────────────────────────────────────────────────────────────────────────────

/**
 * The next turn number of a prefix on a Lima day: Redis INCR, in order across every process, restarting each day
 * (the key names the day). A number is handed out only below a ceiling the store already holds, raised by blocks;
 * a Redis that restarts empty starts the day again above the stored ceiling. So a number is never handed out twice
 * in a day, whatever restarts; a restart skips what was left of the block.
 */
export async function nextTurnNumber(ctx: AppContext, prefix: string, day: string): Promise<number> {
  const key = `${day}:${prefix}`;
  for (let attempt = 0; attempt < 10; attempt++) {
    const step = await ctx.live.hall.turnNext(day, prefix);
    if (step.kind === 'number') return step.value;
    if (step.kind === 'seed') await ctx.live.hall.turnSeed(day, prefix, await ctx.store.hall.turnCeiling(key));
    else await ctx.live.hall.turnRaise(day, prefix, await ctx.store.hall.raiseTurnCeiling(key, step.ceiling, TURN_BLOCK));
  }
  throw new AppError('turn_sequence');
}

// ─── the services at the counters ──────────────────────────────────────────────────────────────────────────────

export interface KioskServiceView {
  code: string;
  name: string;
  prefix: string;
  open: boolean;
  /** Why it gives no turns now, in Spanish, when closed. */
  closedMessage?: string;
  /** Turns waiting for it now. */
  waiting: number;
  lastTurnAt?: string;
}

export interface KioskServiceGroup {
  unitCode: string;
  unitName: string;
  services: KioskServiceView[];
}

/** The unit a kiosk service's turns are routed to (routing.json), whose name groups it on the kiosk's screen. */
function unitOfService(ctx: AppContext, service: KioskService): string {
  return placeContact(ctx, 'kiosk', { kioskService: service.routingHint }, 'consulta').fields.unitCode;
}

/** The services at the counters, grouped by unit, each saying whether it gives turns now and how many wait. */
export async function listKioskServices(ctx: AppContext, now: Date): Promise<{ hallName: string; open: boolean; groups: KioskServiceGroup[] }> {
  const calendar = calendarOf(ctx);
  const officeOpen = calendar.isOpen(now);
  const services = ctx.catalogue.kiosk.services;
  const queues = await ctx.live.hall.queues(services.map((s) => s.code));
  const groups = new Map<string, KioskServiceGroup>();
  services.forEach((service, i) => {
    const unitCode = unitOfService(ctx, service);
    const group = groups.get(unitCode) ?? { unitCode, unitName: ctx.catalogue.unitByCode(unitCode)?.shortName ?? unitCode, services: [] };
    groups.set(unitCode, group);
    const openness = serviceOpenness(officeOpen, service, now, ctx.catalogue.calendar.utcOffsetMinutes);
    group.services.push({
      code: service.code,
      name: service.name,
      prefix: service.prefix,
      open: openness.open,
      ...(openness.open ? {} : { closedMessage: openness.message }),
      waiting: queues[i]?.waiting ?? 0,
      ...(service.lastTurnAt !== undefined ? { lastTurnAt: service.lastTurnAt } : {}),
    });
  });
  return { hallName: ctx.catalogue.kiosk.hall.name, open: officeOpen, groups: [...groups.values()] };
}

// ─── taking a turn ─────────────────────────────────────────────────────────────────────────────────────────────

export interface TakeTurnInput {
  /** The kiosk's id of this request: a retry with the same id gets the same turn. */
  requestId: string;
  service: string;
  dni?: string | undefined;
  preferentialReason?: PreferentialReason | undefined;
}

/** What the kiosk shows and its printer prints. */
export interface IssuedTurn {
  ticketId: string;
  number: string;
  service: { code: string; name: string };
  issuedAt: Date;
  /** "01/12/2026 09:41", Lima time, as printed. */
  issuedAtText: string;
  priority: { class: PriorityClass; label: string; note: string; reason?: PreferentialReason };
  ahead: number;
  estimatedWait: WaitEstimate;
  trackingCode: string;
  /** The public status link (the QR code's payload) and its token. */
  status: { url: string; token: string };
  printout: string[];
}

const DNI_MESSAGES_ES: Readonly<Record<DniRejection, string>> = {
  length: 'El DNI tiene 8 dígitos, y puede llevar su dígito de verificación al final. Revíselo e ingréselo de nuevo.',
  not_digits: 'El DNI solo lleva números (y su dígito de verificación). Revíselo e ingréselo de nuevo.',
  check_digit: 'El dígito de verificación no corresponde al DNI ingresado. Revise el número en su documento e ingréselo de nuevo.',
};

function statusToken(ticket: Ticket): string {
  return `${ticket._id.toString()}.${ticket.turn?.statusKey ?? ''}`;
}

/** The public link of a turn: TURN_STATUS_URL with its token, else the status endpoint under PUBLIC_BASE_URL. */
export function statusUrl(ctx: AppContext, token: string): string {
  const template = ctx.env.TURN_STATUS_URL ?? `${ctx.env.PUBLIC_BASE_URL ?? ''}/api/v1/turns/{token}`;
  return template.replace('{token}', encodeURIComponent(token));
}

/** Turns ahead and the wait a citizen is told, from the live hall and the service's recent attentions. */
async function waitOf(ctx: AppContext, ticketId: string, service: KioskService): Promise<{ ahead: number; estimate: WaitEstimate }> {
  const [position, recent, counters] = await Promise.all([
    ctx.live.hall.position(ticketId),
    ctx.live.hall.recentServiceTimes(service.code, RECENT_SERVICE_SAMPLES),
    ctx.live.hall.counters(ctx.catalogue.kiosk.counters.filter((c) => c.services.includes(service.code)).map((c) => c.code)),
  ]);
  const ahead = position?.ahead ?? 0;
  const openCounters = counters.filter((c) => c.state === 'open').length;
  return { ahead, estimate: estimateTurnWait({ ahead, openCounters, recentServiceSeconds: recent, typicalServiceMinutes: service.typicalServiceMinutes }) };
}

async function issuedTurn(ctx: AppContext, ticket: Ticket, turn: TicketTurn): Promise<IssuedTurn> {
  const service = ctx.catalogue.kiosk.serviceByCode(turn.service);
  if (!service) throw new AppError('INTERNAL', `kiosk service ${turn.service} is no longer in the catalogue`);
  const { ahead, estimate } = await waitOf(ctx, ticket._id.toString(), service);
  const token = statusToken(ticket);
  const url = statusUrl(ctx, token);
  const issuedAtText = printedLocalTime(turn.issuedAt, ctx.catalogue.calendar.utcOffsetMinutes);
  return {
    ticketId: ticket._id.toString(),
    number: turn.number,
    service: { code: service.code, name: service.name },
    issuedAt: turn.issuedAt,
    issuedAtText,
    priority: {
      class: ticket.priorityClass,
      label: PRIORITY_LABELS_ES[ticket.priorityClass],
      note: PRIORITY_NOTES_ES[ticket.priorityClass],
      ...(turn.preferentialReason ? { reason: turn.preferentialReason } : {}),
    },
    ahead,
    estimatedWait: estimate,
    trackingCode: ticket.trackingCode,
    status: { url, token },
    printout: turnPrintout({
      hallName: ctx.catalogue.kiosk.hall.name,
      turnNumber: turn.number,
      serviceName: service.name,
      issuedAtText,
      ahead,
      waitText: estimate.text,
      priorityClass: ticket.priorityClass,
      preferentialReason: turn.preferentialReason,
      trackingCode: ticket.trackingCode,
      statusUrl: url,
    }),
  };
}

/** The turn a kiosk's request already made, or null; the same request id for another service is refused. */
async function earlierTurn(ctx: AppContext, externalId: string, service: string): Promise<{ ticket: Ticket; turn: TicketTurn } | null> {
  const ticket = await ctx.store.tickets.findByChannelKey('kiosk', externalId);
  if (!ticket?.turn) return null;
  const asked = ticket.turn.redirectedFrom[0] ?? ticket.turn.service;
  if (asked !== service) throw new AppError('request_id_reused', undefined, { service: asked });
  return { ticket, turn: ticket.turn };
}

/**
 * A citizen takes a turn at a kiosk: a ticket through intake with the day's next number of the service's prefix, in
 * the service's queue by priority (Ley 28683 preferential first, then VPP, then arrival), with the turns ahead and the
 * estimated wait. A retry of the same request (same kiosk, same request id) answers the turn it issued, even after
 * closing time. A DNI whose check character is wrong is refused, so the citizen can type it again.
 */
export async function takeTurn(ctx: AppContext, kiosk: KioskCaller, input: TakeTurnInput, now: Date): Promise<{ created: boolean; turn: IssuedTurn }> {
  const service = ctx.catalogue.kiosk.serviceByCode(input.service);
  if (!service) throw new AppError('VALIDATION_FAILED', 'Servicio no reconocido.', { fields: [{ path: 'service', message: `unknown kiosk service "${input.service}"` }] });
  const dni = input.dni === undefined ? undefined : parseDni(input.dni);
  if (dni && !dni.ok) throw new AppError(`dni_${dni.reason}`, DNI_MESSAGES_ES[dni.reason], { fields: [{ path: 'dni', message: DNI_MESSAGES_ES[dni.reason] }] });
  const externalId = `${kiosk.deviceId}:${input.requestId}`;
  const earlier = await earlierTurn(ctx, externalId, service.code);
  if (earlier) return { created: false, turn: await issuedTurn(ctx, earlier.ticket, earlier.turn) };

  const calendar = calendarOf(ctx);
  const openness = serviceOpenness(calendar.isOpen(now), service, now, ctx.catalogue.calendar.utcOffsetMinutes);
  if (!openness.open) throw new AppError(openness.reason, openness.message, { service: service.code });

  const day = calendar.toLocalDate(now);
  const number = formatTurnNumber(service.prefix, await nextTurnNumber(ctx, service.prefix, day));
  const turn: TicketTurn = {
    number,
    service: service.code,
    day,
    issuedAt: now,
    deviceId: kiosk.deviceId,
    ...(input.preferentialReason ? { preferentialReason: input.preferentialReason } : {}),
    statusKey: randomBytes(16).toString('base64url'),
    stage: 'waiting',
    waitingSince: now,
    waitSeconds: 0,
    serviceSeconds: 0,
    recalls: 0,
    redirectedFrom: [],
  };
  const { ticket, created } = await receiveContact(
    ctx,
    {
      channel: 'kiosk',
      externalId,
      receivedAt: now,
      citizen: dni?.ok ? { dni: dni.value.number } : {},
      subject: `Turno ${number}: ${service.name}`,
      hint: { kioskService: service.routingHint },
      raw: { kiosk: kiosk.deviceId, requestId: input.requestId, service: service.code, ...(input.preferentialReason ? { preferentialReason: input.preferentialReason } : {}) },
    },
    { actor: { kind: 'system', id: `kiosk:${kiosk.deviceId}` }, preferential: input.preferentialReason !== undefined, turn },
  );
  // The same request twice at once: the other one's turn is the turn (this number stays unused).
  const issued = created ? { ticket, turn } : await earlierTurn(ctx, externalId, service.code);
  if (!issued) throw new AppError('CONFLICT', 'The turn is being issued; try again.');
  // In the hall's queue now, so the answer can say who is ahead; the route job does it again, harmlessly.
  await queueTicket(ctx, issued.ticket);
  await requestQueueStats(ctx, ctx.catalogue.attentionOffice.code);
  return { created, turn: await issuedTurn(ctx, issued.ticket, issued.turn) };
}

// ─── following a turn ──────────────────────────────────────────────────────────────────────────────────────────

/** What the public status page shows: state, place and wait; nothing personal, not even the tracking code. */
export interface PublicTurnStatus {
  number: string;
  service: string;
  state: PublicTurnState;
  stateText: string;
  /** While waiting: turns of the service called before it, and the wait that means. */
  ahead?: number;
  estimatedWait?: WaitEstimate;
  /** Where to go once called. */
  counter?: string;
  issuedAt: Date;
}

const TOKEN_FORMAT = /^([a-f0-9]{24})\.([A-Za-z0-9_-]{22})$/;

/** The state of a turn for anyone holding its printed link; NOT_FOUND for any other token. */
export async function turnStatus(ctx: AppContext, token: string): Promise<PublicTurnStatus> {
  const match = TOKEN_FORMAT.exec(token);
  const ticket = match?.[1] !== undefined ? await ctx.store.tickets.get(match[1]) : null;
  const turn = ticket?.turn;
  const given = Buffer.from(match?.[2] ?? '');
  const expected = Buffer.from(turn?.statusKey ?? '');
  if (!ticket || !turn || given.length !== expected.length || !timingSafeEqual(given, expected)) throw new AppError('NOT_FOUND', 'No existe ese turno.');
  const service = ctx.catalogue.kiosk.serviceByCode(turn.service);
  // A turn handed back to the hall (its counter signed out) waits again, whatever stage it had reached.
  const waiting = turn.stage !== 'done' && WAITING_STATUSES.includes(ticket.status);
  const state = waiting ? 'waiting' : publicTurnState(turn.stage, turn.outcome ?? (ticket.status === 'anulado' ? 'cancelled' : undefined));
  const counter = turn.counterCode !== undefined ? ctx.catalogue.kiosk.counterByCode(turn.counterCode)?.name : undefined;
  const atCounter = state === 'called' || state === 'serving' || state === 'parked';
  const wait = state === 'waiting' && service ? await waitOf(ctx, ticket._id.toString(), service) : undefined;
  return {
    number: turn.number,
    service: service?.name ?? turn.service,
    state,
    stateText: publicTurnStateText(state, atCounter ? counter : undefined),
    ...(wait ? { ahead: wait.ahead, estimatedWait: wait.estimate } : {}),
    ...(atCounter && counter !== undefined ? { counter } : {}),
    issuedAt: turn.issuedAt,
  };
}
