import { z } from 'zod';
import type { AppContext } from '../services/context/index.js';
import { listNotifications, markNotificationRead } from '../services/notifications/index.js';
import { NOTIFICATION_CURSOR } from '../store/notification.repository.js';
import { staffRoute, type ApiRoute } from './route-table.js';
import { idParams, notificationView, queryInteger } from './schemas.js';

const listQuery = z.strictObject({
  unread: z.enum(['true', 'false']).optional().meta({ description: '`true`: only those not read yet.' }),
  limit: queryInteger(1, 100).optional().meta({ description: '20 when absent.' }),
  after: z.string().regex(NOTIFICATION_CURSOR, 'must be the nextCursor of a previous page').optional().meta({ description: 'The `nextCursor` of the previous page.' }),
});

/** `/api/v1/notifications`: a staff member's own notifications (SLA escalations, report-backs). */
export function notificationRoutes(ctx: AppContext): ApiRoute[] {
  return [
    staffRoute({
      method: 'get',
      path: '/',
      summary: 'Your notifications, newest first',
      query: listQuery,
      responses: {
        200: {
          description: 'A page; `nextCursor` is absent on the last one',
          schema: z.object({ items: z.array(notificationView), nextCursor: z.string().regex(NOTIFICATION_CURSOR).optional() }),
        },
      },
      handle: async ({ actor, query }) => ({
        status: 200,
        body: await listNotifications(ctx, actor, {
          ...(query.unread === 'true' ? { unreadOnly: true } : {}),
          ...(query.limit !== undefined ? { limit: query.limit } : {}),
          ...(query.after !== undefined ? { after: query.after } : {}),
        }),
      }),
    }),

    staffRoute({
      method: 'post',
      path: '/:id/read',
      summary: 'Mark one of your notifications read (marking it again keeps the first time)',
      params: idParams('notification'),
      responses: { 200: { description: 'Read', schema: z.object({ notification: notificationView }) } },
      handle: async ({ actor, params }) => ({ status: 200, body: { notification: await markNotificationRead(ctx, actor, params.id) } }),
    }),
  ];
}
