import { Types } from 'mongoose';
import { WAITING_STATUSES, type TicketStatus } from '../domain/ticket-lifecycle.js';
import type { Channel, TicketType } from '../domain/ticket-types.js';
import type { DocumentLocks } from './document-lock.js';
import type { TicketDoc } from './ticket.model.js';
import type { Models } from './models.js';
import { AppError } from '../errors.js';
import { isDuplicateKeyError, storeCall, toAppError } from './store-errors.js';

export type Ticket = TicketDoc;
export type NewTicket = Omit<TicketDoc, '_id' | 'createdAt' | 'updatedAt' | 'version' | 'status'> &
  Partial<Pick<TicketDoc, 'status'>>;

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

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function createTicketRepository(models: Models, locks: DocumentLocks) {
  const { Ticket } = models;
  return {
    /**
     * The one way a ticket changes after creation: a single atomic update guarded on the version read
     * (and the status, when given). Returns null when someone else changed it first.
     */
    async compareAndSet(id: Types.ObjectId | string, guard: { version: number; status?: TicketStatus | TicketStatus[] }, change: TicketChange): Promise<Ticket | null> {
      const filter: Record<string, unknown> = { _id: new Types.ObjectId(id), version: guard.version };
      if (guard.status !== undefined) filter.status = Array.isArray(guard.status) ? { $in: guard.status } : guard.status;
      const update: Record<string, unknown> = { $inc: { version: 1 }, $set: { ...change.set, updatedAt: new Date() } };
      if (change.unset && change.unset.length > 0) update.$unset = Object.fromEntries(change.unset.map((k) => [k, 1]));
      return locks.withLock(`ticket:${id.toString()}`, () =>
        storeCall('ticket', () => Ticket.findOneAndUpdate(filter, update, { returnDocument: 'after', runValidators: true }).lean()),
      );
    },

    /** Waiting tickets an agent of these units could take on these channels, best first. */
    async listWaiting(filter: { unitCodes: readonly string[]; channels: readonly Channel[]; limit: number }): Promise<Ticket[]> {
      if (filter.unitCodes.length === 0 || filter.channels.length === 0) return [];
      return storeCall('ticket', () =>
        Ticket.find({ status: { $in: WAITING_STATUSES }, unitCode: { $in: filter.unitCodes }, channel: { $in: filter.channels } })
          .sort({ priorityScore: -1, enqueuedAt: 1, _id: 1 })
          .limit(filter.limit)
          .lean(),
      );
    },

    async listOwnedBy(staffId: Types.ObjectId | string, statuses: readonly TicketStatus[]): Promise<Ticket[]> {
      return storeCall('ticket', () => Ticket.find({ assigneeId: new Types.ObjectId(staffId), status: { $in: statuses } }).lean());
    },

    async search(query: TicketSearch): Promise<{ items: Ticket[]; total: number }> {
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
      const [items, total] = await Promise.all([
        storeCall('ticket', () =>
          Ticket.find(filter)
            .sort({ createdAt: -1, _id: -1 })
            .skip((query.page - 1) * query.pageSize)
            .limit(query.pageSize)
            .lean(),
        ),
        storeCall('ticket', () => Ticket.countDocuments(filter)),
      ]);
      return { items, total };
    },

    /** Inserts a ticket; a second ticket for the same channel key is refused with DUPLICATE. */
    async insert(input: NewTicket): Promise<Ticket> {
      try {
        const created = await Ticket.create({ ...input, version: 0 });
        return created.toObject();
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw toAppError(err, 'ticket');
        // FerretDB does not say which index clashed; asking the store works on every server.
        const existing = await Ticket.findOne({ channel: input.channel, channelKey: input.channelKey }, { _id: 1 }).lean();
        throw existing
          ? new AppError('DUPLICATE', 'This contact was already registered.', { key: ['channel', 'channelKey'], existingId: existing._id.toString() })
          : new AppError('DUPLICATE', 'This tracking code is already in use.', { key: ['trackingCode'] });
      }
    },

    async get(id: string): Promise<Ticket | null> {
      if (!Types.ObjectId.isValid(id)) return null;
      return storeCall('ticket', () => Ticket.findById(id).lean());
    },

    async findByChannelKey(channel: TicketDoc['channel'], channelKey: string): Promise<Ticket | null> {
      return storeCall('ticket', () => Ticket.findOne({ channel, channelKey }).lean());
    },

    async findByTrackingCode(trackingCode: string): Promise<Ticket | null> {
      return storeCall('ticket', () => Ticket.findOne({ trackingCode }).lean());
    },
  };
}

export type TicketRepository = ReturnType<typeof createTicketRepository>;
