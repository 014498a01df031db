/**
 * The live routing state in Redis as the use cases keep it in step with the store: how a ticket, a turn and a staff
 * member look to routing, rebuilding the state from the store when Redis lost it, and running an operation that finds
 * it gone (rebuild, then once more).
 */
export { followPriority, hallEntryOf, liveAgentOf, routingEntryOf } from './entries.js';
export { arriveLive, holdLive, leaveLive } from './placement.js';
export { ensureLiveState, openTickets, rebuildLiveState, withLive } from './rebuild.service.js';
