import { AppError } from '../../errors.js';
import type { Ticket } from '../../store/ticket.repository.js';
import { canSeeUnits, type Actor } from './actor.js';
import type { AppContext } from './app-context.js';

/** Units that may see a ticket: the one holding it and, for a referral, the office that referred it. */
export function unitsOf(ticket: Pick<Ticket, 'unitCode' | 'referral'>): string[] {
  return [ticket.unitCode, ...(ticket.referral ? [ticket.referral.fromUnit] : [])];
}

/** Whether the actor may see this ticket (see {@link canSeeUnits}). */
export function canSeeTicket(actor: Actor, ticket: Pick<Ticket, 'unitCode' | 'referral'>): boolean {
  return canSeeUnits(actor, unitsOf(ticket));
}

/** Loads a ticket the actor may see; anything else is "not found", so ids cannot be probed. */
export async function visibleTicket(ctx: AppContext, actor: Actor, ticketId: string): Promise<Ticket> {
  const ticket = await ctx.store.tickets.get(ticketId);
  if (!ticket || !canSeeTicket(actor, ticket)) throw new AppError('NOT_FOUND', 'No such ticket.');
  return ticket;
}
