import type { NewNotification, Notification } from '../store/notification.repository.js';
import type { AppContext } from './context.js';

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
