/**
 * What every use case is handed and shares: the context of the process (its store, queues, live state, clock of the
 * office and channels), who is acting and what they may see, and the deadline a channel's vendor waits for.
 */
export { type AppContext } from './app-context.js';
export { canSeeUnits, isAdmin, isSupervisorOf, type Actor } from './actor.js';
export { calendarOf } from './calendar.js';
export { WEBHOOK_DEADLINE_MS, withinDeadline } from './deadline.js';
export { canSeeTicket, unitsOf, visibleTicket } from './ticket-access.js';
