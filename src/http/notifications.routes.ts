import { Router } from 'express';
import { z } from 'zod';
import { AppError } from '../errors.js';
import type { AppContext } from '../services/context.js';
import { actorOf, requireAuth } from './auth.middleware.js';
import { parseInput } from './validation.js';

const listQuery = z.strictObject({
  unread: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
  after: z.string().max(60).optional(),
});

/** A staff member's own notifications: SLA escalations, report-backs. Nobody reads another's. */
export function notificationRoutes(ctx: AppContext): Router {
  const router = Router();
  router.use(requireAuth(ctx));

  router.get('/', async (req, res) => {
    const q = parseInput(listQuery, req.query, 'query');
    const page = await ctx.store.notifications.listForRecipient(actorOf(res).id, {
      ...(q.unread === 'true' ? { unreadOnly: true } : {}),
      ...(q.limit ? { limit: q.limit } : {}),
      ...(q.after ? { after: q.after } : {}),
    });
    res.json(page);
  });

  router.post('/:id/read', async (req, res) => {
    const id = req.params.id;
    const read = /^[a-f0-9]{24}$/.test(id) ? await ctx.store.notifications.markRead(id, actorOf(res).id, new Date()) : null;
    if (!read) throw new AppError('NOT_FOUND', 'No such notification.');
    res.json({ notification: read });
  });

  return router;
}
