import { Router, type Request } from 'express';
import { z } from 'zod';
import { AppError } from '../errors.js';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../services/auth.service.js';
import type { AppContext } from '../services/context.js';
import { setCapacity, setPresence } from '../services/presence.service.js';
import { canManageStaff, changePassword, createStaff, getVisibleStaff, listStaff, updateStaff } from '../services/staff.service.js';
import { PRESENCES, STAFF_ROLES } from '../store/staff.model.js';
import { toView } from '../store/staff.repository.js';
import { actorOf, requireAuth, requireRole } from './auth.middleware.js';
import { clientInfo, withRetryAfter } from './auth.routes.js';
import { parseInput } from './validation.js';

const username = z
  .string()
  .max(100)
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9._-]{3,40}$/, 'must be 3-40 characters: lowercase letters, digits, ".", "_" or "-"');
const displayName = z.string().max(500).trim().min(1).max(120);
const email = z.string().max(200).trim().toLowerCase().pipe(z.email('must be an email address'));
const password = z
  .string()
  .min(PASSWORD_MIN_LENGTH, `must be at least ${PASSWORD_MIN_LENGTH} characters`)
  .max(PASSWORD_MAX_LENGTH, `must be at most ${PASSWORD_MAX_LENGTH} characters`);
const roles = z
  .array(z.enum(STAFF_ROLES))
  .min(1, 'at least one role')
  .max(STAFF_ROLES.length)
  .refine((list) => new Set(list).size === list.length, 'must not repeat a role');
const units = z.array(z.string().min(1).max(40)).max(50).refine((list) => new Set(list).size === list.length, 'must not repeat a unit');
const skills = z.array(z.string().max(200).trim().min(1).max(60)).max(50);
const perChannel = z.number().int().min(0).max(100);
const capacity = z.strictObject({
  phone: perChannel.optional(),
  email: perChannel.optional(),
  kiosk: perChannel.optional(),
  manual: perChannel.optional(),
});
const notEmpty = (value: object): boolean => Object.keys(value).length > 0;

const createBody = z
  .strictObject({
    username,
    displayName,
    email: email.optional(),
    password,
    roles,
    units: units.default([]),
    skills: skills.default([]),
    capacity: capacity.optional(),
    autoAssign: z.boolean().optional(),
  })
  .superRefine((body, issue) => {
    if (body.password.toLowerCase().includes(body.username)) {
      issue.addIssue({ code: 'custom', path: ['password'], message: 'must not contain the username' });
    }
  });

const patchBody = z
  .strictObject({
    displayName: displayName.optional(),
    email: email.nullable().optional(),
    roles: roles.optional(),
    units: units.optional(),
    skills: skills.optional(),
    disabled: z.boolean().optional(),
    autoAssign: z.boolean().optional(),
  })
  .refine(notEmpty, 'nothing to change');

const listQuery = z.strictObject({
  unit: z.string().min(1).max(40).optional(),
  role: z.enum(STAFF_ROLES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  offset: z.coerce.number().int().min(0).max(100_000).default(0),
});

const passwordBody = z.strictObject({
  currentPassword: z.string().min(1).max(PASSWORD_MAX_LENGTH).optional(),
  newPassword: password,
});

const presenceBody = z.strictObject({ presence: z.enum(PRESENCES) });

const capacityBody = capacity.refine(notEmpty, 'give the capacity of at least one channel');

/** The `:id` path parameter; express always gives a string there, the empty string matches nobody. */
function idParam(req: Request): string {
  const id: unknown = req.params.id;
  return typeof id === 'string' ? id : '';
}

/** `/api/v1/staff/*`: staff accounts, own profile, presence and capacity. Every endpoint needs a login. */
export function staffRoutes(ctx: AppContext): Router {
  const router = Router();
  router.use(requireAuth(ctx));

  // `/me` routes come before `/:id` so that "me" is never taken for an id.
  router.get('/me', async (_req, res) => {
    res.json(toView(await getVisibleStaff(ctx, actorOf(res), actorOf(res).id)));
  });

  router.put('/me/presence', async (req, res) => {
    const actor = actorOf(res);
    const { presence } = parseInput(presenceBody, req.body);
    res.json(toView(await setPresence(ctx, actor, actor.id, presence)));
  });

  router.post('/', requireRole('admin'), async (req, res) => {
    const input = parseInput(createBody, req.body);
    const staff = await createStaff(ctx, actorOf(res), input);
    res.status(201).location(`${req.baseUrl}/${staff._id.toString()}`).json(toView(staff));
  });

  router.get('/', requireRole('admin', 'supervisor'), async (req, res) => {
    const query = parseInput(listQuery, req.query, 'query');
    const { items, total } = await listStaff(ctx, actorOf(res), query);
    res.json({ items: items.map(toView), total, limit: query.limit, offset: query.offset });
  });

  router.get('/:id', async (req, res) => {
    res.json(toView(await getVisibleStaff(ctx, actorOf(res), idParam(req))));
  });

  router.patch('/:id', requireRole('admin'), async (req, res) => {
    const patch = parseInput(patchBody, req.body);
    res.json(toView(await updateStaff(ctx, actorOf(res), idParam(req), patch)));
  });

  router.put('/:id/password', async (req, res) => {
    const input = parseInput(passwordBody, req.body);
    const id = idParam(req);
    const session = await withRetryAfter(res, () => changePassword(ctx, actorOf(res), id, input, clientInfo(req)));
    if (session === null) {
      res.status(204).end();
      return;
    }
    res.setHeader('cache-control', 'no-store');
    res.json(session);
  });

  router.put('/:id/presence', async (req, res) => {
    const actor = actorOf(res);
    const { presence } = parseInput(presenceBody, req.body);
    const target = await getVisibleStaff(ctx, actor, idParam(req));
    const id = target._id.toString();
    if (id !== actor.id && !canManageStaff(actor, target)) {
      throw new AppError('FORBIDDEN', "Only a supervisor of the person's unit or an administrator can change their presence.");
    }
    res.json(toView(await setPresence(ctx, actor, id, presence)));
  });

  router.put('/:id/capacity', async (req, res) => {
    const actor = actorOf(res);
    const input = parseInput(capacityBody, req.body);
    const target = await getVisibleStaff(ctx, actor, idParam(req));
    if (!canManageStaff(actor, target)) {
      throw new AppError('FORBIDDEN', "Only a supervisor of the person's unit or an administrator can change their capacity.");
    }
    res.json(toView(await setCapacity(ctx, actor, target._id.toString(), input)));
  });

  return router;
}
