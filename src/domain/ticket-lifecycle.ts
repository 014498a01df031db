/**
 * The ticket state machine. Every status change in the system goes through {@link nextStatus}, so the table
 * below is the single answer to "can a ticket go from A to B".
 */

/** Ticket statuses. Spanish values because they are the office's own vocabulary and appear in reports. */
export const TICKET_STATUSES = [
  'nuevo',
  'en_cola',
  'asignado',
  'en_atencion',
  'esperando_vecino',
  'derivado',
  'resuelto',
  'cerrado',
  'anulado',
] as const;

export type TicketStatus = (typeof TICKET_STATUSES)[number];

/** What an agent, a unit or the system can do to a ticket. */
export const TICKET_ACTIONS = [
  'enqueue',
  'assign',
  'start',
  'wait_citizen',
  'citizen_replied',
  'refer',
  'unassign',
  'resolve',
  'close',
  'reopen',
  'cancel',
] as const;

export type TicketAction = (typeof TICKET_ACTIONS)[number];

export type TransitionResult = { ok: true; to: TicketStatus } | { ok: false; reason: 'illegal_transition' };

/**
 * From each status, the actions allowed and where they lead. Notes on the less obvious rows:
 * - `derivado` is a ticket handed to another unit: that unit may assign it to one of its staff or resolve it
 *   directly, and the office may still cancel it.
 * - `unassign` returns work to the queue when its agent goes offline, so nothing stays stuck on a person.
 * - `resuelto` is not final: the citizen may disagree (`reopen`), and a duplicate found late may be annulled.
 * - `cerrado` can only be reopened; `anulado` is the only terminal status.
 */
const TRANSITIONS: Readonly<Record<TicketStatus, Readonly<Partial<Record<TicketAction, TicketStatus>>>>> = {
  nuevo: { enqueue: 'en_cola', cancel: 'anulado' },
  en_cola: { assign: 'asignado', refer: 'derivado', cancel: 'anulado' },
  asignado: { start: 'en_atencion', refer: 'derivado', unassign: 'en_cola', cancel: 'anulado' },
  en_atencion: {
    wait_citizen: 'esperando_vecino',
    refer: 'derivado',
    unassign: 'en_cola',
    resolve: 'resuelto',
    cancel: 'anulado',
  },
  esperando_vecino: { citizen_replied: 'en_atencion', cancel: 'anulado' },
  derivado: { assign: 'asignado', resolve: 'resuelto', cancel: 'anulado' },
  resuelto: { close: 'cerrado', reopen: 'en_cola', cancel: 'anulado' },
  cerrado: { reopen: 'en_cola' },
  anulado: {},
};

/** Status names for people (agents, supervisors, citizens tracking their case), in Spanish (es-PE). */
export const STATUS_LABELS_ES: Readonly<Record<TicketStatus, string>> = {
  nuevo: 'Nuevo',
  en_cola: 'En cola',
  asignado: 'Asignado',
  en_atencion: 'En atención',
  esperando_vecino: 'Esperando respuesta del vecino',
  derivado: 'Derivado a otra área',
  resuelto: 'Resuelto',
  cerrado: 'Cerrado',
  anulado: 'Anulado',
};

const CLOSED_STATUSES: ReadonlySet<TicketStatus> = new Set(['resuelto', 'cerrado', 'anulado']);

/** Where `action` takes a ticket in status `from`, or `illegal_transition` when the table forbids it. */
export function nextStatus(from: TicketStatus, action: TicketAction): TransitionResult {
  const to = TRANSITIONS[from][action];
  return to === undefined ? { ok: false, reason: 'illegal_transition' } : { ok: true, to };
}

/** Actions allowed from `from`, in {@link TICKET_ACTIONS} order (stable for UIs that render buttons). */
export function allowedActions(from: TicketStatus): readonly TicketAction[] {
  const row = TRANSITIONS[from];
  return TICKET_ACTIONS.filter((action) => row[action] !== undefined);
}

/** Whether the case still needs work from the office: not `resuelto`, `cerrado` or `anulado`. */
export function isOpenStatus(status: TicketStatus): boolean {
  return !CLOSED_STATUSES.has(status);
}

/** Whether the SLA clock is stopped: only while the office waits for the citizen. */
export function isSlaPaused(status: TicketStatus): boolean {
  return status === 'esperando_vecino';
}

/** Statuses in which a ticket waits for an agent: queued, or referred to a unit that has not taken it yet. */
export const WAITING_STATUSES: readonly TicketStatus[] = ['en_cola', 'derivado'];

/**
 * Statuses in which a ticket belongs to an agent and counts against their capacity. A case waiting on the
 * citizen stays with its agent (they know it) and keeps its place in their load.
 */
export const OWNED_STATUSES: readonly TicketStatus[] = ['asignado', 'en_atencion', 'esperando_vecino'];
