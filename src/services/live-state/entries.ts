import { hallQueueOf } from '../../domain/counter-turns.js';
import { priorityScore } from '../../domain/priority.js';
import { takesWork } from '../../domain/staff.js';
import { isOpenStatus } from '../../domain/ticket-lifecycle.js';
import type { RoutingEntry } from '../../live/live-script.js';
import type { LiveAgent } from '../../live/routing-state.repository.js';
import type { StaffDoc } from '../../store/staff.model.js';
import type { Ticket } from '../../store/ticket.repository.js';
import type { AppContext } from '../context/index.js';

/** A ticket as routing sees it: where it waits, what it needs, its rank and its arrival. */
export function routingEntryOf(ticket: Ticket): RoutingEntry {
  return {
    ticketId: ticket._id.toString(),
    unitCode: ticket.unitCode,
    queue: ticket.queue,
    channel: ticket.channel,
    requiredSkills: ticket.requiredSkills,
    priorityScore: ticket.priorityScore,
    enqueuedAt: ticket.enqueuedAt ?? ticket.createdAt,
  };
}

/**
 * A turn of the counter hall as routing sees it: ranked by its class alone, never lifted by an SLA at risk, so no turn
 * is called before a legal preferential one (Ley 28683) that waits.
 */
export function hallEntryOf(ticket: Ticket): RoutingEntry {
  return { ...routingEntryOf(ticket), priorityScore: priorityScore({ priorityClass: ticket.priorityClass, slaAtRisk: false }) };
}

/** A staff member as routing sees them. */
export function liveAgentOf(staff: StaffDoc): LiveAgent {
  return {
    staffId: staff._id.toString(),
    presence: staff.presence,
    autoAssign: staff.autoAssign,
    takesWork: !staff.disabled && takesWork(staff.roles),
    units: staff.units,
    skills: staff.skills,
    capacity: staff.capacity,
  };
}

/**
 * The SLA raised or reset a ticket's rank: the agents' queue re-orders it (it keeps its arrival time). A turn of the
 * hall keeps its place by class (see {@link hallEntryOf}); either way the unit's figures count it at risk or not.
 */
export async function followPriority(ctx: AppContext, ticket: Ticket): Promise<void> {
  if (hallQueueOf(ticket.turn) === undefined) await ctx.live.routing.setPriority(routingEntryOf(ticket));
  await ctx.live.setAtRisk(ticket.unitCode, ticket._id.toString(), ticket.slaAtRisk && isOpenStatus(ticket.status));
}
