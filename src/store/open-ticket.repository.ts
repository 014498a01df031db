import { Types } from 'mongoose';
import type { Models } from './models.js';
import { isDuplicateKeyError, storeCall, toAppError } from './store-errors.js';

/**
 * Which tickets are open (see open-ticket.model.ts). A ticket is listed before it is stored open and delisted
 * after it is stored closed, so a crash in between leaves a stale entry (dropped by the next reconcile), never a
 * missing one.
 */
export function createOpenTicketRepository(models: Models) {
  const { OpenTicket } = models;
  return {
    async add(ticketId: Types.ObjectId | string, since: Date): Promise<void> {
      try {
        await OpenTicket.create({ _id: new Types.ObjectId(ticketId), since });
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw toAppError(err, 'open ticket');
      }
    },

    async remove(ticketId: Types.ObjectId | string): Promise<void> {
      await storeCall('open ticket', () => OpenTicket.deleteOne({ _id: new Types.ObjectId(ticketId) }));
    },

    /** Ids of every open ticket, oldest first (a read of the open work only). */
    async ids(): Promise<string[]> {
      const docs = await storeCall('open ticket', () => OpenTicket.find({}, { _id: 1, since: 1 }).lean());
      return docs.sort((a, b) => a.since.getTime() - b.since.getTime()).map((d) => d._id.toString());
    },
  };
}

export type OpenTicketRepository = ReturnType<typeof createOpenTicketRepository>;
