import { renderMessage } from '../../domain/message-templates.js';
import { allowedActions, isOpenStatus, nextStatus, OWNED_STATUSES, WAITING_STATUSES, type TicketAction } from '../../domain/ticket-lifecycle.js';
import type { Channel } from '../../domain/ticket-types.js';
import { AppError } from '../../errors.js';
import type { Interaction } from '../../store/interaction.repository.js';
import type { TicketDoc } from '../../store/ticket.model.js';
import type { Ticket, TicketChange } from '../../store/ticket.repository.js';
import { assignTo, followTicket } from '../assignment/index.js';
import { requestReplyEmail, tellCitizenOfChange } from '../citizen-messages/index.js';
import { isSupervisorOf, visibleTicket, type Actor, type AppContext } from '../context/index.js';
import { notify } from '../notifications/index.js';
import { recordFirstResponse, slaOnTransition } from '../sla/index.js';
import { recordEvent } from '../timeline/index.js';

function isAssignee(actor: Actor, ticket: Ticket): boolean {
  return actor.kind === 'staff' && ticket.assigneeId?.toString() === actor.id;
}

function inUnit(actor: Actor, unit: string | undefined): boolean {
  return unit !== undefined && actor.kind === 'staff' && actor.units.includes(unit);
}

/** Who may do what to a ticket they can see. Supervisors of the unit and admins may do everything. */
function mayAct(actor: Actor, ticket: Ticket, action: TicketAction): boolean {
  if (actor.kind === 'system') return true;
  if (isSupervisorOf(actor, ticket.unitCode)) return true;
  switch (action) {
    case 'start':
    case 'wait_citizen':
    case 'citizen_replied':
    case 'unassign':
    case 'refer':
      return isAssignee(actor, ticket);
    case 'resolve':
      // A unit that received a referral may answer it without assigning it first.
      return isAssignee(actor, ticket) || (ticket.status === 'derivado' && inUnit(actor, ticket.unitCode));
    case 'close':
      // The office that referred the case closes it once the unit reported back and the citizen was told.
      return isAssignee(actor, ticket) || inUnit(actor, ticket.referral?.fromUnit);
    case 'reopen':
      return inUnit(actor, ticket.originUnitCode) || inUnit(actor, ticket.unitCode);
    case 'cancel':
    case 'enqueue':
    case 'assign':
      return false;
  }
}

export interface TransitionOptions {
  reason?: string;
  /** The version the client saw; a different current version answers CONFLICT instead of acting. */
  expectedVersion?: number;
  change?: TicketChange;
}

/**
 * Applies one action of the state machine as a single update guarded on the version read, then its effects:
 * audit event, capacity given back, queue re-entry, SLA pause/resume/stop, the citizen told. Two people acting
 * at once: one wins, the other gets CONFLICT.
 */
export async function applyTransition(ctx: AppContext, actor: Actor, ticket: Ticket, action: TicketAction, options: TransitionOptions = {}): Promise<Ticket> {
  const step = nextStatus(ticket.status, action);
  if (!step.ok) {
    throw new AppError('ILLEGAL_TRANSITION', `A ticket in status "${ticket.status}" cannot "${action}".`, {
      status: ticket.status,
      action,
      allowed: allowedActions(ticket.status),
    });
  }
  if (!mayAct(actor, ticket, action)) throw new AppError('FORBIDDEN', 'You may not do that to this ticket.');
  if (options.expectedVersion !== undefined && options.expectedVersion !== ticket.version) {
    throw new AppError('CONFLICT', undefined, { currentVersion: ticket.version });
  }
  const from = ticket.status;
  const to = step.to;
  const now = new Date();
  const entersQueue = WAITING_STATUSES.includes(to);
  const set: TicketChange['set'] = { ...options.change?.set, status: to, ...(to === 'en_cola' && action === 'reopen' ? { enqueuedAt: now } : {}) };
  const unset = [...(options.change?.unset ?? []), ...(entersQueue ? (['assigneeId', 'assignedAt'] as const) : [])];
  // The open-ticket index lists a ticket before it is stored open and delists it after it is stored closed.
  if (!isOpenStatus(from) && isOpenStatus(to)) await ctx.store.openTickets.add(ticket._id, now);
  const after = await ctx.store.tickets.compareAndSet(ticket._id, { version: ticket.version, status: from }, { set, unset });
  if (!after) throw new AppError('CONFLICT');
  if (isOpenStatus(from) && !isOpenStatus(to)) await ctx.store.openTickets.remove(ticket._id);

  await recordEvent(ctx, after, actor, action === 'refer' ? 'referred' : 'status_changed', {
    from,
    to,
    ...(options.reason ? { reason: options.reason } : {}),
    data: { action },
  });
  const routingChanged = entersQueue || WAITING_STATUSES.includes(from) || (OWNED_STATUSES.includes(from) && !OWNED_STATUSES.includes(to));
  if (routingChanged) await followTicket(ctx, after, { abandoned: to === 'anulado' && WAITING_STATUSES.includes(from) });
  // The SLA steps write the ticket again: what is returned is the ticket as stored after all of them.
  let latest = (await slaOnTransition(ctx, after._id.toString(), from, to, now)) ?? after;
  if (action === 'start' && (ticket.channel === 'phone' || ticket.channel === 'kiosk')) latest = (await recordFirstResponse(ctx, after._id.toString(), now)) ?? latest;
  await tellCitizenOfChange(ctx, latest, action);
  return latest;
}

/** Status actions offered to staff through the API; assign, refer and enqueue have their own paths. */
export const STAFF_ACTIONS = ['start', 'wait_citizen', 'citizen_replied', 'unassign', 'resolve', 'close', 'reopen', 'cancel'] as const;
export type StaffAction = (typeof STAFF_ACTIONS)[number];

export async function transitionTicket(
  ctx: AppContext,
  actor: Actor,
  ticketId: string,
  input: { action: StaffAction; reason?: string; resolution?: string; expectedVersion?: number },
): Promise<Ticket> {
  const ticket = await visibleTicket(ctx, actor, ticketId);
  if (input.action === 'cancel' && !input.reason) {
    throw new AppError('VALIDATION_FAILED', 'Say why the ticket is cancelled.', { fields: [{ path: 'reason', message: 'required to cancel' }] });
  }
  if (input.action !== 'resolve') {
    return applyTransition(ctx, actor, ticket, input.action, withOptional(input));
  }
  if (!input.resolution) {
    throw new AppError('VALIDATION_FAILED', 'Describe the resolution.', { fields: [{ path: 'resolution', message: 'required to resolve' }] });
  }
  const now = new Date();
  const reportsBack = ticket.referral !== undefined && ticket.referral.reportedBackAt === undefined && ticket.referral.toUnit === ticket.unitCode;
  const resolvedBy = actor.id ?? actor.kind;
  const set: Partial<TicketDoc> = {
    resolution: { summary: input.resolution, resolvedBy, resolvedAt: now },
    ...(reportsBack && ticket.referral ? { referral: { ...ticket.referral, reportedBackAt: now } } : {}),
  };
  const after = await applyTransition(ctx, actor, ticket, 'resolve', { ...withOptional(input), change: { set } });
  if (reportsBack && ticket.referral) await reportBack(ctx, after, ticket.referral.fromUnit, input.resolution);
  return after;
}

function withOptional(input: { reason?: string; expectedVersion?: number }): TransitionOptions {
  return {
    ...(input.reason !== undefined ? { reason: input.reason } : {}),
    ...(input.expectedVersion !== undefined ? { expectedVersion: input.expectedVersion } : {}),
  };
}

/** The unit that received a referral resolved it: the office that referred it is told, as its remit demands. */
async function reportBack(ctx: AppContext, ticket: Ticket, officeUnit: string, summary: string): Promise<void> {
  const unitName = ctx.catalogue.unitByCode(ticket.unitCode)?.name ?? ticket.unitCode;
  await recordEvent(ctx, ticket, { kind: 'system', id: 'report-back' }, 'reported_back', { data: { toUnit: officeUnit, fromUnit: ticket.unitCode } });
  const recipients = await ctx.store.staffPresence.staffOfUnit(officeUnit, ['agent', 'supervisor']);
  const short = summary.length > 200 ? `${summary.slice(0, 197)}...` : summary;
  const message = renderMessage(ctx.catalogue.templates, 'notification.report_back', { unitName, trackingCode: ticket.trackingCode, summary: short }).body;
  for (const staff of recipients) {
    await notify(ctx, {
      recipientId: staff._id,
      kind: 'report_back',
      ticketId: ticket._id,
      trackingCode: ticket.trackingCode,
      message,
      dedupeKey: `report_back:${ticket._id.toString()}:${staff._id.toString()}:${ticket.version}`,
    });
  }
}

/** A supervisor of the ticket's unit (or an admin) hands a waiting ticket to a named agent of that unit. */
export async function assignTicketToStaff(ctx: AppContext, actor: Actor, ticketId: string, staffId: string): Promise<Ticket> {
  const ticket = await visibleTicket(ctx, actor, ticketId);
  if (actor.kind !== 'system' && !isSupervisorOf(actor, ticket.unitCode)) {
    throw new AppError('FORBIDDEN', 'Only a supervisor of the unit can assign tickets.');
  }
  return assignTo(ctx, actor, ticket, staffId);
}

/** Derivación: hands the case to another unit, which works it from its first queue. */
export async function referTicket(ctx: AppContext, actor: Actor, ticketId: string, input: { unitCode: string; reason: string; expectedVersion?: number }): Promise<Ticket> {
  const ticket = await visibleTicket(ctx, actor, ticketId);
  const unit = ctx.catalogue.unitByCode(input.unitCode);
  if (!unit) throw new AppError('VALIDATION_FAILED', 'Unknown unit.', { fields: [{ path: 'unitCode', message: `unknown unit "${input.unitCode}"` }] });
  if (unit.code === ticket.unitCode) {
    throw new AppError('VALIDATION_FAILED', 'The ticket is already in that unit.', { fields: [{ path: 'unitCode', message: 'same as the current unit' }] });
  }
  const queue = ctx.catalogue.routing.queues.find((q) => q.unit === unit.code)?.code ?? 'general';
  // In a chain of referrals the report-back still goes to the office that first referred the case.
  const fromUnit = ticket.referral && !ticket.referral.reportedBackAt ? ticket.referral.fromUnit : ticket.unitCode;
  const referral = { fromUnit, toUnit: unit.code, referredBy: actor.id ?? actor.kind, referredAt: new Date(), reason: input.reason };
  return applyTransition(ctx, actor, ticket, 'refer', {
    reason: input.reason,
    ...(input.expectedVersion !== undefined ? { expectedVersion: input.expectedVersion } : {}),
    change: { set: { unitCode: unit.code, queue, requiredSkills: [], referral } },
  });
}

/** An agent of the referring office marks the report-back as seen. */
export async function acknowledgeReportBack(ctx: AppContext, actor: Actor, ticketId: string): Promise<Ticket> {
  const ticket = await visibleTicket(ctx, actor, ticketId);
  const referral = ticket.referral;
  if (!referral?.reportedBackAt) throw new AppError('ILLEGAL_TRANSITION', 'There is no report-back to acknowledge.');
  if (!inUnit(actor, referral.fromUnit) && !isSupervisorOf(actor, referral.fromUnit)) throw new AppError('FORBIDDEN');
  if (referral.acknowledgedAt) return ticket;
  const after = await ctx.store.tickets.compareAndSet(ticket._id, { version: ticket.version }, {
    set: { referral: { ...referral, acknowledgedAt: new Date(), acknowledgedBy: actor.id ?? actor.kind } },
  });
  if (!after) throw new AppError('CONFLICT');
  await recordEvent(ctx, after, actor, 'report_back_acknowledged');
  return after;
}

export async function addNote(ctx: AppContext, actor: Actor, ticketId: string, body: string): Promise<Interaction> {
  const ticket = await visibleTicket(ctx, actor, ticketId);
  const note = await ctx.store.interactions.add({
    ticketId: ticket._id,
    kind: 'note',
    direction: 'internal',
    channel: ticket.channel,
    authorKind: 'staff',
    ...(actor.id ? { authorId: actor.id } : {}),
    body,
  });
  await recordEvent(ctx, ticket, actor, 'note_added', { data: { interactionId: note._id.toString() } });
  return note;
}

/**
 * Records a reply to the citizen on the ticket's channel, queued for delivery by that channel's adapter, and
 * counts as the first response for the SLA.
 */
export async function replyToCitizen(ctx: AppContext, actor: Actor, ticketId: string, input: { body: string; subject?: string }): Promise<Interaction> {
  const ticket = await visibleTicket(ctx, actor, ticketId);
  if (!isAssignee(actor, ticket) && !isSupervisorOf(actor, ticket.unitCode) && !inUnit(actor, ticket.referral?.fromUnit)) {
    throw new AppError('FORBIDDEN', 'Only the assigned agent or a supervisor may answer the citizen.');
  }
  if (['anulado', 'cerrado'].includes(ticket.status)) throw new AppError('ILLEGAL_TRANSITION', `A ticket in status "${ticket.status}" cannot be answered.`);
  const channel: Channel = ticket.channel;
  const reply = await ctx.store.interactions.add({
    ticketId: ticket._id,
    kind: channel === 'phone' ? 'sms' : channel === 'email' ? 'email' : 'note',
    direction: 'out',
    channel,
    authorKind: 'staff',
    ...(actor.id ? { authorId: actor.id } : {}),
    ...(input.subject ? { subject: input.subject } : {}),
    body: input.body,
    deliveryStatus: 'queued',
  });
  await recordEvent(ctx, ticket, actor, 'replied', { data: { interactionId: reply._id.toString() } });
  await recordFirstResponse(ctx, ticket._id.toString(), reply.at);
  if (channel === 'email') await requestReplyEmail(ctx, ticket, reply);
  return reply;
}
