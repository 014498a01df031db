/** A ticket's audit trail: every change recorded with who, when, from, to and why, and pushed live as it is recorded. */
export { announceTicketEvent, recordEvent, recordEventOnce, recordEvents, type EventDetails, type EventRecord } from './ticket-events.js';
