import { Types } from 'mongoose';
import type { DeliveryStatus, InteractionDoc } from './interaction.model.js';
import type { Models } from './models.js';
import { timePage, type Page, type PageCursor, type PageOrder } from './pages.js';
import { isDuplicateKeyError, storeCall, toAppError } from './store-errors.js';

export type Interaction = InteractionDoc;
export type NewInteraction = Omit<InteractionDoc, '_id' | 'ticketId' | 'at' | 'attachments' | 'dedupeKey'> & {
  ticketId: string | Types.ObjectId;
  at?: Date;
  attachments?: InteractionDoc['attachments'];
};

export function createInteractionRepository(models: Models) {
  const { Interaction } = models;

  async function insertOnce(input: NewInteraction & { externalId: string }): Promise<{ interaction: Interaction; created: boolean }> {
    const ticketId = new Types.ObjectId(input.ticketId);
    const dedupeKey = `${ticketId.toString()}:${input.externalId}`;
    try {
      const created = await Interaction.create({ ...input, ticketId, dedupeKey, attachments: input.attachments ?? [], at: input.at ?? new Date() });
      return { interaction: created.toObject(), created: true };
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw toAppError(err, 'interaction');
      const existing = await storeCall('interaction', () => Interaction.findOne({ dedupeKey }).lean());
      if (!existing) throw toAppError(err, 'interaction');
      return { interaction: existing, created: false };
    }
  }

  return {
    async add(input: NewInteraction): Promise<Interaction> {
      const created = await storeCall('interaction', () =>
        Interaction.create({ ...input, ticketId: new Types.ObjectId(input.ticketId), dedupeKey: new Types.ObjectId().toString() }),
      );
      return created.toObject();
    },

    /**
     * Adds the interaction unless one with the same `externalId` is already on the ticket: a redelivered
     * webhook or email records its exchange once.
     */
    async addOnce(input: NewInteraction & { externalId: string }): Promise<Interaction> {
      return (await insertOnce(input)).interaction;
    },

    async get(id: Types.ObjectId | string): Promise<Interaction | null> {
      if (!Types.ObjectId.isValid(id)) return null;
      return storeCall('interaction', () => Interaction.findById(new Types.ObjectId(id)).lean());
    },

    /** Records how an outgoing exchange fared (an agent's reply: sent, or failed for good). */
    async setDeliveryStatus(id: Types.ObjectId | string, status: DeliveryStatus): Promise<void> {
      await storeCall('interaction', () => Interaction.updateOne({ _id: new Types.ObjectId(id) }, { $set: { deliveryStatus: status } }));
    },

    /** As `addOnce`, and says whether this call stored it (false: an earlier delivery did). */
    insertOnce,

    /** A page of a ticket's exchanges in time order, continued from `after`, without what the channel kept raw. */
    async page(ticketId: string, order: PageOrder, after: PageCursor | undefined, limit: number): Promise<Page<Interaction>> {
      if (!Types.ObjectId.isValid(ticketId)) return { items: [] };
      return timePage(Interaction, 'interaction', { sources: [{ ticketId: new Types.ObjectId(ticketId) }], timeField: 'at', order, after, limit }, { raw: 0 });
    },

    /** Every exchange of a ticket in order (the mail thread a reply continues): one indexed read. */
    async list(ticketId: string, options: { includeRaw?: boolean } = {}): Promise<Interaction[]> {
      if (!Types.ObjectId.isValid(ticketId)) return [];
      return storeCall('interaction', () =>
        Interaction.find({ ticketId: new Types.ObjectId(ticketId) }, options.includeRaw ? {} : { raw: 0 }).sort({ at: 1, _id: 1 }).lean(),
      );
    },
  };
}

export type InteractionRepository = ReturnType<typeof createInteractionRepository>;
