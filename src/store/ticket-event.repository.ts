import { Types } from 'mongoose';
import { derivedObjectId } from './derived-id.js';
import { timePage, type Page, type PageCursor, type PageOrder } from './pages.js';
import type { TicketEventDoc } from './ticket-event.model.js';
import type { Models } from './models.js';
import { isDuplicateKeyError, storeCall, toAppError } from './store-errors.js';

export type TicketEvent = TicketEventDoc;
export type NewTicketEvent = Omit<TicketEventDoc, '_id' | 'at' | 'ticketId'> & { ticketId: string | Types.ObjectId; at?: Date };

/** The `_id` of the event recorded once under this key: the same key always names the same event. */
export function ticketEventIdFor(key: string): Types.ObjectId {
  return derivedObjectId('ticket-event', key);
}

/** The audit trail offers append and read only: events are never updated or deleted. */
export function createTicketEventRepository(models: Models) {
  const { TicketEvent } = models;
  return {
    async append(event: NewTicketEvent): Promise<TicketEvent> {
      const created = await storeCall('ticket event', () =>
        TicketEvent.create({ ...event, ticketId: new Types.ObjectId(event.ticketId) }),
      );
      return created.toObject();
    },

    /**
     * Appends the event recorded once under `key` (an outcome a job may reach again after a crash): null when it is
     * recorded already.
     */
    async appendOnce(key: string, event: NewTicketEvent): Promise<TicketEvent | null> {
      try {
        const created = await TicketEvent.create({ ...event, _id: ticketEventIdFor(key), ticketId: new Types.ObjectId(event.ticketId) });
        return created.toObject();
      } catch (err) {
        if (isDuplicateKeyError(err)) return null;
        throw toAppError(err, 'ticket event');
      }
    },

    /** Several events in one write, in order (intake's `created` and `routed`). */
    async appendMany(events: readonly NewTicketEvent[]): Promise<TicketEvent[]> {
      if (events.length === 0) return [];
      const created = await storeCall('ticket event', () =>
        TicketEvent.insertMany(events.map((event) => ({ ...event, ticketId: new Types.ObjectId(event.ticketId) }))),
      );
      return created.map((doc) => doc.toObject());
    },

    /** Every event of a ticket, oldest first: one indexed read (the timeline pages with `page`). */
    async list(ticketId: string): Promise<TicketEvent[]> {
      if (!Types.ObjectId.isValid(ticketId)) return [];
      return storeCall('ticket event', () => TicketEvent.find({ ticketId: new Types.ObjectId(ticketId) }).sort({ at: 1, _id: 1 }).lean());
    },

    /** A page of a ticket's events in time order, continued from `after`. */
    async page(ticketId: string, order: PageOrder, after: PageCursor | undefined, limit: number): Promise<Page<TicketEvent>> {
      if (!Types.ObjectId.isValid(ticketId)) return { items: [] };
      return timePage(TicketEvent, 'ticket event', { sources: [{ ticketId: new Types.ObjectId(ticketId) }], timeField: 'at', order, after, limit });
    },

  };
}

export type TicketEventRepository = ReturnType<typeof createTicketEventRepository>;
