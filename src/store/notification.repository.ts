import { Types } from 'mongoose';
import { AppError } from '../errors.js';
import type { Models } from './models.js';
import type { NotificationDoc } from './notification.model.js';
import type { StaffDoc } from './staff.model.js';
import { isDuplicateKeyError, storeCall, toAppError } from './store-errors.js';

export type Notification = NotificationDoc;

type Id = Types.ObjectId | string;

export type NewNotification = Omit<NotificationDoc, '_id' | 'createdAt' | 'readAt' | 'recipientId' | 'ticketId'> & {
  recipientId: Id;
  ticketId: Id;
};

/** Who receives an escalation, as much as a notification needs of a staff member. */
export type StaffRecipient = Pick<StaffDoc, '_id' | 'username' | 'displayName' | 'units'>;

export interface NotificationPage {
  items: Notification[];
  /** Pass as `after` to get the next page; absent on the last page. */
  nextCursor?: string;
}

export interface NotificationQuery {
  unreadOnly?: boolean;
  /** 1 to 100; 20 when absent. */
  limit?: number;
  /** The `nextCursor` of the previous page. */
  after?: string;
}

const DEFAULT_PAGE = 20;
const MAX_PAGE = 100;

// A cursor is the position of the last item seen (newest first): createdAt in ms and id. Opaque to clients,
// stable while notifications are added, unlike an offset.
function encodeCursor(item: Notification): string {
  return `${item.createdAt.getTime()}.${item._id.toString()}`;
}

/** What a page cursor looks like; anything else is refused with VALIDATION_FAILED. */
export const NOTIFICATION_CURSOR = /^(\d{1,15})\.([a-f0-9]{24})$/;

function decodeCursor(cursor: string): { createdAt: Date; id: Types.ObjectId } {
  const match = NOTIFICATION_CURSOR.exec(cursor);
  if (!match?.[1] || !match[2]) {
    throw new AppError('VALIDATION_FAILED', 'The page cursor is not valid.', { fields: [{ path: 'after', message: 'not a cursor from a previous page' }] });
  }
  return { createdAt: new Date(Number(match[1])), id: new Types.ObjectId(match[2]) };
}

function toObjectId(id: Id): Types.ObjectId {
  return typeof id === 'string' ? new Types.ObjectId(id) : id;
}

/** Notifications for staff (escalations, report-backs), plus the staff query that decides who gets them. */
export function createNotificationRepository(models: Models) {
  const { Notification, Staff } = models;

  /** Stores a notification unless its dedupe key exists; says whether this call stored it. */
  async function createOnce(input: NewNotification): Promise<{ notification: Notification; created: boolean }> {
    const doc = { ...input, recipientId: toObjectId(input.recipientId), ticketId: toObjectId(input.ticketId) };
    try {
      const created = await Notification.create(doc);
      return { notification: created.toObject(), created: true };
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw toAppError(err, 'notification');
      const existing = await storeCall('notification', () => Notification.findOne({ dedupeKey: input.dedupeKey }).lean());
      // The only unique key besides _id is dedupeKey, so the clash was on it and the document exists.
      if (!existing) throw new AppError('CONFLICT', 'The notification clashed with one that no longer exists.');
      return { notification: existing, created: false };
    }
  }

  return {
    /**
     * Creates a notification once per `dedupeKey`: a second call with the same key, from a job that ran twice
     * or two runs at once, returns the notification that already exists instead of a second one.
     */
    async create(input: NewNotification): Promise<Notification> {
      return (await createOnce(input)).notification;
    },

    createOnce,


    /** The recipient's notifications, newest first, a page at a time. */
    async listForRecipient(recipientId: Id, query: NotificationQuery = {}): Promise<NotificationPage> {
      const limit = Math.min(Math.max(Math.trunc(query.limit ?? DEFAULT_PAGE), 1), MAX_PAGE);
      const filter: Record<string, unknown> = { recipientId: toObjectId(recipientId) };
      if (query.unreadOnly === true) filter.readAt = { $exists: false };
      if (query.after !== undefined) {
        const { createdAt, id } = decodeCursor(query.after);
        filter.$or = [{ createdAt: { $lt: createdAt } }, { createdAt, _id: { $lt: id } }];
      }
      // One extra row tells whether there is a next page without a count.
      const rows = await storeCall('notification', () =>
        Notification.find(filter).sort({ createdAt: -1, _id: -1 }).limit(limit + 1).lean(),
      );
      const items = rows.slice(0, limit);
      const last = items[items.length - 1];
      return rows.length > limit && last ? { items, nextCursor: encodeCursor(last) } : { items };
    },

    /**
     * Marks a notification read, only for its recipient; marking it again keeps the first time. `null` when it
     * does not exist or belongs to someone else (the caller answers NOT_FOUND either way, so ids cannot be probed).
     */
    async markRead(notificationId: string, recipientId: Id, at: Date): Promise<Notification | null> {
      if (!Types.ObjectId.isValid(notificationId)) return null;
      const filter = { _id: new Types.ObjectId(notificationId), recipientId: toObjectId(recipientId) };
      const updated = await storeCall('notification', () =>
        Notification.findOneAndUpdate({ ...filter, readAt: { $exists: false } }, { $set: { readAt: at } }, { returnDocument: 'after' }).lean(),
      );
      return updated ?? storeCall('notification', () => Notification.findOne(filter).lean());
    },

    /** Enabled staff with the supervisor role in `unitCode`: who an SLA escalation of that unit goes to. */
    async supervisorsOfUnit(unitCode: string): Promise<StaffRecipient[]> {
      return storeCall('staff', () =>
        Staff.find({ roles: 'supervisor', units: unitCode, disabled: { $ne: true } }, { _id: 1, username: 1, displayName: 1, units: 1 })
          .sort({ _id: 1 })
          .lean(),
      );
    },
  };
}

export type NotificationRepository = ReturnType<typeof createNotificationRepository>;
