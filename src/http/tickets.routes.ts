import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { TICKET_STATUSES } from '../domain/ticket-lifecycle.js';
import { CHANNELS, TICKET_TYPES } from '../domain/ticket-types.js';
import { takeNext } from '../services/assignment/index.js';
import type { AppContext } from '../services/context/index.js';
import { receiveContact } from '../services/intake/index.js';
import { extendSla } from '../services/sla/index.js';
import { acknowledgeReportBack, addNote, assignTicketToStaff, getTicketDetail, listTickets, referTicket, replyToCitizen, STAFF_ACTIONS, transitionTicket } from '../services/tickets/index.js';
import { staffRoute, type ApiRoute } from './route-table.js';
import {
  citizenView,
  dni,
  emailAddress,
  idParams,
  interactionView,
  objectId,
  phoneNumber,
  queryInteger,
  queryList,
  ruc,
  text,
  ticketEventView,
  ticketView,
  unitCodeOf,
} from './schemas.js';

const version = z.int().nonnegative();
/** A Lima calendar day; Lima is UTC−5 all year. */
const day = z.iso.date().transform((d) => new Date(`${d}T05:00:00.000Z`));

const listQuery = z.strictObject({
  status: queryList(z.enum(TICKET_STATUSES), 20).optional(),
  unit: z.string().max(40).optional(),
  type: z.enum(TICKET_TYPES).optional(),
  channel: z.enum(CHANNELS).optional(),
  assignee: objectId('staff').optional(),
  from: day.optional().meta({ description: 'Created on or after this Lima day.' }),
  to: day
    .transform((d) => new Date(d.getTime() + 24 * 3600_000))
    .optional()
    .meta({ description: 'Created on or before this Lima day.' }),
  q: z.string().trim().max(100).optional().meta({ description: 'Part of the tracking code or of the subject.' }),
  page: queryInteger(1, 10_000).default(1),
  pageSize: queryInteger(1, 200).default(50),
});

const citizen = z.strictObject({
  dni: dni.optional(),
  ruc: ruc.optional(),
  email: emailAddress(254).optional(),
  phone: phoneNumber.optional(),
  firstNames: z.string().trim().max(120).optional(),
  lastNames: z.string().trim().max(120).optional(),
  preferential: z.boolean().optional(),
});

const createBody = z.strictObject({
  subject: text(300),
  description: z.string().trim().max(20_000).optional(),
  type: z.enum(TICKET_TYPES).optional(),
  serviceCode: z.string().trim().max(100).optional(),
  citizen: citizen.default({}),
});

const expectedVersion = version.optional().meta({ description: "The ticket's `version` you saw; another one answers CONFLICT." });
// A cancellation says why and a resolution says how, so those two actions have bodies of their own.
const transitionBody = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('cancel'), reason: text(2_000), expectedVersion }),
  z.strictObject({ action: z.literal('resolve'), resolution: text(5_000), reason: text(2_000).optional(), expectedVersion }),
  z.strictObject({ action: z.enum(STAFF_ACTIONS).exclude(['cancel', 'resolve']), reason: text(2_000).optional(), expectedVersion }),
]);

const idempotencyHeaders = z.object({
  'Idempotency-Key': z
    .string()
    .trim()
    .min(8)
    .max(200)
    .regex(/^[\w.:-]+$/, 'letters, digits, ".", ":", "_" or "-"')
    .optional()
    .meta({ description: 'Makes retries safe: the same key from the same person registers one ticket.' }),
});

const ticketAnswer = z.object({ ticket: ticketView });
const interactionAnswer = z.object({ interaction: interactionView });
const ticketIdParams = idParams('ticket');

/** `/api/v1/tickets`: the shared queue as staff see it, scoped to their units. */
export function ticketRoutes(ctx: AppContext): ApiRoute[] {
  const unitCode = unitCodeOf(ctx.catalogue.units);
  return [
    staffRoute({
      method: 'get',
      path: '/',
      summary: 'List the tickets of your units (all for an admin), newest first',
      query: listQuery,
      responses: {
        200: {
          description: 'A page of tickets, newest first. `hasMore` says whether a next page exists; `total` is given only where the store counts from an index (MongoDB), not on the embedded store, where a count would read the whole history.',
          schema: z.object({ items: z.array(ticketView), hasMore: z.boolean(), total: z.int().optional(), page: z.int(), pageSize: z.int() }),
        },
      },
      handle: async ({ actor, query: q }) => {
        const result = await listTickets(ctx, actor, {
          ...(q.status ? { status: q.status } : {}),
          ...(q.unit ? { unitCode: q.unit } : {}),
          ...(q.type ? { type: q.type } : {}),
          ...(q.channel ? { channel: q.channel } : {}),
          ...(q.assignee ? { assigneeId: q.assignee } : {}),
          ...(q.from ? { from: q.from } : {}),
          ...(q.to ? { to: q.to } : {}),
          ...(q.q ? { text: q.q } : {}),
          page: q.page,
          pageSize: q.pageSize,
        });
        return { status: 200, body: { items: result.items, hasMore: result.hasMore, ...(result.total !== undefined ? { total: result.total } : {}), page: q.page, pageSize: q.pageSize } };
      },
    }),

    staffRoute({
      method: 'post',
      path: '/',
      summary: 'Register a ticket by hand (a walk-in noted by hand, a letter)',
      description: 'A DNI or RUC whose check character is wrong is refused (VALIDATION_FAILED on `citizen.dni` / `citizen.ruc`).',
      headers: idempotencyHeaders,
      body: createBody,
      responses: {
        201: { description: 'Registered', schema: z.object({ ticket: ticketView, created: z.literal(true) }) },
        200: { description: 'Already registered with this Idempotency-Key', schema: z.object({ ticket: ticketView, created: z.literal(false) }) },
      },
      handle: async ({ actor, headers, body }) => {
        const key = headers['Idempotency-Key'];
        const result = await receiveContact(
          ctx,
          {
            channel: 'manual',
            externalId: key !== undefined ? `manual:${actor.id}:${key}` : `manual:${randomUUID()}`,
            receivedAt: new Date(),
            citizen: body.citizen,
            subject: body.subject,
            ...(body.description ? { body: body.description } : {}),
            hint: { ...(body.serviceCode ? { serviceCode: body.serviceCode } : {}), text: `${body.subject} ${body.description ?? ''}`.slice(0, 5_000) },
            ...(body.type ? { ticketType: body.type } : {}),
          },
          { strictIdentity: true, actor },
        );
        return { status: result.created ? 201 : 200, body: { ticket: result.ticket, created: result.created } };
      },
    }),

    staffRoute({
      method: 'post',
      path: '/take-next',
      summary: 'Take the best waiting ticket of your units',
      body: z.strictObject({ channel: z.enum(CHANNELS).optional() }).default({}),
      errors: [409],
      responses: {
        200: { description: 'Assigned to you', schema: ticketAnswer },
        204: { description: 'Nothing waiting' },
      },
      handle: async ({ actor, body }) => {
        const ticket = await takeNext(ctx, actor, body.channel);
        return ticket ? { status: 200, body: { ticket } } : { status: 204 };
      },
    }),

    staffRoute({
      method: 'get',
      path: '/:id',
      summary: 'A ticket with its citizen, audit events and interactions',
      params: ticketIdParams,
      responses: {
        200: {
          description: 'The ticket',
          schema: z.object({ ticket: ticketView, citizen: citizenView.nullable(), events: z.array(ticketEventView), interactions: z.array(interactionView) }),
        },
      },
      handle: async ({ actor, params }) => ({ status: 200, body: await getTicketDetail(ctx, actor, params.id) }),
    }),

    staffRoute({
      method: 'post',
      path: '/:id/transitions',
      summary: `Apply an action: ${STAFF_ACTIONS.join(', ')}`,
      params: ticketIdParams,
      body: transitionBody,
      errors: [403, 409],
      responses: { 200: { description: 'Changed', schema: ticketAnswer } },
      handle: async ({ actor, params, body }) => ({ status: 200, body: { ticket: await transitionTicket(ctx, actor, params.id, body) } }),
    }),

    staffRoute({
      method: 'post',
      path: '/:id/assign',
      summary: 'Assign a waiting ticket to a named agent of its unit (supervisor of the unit, admin)',
      params: ticketIdParams,
      body: z.strictObject({ staffId: objectId('staff') }),
      errors: [403, 409],
      responses: { 200: { description: 'Assigned', schema: ticketAnswer } },
      handle: async ({ actor, params, body }) => ({ status: 200, body: { ticket: await assignTicketToStaff(ctx, actor, params.id, body.staffId) } }),
    }),

    staffRoute({
      method: 'post',
      path: '/:id/refer',
      summary: 'Refer (derivar) the ticket to another unit',
      params: ticketIdParams,
      body: z.strictObject({ unitCode, reason: text(2_000), expectedVersion }),
      errors: [403, 409],
      responses: { 200: { description: 'Referred', schema: ticketAnswer } },
      handle: async ({ actor, params, body }) => ({ status: 200, body: { ticket: await referTicket(ctx, actor, params.id, body) } }),
    }),

    staffRoute({
      method: 'post',
      path: '/:id/report-back/ack',
      summary: 'The referring office saw the report-back',
      params: ticketIdParams,
      errors: [403, 409],
      responses: { 200: { description: 'Acknowledged', schema: ticketAnswer } },
      handle: async ({ actor, params }) => ({ status: 200, body: { ticket: await acknowledgeReportBack(ctx, actor, params.id) } }),
    }),

    staffRoute({
      method: 'post',
      path: '/:id/sla-extension',
      summary: 'Extend the term of a request for public information once (prórroga)',
      description:
        "TUO Ley 27806 art. 11: within the policy's notice window (by closing time of the 2nd business day after filing); queues the notice " +
        'to the citizen. Assignee, unit supervisor or admin. 409 ILLEGAL_TRANSITION has `details.reason`: not_extendable, clock_paused, ' +
        'already_extended, notice_period_over. More days than the policy allows is VALIDATION_FAILED.',
      params: ticketIdParams,
      // The ceiling here only bounds the input; the policy's own maximum is checked by the service.
      body: z.strictObject({ businessDays: z.int().min(1).max(365), reason: text(2_000) }),
      errors: [403, 409],
      responses: {
        201: { description: 'Extended; the ticket and the queued notice', schema: z.object({ ticket: ticketView, notice: interactionView }) },
        200: { description: 'A retry of the same extension; what is on record', schema: z.object({ ticket: ticketView, notice: interactionView }) },
      },
      handle: async ({ actor, params, body }) => {
        const result = await extendSla(ctx, actor, params.id, body);
        return { status: result.created ? 201 : 200, body: { ticket: result.ticket, notice: result.notice } };
      },
    }),

    staffRoute({
      method: 'post',
      path: '/:id/notes',
      summary: 'Add an internal note',
      params: ticketIdParams,
      body: z.strictObject({ body: text(20_000) }),
      responses: { 201: { description: 'Added', schema: interactionAnswer } },
      handle: async ({ actor, params, body }) => ({ status: 201, body: { interaction: await addNote(ctx, actor, params.id, body.body) } }),
    }),

    staffRoute({
      method: 'post',
      path: '/:id/replies',
      summary: 'Reply to the citizen on their channel (queued for delivery)',
      params: ticketIdParams,
      body: z.strictObject({ body: text(20_000), subject: text(300).optional() }),
      errors: [403, 409],
      responses: { 201: { description: 'Queued', schema: interactionAnswer } },
      handle: async ({ actor, params, body }) => ({ status: 201, body: { interaction: await replyToCitizen(ctx, actor, params.id, body) } }),
    }),
  ];
}
