import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { TICKET_STATUSES } from '../domain/ticket-lifecycle.js';
import { CHANNELS, TICKET_TYPES } from '../domain/ticket-types.js';
import { takeNext } from '../services/assignment/index.js';
import type { AppContext } from '../services/context/index.js';
import { receiveContact } from '../services/intake/index.js';
import { extendSla } from '../services/sla/index.js';
import {
  acknowledgeReportBack,
  addNote,
  assignTicketToStaff,
  getTicketDetail,
  getTicketTimeline,
  listTickets,
  myTickets,
  referTicket,
  replyToCitizen,
  searchTickets,
  STAFF_ACTIONS,
  transitionTicket,
  waitingTickets,
  type Timeline,
} from '../services/tickets/index.js';
import { staffRoute, type ApiRoute } from './route-table.js';
import {
  citizenView,
  cursorText,
  dni,
  emailAddress,
  idParams,
  interactionView,
  nextCursor,
  objectId,
  pageCursor,
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

const pageSize = (max: number, fallback: number) => queryInteger(1, max).default(fallback).meta({ description: `Items per page (at most ${max}).` });

const listQuery = z.strictObject({
  status: queryList(z.enum(TICKET_STATUSES), 20).optional(),
  unit: z.string().max(40).optional().meta({ description: "Tickets now in this unit (one of yours; another unit's, those your units referred there)." }),
  type: z.enum(TICKET_TYPES).optional(),
  channel: z.enum(CHANNELS).optional(),
  assignee: objectId('staff').optional(),
  service: z.string().trim().max(100).optional().meta({ description: 'A service code of the catalogue.' }),
  from: day.optional().meta({ description: 'Created on or after this Lima day.' }),
  to: day
    .transform((d) => new Date(d.getTime() + 24 * 3600_000))
    .optional()
    .meta({ description: 'Created on or before this Lima day.' }),
  cursor: pageCursor.optional(),
  pageSize: pageSize(200, 50),
});

const ticketPage = z.object({ items: z.array(ticketView), next: nextCursor });

const timelineQuery = z.strictObject({
  order: z.enum(['oldest', 'newest']).default('oldest').meta({ description: 'Oldest first (a conversation) or newest first (what happened last).' }),
  cursor: pageCursor.optional(),
  pageSize: pageSize(200, 50),
});

const timelineItem = z.discriminatedUnion('kind', [z.object({ kind: z.literal('event'), event: ticketEventView }), z.object({ kind: z.literal('interaction'), interaction: interactionView })]);
const timelineView = z
  .object({ order: z.enum(['oldest', 'newest']), items: z.array(timelineItem), next: nextCursor })
  .meta({ id: 'Timeline', description: "A page of a ticket's audit events and exchanges, merged in time order." });

const searchQuery = z.strictObject({
  q: z.string().trim().min(1).max(200).meta({ description: 'A tracking code, a DNI, RUC, email or phone, or words of a subject.' }),
  cursor: pageCursor.optional(),
  pageSize: pageSize(100, 25),
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

function timelineBody(timeline: Timeline): { order: Timeline['order']; items: Timeline['items']; next: string | undefined } {
  return { order: timeline.order, items: timeline.items, next: cursorText(timeline.next) };
}

/** `/api/v1/tickets`: the shared queue as staff see it, scoped to their units. */
export function ticketRoutes(ctx: AppContext): ApiRoute[] {
  const unitCode = unitCodeOf(ctx.catalogue.units);
  return [
    staffRoute({
      method: 'get',
      path: '/',
      summary: 'List the tickets of your units (all for an admin), newest first',
      description:
        'Narrowed by any of the filters and paged by a cursor: a page starts right after the last ticket of the one before, so tickets that arrive meanwhile neither repeat nor push one out of the list. Today\'s contacts of a unit are `unit=…&from=<today>`.',
      query: listQuery,
      responses: { 200: { description: 'A page of tickets, newest first', schema: ticketPage } },
      handle: async ({ actor, query: q }) => {
        const page = await listTickets(ctx, actor, {
          unit: q.unit,
          status: q.status,
          type: q.type,
          channel: q.channel,
          serviceCode: q.service,
          assigneeId: q.assignee,
          from: q.from,
          to: q.to,
          after: q.cursor,
          limit: q.pageSize,
        });
        return { status: 200, body: { items: page.items, next: cursorText(page.next) } };
      },
    }),

    staffRoute({
      method: 'get',
      path: '/waiting',
      summary: 'What waits in your units (or in one of them), longest waiting first',
      query: z.strictObject({ unit: unitCode.optional(), pageSize: pageSize(200, 100) }),
      errors: [403],
      responses: {
        200: {
          description: 'The waiting tickets (at most `pageSize`) and how many wait in all',
          schema: z.object({ total: z.int(), items: z.array(z.object({ ticket: ticketView, queue: z.string(), enqueuedAt: z.iso.datetime() })) }),
        },
      },
      handle: async ({ actor, query: q }) => ({ status: 200, body: await waitingTickets(ctx, actor, { unit: q.unit, limit: q.pageSize }) }),
    }),

    staffRoute({
      method: 'get',
      path: '/mine',
      summary: 'The tickets you hold now (assigned, in attention, waiting for the citizen), newest first',
      responses: { 200: { description: 'Your tickets', schema: z.object({ items: z.array(ticketView) }) } },
      handle: async ({ actor }) => ({ status: 200, body: { items: await myTickets(ctx, actor) } }),
    }),

    staffRoute({
      method: 'get',
      path: '/search',
      summary: 'Search: a tracking code, a citizen (DNI, RUC, email, phone) and their cases, or words of a subject',
      description:
        'A tracking code is found with or without its dashes and prefix, in any case. Words are Spanish-aware: accents and case do not matter, the beginning of a word is enough and a plural finds its singular; every word must be in the subject. `narrowed` says a beginning matched more words than are searched at once: type more of it.',
      query: searchQuery,
      responses: {
        200: {
          description: 'What the search found, newest first',
          schema: z.object({
            kind: z.enum(['code', 'citizen', 'words', 'none']).meta({ description: 'How the text was read.' }),
            citizen: citizenView.nullable().optional(),
            items: z.array(ticketView),
            next: nextCursor,
            narrowed: z.boolean().optional(),
          }),
        },
      },
      handle: async ({ actor, query: q }) => {
        const answer = await searchTickets(ctx, actor, q.q, { after: q.cursor, limit: q.pageSize });
        return { status: 200, body: { ...answer, next: 'next' in answer ? cursorText(answer.next) : undefined } };
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
      summary: 'A ticket with its citizen and the first page of its timeline',
      params: ticketIdParams,
      query: timelineQuery.omit({ cursor: true }),
      responses: { 200: { description: 'The ticket', schema: z.object({ ticket: ticketView, citizen: citizenView.nullable(), timeline: timelineView }) } },
      handle: async ({ actor, params, query: q }) => {
        const detail = await getTicketDetail(ctx, actor, params.id, { order: q.order, limit: q.pageSize });
        return { status: 200, body: { ...detail, timeline: timelineBody(detail.timeline) } };
      },
    }),

    staffRoute({
      method: 'get',
      path: '/:id/timeline',
      summary: "A further page of a ticket's timeline",
      params: ticketIdParams,
      query: timelineQuery,
      responses: { 200: { description: 'A page of the timeline', schema: timelineView } },
      handle: async ({ actor, params, query: q }) => ({
        status: 200,
        body: timelineBody(await getTicketTimeline(ctx, actor, params.id, { order: q.order, after: q.cursor, limit: q.pageSize })),
      }),
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
