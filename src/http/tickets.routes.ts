import { randomUUID } from 'node:crypto';
import { Router, type Request } from 'express';
import { z } from 'zod';
import { TICKET_STATUSES } from '../domain/ticket-lifecycle.js';
import { CHANNELS, TICKET_TYPES } from '../domain/ticket-types.js';
import { AppError } from '../errors.js';
import { assignTo, takeNext } from '../services/assignment.service.js';
import type { AppContext } from '../services/context.js';
import { intake } from '../services/intake.service.js';
import { extendSla } from '../services/sla-extension.service.js';
import {
  acknowledgeReportBack,
  addNote,
  getTicketDetail,
  listTickets,
  referTicket,
  replyToCitizen,
  STAFF_ACTIONS,
  transitionTicket,
  visibleTicket,
} from '../services/ticket.service.js';
import { actorOf, requireAuth } from './auth.middleware.js';
import { parseInput } from './validation.js';

const text = (max: number) => z.string().trim().min(1).max(max);
const version = z.number().int().nonnegative();
const day = z.iso.date().transform((d) => new Date(`${d}T05:00:00.000Z`));

const listQuery = z.strictObject({
  status: z
    .string()
    .max(200)
    .transform((s) => s.split(','))
    .pipe(z.array(z.enum(TICKET_STATUSES)))
    .optional(),
  unit: z.string().max(40).optional(),
  type: z.enum(TICKET_TYPES).optional(),
  channel: z.enum(CHANNELS).optional(),
  assignee: z.string().regex(/^[a-f0-9]{24}$/, 'must be a staff id').optional(),
  /** Lima dates, inclusive: from the start of `from` to the end of `to`. */
  from: day.optional(),
  to: day.transform((d) => new Date(d.getTime() + 24 * 3600_000)).optional(),
  q: z.string().trim().max(100).optional(),
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(200).default(50),
});

const citizen = z.strictObject({
  dni: z.string().trim().max(20).optional(),
  ruc: z.string().trim().max(20).optional(),
  email: z.string().trim().max(254).pipe(z.email('must be an email address')).optional(),
  phone: z.string().trim().max(30).regex(/^\+?[\d\s-]{6,20}$/, 'must be a phone number').optional(),
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

const transitionBody = z.strictObject({
  action: z.enum(STAFF_ACTIONS),
  reason: text(2_000).optional(),
  resolution: text(5_000).optional(),
  expectedVersion: version.optional(),
});

// The ceiling here only bounds the input; the policy's own maximum is checked by the service.
const extensionBody = z.strictObject({ businessDays: z.number().int().min(1).max(365), reason: text(2_000) });

const idempotencyKey = z.string().trim().min(8).max(200).regex(/^[\w.:-]+$/, 'letters, digits, ".", ":", "_" or "-"');

function idParam(req: Request): string {
  return String(req.params.id);
}

/** Tickets: the shared queue as staff see it, scoped to their units. */
export function ticketRoutes(ctx: AppContext): Router {
  const router = Router();
  router.use(requireAuth(ctx));

  router.get('/', async (req, res) => {
    const q = parseInput(listQuery, req.query, 'query');
    const result = await listTickets(ctx, actorOf(res), {
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
    res.json({ items: result.items, total: result.total, page: q.page, pageSize: q.pageSize });
  });

  /**
   * Manual entry by an agent (a walk-in noted by hand, a letter). An `Idempotency-Key` header makes a
   * double submit create one ticket.
   */
  router.post('/', async (req, res) => {
    const actor = actorOf(res);
    const body = parseInput(createBody, req.body);
    const key = req.get('idempotency-key');
    if (key !== undefined) parseInput(idempotencyKey, key, 'Idempotency-Key header');
    const result = await intake(
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
    res.status(result.created ? 201 : 200).json({ ticket: result.ticket, created: result.created });
  });

  router.post('/take-next', async (req, res) => {
    const body = parseInput(z.strictObject({ channel: z.enum(CHANNELS).optional() }), req.body ?? {});
    const ticket = await takeNext(ctx, actorOf(res), body.channel);
    if (!ticket) {
      res.status(204).end();
      return;
    }
    res.json({ ticket });
  });

  router.get('/:id', async (req, res) => {
    res.json(await getTicketDetail(ctx, actorOf(res), idParam(req)));
  });

  router.post('/:id/transitions', async (req, res) => {
    const body = parseInput(transitionBody, req.body);
    const ticket = await transitionTicket(ctx, actorOf(res), idParam(req), {
      action: body.action,
      ...(body.reason ? { reason: body.reason } : {}),
      ...(body.resolution ? { resolution: body.resolution } : {}),
      ...(body.expectedVersion !== undefined ? { expectedVersion: body.expectedVersion } : {}),
    });
    res.json({ ticket });
  });

  router.post('/:id/assign', async (req, res) => {
    const actor = actorOf(res);
    const body = parseInput(z.strictObject({ staffId: z.string().regex(/^[a-f0-9]{24}$/, 'must be a staff id') }), req.body);
    const ticket = await visibleTicket(ctx, actor, idParam(req));
    if (!actor.roles.includes('admin') && !(actor.roles.includes('supervisor') && actor.units.includes(ticket.unitCode))) {
      throw new AppError('FORBIDDEN', 'Only a supervisor of the unit can assign tickets.');
    }
    res.json({ ticket: await assignTo(ctx, actor, ticket, body.staffId) });
  });

  router.post('/:id/refer', async (req, res) => {
    const body = parseInput(z.strictObject({ unitCode: text(40), reason: text(2_000), expectedVersion: version.optional() }), req.body);
    const ticket = await referTicket(ctx, actorOf(res), idParam(req), {
      unitCode: body.unitCode,
      reason: body.reason,
      ...(body.expectedVersion !== undefined ? { expectedVersion: body.expectedVersion } : {}),
    });
    res.json({ ticket });
  });

  router.post('/:id/report-back/ack', async (req, res) => {
    res.json({ ticket: await acknowledgeReportBack(ctx, actorOf(res), idParam(req)) });
  });

  /** Prórroga of a request for public information; 200 instead of 201 answers a retry of the same request. */
  router.post('/:id/sla-extension', async (req, res) => {
    const body = parseInput(extensionBody, req.body);
    const result = await extendSla(ctx, actorOf(res), idParam(req), { businessDays: body.businessDays, reason: body.reason });
    res.status(result.created ? 201 : 200).json({ ticket: result.ticket, notice: result.notice });
  });

  router.post('/:id/notes', async (req, res) => {
    const body = parseInput(z.strictObject({ body: text(20_000) }), req.body);
    res.status(201).json({ interaction: await addNote(ctx, actorOf(res), idParam(req), body.body) });
  });

  router.post('/:id/replies', async (req, res) => {
    const body = parseInput(z.strictObject({ body: text(20_000), subject: text(300).optional() }), req.body);
    const reply = await replyToCitizen(ctx, actorOf(res), idParam(req), { body: body.body, ...(body.subject ? { subject: body.subject } : {}) });
    res.status(201).json({ interaction: reply });
  });

  return router;
}
