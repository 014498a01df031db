import type { HallFigures } from '../domain/counter-turns.js';
import type { PriorityClass } from '../domain/priority.js';
import type { QueueFigures } from '../domain/queue-stats.js';
import type { Presence } from '../domain/staff.js';
import type { TicketStatus } from '../domain/ticket-lifecycle.js';
import type { Channel, TicketType } from '../domain/ticket-types.js';

/**
 * What staff clients receive, by event name. Payloads carry ids and the few fields a list row needs; a client
 * that wants more fetches `GET /api/v1/tickets/:id`. Nothing here goes to the public display namespace.
 */
export interface StaffEvents {
  /** A ticket changed (created, routed, assigned, transferred, resolved, ...); `kind` is the audit event type. */
  'ticket:event': (payload: TicketEventPayload) => void;
  /** An agent's presence or capacity changed. Sent to the agent and to supervisors of their units. */
  'presence:changed': (payload: PresencePayload) => void;
  /** Live queue figures of a unit, pushed to its supervisors at most once a second. */
  'queue:stats': (payload: QueueStatsPayload) => void;
  /** A notification for this staff member (SLA escalation, report-back). */
  'notification:new': (payload: NotificationPayload) => void;
}

/** What a public screen may show: a turn number and a counter name. Never names, DNIs or ticket contents. */
export interface DisplayEvents {
  'turn:called': (payload: TurnCalledPayload) => void;
  /** Sent to a board as it connects: the hall's last calls, newest first, so it does not start blank. */
  'turn:recent': (payload: { calls: TurnCalledPayload[] }) => void;
}

/** Client → server events on the staff namespace. */
export interface StaffClientEvents {
  /** Sets the agent's own presence (available, away, offline; busy is set by the phone channel). */
  'presence:set': (payload: { presence: Presence }, ack?: (answer: AckAnswer) => void) => void;
  /**
   * Catch-up after a reconnect: everything visible to the user that happened after `since` (the `at` of the
   * last event received), plus the tickets assigned to them now.
   */
  'sync': (payload: { since: string }, ack: (answer: SyncAnswer) => void) => void;
}

export type AckAnswer = { ok: true } | { ok: false; error: { code: string; message: string } };

export type SyncAnswer =
  | { ok: true; events: TicketEventPayload[]; assigned: TicketSummary[]; complete: boolean }
  | { ok: false; error: { code: string; message: string } };

export interface TicketSummary {
  ticketId: string;
  trackingCode: string;
  status: TicketStatus;
  channel: Channel;
  type: TicketType;
  unitCode: string;
  queue: string;
  priorityClass: PriorityClass;
  slaAtRisk: boolean;
  assigneeId?: string;
  version: number;
}

export interface TicketEventPayload {
  /** The audit event's id; unique, so a client can drop an event it has already seen. */
  eventId: string;
  /** Audit event type: created, routed, assigned, unassigned, status_changed, referred, reported_back, sla_at_risk, sla_breached, ... */
  kind: string;
  at: string;
  ticket: TicketSummary;
}

export interface PresencePayload {
  staffId: string;
  displayName: string;
  presence: Presence;
  units: string[];
  load: Record<Channel, number>;
  capacity: Record<Channel, number>;
  at: string;
}

export interface QueueStatsPayload {
  unitCode: string;
  /** Per queue of the unit, plus the unit's total under `queue: "*"`. */
  queues: QueueStats[];
  agents: Record<Presence, number>;
  /** The counter hall (kiosk turns, counters), in the figures of the office that runs it. */
  hall?: HallFigures;
  at: string;
}

/** Figures of one queue; `queue: "*"` is the whole unit. */
export type QueueStats = QueueFigures;

export interface NotificationPayload {
  notificationId: string;
  kind: string;
  ticketId: string;
  trackingCode: string;
  message: string;
  at: string;
}

export interface TurnCalledPayload {
  /** e.g. "C-042". */
  turn: string;
  /** e.g. "Ventanilla 3". */
  counter: string;
  /** What the board shows and reads out, in Spanish: "Turno C-042, ventanilla 3". */
  announcement: string;
  at: string;
}

/** Room names. Visibility of a push follows the same rule as a REST read: the units of the ticket. */
export const rooms = {
  user: (staffId: string) => `user:${staffId}`,
  unit: (unitCode: string) => `unit:${unitCode}`,
  supervisors: (unitCode: string) => `supervisors:${unitCode}`,
  admins: 'admins',
} as const;

/** The rooms a staff member's sockets join: their own, their units', their units' supervisors' (supervisors), admins'. */
export function staffRooms(staff: { id: string; roles: readonly string[]; units: readonly string[] }): string[] {
  return [
    rooms.user(staff.id),
    ...staff.units.map((u) => rooms.unit(u)),
    ...(staff.roles.includes('supervisor') ? staff.units.map((u) => rooms.supervisors(u)) : []),
    ...(staff.roles.includes('admin') ? [rooms.admins] : []),
  ];
}

export const DISPLAY_NAMESPACE = '/display';
