import { Emitter } from '@socket.io/redis-emitter';
import type { Redis } from 'ioredis';
import type { Logger } from '../logging.js';
import type { StaffDoc } from '../store/staff.model.js';
import type { Ticket } from '../store/ticket.repository.js';
import { createCatchUpLog, type CatchUp } from './catch-up.js';
import {
  DISPLAY_NAMESPACE,
  rooms,
  type DisplayEvents,
  type NotificationPayload,
  type QueueStatsPayload,
  type StaffEvents,
  type TicketEventPayload,
  type TicketSummary,
  type TurnCalledPayload,
} from './events.js';

/**
 * Pushes to Socket.IO clients from any process (API or worker) through Redis: the `@socket.io/redis-emitter`
 * publishes on the channels the API nodes' `@socket.io/redis-adapter` listens to, so an event raised by a
 * worker on one machine reaches a browser connected to any API node. Pushing never fails the business
 * operation that caused it: a lost push is recovered by the client's `sync` on reconnect, from the rooms' catch-up
 * log (catch-up.ts).
 */
export interface RealtimePublisher {
  /** Pushes a ticket's change to the rooms that may see it, and keeps it for their catch-up. */
  ticketEvent(ticket: Ticket, event: { id: string; type: string; at: Date }): void;
  /** The ticket events these rooms received after `since` (a reconnecting client's catch-up), without the store. */
  missedSince(rooms: readonly string[], since: Date, limit: number): Promise<CatchUp>;
  presenceChanged(staff: StaffDoc): void;
  queueStats(payload: QueueStatsPayload): void;
  notification(recipientId: string, payload: NotificationPayload): void;
  turnCalled(payload: TurnCalledPayload): void;
  /** Ends every socket of a staff member (disabled, logged out everywhere). */
  disconnectUser(staffId: string): void;
}

/** The Redis key prefix both the adapter and the emitter use; one per deployment (or per test). */
export function socketKey(prefix: string): string {
  return `${prefix}:socket.io`;
}

export function ticketSummary(ticket: Ticket): TicketSummary {
  return {
    ticketId: ticket._id.toString(),
    trackingCode: ticket.trackingCode,
    status: ticket.status,
    channel: ticket.channel,
    type: ticket.type,
    unitCode: ticket.unitCode,
    queue: ticket.queue,
    priorityClass: ticket.priorityClass,
    slaAtRisk: ticket.slaAtRisk,
    ...(ticket.assigneeId ? { assigneeId: ticket.assigneeId.toString() } : {}),
    version: ticket.version,
  };
}

/** Rooms that may see a ticket: its unit, the office that referred it, its assignee, admins. */
export function ticketRooms(ticket: Ticket): string[] {
  return [
    rooms.unit(ticket.unitCode),
    ...(ticket.referral ? [rooms.unit(ticket.referral.fromUnit)] : []),
    ...(ticket.assigneeId ? [rooms.user(ticket.assigneeId.toString())] : []),
    rooms.admins,
  ];
}

export function createRealtimePublisher(redis: Redis, prefix: string, log: Logger): RealtimePublisher {
  const staff = new Emitter<StaffEvents>(redis, { key: socketKey(prefix) });
  const catchUp = createCatchUpLog(redis, prefix);
  const display = staff.of(DISPLAY_NAMESPACE) as unknown as Emitter<DisplayEvents>;
  const guard = (what: string, push: () => void): void => {
    try {
      push();
    } catch (err) {
      log.warn({ err, what }, 'realtime push failed');
    }
  };
  return {
    ticketEvent(ticket, event) {
      const payload: TicketEventPayload = { eventId: event.id, kind: event.type, at: event.at.toISOString(), ticket: ticketSummary(ticket) };
      const to = ticketRooms(ticket);
      guard('ticket:event', () => staff.to(to).emit('ticket:event', payload));
      catchUp.append(to, payload).catch((err: unknown) => {
        log.warn({ err, what: 'ticket:event catch-up' }, 'realtime push failed');
      });
    },
    missedSince(rooms, since, limit) {
      return catchUp.since(rooms, since, limit);
    },
    presenceChanged(member) {
      const targets = [rooms.user(member._id.toString()), ...member.units.map((u) => rooms.supervisors(u)), rooms.admins];
      guard('presence:changed', () =>
        staff.to(targets).emit('presence:changed', {
          staffId: member._id.toString(),
          displayName: member.displayName,
          presence: member.presence,
          units: member.units,
          load: member.load,
          capacity: member.capacity,
          at: new Date().toISOString(),
        }),
      );
    },
    queueStats(payload) {
      guard('queue:stats', () => staff.to([rooms.supervisors(payload.unitCode), rooms.admins]).emit('queue:stats', payload));
    },
    notification(recipientId, payload) {
      guard('notification:new', () => staff.to(rooms.user(recipientId)).emit('notification:new', payload));
    },
    turnCalled(payload) {
      // Only the public fields leave, whatever the caller passed.
      guard('turn:called', () => display.emit('turn:called', { turn: payload.turn, counter: payload.counter, announcement: payload.announcement, at: payload.at }));
    },
    disconnectUser(staffId) {
      guard('disconnect', () => {
        staff.in(rooms.user(staffId)).disconnectSockets(true);
      });
    },
  };
}
