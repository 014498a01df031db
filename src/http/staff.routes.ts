import { z } from 'zod';
import { PRESENCES, STAFF_ROLES } from '../domain/staff.js';
import type { AppContext } from '../services/context/index.js';
import { changePassword, createStaff, getVisibleStaff, listStaff, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, setStaffCapacity, setStaffPresence, updateStaff } from '../services/staff/index.js';
import { toView } from '../store/staff.repository.js';
import { clientInfo, withRetryAfter } from './auth.routes.js';
import { staffRoute, type ApiRoute } from './route-table.js';
import { emailAddress, idParams, queryInteger, sessionView, staffView, text, unitCodeOf } from './schemas.js';

const username = z
  .string()
  .max(100)
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9._-]{3,40}$/, 'must be 3-40 characters: lowercase letters, digits, ".", "_" or "-"');
const displayName = text(120);
const password = z
  .string()
  .min(PASSWORD_MIN_LENGTH, `must be at least ${PASSWORD_MIN_LENGTH} characters`)
  .max(PASSWORD_MAX_LENGTH, `must be at most ${PASSWORD_MAX_LENGTH} characters`);
const roles = z
  .array(z.enum(STAFF_ROLES))
  .min(1, 'at least one role')
  .max(STAFF_ROLES.length)
  .refine((list) => new Set(list).size === list.length, 'must not repeat a role')
  .meta({ uniqueItems: true });
const skills = z.array(text(60)).max(50);
const perChannel = z.int().min(0).max(100);
const capacity = z.strictObject({
  phone: perChannel.optional(),
  email: perChannel.optional(),
  kiosk: perChannel.optional(),
  manual: perChannel.optional(),
});
const notEmpty = (value: object): boolean => Object.keys(value).length > 0;

const listQuery = z.strictObject({
  unit: z.string().min(1).max(40).optional(),
  role: z.enum(STAFF_ROLES).optional(),
  limit: queryInteger(1, 100).default(50),
  offset: queryInteger(0, 100_000).default(0),
});

const presenceBody = z.strictObject({ presence: z.enum(PRESENCES) });

const staffIdParams = idParams('staff');

/** `/api/v1/staff`: staff accounts, own profile, presence and capacity. Every endpoint needs a login. */
export function staffRoutes(ctx: AppContext): ApiRoute[] {
  const units = z
    .array(unitCodeOf(ctx.catalogue.units))
    .max(50)
    .refine((list) => new Set(list).size === list.length, 'must not repeat a unit')
    .meta({ uniqueItems: true });

  const createBody = z
    .strictObject({
      username,
      displayName,
      email: emailAddress(200).optional(),
      password: password.meta({ description: 'Must not contain the username.' }),
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
      email: emailAddress(200).nullable().optional().meta({ description: '`null` removes the address.' }),
      roles: roles.optional(),
      units: units.optional(),
      skills: skills.optional(),
      disabled: z.boolean().optional(),
      autoAssign: z.boolean().optional(),
    })
    .refine(notEmpty, 'nothing to change')
    .meta({ minProperties: 1 });

  return [
    // `/me` routes come before `/:id`; "me" is not an id anyway, so `/:id` would answer it 404.
    staffRoute({
      method: 'get',
      path: '/me',
      summary: 'Your own profile',
      responses: { 200: { description: 'You', schema: staffView } },
      handle: async ({ actor }) => ({ status: 200, body: toView(await getVisibleStaff(ctx, actor, actor.id)) }),
    }),

    staffRoute({
      method: 'put',
      path: '/me/presence',
      summary: 'Set your presence; available takes work from the queue, offline hands your open tickets back',
      body: presenceBody,
      errors: [409],
      responses: { 200: { description: 'You', schema: staffView } },
      handle: async ({ actor, body }) => ({ status: 200, body: toView(await setStaffPresence(ctx, actor, actor.id, body.presence)) }),
    }),

    staffRoute({
      method: 'post',
      path: '/',
      summary: 'Create a staff account',
      roles: ['admin'],
      body: createBody,
      errors: [409],
      responses: {
        201: {
          description: 'Created',
          schema: staffView,
          headers: { Location: { description: 'The new account', schema: z.string() } },
        },
      },
      handle: async ({ actor, body, req }) => {
        const staff = await createStaff(ctx, actor, body);
        return { status: 201, headers: { location: `${req.baseUrl}/${staff._id.toString()}` }, body: toView(staff) };
      },
    }),

    staffRoute({
      method: 'get',
      path: '/',
      summary: 'List staff: everyone for an admin, the staff of their units for a supervisor',
      description: 'A supervisor asking for a unit that is not theirs is FORBIDDEN.',
      roles: ['admin', 'supervisor'],
      query: listQuery,
      responses: {
        200: { description: 'A page of staff', schema: z.object({ items: z.array(staffView), total: z.int(), limit: z.int(), offset: z.int() }) },
      },
      handle: async ({ actor, query }) => {
        const { items, total } = await listStaff(ctx, actor, query);
        return { status: 200, body: { items: items.map(toView), total, limit: query.limit, offset: query.offset } };
      },
    }),

    staffRoute({
      method: 'get',
      path: '/:id',
      summary: 'One staff member: yourself, staff of the units you supervise, anyone for an admin',
      params: staffIdParams,
      responses: { 200: { description: 'The staff member', schema: staffView } },
      handle: async ({ actor, params }) => ({ status: 200, body: toView(await getVisibleStaff(ctx, actor, params.id)) }),
    }),

    staffRoute({
      method: 'patch',
      path: '/:id',
      summary: 'Change profile, roles, units, skills, disabled, autoAssign',
      description: 'An admin cannot disable themselves or drop their own admin role (VALIDATION_FAILED).',
      roles: ['admin'],
      params: staffIdParams,
      body: patchBody,
      responses: { 200: { description: 'The staff member', schema: staffView } },
      handle: async ({ actor, params, body }) => ({ status: 200, body: toView(await updateStaff(ctx, actor, params.id, body)) }),
    }),

    staffRoute({
      method: 'put',
      path: '/:id/password',
      summary: "Change your password (with the current one), or, as an admin, someone else's",
      description: 'Ends every session of the person. Your own change answers a fresh session; an admin setting another\'s answers 204.',
      params: staffIdParams,
      body: z.strictObject({
        currentPassword: z.string().min(1).max(PASSWORD_MAX_LENGTH).optional().meta({ description: 'Required to change your own.' }),
        newPassword: password,
      }),
      errors: [403, 429],
      responses: {
        200: { description: 'Changed; your new session', schema: sessionView },
        204: { description: "Changed someone else's" },
      },
      handle: async ({ actor, params, body, req, res }) => {
        const session = await withRetryAfter(res, () => changePassword(ctx, actor, params.id, body, clientInfo(req)));
        return session === null ? { status: 204 } : { status: 200, headers: { 'cache-control': 'no-store' }, body: session };
      },
    }),

    staffRoute({
      method: 'put',
      path: '/:id/presence',
      summary: "Set someone's presence (yourself, or as a supervisor of their unit, or an admin)",
      params: staffIdParams,
      body: presenceBody,
      errors: [403, 409],
      responses: { 200: { description: 'The staff member', schema: staffView } },
      handle: async ({ actor, params, body }) => ({ status: 200, body: toView(await setStaffPresence(ctx, actor, params.id, body.presence)) }),
    }),

    staffRoute({
      method: 'put',
      path: '/:id/capacity',
      summary: "Set someone's capacity per channel (supervisor of their unit, admin)",
      params: staffIdParams,
      body: capacity.refine(notEmpty, 'give the capacity of at least one channel').meta({ minProperties: 1 }),
      errors: [403],
      responses: { 200: { description: 'The staff member', schema: staffView } },
      handle: async ({ actor, params, body }) => ({ status: 200, body: toView(await setStaffCapacity(ctx, actor, params.id, body)) }),
    }),
  ];
}
