/**
 * The counter hall (plataforma): turns taken at a kiosk and called to a counter (ventanilla). What is decided
 * here is pure: how a turn is numbered and announced (who is called first is the calling order of priority.ts,
 * `queueOrder`, given a turn's class alone), how long a citizen is told to wait,
 * whether a service hands out turns now, and what a turn's state reads as to the citizen. Everything a citizen
 * reads or hears is Spanish (es-PE).
 */
import { PRIORITY_LABELS_ES, type PriorityClass } from './priority.js';

// ─── preferential attention (Ley 28683) ────────────────────────────────────────────────────────────────────────

/**
 * Why a citizen is served without waiting, as Ley 27408 as modified by Ley 28683 lists them and the kiosk offers
 * them. Declared at the kiosk for this visit only: a pregnancy or a child in arms is not a standing
 * of the citizen, so it never marks the citizen's record.
 */
export const PREFERENTIAL_REASONS = ['gestante', 'nino_en_brazos', 'adulto_mayor', 'discapacidad'] as const;
export type PreferentialReason = (typeof PREFERENTIAL_REASONS)[number];

export const PREFERENTIAL_REASON_LABELS_ES: Readonly<Record<PreferentialReason, string>> = {
  gestante: 'Gestante',
  nino_en_brazos: 'Niña o niño en brazos',
  adulto_mayor: 'Adulto mayor (60 años o más)',
  discapacidad: 'Persona con discapacidad',
};

/** What the turn's printout and screen say about the order it is served in. */
export const PRIORITY_NOTES_ES: Readonly<Record<PriorityClass, string>> = {
  preferential: 'Atención preferente (Ley 28683): será llamado antes que los demás, sin esperar su turno.',
  vpp: 'Vecino Puntual: será llamado antes que la atención general.',
  normal: 'Atención general: será llamado por orden de llegada.',
};

// ─── numbering ─────────────────────────────────────────────────────────────────────────────────────────────────

/** A service's turn prefix: one to three capital letters (`R`, `L`, `RC`). */
export const TURN_PREFIX = /^[A-Z]{1,3}$/;

/**
 * `R-042`: the prefix of the service, a hyphen, and the day's sequence of that prefix padded to three digits (it
 * grows past 999 rather than wrapping, so a number is never repeated within a day).
 *
 * @throws RangeError on a prefix that is not {@link TURN_PREFIX} or a sequence that is not a positive integer
 */
export function formatTurnNumber(prefix: string, seq: number): string {
  if (!TURN_PREFIX.test(prefix)) throw new RangeError(`Invalid turn prefix: ${prefix}`);
  if (!Number.isSafeInteger(seq) || seq < 1) throw new RangeError(`Invalid turn sequence: ${seq}`);
  return `${prefix}-${String(seq).padStart(3, '0')}`;
}


// ─── announcement ──────────────────────────────────────────────────────────────────────────────────────────────

/** What the board shows and reads out when a turn is called: "Turno R-042, ventanilla 3". */
export function turnAnnouncement(turnNumber: string, counterName: string): string {
  const counter = counterName.trim();
  return `Turno ${turnNumber}, ${counter.charAt(0).toLocaleLowerCase('es-PE')}${counter.slice(1)}`;
}

// ─── waiting time ──────────────────────────────────────────────────────────────────────────────────────────────

/** Recent service times considered at most: the last twenty attentions of a service. */
export const RECENT_SERVICE_SAMPLES = 20;

export interface WaitEstimateInput {
  /** Turns of the same service that will be called before this one. */
  ahead: number;
  /** Counters serving the service that are open now (a staff member signed in, not paused). */
  openCounters: number;
  /** Seconds the service's recent turns kept a counter (call to finish), newest first. */
  recentServiceSeconds: readonly number[];
  /** The catalogue's figure for the service, used until enough turns were served today. */
  typicalServiceMinutes: number;
}

export interface WaitEstimate {
  /** Whole minutes, rounded up; null when no counter serves the service now. */
  minutes: number | null;
  /** What the figure rests on: today's attentions, the catalogue, or nothing (no counter open). */
  basis: 'recent' | 'typical' | 'no_counter';
  /** One line for the printout and the screen. */
  text: string;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Fewer recent attentions than this and the catalogue's figure is used: two or three say little. */
const MIN_RECENT = 3;

/**
 * The wait a citizen is told: the turns ahead shared among the service's open counters, each taking the median of
 * the service's recent attentions (the median, so one long case does not double everyone's estimate). Counters
 * that also serve other services make it optimistic; it is an estimate and says so.
 */
export function estimateTurnWait(input: WaitEstimateInput): WaitEstimate {
  if (input.openCounters <= 0) {
    return { minutes: null, basis: 'no_counter', text: 'Sin estimación: aún no hay ventanillas atendiendo este servicio.' };
  }
  const recent = input.recentServiceSeconds.slice(0, RECENT_SERVICE_SAMPLES).filter((s) => Number.isFinite(s) && s > 0);
  const basis = recent.length >= MIN_RECENT ? 'recent' : 'typical';
  const perTurnSeconds = basis === 'recent' ? median(recent) : input.typicalServiceMinutes * 60;
  const minutes = Math.ceil((Math.max(0, input.ahead) * perTurnSeconds) / input.openCounters / 60);
  const text = minutes === 0 ? 'Será llamado en breve.' : `Espera estimada: ${minutes === 1 ? '1 minuto' : `${minutes} minutos`} aproximadamente.`;
  return { minutes, basis, text };
}

// ─── open now ──────────────────────────────────────────────────────────────────────────────────────────────────

/** Minutes since local midnight of `at`, in a zone at a fixed offset from UTC (Lima: −300, no DST). */
export function localMinutesOfDay(at: Date, utcOffsetMinutes: number): number {
  const local = new Date(at.getTime() + utcOffsetMinutes * 60_000);
  return local.getUTCHours() * 60 + local.getUTCMinutes();
}

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
}

export type ServiceClosedReason = 'office_closed' | 'last_turn_given';

/** Whether a service hands out turns now; the calendar decides office hours and holidays. */
export type ServiceOpenness = { open: true } | { open: false; reason: ServiceClosedReason; message: string };

/**
 * A service hands out turns while the office is open (business hours, holidays: the calendar) and, when it has a
 * `lastTurnAt`, until that local time, so the last citizens can still be served before closing.
 */
export function serviceOpenness(officeOpen: boolean, service: { name: string; lastTurnAt?: string | undefined }, at: Date, utcOffsetMinutes: number): ServiceOpenness {
  if (!officeOpen) {
    return { open: false, reason: 'office_closed', message: 'La plataforma de atención está cerrada en este momento. Consulte el horario de atención.' };
  }
  if (service.lastTurnAt !== undefined && localMinutesOfDay(at, utcOffsetMinutes) >= minutesOf(service.lastTurnAt)) {
    return { open: false, reason: 'last_turn_given', message: `${service.name}: ya no se entregan turnos hoy (último turno a las ${service.lastTurnAt}).` };
  }
  return { open: true };
}

// ─── the turn as the citizen sees it ───────────────────────────────────────────────────────────────────────────

/** Where a turn is at the counter. `done` once it left the hall for good (finished, no-show, cancelled). */
export const TURN_STAGES = ['waiting', 'called', 'serving', 'parked', 'done'] as const;
export type TurnStage = (typeof TURN_STAGES)[number];

/**
 * How a turn ended: attended and resolved at the counter, attended and left open as a case for a unit, the
 * citizen did not come when called, or the ticket was cancelled outside the counter.
 */
export const TURN_OUTCOMES = ['resolved', 'open_case', 'no_show', 'cancelled'] as const;
export type TurnOutcome = (typeof TURN_OUTCOMES)[number];

/** The states the public turn-status page shows; nothing personal goes with them. */
export const PUBLIC_TURN_STATES = ['waiting', 'called', 'serving', 'parked', 'attended', 'no_show', 'cancelled'] as const;
export type PublicTurnState = (typeof PUBLIC_TURN_STATES)[number];

export function publicTurnState(stage: TurnStage, outcome: TurnOutcome | undefined): PublicTurnState {
  if (stage !== 'done') return stage;
  if (outcome === 'no_show') return 'no_show';
  if (outcome === 'cancelled' || outcome === undefined) return 'cancelled';
  return 'attended';
}

/** What the state means, in a sentence for the citizen; `counterName` where they are called. */
export function publicTurnStateText(state: PublicTurnState, counterName?: string): string {
  switch (state) {
    case 'waiting':
      return 'En espera: le llamaremos en la pantalla de la plataforma.';
    case 'called':
      return `Es su turno: acérquese a la ${counterName?.toLocaleLowerCase('es-PE') ?? 'ventanilla indicada en la pantalla'}.`;
    case 'serving':
      return 'En atención.';
    case 'parked':
      return 'Complete su formulario: le volverán a llamar a la ventanilla.';
    case 'attended':
      return 'Atendido. Gracias por su visita.';
    case 'no_show':
      return 'Su turno fue llamado y no se presentó. Si aún necesita atención, saque un nuevo turno.';
    case 'cancelled':
      return 'Este turno fue anulado.';
  }
}

// ─── counter rules ─────────────────────────────────────────────────────────────────────────────────────────────

/**
 * A called citizen who does not come is announced again up to `recallsBeforeNoShow` times; only then may the counter
 * close the turn as a no-show. A counter cannot skip a citizen who may still be walking over.
 */
export function recallRule(recalls: number, recallsBeforeNoShow: number): { mayRecall: boolean; mayMarkNoShow: boolean } {
  return { mayRecall: recalls < recallsBeforeNoShow, mayMarkNoShow: recalls >= recallsBeforeNoShow };
}

/** Whole seconds between two instants, never negative. */
export function secondsBetween(from: Date, to: Date): number {
  return Math.max(0, Math.round((to.getTime() - from.getTime()) / 1000));
}

// ─── printout ──────────────────────────────────────────────────────────────────────────────────────────────────

export interface PrintoutInput {
  hallName: string;
  turnNumber: string;
  serviceName: string;
  /** Local date and time as printed, e.g. "01/12/2026 09:41". */
  issuedAtText: string;
  ahead: number;
  waitText: string;
  priorityClass: PriorityClass;
  preferentialReason?: PreferentialReason | undefined;
  trackingCode: string;
  statusUrl: string;
}

/** The lines a ticket printer prints, top to bottom; the QR code of `statusUrl` goes under them. */
export function turnPrintout(input: PrintoutInput): string[] {
  const priority =
    input.priorityClass === 'preferential' && input.preferentialReason
      ? `${PRIORITY_LABELS_ES.preferential}: ${PREFERENTIAL_REASON_LABELS_ES[input.preferentialReason]}`
      : PRIORITY_LABELS_ES[input.priorityClass];
  return [
    input.hallName,
    `TURNO ${input.turnNumber}`,
    input.serviceName,
    input.issuedAtText,
    priority,
    input.ahead === 0 ? 'No hay personas antes que usted.' : input.ahead === 1 ? '1 persona antes que usted.' : `${input.ahead} personas antes que usted.`,
    input.waitText,
    `Código de seguimiento: ${input.trackingCode}`,
    'Siga su turno desde su celular escaneando el código QR.',
  ];
}

/** "01/12/2026 09:41" in a zone at a fixed offset from UTC. */
export function printedLocalTime(at: Date, utcOffsetMinutes: number): string {
  const local = new Date(at.getTime() + utcOffsetMinutes * 60_000);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(local.getUTCDate())}/${two(local.getUTCMonth() + 1)}/${local.getUTCFullYear()} ${two(local.getUTCHours())}:${two(local.getUTCMinutes())}`;
}

/**
 * The service whose hall queue a ticket waits in when it is queued: a turn not done yet. A turn finished and left
 * open as a case for a unit is an ordinary ticket from then on, taken by that unit's agents.
 */
export function hallQueueOf(turn: { service: string; stage: TurnStage } | undefined): string | undefined {
  return turn !== undefined && turn.stage !== 'done' ? turn.service : undefined;
}

/** The hall as supervisors watch it, beside their units' queues. */
export interface HallFigures {
  /** Turns waiting in the hall, all services. */
  waiting: number;
  longestWaitSeconds: number;
  services: { code: string; name: string; waiting: number; longestWaitSeconds: number }[];
  /** Counters with someone signed in and calling, signed in but paused, and with nobody. */
  counters: { open: number; paused: number; closed: number };
}
