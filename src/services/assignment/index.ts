/**
 * Assignment: tickets to agents on the live routing state. A claim (the best waiting ticket for an agent with room, or
 * the best agent for a new ticket) is one atomic Lua script; the store write that follows is by `_id`, guarded and
 * idempotent; the reconcile settles claims whose worker died. Agents take next, supervisors hand tickets over, and a
 * ticket leaving its agent or its queue frees the agent's room, which is filled again.
 */
export { assignTicket, assignTo, completeClaim, drainAgent, followTicket, heldTickets, queueTicket, returnToQueue, syncAgent, takeNext } from './assignment.service.js';
export { reconcileLiveState, settleLiveState, STALE_CLAIM_MS, type ReconcileReport } from './reconcile.service.js';
