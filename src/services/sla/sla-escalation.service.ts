/**
 * What happens when an SLA check falls due: the outcome (at risk, first response or resolution breached) is recorded
 * on the ticket, in its audit trail, and escalated to supervisors. Every step is written once however often the
 * job runs.
 */
import { renderMessage, type TemplateId } from '../../domain/message-templates.js';
import { priorityScore } from '../../domain/priority.js';
import { checkOutcomeAt, formatLocalDateTime, isCheckDue, isCheckRecorded, type SlaCheckKind } from '../../domain/sla-policy.js';
import type { JobPayload } from '../../queues/jobs.js';
import type { NotificationKind } from '../../store/notification.model.js';
import { onceEventId } from '../../store/ticket-sla.repository.js';
import type { Ticket } from '../../store/ticket.repository.js';
import type { AppContext } from '../context/index.js';
import { followPriority } from '../live-state/index.js';
import { notify } from '../notifications/index.js';
import { announceTicketEvent } from '../timeline/index.js';
import { hasSla, MAX_ROUNDS, type SlaTicket } from './sla.service.js';

const EVENT_TYPE: Readonly<Record<SlaCheckKind, string>> = {
  at_risk: 'sla_at_risk',
  first_response: 'first_response_breached',
  resolution: 'sla_breached',
};

const NOTIFICATION_KIND: Readonly<Record<SlaCheckKind, NotificationKind>> = {
  at_risk: 'sla_at_risk',
  first_response: 'first_response_breached',
  resolution: 'sla_breached',
};

const ALERT_TEMPLATE = {
  at_risk: 'notification.sla_at_risk',
  first_response: 'notification.first_response_breached',
  resolution: 'notification.sla_breached',
} as const satisfies Readonly<Record<SlaCheckKind, TemplateId>>;

async function recordOutcome(ctx: AppContext, ticket: SlaTicket, kind: SlaCheckKind, dueAt: Date, now: Date): Promise<Ticket | null> {
  switch (kind) {
    case 'at_risk': {
      const after = await ctx.store.ticketSla.recordAtRisk(
        ticket._id,
        { atRiskAt: dueAt, priorityClass: ticket.priorityClass },
        now,
        priorityScore({ priorityClass: ticket.priorityClass, slaAtRisk: true }),
      );
      // The lifted rank reaches the live queue, which orders waiting tickets by it.
      if (after) await followPriority(ctx, after);
      return after;
    }
    case 'first_response':
      return ctx.store.ticketSla.recordFirstResponseBreach(ticket._id, dueAt, now);
    case 'resolution':
      return ctx.store.ticketSla.recordBreach(ticket._id, dueAt, now);
  }
}

function alertFor(ctx: AppContext, ticket: SlaTicket, kind: SlaCheckKind, dueAt: Date): string {
  const when = (instant: Date): string => formatLocalDateTime(instant, ctx.catalogue.calendar.utcOffsetMinutes);
  // An at-risk check runs before the case falls due: its message tells when the case falls due, not when it ran.
  const due = kind === 'at_risk' ? (ticket.sla.resolutionDueAt ?? dueAt) : dueAt;
  return renderMessage(ctx.catalogue.templates, ALERT_TEMPLATE[kind], { trackingCode: ticket.trackingCode, dueAt: when(due) }).body;
}

/**
 * The audit event and the supervisors' notifications of a recorded outcome. Both are written once whatever
 * the number of runs: the event's id and each notification's dedupe key derive from ticket, kind and due date.
 * Supervisors of the unit holding the case get it; a unit without one escalates to the office that took it.
 */
async function escalate(ctx: AppContext, ticket: SlaTicket, kind: SlaCheckKind, dueAt: Date): Promise<void> {
  const ticketId = ticket._id.toString();
  const due = dueAt.toISOString();
  const type = EVENT_TYPE[kind];
  const eventAt = checkOutcomeAt(ticket.sla, kind) ?? new Date();
  const onceKey = `${type}:${ticketId}:${due}`;
  const appended = await ctx.store.ticketSla.appendEventOnce(
    {
      ticketId: ticket._id,
      type,
      at: eventAt,
      data: {
        kind,
        dueAt: due,
        policy: ticket.sla.policy,
        unit: ticket.unitCode,
        ...(ticket.sla.resolutionDueAt ? { resolutionDueAt: ticket.sla.resolutionDueAt.toISOString() } : {}),
      },
    },
    onceKey,
    dueAt,
  );
  const current = appended ? await ctx.store.tickets.get(ticketId) : null;
  if (current) await announceTicketEvent(ctx, current, { id: onceEventId(onceKey, dueAt).toString(), type, at: eventAt });

  let supervisors = await ctx.store.notifications.supervisorsOfUnit(ticket.unitCode);
  if (supervisors.length === 0 && ticket.originUnitCode !== ticket.unitCode) {
    supervisors = await ctx.store.notifications.supervisorsOfUnit(ticket.originUnitCode);
  }
  if (supervisors.length === 0) {
    ctx.log.warn({ ticketId, kind, unit: ticket.unitCode }, 'SLA escalation has no supervisor to go to');
  }
  const notificationKind = NOTIFICATION_KIND[kind];
  const message = alertFor(ctx, ticket, kind, dueAt);
  for (const supervisor of supervisors) {
    await notify(ctx, {
      recipientId: supervisor._id,
      kind: notificationKind,
      ticketId: ticket._id,
      trackingCode: ticket.trackingCode,
      message,
      dedupeKey: `${notificationKind}:${ticketId}:${supervisor._id.toString()}:${due}`,
    });
  }
}

/**
 * Runs one delayed SLA check. A stale job (ticket gone, closed or paused, due date moved, first response given,
 * outcome of a later cycle) returns quietly. Otherwise the outcome is recorded on the ticket by a guarded update
 * (at risk: warning time, at-risk flag and raised priority; breaches: their time), then the event and the
 * notifications are written. A run that finds the outcome already recorded for this very due date finishes the
 * event and notifications an earlier run may not have reached; both are written once.
 */
export async function handleSlaCheck(ctx: AppContext, payload: JobPayload<'sla.check'>): Promise<void> {
  const dueAt = new Date(payload.dueAt);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const ticket = await ctx.store.tickets.get(payload.ticketId);
    if (!hasSla(ticket)) return;
    let recorded: Ticket | null;
    if (isCheckDue(ticket.sla, ticket.status, payload.kind, dueAt)) {
      // null: the ticket changed between the read and the update; look at it again.
      recorded = await recordOutcome(ctx, ticket, payload.kind, dueAt, new Date());
      if (recorded) ctx.log.info({ ticketId: payload.ticketId, kind: payload.kind, dueAt: payload.dueAt }, 'SLA check recorded');
    } else if (isCheckRecorded(ticket.sla, payload.kind, dueAt)) {
      recorded = ticket;
    } else {
      return;
    }
    if (hasSla(recorded)) {
      await escalate(ctx, recorded, payload.kind, dueAt);
      return;
    }
  }
  // A plain error: the worker retries it with backoff, which is what contention calls for.
  throw new Error(`ticket ${payload.ticketId} kept changing while its ${payload.kind} SLA check ran`);
}
