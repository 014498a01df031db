import { AppError } from '../../errors.js';
import type { NewNotification, Notification, NotificationPage, NotificationQuery } from '../../store/notification.repository.js';
import type { Actor, AppContext } from '../context/index.js';

/**
 * Stores a notification for one staff member and pushes it to their open sessions. The dedupe key makes a
 * repeated job notify once; only a newly stored notification is pushed.
 */
export async function notify(ctx: AppContext, input: NewNotification): Promise<Notification> {
  const { notification: stored, created } = await ctx.store.notifications.createOnce(input);
  if (created) {
    ctx.realtime.notification(stored.recipientId.toString(), {
      notificationId: stored._id.toString(),
      kind: stored.kind,
      ticketId: stored.ticketId.toString(),
      trackingCode: stored.trackingCode,
      message: stored.message,
      at: stored.createdAt.toISOString(),
    });
  }
  return stored;
}

function recipientOf(actor: Actor): string {
  if (actor.kind !== 'staff') throw new AppError('FORBIDDEN', 'Only staff members have notifications.');
  return actor.id;
}

/** The actor's own notifications, newest first; nobody reads another's. */
export async function listNotifications(ctx: AppContext, actor: Actor, query: NotificationQuery): Promise<NotificationPage> {
  return ctx.store.notifications.listForRecipient(recipientOf(actor), query);
}

/** Marks one of the actor's notifications read; anyone else's, like one that does not exist, is NOT_FOUND. */
export async function markNotificationRead(ctx: AppContext, actor: Actor, notificationId: string): Promise<Notification> {
  const read = await ctx.store.notifications.markRead(notificationId, recipientOf(actor), new Date());
  if (read === null) throw new AppError('NOT_FOUND', 'No such notification.');
  return read;
}
