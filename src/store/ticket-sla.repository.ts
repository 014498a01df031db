import { createHash } from 'node:crypto';
import { Types } from 'mongoose';
import type { PriorityClass } from '../domain/priority.js';
import { isSlaRunning } from '../domain/sla-policy.js';
import { isOpenStatus, TICKET_STATUSES, WAITING_STATUSES, type TicketStatus } from '../domain/ticket-lifecycle.js';
import type { DocumentLocks } from './document-lock.js';
import { guardedStep, type WriteFilters } from './guarded-update.js';
import type { Models } from './models.js';
import { isDuplicateKeyError, storeCall, toAppError } from './store-errors.js';
import type { ActorKind, TicketEventDoc } from './ticket-event.model.js';
import type { TicketSla } from './ticket.model.js';
import type { Ticket } from './ticket.repository.js';

/** Statuses in which the SLA clock runs; a check outcome is recorded only in one of them. */
const RUNNING_STATUSES = TICKET_STATUSES.filter(isSlaRunning);
const OPEN_STATUSES = TICKET_STATUSES.filter(isOpenStatus);

type Id = Types.ObjectId | string;

// Ids come from job payloads and callers as strings; one that is not an ObjectId matches no ticket.
function objectId(id: Id): Types.ObjectId | undefined {
  if (typeof id !== 'string') return id;
  return Types.ObjectId.isValid(id) ? new Types.ObjectId(id) : undefined;
}

/** Priority fields that change together with the SLA state. */
export interface SlaPriority {
  slaAtRisk: boolean;
  priorityScore: number;
}

/** An event about the SLA, appended at most once per `onceKey`. */
export interface SlaEvent {
  ticketId: Id;
  type: string;
  at: Date;
  data: Record<string, unknown>;
  /** Who caused it, when a person did (an extension); the SLA itself otherwise. */
  actor?: { kind: ActorKind; id?: string };
}

/** An open ticket as the SLA reconciliation sees it. */
export interface ReconcileCandidate {
  id: string;
  status: TicketStatus;
  hasSla: boolean;
  createdAt: Date;
}

// Mongoose stores an explicit `undefined` inside a replaced subdocument in some versions and drops it in others;
// leaving the key out says "unset" unambiguously.
function withoutUndefined(sla: TicketSla): TicketSla {
  return Object.fromEntries(Object.entries(sla).filter(([, value]) => value !== undefined)) as unknown as TicketSla;
}

/**
 * The audit trail has no unique key but `_id`, so an event that must be written once (a job may run twice, or two
 * runs at once) gets an `_id` derived from what makes it unique. The first four bytes of an ObjectId are read as a
 * creation time, so they carry `timestampOf` rather than hash bytes.
 */
export function onceEventId(onceKey: string, timestampOf: Date): Types.ObjectId {
  const bytes = Buffer.alloc(12);
  bytes.writeUInt32BE(Math.floor(timestampOf.getTime() / 1000) >>> 0, 0);
  createHash('sha256').update(onceKey).digest().copy(bytes, 4, 0, 8);
  return new Types.ObjectId(bytes);
}

/**
 * Atomic updates of a ticket's `sla` subdocument and of the priority fields that follow it. Every write is one
 * `findOneAndUpdate` guarded on the state it expects (the version read, or the SLA fields a check depends on) and
 * increments `version`, so it never overwrites a change it did not see. `null` means the guard did not hold.
 * Each runs under the ticket's document lock (see document-lock.ts).
 */
export function createTicketSlaRepository(models: Models, locks: DocumentLocks, filters: WriteFilters) {
  const { Ticket, TicketEvent, OpenTicket } = models;

  /**
   * The guard is a predicate on the ticket as read under its lock: FerretDB v1 would read the whole collection
   * for any filter but an exact `_id` (see guarded-update.ts).
   */
  async function update(ticketId: Id, guard: (current: Ticket) => boolean, set: Record<string, unknown>, validate = false): Promise<Ticket | null> {
    const _id = objectId(ticketId);
    if (_id === undefined) return null;
    const { after } = await guardedStep(Ticket, locks, filters, 'ticket', _id, (current) => (guard(current) ? { set: { ...set, updatedAt: new Date() } } : null), {
      runValidators: validate,
    });
    return after;
  }

  const running = (t: Ticket): boolean => RUNNING_STATUSES.includes(t.status);
  const same = (a: Date | undefined, b: Date): boolean => a !== undefined && a.getTime() === b.getTime();

  return {
    /** Sets the SLA of a ticket that has none yet; `null` if it already has one (started before). */
    async start(ticketId: Id, sla: TicketSla): Promise<Ticket | null> {
      return update(ticketId, (t) => t.sla === undefined, { sla: withoutUndefined(sla) }, true);
    },

    /** Replaces the whole SLA state (pause, resume, restart) if the ticket is still at `expectedVersion`. */
    async replace(ticketId: Id, expectedVersion: number, sla: TicketSla, priority?: SlaPriority): Promise<Ticket | null> {
      return update(ticketId, (t) => t.version === expectedVersion, { sla: withoutUndefined(sla), ...priority }, true);
    },

    /** Records the first answer to the citizen, once. */
    async recordFirstResponse(ticketId: Id, at: Date): Promise<Ticket | null> {
      return update(ticketId, (t) => t.sla !== undefined && t.sla.firstRespondedAt === undefined, { 'sla.firstRespondedAt': at });
    },

    /**
     * Records the at-risk warning and raises the priority, if the warning is still due at `atRiskAt` and not
     * recorded. The score was computed for `priorityClass`; a class changed meanwhile fails the guard.
     */
    async recordAtRisk(ticketId: Id, guard: { atRiskAt: Date; priorityClass: PriorityClass }, at: Date, priorityScore: number): Promise<Ticket | null> {
      return update(
        ticketId,
        (t) =>
          running(t) &&
          t.priorityClass === guard.priorityClass &&
          same(t.sla?.atRiskAt, guard.atRiskAt) &&
          t.sla?.atRiskNotifiedAt === undefined &&
          t.sla?.breachedAt === undefined,
        { 'sla.atRiskNotifiedAt': at, slaAtRisk: true, priorityScore },
      );
    },

    /** Records a first-response breach, if the first response is still missing and due at `dueAt`. */
    async recordFirstResponseBreach(ticketId: Id, dueAt: Date, at: Date): Promise<Ticket | null> {
      return update(
        ticketId,
        (t) =>
          running(t) &&
          same(t.sla?.firstResponseDueAt, dueAt) &&
          t.sla?.firstRespondedAt === undefined &&
          t.sla?.firstResponseBreachedAt === undefined,
        { 'sla.firstResponseBreachedAt': at },
      );
    },

    /** Records a resolution breach, if the ticket is still open, its clock running and due at `dueAt`. */
    async recordBreach(ticketId: Id, dueAt: Date, at: Date): Promise<Ticket | null> {
      return update(
        ticketId,
        (t) => running(t) && same(t.sla?.resolutionDueAt, dueAt) && t.sla?.breachedAt === undefined,
        { 'sla.breachedAt': at },
      );
    },

    /**
     * One page of the open tickets the SLA reconciliation must look at, in `_id` order after `afterId`: those with an
     * SLA, and those waiting in a queue without one. Paged by `_id` rather than skipped, so tickets created or
     * closed during the scan neither shift nor repeat a page.
     */
    async listForReconcile(afterId: string | undefined, limit: number): Promise<{ items: ReconcileCandidate[]; cursor?: string }> {
      // The open-ticket index names the candidates (the office's open work); each is then read by `_id`. Nothing
      // here reads the ticket history, which on FerretDB any filter on the tickets collection would.
      const open = await storeCall('open ticket', () => OpenTicket.find({}, { _id: 1 }).lean());
      const ids = open
        .map((d) => d._id.toString())
        .filter((id) => afterId === undefined || id > afterId)
        .sort()
        .slice(0, limit);
      const docs = await Promise.all(ids.map((id) => storeCall('ticket', () => Ticket.findById(id, { status: 1, sla: 1, createdAt: 1 }).lean())));
      const items = docs
        .filter((doc): doc is NonNullable<typeof doc> => doc !== null)
        .filter((doc) => (OPEN_STATUSES.includes(doc.status) && doc.sla !== undefined) || (WAITING_STATUSES.includes(doc.status) && doc.sla === undefined))
        .map((doc) => ({ id: doc._id.toString(), status: doc.status, hasSla: doc.sla !== undefined, createdAt: doc.createdAt }));
      const last = ids.at(-1);
      return { items, ...(ids.length === limit && last !== undefined ? { cursor: last } : {}) };
    },

    /**
     * Appends an SLA event to the ticket's audit trail unless the event for `onceKey` is already there. The id is
     * derived from the key (and `keyTime`, which must be part of what the key names), so concurrent or repeated
     * calls write one event. Returns whether this call wrote it.
     */
    async appendEventOnce(event: SlaEvent, onceKey: string, keyTime: Date): Promise<boolean> {
      const ticketId = objectId(event.ticketId);
      if (ticketId === undefined) return false;
      const doc: TicketEventDoc = {
        _id: onceEventId(onceKey, keyTime),
        ticketId,
        type: event.type,
        actorKind: event.actor?.kind ?? 'system',
        actorId: event.actor ? event.actor.id : 'sla',
        data: event.data,
        at: event.at,
      };
      try {
        await TicketEvent.create(doc);
        return true;
      } catch (err) {
        if (isDuplicateKeyError(err)) return false;
        throw toAppError(err, 'ticket event');
      }
    },
  };
}

export type TicketSlaRepository = ReturnType<typeof createTicketSlaRepository>;
