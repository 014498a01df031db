import { Types } from 'mongoose';
import type { TicketDoc } from './ticket.model.js';
import type { Models } from './models.js';
import { AppError } from '../errors.js';
import { isDuplicateKeyError, storeCall, toAppError } from './store-errors.js';

export type Ticket = TicketDoc;
export type NewTicket = Omit<TicketDoc, '_id' | 'createdAt' | 'updatedAt' | 'version' | 'status'> &
  Partial<Pick<TicketDoc, 'status'>>;

export function createTicketRepository(models: Models) {
  const { Ticket } = models;
  return {
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
