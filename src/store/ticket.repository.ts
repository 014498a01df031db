import { Types } from 'mongoose';
import { WAITING_STATUSES, type TicketStatus } from '../domain/ticket-lifecycle.js';
import type { Channel, TicketType } from '../domain/ticket-types.js';
import { derivedObjectId } from './derived-id.js';
import type { DocumentLocks } from './document-lock.js';
import { guardedStep, type GuardedStep, type WriteFilters } from './guarded-update.js';
import type { TicketDoc } from './ticket.model.js';
import type { Models } from './models.js';
import { AppError } from '../errors.js';
import { timePage, type Page, type PageCursor } from './pages.js';
import { isDuplicateKeyError, storeCall, toAppError } from './store-errors.js';
import type { TicketTermRepository } from './ticket-term.repository.js';

export type Ticket = TicketDoc;
/** A ticket to insert; `createdAt`, when given, is kept (intake starts the SLA clock at that very instant). */
export type NewTicket = Omit<TicketDoc, '_id' | 'createdAt' | 'updatedAt' | 'version' | 'status'> &
  Partial<Pick<TicketDoc, 'status' | 'createdAt'>>;

/** A guarded change: applied only if the ticket still has this version (and status, when given). */
export interface TicketChange {
  set?: Partial<Omit<TicketDoc, '_id' | 'version'>>;
  unset?: (keyof TicketDoc)[];
}

/** What a list of tickets is narrowed to, besides its units. */
export interface TicketFilters {
  status?: readonly TicketStatus[];
  type?: TicketType;
  channel?: Channel;
  serviceCode?: string;
  assigneeId?: string;
  /** Created at or after. */
  from?: Date;
  /** Created before. */
  to?: Date;
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

/**
 * Where a list of tickets looks: a unit's own tickets (`unitCode`), those a unit referred (`referralFromUnit`), or
 * both fields at once (a unit's tickets that another one referred).
 */
export type TicketScope = { unitCode: string; referralFromUnit?: string } | { referralFromUnit: string; unitCode?: string };

/** Scopes of one field each grouped by that field, for a read that narrows by them rather than walks them. */
function scopesByField(scopes: readonly TicketScope[]): [string, string[]][] {
  const byField = new Map<string, string[]>();
  for (const scope of scopes) {
    const [field, value] = scope.unitCode !== undefined && scope.referralFromUnit === undefined ? ['unitCode', scope.unitCode] : ['referralFromUnit', scope.referralFromUnit ?? ''];
    byField.set(field, [...(byField.get(field) ?? []), value]);
  }
  return [...byField];
}

/** The filter of `filters`, as one source of a page adds its own fields to it. */
function filterOf(filters: TicketFilters): Record<string, unknown> {
  return {
    ...(filters.status ? { status: filters.status.length === 1 ? filters.status[0] : { $in: [...filters.status] } } : {}),
    ...(filters.type ? { type: filters.type } : {}),
    ...(filters.channel ? { channel: filters.channel } : {}),
    ...(filters.serviceCode ? { serviceCode: filters.serviceCode } : {}),
    ...(filters.assigneeId ? { assigneeId: new Types.ObjectId(filters.assigneeId) } : {}),
    ...(filters.from || filters.to ? { createdAt: { ...(filters.from ? { $gte: filters.from } : {}), ...(filters.to ? { $lt: filters.to } : {}) } } : {}),
  };
}

export function createTicketRepository(models: Models, locks: DocumentLocks, filters: WriteFilters, terms: TicketTermRepository) {
  const { Ticket } = models;

  async function findByChannelKey(channel: TicketDoc['channel'], channelKey: string): Promise<Ticket | null> {
    const found = await storeCall('ticket', () => Ticket.findById(ticketIdFor(channel, channelKey)).lean());
    return found && found.channel === channel && found.channelKey === channelKey ? found : null;
  }

  async function compareAndSet(id: Types.ObjectId | string, guard: { version: number; status?: TicketStatus | TicketStatus[] }, change: TicketChange): Promise<Ticket | null> {
    const statuses = guard.status === undefined ? undefined : Array.isArray(guard.status) ? guard.status : [guard.status];
    const moved = change.set?.unitCode !== undefined || change.set?.referral !== undefined || change.unset?.includes('referral') === true;
    const { after } = await guardedStep(Ticket, locks, filters, 'ticket', new Types.ObjectId(id), (current) => {
      if (current.version !== guard.version || (statuses && !statuses.includes(current.status))) return null;
      // `referralFromUnit` repeats `referral.fromUnit` where an index can answer it: it changes with it, in the same write.
      const set = { ...change.set, ...(change.set?.referral ? { referralFromUnit: change.set.referral.fromUnit } : {}), updatedAt: new Date() };
      const unset = change.unset?.includes('referral') ? [...change.unset, 'referralFromUnit' as const] : change.unset;
      return { set, ...(unset ? { unset } : {}) };
    }, { runValidators: true });
    // Its words follow it (after the write: a change refused by the guard moves nothing); a crash in between leaves
    // them where they were until the read index reconcile (src/services/read-index), and a search checks the ticket's own units anyway.
    if (after && moved) await terms.follow(after);
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

    /**
     * A page of tickets newest first, continued from `after`: those of the scopes given (every ticket for `'all'`),
     * narrowed by `filters`. One indexed read per scope (and per status asked for, so that each is read in order from
     * its index), merged: the cost is the page's, not the history's. With an assignee, that person's tickets are read
     * from their own index and the scopes narrow them.
     */
    async page(scopes: readonly TicketScope[] | 'all', filters: TicketFilters, after: PageCursor | undefined, limit: number): Promise<Page<Ticket>> {
      const base = filterOf(filters);
      const { status } = filters;
      const byStatus = (filter: Record<string, unknown>): Record<string, unknown>[] =>
        status === undefined || status.length <= 1 || filters.assigneeId !== undefined ? [filter] : status.map((one) => ({ ...filter, status: one }));
      let sources: Record<string, unknown>[];
      if (scopes === 'all') sources = byStatus(base);
      else if (filters.assigneeId !== undefined) sources = scopesByField(scopes).map(([field, values]) => ({ ...base, [field]: { $in: values } }));
      else sources = scopes.flatMap((scope) => byStatus({ ...base, ...scope }));
      if (sources.length === 0) return { items: [] };
      return timePage(Ticket, 'ticket', { sources, timeField: 'createdAt', order: 'newest', after, limit });
    },

    /** A citizen's cases, newest first. */
    async pageOfCitizen(citizenId: Types.ObjectId | string, after: PageCursor | undefined, limit: number): Promise<Page<Ticket>> {
      if (!Types.ObjectId.isValid(citizenId)) return { items: [] };
      return timePage(Ticket, 'ticket', { sources: [{ citizenId: new Types.ObjectId(citizenId) }], timeField: 'createdAt', order: 'newest', after, limit });
    },

    /**
     * Inserts a ticket, then its subject's postings (ticket-term.repository.ts); a second ticket for the same channel
     * key is refused with DUPLICATE, after writing the postings of the one stored (the first attempt may have stopped
     * before them). A crash between the two writes leaves an open ticket without postings, which the read index's
     * reconcile writes.
     */
    async insert(input: NewTicket): Promise<Ticket> {
      const _id = ticketIdFor(input.channel, input.channelKey);
      let created: Ticket;
      try {
        created = (await Ticket.create({ ...input, _id, ...(input.referral ? { referralFromUnit: input.referral.fromUnit } : {}), version: 0 })).toObject();
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw toAppError(err, 'ticket');
        // FerretDB does not say which index clashed; asking the store works on every server.
        const existing = await findByChannelKey(input.channel, input.channelKey);
        if (existing) await terms.write(existing);
        throw existing
          ? new AppError('DUPLICATE', 'This contact was already registered.', { key: ['channel', 'channelKey'], existingId: existing._id.toString() })
          : new AppError('DUPLICATE', 'This tracking code is already in use.', { key: ['trackingCode'] });
      }
      await terms.write(created);
      return created;
    },

    /**
     * Every ticket, oldest first, a page at a time from `after` (the read index's rebuild walks the whole history this
     * way, one indexed range per page).
     */
    async inCreationOrder(after: PageCursor | undefined, limit: number): Promise<Page<Ticket>> {
      return timePage(Ticket, 'ticket', { sources: [{}], timeField: 'createdAt', order: 'oldest', after, limit });
    },

    /**
     * Makes `referralFromUnit` what the ticket's referral says (a ticket stored by a version before the field existed). Under the ticket's lock, like every guarded write; true when it changed the ticket.
     */
    async fillReferralFromUnit(id: Types.ObjectId | string): Promise<boolean> {
      const { after } = await guardedStep(Ticket, locks, filters, 'ticket', new Types.ObjectId(id), (current) => {
        const wanted = current.referral?.fromUnit;
        if (current.referralFromUnit === wanted) return null;
        return wanted === undefined ? { set: {}, unset: ['referralFromUnit'] } : { set: { referralFromUnit: wanted } };
      });
      return after !== null;
    },

    async get(id: string): Promise<Ticket | null> {
      if (!Types.ObjectId.isValid(id)) return null;
      return storeCall('ticket', () => Ticket.findById(id).lean());
    },

    findByChannelKey,

    /** The tickets of these ids that exist, in no particular order. */
    async getMany(ids: readonly (Types.ObjectId | string)[]): Promise<Ticket[]> {
      const valid = ids.filter((id) => Types.ObjectId.isValid(id));
      if (valid.length === 0) return [];
      return storeCall('ticket', () => Ticket.find({ _id: { $in: valid.map((id) => new Types.ObjectId(id)) } }).lean());
    },

    async findByTrackingCode(trackingCode: string): Promise<Ticket | null> {
      return storeCall('ticket', () => Ticket.findOne({ trackingCode }).lean());
    },
  };
}

export type TicketRepository = ReturnType<typeof createTicketRepository>;
