import { extensionNotice } from '../domain/sla-extension.js';
import type { Channel } from '../domain/ticket-types.js';
import { AppError } from '../errors.js';
import type { Interaction } from '../store/interaction.repository.js';
import type { InteractionKind } from '../store/interaction.model.js';
import { onceEventId } from '../store/ticket-sla.repository.js';
import type { Ticket } from '../store/ticket.repository.js';
import { isSupervisorOf, type Actor } from './actor.js';
import type { AppContext } from './context.js';
import { announceTicketEvent } from './realtime.service.js';
import { storeSlaExtension, syncSlaJobs } from './sla.service.js';
import { visibleTicket } from './ticket.service.js';

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

  const text = extensionNotice({
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

  await syncSlaJobs(ctx, id);
  return { ticket: (await ctx.store.tickets.get(id)) ?? extended, notice, created: stored };
}
