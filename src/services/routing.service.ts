import { priorityClassOf, priorityScore } from '../domain/priority.js';
import { routeContact } from '../domain/routing.js';
import { nextStatus } from '../domain/ticket-lifecycle.js';
import type { Actor } from './actor.js';
import type { AppContext } from './context.js';
import { startSla } from './sla.service.js';
import { recordEvent } from './ticket-events.js';

const ROUTER: Actor = { kind: 'system', id: 'router' };

/**
 * Routes a new ticket: the rules in config pick unit, queue and skills; the citizen's standing picks the
 * priority class; the SLA clock starts; the ticket joins the queue and an agent is sought. A ticket still
 * queued when the job runs again gets the steps after the queueing done again; any other that is no longer
 * new (the job ran before) is left alone.
 */
export async function routeTicket(ctx: AppContext, ticketId: string): Promise<'routed' | 'skipped'> {
  const ticket = await ctx.store.tickets.get(ticketId);
  if (!ticket) return 'skipped';
  // An earlier attempt queued it but did not finish the SLA and the agent search (a crash, or a retryable error
  // such as a lost race while the SLA checks were scheduled): finish its work. Both steps are idempotent.
  if (ticket.status === 'en_cola') {
    await afterRouting(ctx, ticketId, ticket.createdAt);
    return 'routed';
  }
  if (ticket.status !== 'nuevo') return 'skipped';
  const step = nextStatus(ticket.status, 'enqueue');
  if (!step.ok) return 'skipped';

  const decision = routeContact({ channel: ticket.channel, hint: ticket.routingHint }, ctx.catalogue);
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
        unitCode: decision.unitCode,
        queue: decision.queue,
        requiredSkills: decision.requiredSkills,
        type: ticket.routingHint.ticketType ?? decision.ticketType ?? ticket.type,
        ...(decision.serviceCode ? { serviceCode: decision.serviceCode } : {}),
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
    data: { rule: decision.ruleId, unit: decision.unitCode, queue: decision.queue, ...(decision.serviceCode ? { service: decision.serviceCode } : {}) },
  });
  // Legal terms run from the filing, not from when the router got to it.
  await afterRouting(ctx, ticketId, ticket.createdAt);
  return 'routed';
}

async function afterRouting(ctx: AppContext, ticketId: string, at: Date): Promise<void> {
  await startSla(ctx, ticketId, at);
  await ctx.queues.enqueue('assign.ticket', { ticketId });
}
