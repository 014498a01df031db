import { priorityScore } from '../../domain/priority.js';
import { decideExtension, extensionNotice, withExtension, type ExtensionDecision, type SlaExtension } from '../../domain/sla-extension.js';
import { formatLocalDateTime, planSlaDueDates } from '../../domain/sla-policy.js';
import type { Channel } from '../../domain/ticket-types.js';
import { AppError, ERROR_REASONS } from '../../errors.js';
import type { InteractionKind } from '../../store/interaction.model.js';
import type { Interaction } from '../../store/interaction.repository.js';
import { onceEventId } from '../../store/ticket-sla.repository.js';
import type { TicketSla } from '../../store/ticket.model.js';
import type { Ticket } from '../../store/ticket.repository.js';
import { requestNoticeEmail } from '../citizen-messages/index.js';
import { calendarOf, isSupervisorOf, visibleTicket, type Actor, type AppContext } from '../context/index.js';
import { announceTicketEvent } from '../timeline/index.js';
import { changeSla, policyFor, syncSlaJobs, type SlaChange, type SlaTicket } from './sla.service.js';

export interface SlaExtensionInput {
  businessDays: number;
  /** Why the term cannot be met; the citizen reads it in the notice. */
  reason: string;
}

export interface SlaExtensionResult {
  ticket: Ticket;
  /** The notice to the citizen, queued for delivery on the ticket's channel. */
  notice: Interaction;
  /** False when this was a retry of the very request that extended the term before. */
  created: boolean;
}

// As replies to the citizen are recorded: the channel's adapter delivers what is queued.
function outboundKind(channel: Channel): InteractionKind {
  if (channel === 'phone') return 'sms';
  if (channel === 'email') return 'email';
  return 'note';
}

/** An extension as asked for; see {@link storeSlaExtension}. */
interface SlaExtensionRequest {
  businessDays: number;
  reason: string;
  /** Staff id of who grants it. */
  by: string;
  at: Date;
  /** Whether an earlier cycle of the ticket was extended (its audit trail says so; the SLA keeps only this cycle). */
  extendedBefore: boolean;
}

type ExtendedTicket = Ticket & { sla: TicketSla & { extension: SlaExtension } };

function isExtended(ticket: Ticket | null): ticket is ExtendedTicket {
  return ticket?.sla?.extension !== undefined;
}

function isSameExtension(extension: SlaExtension | undefined, request: SlaExtensionRequest): boolean {
  return extension?.by === request.by && extension.businessDays === request.businessDays && extension.reason === request.reason;
}

function refusal(ctx: AppContext, decision: ExtensionDecision & { ok: false }): AppError {
  const deadline = decision.noticeDeadline;
  const ended = decision.reason === 'notice_period_over' && deadline ? ` It ended ${formatLocalDateTime(deadline, ctx.catalogue.calendar.utcOffsetMinutes)} (Lima).` : '';
  return new AppError(decision.reason, `${ERROR_REASONS[decision.reason].message}${ended}`, deadline ? { noticeDeadline: deadline.toISOString() } : {});
}

function extend(ctx: AppContext, ticket: SlaTicket, request: SlaExtensionRequest): SlaChange | undefined {
  const { sla } = ticket;
  // This very request was stored before: a retry, which the caller answers with what is on record.
  if (isSameExtension(sla.extension, request)) return undefined;
  const calendar = calendarOf(ctx);
  const policy = policyFor(ctx, ticket, sla.policy);
  const rule = policy.extension;
  const decision = decideExtension(
    calendar,
    { ticketType: ticket.type, status: ticket.status, sla, ...(rule ? { rule } : {}), extendedBefore: request.extendedBefore },
    request.at,
  );
  if (!decision.ok) throw refusal(ctx, decision);
  if (!rule || !sla.resolutionDueAt) throw refusal(ctx, { ok: false, reason: 'not_extendable' });
  if (request.businessDays > rule.maxBusinessDays) {
    throw new AppError('VALIDATION_FAILED', `This request can be extended by at most ${rule.maxBusinessDays} business days.`, {
      fields: [{ path: 'businessDays', message: `must be at most ${rule.maxBusinessDays}` }],
    });
  }
  const due = planSlaDueDates(calendar, withExtension(policy, request), ticket.channel, sla.startedAt, sla.pauses);
  if (!due.resolutionDueAt) throw refusal(ctx, { ok: false, reason: 'not_extendable' });
  const extension: SlaExtension = {
    businessDays: request.businessDays,
    reason: request.reason,
    by: request.by,
    at: request.at,
    previousResolutionDueAt: sla.resolutionDueAt,
    resolutionDueAt: due.resolutionDueAt,
  };
  const { atRiskNotifiedAt, ...rest } = sla;
  // A warning given for the old date would not be repeated for the new one; the warning and its priority lift
  // go, so supervisors hear again when the new date comes near.
  const rewarn = atRiskNotifiedAt !== undefined && due.atRiskAt !== undefined && due.atRiskAt.getTime() > request.at.getTime();
  return {
    sla: {
      ...(rewarn ? rest : sla),
      extension,
      resolutionDueAt: due.resolutionDueAt,
      ...(due.atRiskAt ? { atRiskAt: due.atRiskAt } : {}),
    },
    ...(rewarn ? { priority: { slaAtRisk: false, priorityScore: priorityScore({ priorityClass: ticket.priorityClass, slaAtRisk: false }) } } : {}),
  };
}

/**
 * Extends the resolution term of the ticket's current SLA cycle if the law and its policy allow it at
 * `request.at` (see `decideExtension`): the extension and the moved resolution and at-risk dates are stored in one
 * guarded update. Jobs are left to `syncSlaJobs`, which {@link extendSla} runs once the notice is recorded.
 * Returns the ticket as stored and whether this call stored the extension: false when this very request (same
 * person, days and reason) was stored before, a retry that must finish what an interrupted attempt left undone.
 *
 * @throws AppError ILLEGAL_TRANSITION with `details.reason` one of `EXTENSION_REFUSALS`; VALIDATION_FAILED when
 *   `businessDays` exceeds the policy's maximum.
 */
async function storeSlaExtension(ctx: AppContext, ticketId: string, request: SlaExtensionRequest): Promise<{ ticket: ExtendedTicket; stored: boolean }> {
  const changed = await changeSla(ctx, ticketId, (ticket) => extend(ctx, ticket, request));
  if (changed) {
    if (!isExtended(changed.after)) throw new Error(`ticket ${ticketId} lost its extension on write`);
    return { ticket: changed.after, stored: true };
  }
  const ticket = await ctx.store.tickets.get(ticketId);
  if (isExtended(ticket) && isSameExtension(ticket.sla.extension, request)) return { ticket, stored: false };
  // changeSla found no SLA to extend.
  throw refusal(ctx, { ok: false, reason: 'not_extendable' });
}

/**
 * Prórroga of a request for public information (TUO de la Ley 27806, art. 11; the rule is in
 * `src/domain/sla-extension.ts`): moves the resolution due date by `businessDays`, records who extended it and
 * why in the audit trail, queues the notice the law requires to the citizen, stating the reason and the new date,
 * and replaces the SLA checks. Allowed to the ticket's assignee, a supervisor of its unit or an admin.
 *
 * The extension is stored first, in one guarded update; the event, the notice and the jobs follow and are each
 * written once per extension. A retry of the same request (same person, days and reason) after a failure half-way
 * completes them instead of being refused, so a crash cannot leave an extension the citizen was never told of.
 *
 * @throws AppError NOT_FOUND (ticket not visible), FORBIDDEN, ILLEGAL_TRANSITION with `details.reason`
 *   (`not_extendable`, `clock_paused`, `already_extended`, `notice_period_over`), VALIDATION_FAILED (too many days)
 */
export async function extendSla(ctx: AppContext, actor: Actor, ticketId: string, input: SlaExtensionInput): Promise<SlaExtensionResult> {
  const ticket = await visibleTicket(ctx, actor, ticketId);
  const isAssignee = actor.kind === 'staff' && ticket.assigneeId?.toString() === actor.id;
  if (actor.kind !== 'staff' || !(isAssignee || isSupervisorOf(actor, ticket.unitCode))) {
    throw new AppError('FORBIDDEN', 'Only the assigned agent, a supervisor of the unit or an admin may extend the term.');
  }
  const id = ticket._id.toString();
  const extendedBefore = (await ctx.store.ticketEvents.list(id)).some((event) => event.type === 'sla_extended');
  const { ticket: extended, stored } = await storeSlaExtension(ctx, id, {
    businessDays: input.businessDays,
    reason: input.reason,
    by: actor.id,
    at: new Date(),
    extendedBefore,
  });
  const { extension } = extended.sla;
  const key = extension.at.toISOString();
  // The date set by the extension, not the live one: a retry after a pause must repeat what was decided.
  const newDueAt = extension.resolutionDueAt;

  const eventKey = `sla_extended:${id}:${key}`;
  const appended = await ctx.store.ticketSla.appendEventOnce(
    {
      ticketId: extended._id,
      type: 'sla_extended',
      at: extension.at,
      actor: { kind: 'staff', id: extension.by },
      data: {
        reason: extension.reason,
        businessDays: extension.businessDays,
        previousDueAt: extension.previousResolutionDueAt.toISOString(),
        newDueAt: newDueAt.toISOString(),
        policy: extended.sla.policy,
      },
    },
    eventKey,
    extension.at,
  );
  if (appended) await announceTicketEvent(ctx, extended, { id: onceEventId(eventKey, extension.at).toString(), type: 'sla_extended', at: extension.at });

  const text = extensionNotice(ctx.catalogue.templates, {
    trackingCode: extended.trackingCode,
    dueAt: newDueAt,
    utcOffsetMinutes: ctx.catalogue.calendar.utcOffsetMinutes,
    reason: extension.reason,
  });
  // Not a first response for the SLA: it says when the answer comes, it is not the answer.
  const notice = await ctx.store.interactions.addOnce({
    ticketId: extended._id,
    kind: outboundKind(extended.channel),
    direction: 'out',
    channel: extended.channel,
    authorKind: 'staff',
    authorId: extension.by,
    subject: text.subject,
    body: text.body,
    deliveryStatus: 'queued',
    // The extension's own key, so a retry queues the notice once; the channel has no id for it until it sends it.
    externalId: `sla-extension:${key}`,
    at: extension.at,
  });

  // A case that came by mail is told by mail (once per extension: the job is named by the notice).
  if (extended.channel === 'email') await requestNoticeEmail(ctx, extended, notice);
  await syncSlaJobs(ctx, id);
  return { ticket: (await ctx.store.tickets.get(id)) ?? extended, notice, created: stored };
}
