import { Types } from 'mongoose';
import { WAITING_STATUSES, type TicketStatus } from '../domain/ticket-lifecycle.js';
import type { Channel, TicketType } from '../domain/ticket-types.js';
import { derivedObjectId } from './derived-id.js';
import type { DocumentLocks } from './document-lock.js';
import { guardedStep, type GuardedStep, type WriteFilters } from './guarded-update.js';
import type { TicketDoc } from './ticket.model.js';
import type { Models } from './models.js';
import { AppError } from '../errors.js';
import { isDuplicateKeyError, storeCall, toAppError } from './store-errors.js';

export type Ticket = TicketDoc;
/** A ticket to insert; `createdAt`, when given, is kept (intake starts the SLA clock at that very instant). */
export type NewTicket = Omit<TicketDoc, '_id' | 'createdAt' | 'updatedAt' | 'version' | 'status'> &
  Partial<Pick<TicketDoc, 'status' | 'createdAt'>>;

/** A guarded change: applied only if the ticket still has this version (and status, when given). */
export interface TicketChange {
  set?: Partial<Omit<TicketDoc, '_id' | 'version'>>;
  unset?: (keyof TicketDoc)[];
}

export interface TicketSearch {
  /** Tickets of these units, or referred by them (RBAC scope); undefined = all. */
  scopeUnits?: readonly string[];
  status?: TicketStatus[];
  unitCode?: string;
  type?: TicketType;
  channel?: Channel;
  assigneeId?: string;
  from?: Date;
  to?: Date;
  /** Matched against tracking code and subject (case-insensitive substring). */
  text?: string;
  page: number;
  pageSize: number;
}

/**
 * A ticket's id is derived from its channel key, so "was this contact already registered?" is a lookup by
 * `_id`. On FerretDB v1 only `_id` lookups use an index (anything else scans the collection: 114 ms at 5,000
 * tickets against 1 ms), and intake asks this for every contact. The unique index on (channel, channelKey)
 * still stands behind it.
 */
export function ticketIdFor(channel: string, channelKey: string): Types.ObjectId {
  return derivedObjectId(channel, channelKey);
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function createTicketRepository(models: Models, locks: DocumentLocks, filters: WriteFilters) {
  const { Ticket } = models;

  async function findByChannelKey(channel: TicketDoc['channel'], channelKey: string): Promise<Ticket | null> {
    const found = await storeCall('ticket', () => Ticket.findById(ticketIdFor(channel, channelKey)).lean());
    return found && found.channel === channel && found.channelKey === channelKey ? found : null;
  }

  async function compareAndSet(id: Types.ObjectId | string, guard: { version: number; status?: TicketStatus | TicketStatus[] }, change: TicketChange): Promise<Ticket | null> {
    const statuses = guard.status === undefined ? undefined : Array.isArray(guard.status) ? guard.status : [guard.status];
    const { after } = await guardedStep(Ticket, locks, filters, 'ticket', new Types.ObjectId(id), (current) => {
      if (current.version !== guard.version || (statuses && !statuses.includes(current.status))) return null;
      return { set: { ...change.set, updatedAt: new Date() }, ...(change.unset ? { unset: change.unset } : {}) };
    }, { runValidators: true });
    return after;
  }

  return {
    /**
     * The one way a ticket changes after creation: a single atomic update guarded on the version read
     * (and the status, when given). Returns null when someone else changed it first.
     */
    compareAndSet,

    /**
     * Writes a claim of the live queue: the ticket, if still waiting, becomes the agent's. One read and one write by
     * `_id`. `before` tells the caller what it found: already this agent's (a repeat: nothing written), taken by
     * someone else or no longer waiting (nothing written), or waiting (`after` is the assigned ticket).
     */
    async claimFor(id: Types.ObjectId | string, staffId: string, at: Date): Promise<GuardedStep<Ticket>> {
      return guardedStep(Ticket, locks, filters, 'ticket', new Types.ObjectId(id), (current) =>
        WAITING_STATUSES.includes(current.status)
          ? { set: { status: 'asignado', assigneeId: new Types.ObjectId(staffId), assignedAt: at, updatedAt: at } }
          : null,
      { runValidators: true });
    },

    async listOwnedBy(staffId: Types.ObjectId | string, statuses: readonly TicketStatus[]): Promise<Ticket[]> {
      return storeCall('ticket', () => Ticket.find({ assigneeId: new Types.ObjectId(staffId), status: { $in: statuses } }).lean());
    },

    /**
     * A page of history, newest first. `hasMore` comes from reading one row past the page. `total` is counted only
     * where a count is an index operation (MongoDB); FerretDB v1 would read the whole history to count it.
     */
    async search(query: TicketSearch): Promise<{ items: Ticket[]; hasMore: boolean; total?: number }> {
      const and: Record<string, unknown>[] = [];
      if (query.scopeUnits) and.push({ $or: [{ unitCode: { $in: query.scopeUnits } }, { 'referral.fromUnit': { $in: query.scopeUnits } }] });
      if (query.status) and.push({ status: { $in: query.status } });
      if (query.unitCode) and.push({ unitCode: query.unitCode });
      if (query.type) and.push({ type: query.type });
      if (query.channel) and.push({ channel: query.channel });
      if (query.assigneeId) and.push({ assigneeId: new Types.ObjectId(query.assigneeId) });
      if (query.from) and.push({ createdAt: { $gte: query.from } });
      if (query.to) and.push({ createdAt: { $lt: query.to } });
      if (query.text) {
        const pattern = new RegExp(escapeRegex(query.text), 'i');
        and.push({ $or: [{ trackingCode: pattern }, { subject: pattern }] });
      }
      const filter = and.length > 0 ? { $and: and } : {};
      const [rows, total] = await Promise.all([
        storeCall('ticket', () =>
          Ticket.find(filter)
            .sort({ createdAt: -1, _id: -1 })
            .skip((query.page - 1) * query.pageSize)
            .limit(query.pageSize + 1)
            .lean(),
        ),
        filters.exactIdOnly ? Promise.resolve(undefined) : storeCall('ticket', () => Ticket.countDocuments(filter)),
      ]);
      return { items: rows.slice(0, query.pageSize), hasMore: rows.length > query.pageSize, ...(total !== undefined ? { total } : {}) };
    },

    /** Inserts a ticket; a second ticket for the same channel key is refused with DUPLICATE. */
    async insert(input: NewTicket): Promise<Ticket> {
      try {
        const created = await Ticket.create({ ...input, _id: ticketIdFor(input.channel, input.channelKey), version: 0 });
        return created.toObject();
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw toAppError(err, 'ticket');
        // FerretDB does not say which index clashed; asking the store works on every server.
        const existing = await findByChannelKey(input.channel, input.channelKey);
        throw existing
          ? new AppError('DUPLICATE', 'This contact was already registered.', { key: ['channel', 'channelKey'], existingId: existing._id.toString() })
          : new AppError('DUPLICATE', 'This tracking code is already in use.', { key: ['trackingCode'] });
      }
    },

    async get(id: string): Promise<Ticket | null> {
      if (!Types.ObjectId.isValid(id)) return null;
      return storeCall('ticket', () => Ticket.findById(id).lean());
    },

    findByChannelKey,

    async getMany(ids: readonly (Types.ObjectId | string)[]): Promise<Ticket[]> {
      if (ids.length === 0) return [];
      return storeCall('ticket', () => Ticket.find({ _id: { $in: ids.map((id) => new Types.ObjectId(id)) } }).lean());
    },

    async findByTrackingCode(trackingCode: string): Promise<Ticket | null> {
      return storeCall('ticket', () => Ticket.findOne({ trackingCode }).lean());
    },
  };
}

export type TicketRepository = ReturnType<typeof createTicketRepository>;
