import { priorityClassOf, priorityScore } from '../domain/priority.js';
import { routeContact } from '../domain/routing.js';
import { nextStatus, WAITING_STATUSES } from '../domain/ticket-lifecycle.js';
import type { Channel, TicketType } from '../domain/ticket-types.js';
import type { RoutingHint } from '../store/ticket.model.js';
import type { Ticket } from '../store/ticket.repository.js';
import type { Actor } from './actor.js';
import { queueTicket } from './assignment.service.js';
import type { AppContext } from './context.js';
import { startSla } from './sla.service.js';
import { recordEvent } from './ticket-events.js';

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
 * Routes a new ticket into its queue: the citizen's standing picks the priority class, the SLA checks are
 * scheduled, the ticket joins the queue and an agent is sought. Intake has already placed the ticket (unit, queue,
 * type) and started its SLA, and its answer told the citizen so; that placement stands, even if the routing table
 * changed since. A ticket that intake did not place (stored before intake placed tickets) is placed here, by the
 * same rules, and its SLA started from its creation. A ticket that is no longer new (the job ran before) is left
 * alone.
 */
export async function routeTicket(ctx: AppContext, ticketId: string): Promise<'routed' | 'skipped'> {
  const ticket = await ctx.store.tickets.get(ticketId);
  if (!ticket) return 'skipped';
  // An earlier attempt queued it but stopped before the SLA checks and the agent search: finish its work.
  if (ticket.status === 'en_cola') {
    await afterRouting(ctx, ticketId, ticket.createdAt);
    return 'routed';
  }
  if (ticket.status !== 'nuevo') return 'skipped';
  const step = nextStatus(ticket.status, 'enqueue');
  if (!step.ok) return 'skipped';

  const placement = ticket.sla === undefined ? placeContact(ctx, ticket.channel, ticket.routingHint, ticket.type) : undefined;
  const citizen = ticket.citizenId ? await ctx.store.citizens.get(ticket.citizenId.toString()) : null;
  const priorityClass =
    ticket.priorityClass === 'preferential'
      ? 'preferential'
      : priorityClassOf({ preferential: citizen?.preferential ?? false, vpp: citizen?.vpp ?? false });
  const now = new Date();
  const routed = await ctx.store.tickets.compareAndSet(
    ticket._id,
    { version: ticket.version, status: 'nuevo' },
    {
      set: {
        status: step.to,
        ...placement?.fields,
        priorityClass,
        priorityScore: priorityScore({ priorityClass, slaAtRisk: false }),
        enqueuedAt: now,
      },
    },
  );
  if (!routed) return 'skipped';
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
  // Legal terms run from the filing, not from when the router got to it.
  await afterRouting(ctx, ticketId, ticket.createdAt);
  return 'routed';
}

async function afterRouting(ctx: AppContext, ticketId: string, at: Date): Promise<void> {
  // startSla answers the ticket it read, so routing does not read it a third time.
  const ticket = await startSla(ctx, ticketId, at);
  // Straight into the live queue: an agent with room gets it within this job, no second hop.
  if (WAITING_STATUSES.includes(ticket.status)) await queueTicket(ctx, ticket);
}
