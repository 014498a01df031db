import type { NewNotification, Notification } from '../store/notification.repository.js';
import type { AppContext } from './context.js';

/**
 * Stores a notification for one staff member and pushes it to their open sessions. The dedupe key makes a
 * repeated job notify once; only a newly stored notification is pushed.
 */
export async function notify(ctx: AppContext, input: NewNotification): Promise<Notification> {
  const before = Date.now();
  const stored = await ctx.store.notifications.create(input);
  if (stored.createdAt.getTime() >= before - 1_000) {
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
