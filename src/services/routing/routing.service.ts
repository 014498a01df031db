import { priorityClassOf, priorityScore } from '../../domain/priority.js';
import { routeContact } from '../../domain/routing.js';
import { nextStatus, WAITING_STATUSES } from '../../domain/ticket-lifecycle.js';
import type { Channel, TicketType } from '../../domain/ticket-types.js';
import type { RoutingHint } from '../../store/ticket.model.js';
import type { Ticket } from '../../store/ticket.repository.js';
import { queueTicket } from '../assignment/index.js';
import type { Actor, AppContext } from '../context/index.js';
import { scheduleNewSlaChecks, startSla } from '../sla/index.js';
import { recordEvent } from '../timeline/index.js';

const ROUTER: Actor = { kind: 'system', id: 'router' };

/** Where the routing rules put a contact, and what it is. */
export interface Placement {
  /** The ticket fields it decides. */
  fields: Pick<Ticket, 'unitCode' | 'queue' | 'requiredSkills' | 'type' | 'serviceCode'>;
  /** The rule that decided (see `routeContact`), for the audit trail. */
  ruleId: string;
}

/**
 * Places a contact by the rules in config: unit, queue and skills, and its type: the one the channel stated, else
 * the one the rule or service gives, else `fallbackType`. Pure: the same contact and catalogue give the same
 * placement, at intake or later.
 */
export function placeContact(ctx: AppContext, channel: Channel, hint: RoutingHint, fallbackType: TicketType): Placement {
  const decision = routeContact({ channel, hint }, ctx.catalogue);
  return {
    fields: {
      unitCode: decision.unitCode,
      queue: decision.queue,
      requiredSkills: decision.requiredSkills,
      type: hint.ticketType ?? decision.ticketType ?? fallbackType,
      ...(decision.serviceCode ? { serviceCode: decision.serviceCode } : {}),
    },
    ruleId: decision.ruleId,
  };
}

/**
 * The route job: a ticket intake has stored queued gets its SLA checks scheduled and joins the live queue, where
 * an agent with room takes it at once (see `queueTicket`). Two reads of the store at most, whatever its history.
 * A ticket stored new (before intake placed tickets, or by an older version) is routed here first: the citizen's
 * standing picks the priority class, the rules place it if intake did not, and its SLA starts from its creation.
 * A ticket no longer waiting (the job ran before, or someone took or closed it) is left alone.
 */
export async function routeTicket(ctx: AppContext, ticketId: string): Promise<'routed' | 'skipped'> {
  const found = await ctx.store.tickets.get(ticketId);
  if (!found) return 'skipped';
  const ticket = found.status === 'nuevo' ? await enqueueNew(ctx, found) : found;
  if (!ticket || !WAITING_STATUSES.includes(ticket.status)) return 'skipped';
  if (ticket.sla === undefined) {
    // Legal terms run from the filing, not from when the router got to it.
    await startSla(ctx, ticketId, ticket.createdAt);
  } else {
    await scheduleNewSlaChecks(ctx, ticket);
  }
  await queueTicket(ctx, ticket);
  return 'routed';
}

/** A ticket stored as `nuevo` joins its queue: what intake does for every ticket since it places them. */
async function enqueueNew(ctx: AppContext, ticket: Ticket): Promise<Ticket | null> {
  const step = nextStatus(ticket.status, 'enqueue');
  if (!step.ok) return null;
  const placement = ticket.sla === undefined ? placeContact(ctx, ticket.channel, ticket.routingHint, ticket.type) : undefined;
  const citizen = ticket.citizenId ? await ctx.store.citizens.get(ticket.citizenId.toString()) : null;
  const priorityClass =
    ticket.priorityClass === 'preferential'
      ? 'preferential'
      : priorityClassOf({ preferential: citizen?.preferential ?? false, vpp: citizen?.vpp ?? false });
  const routed = await ctx.store.tickets.compareAndSet(
    ticket._id,
    { version: ticket.version, status: 'nuevo' },
    {
      set: {
        status: step.to,
        ...placement?.fields,
        priorityClass,
        priorityScore: priorityScore({ priorityClass, slaAtRisk: false }),
        enqueuedAt: new Date(),
      },
    },
  );
  if (!routed) return null;
  await recordEvent(ctx, routed, ROUTER, 'routed', {
    from: 'nuevo',
    to: step.to,
    data: {
      ...(placement ? { rule: placement.ruleId } : {}),
      unit: routed.unitCode,
      queue: routed.queue,
      ...(routed.serviceCode ? { service: routed.serviceCode } : {}),
    },
  });
  return routed;
}
