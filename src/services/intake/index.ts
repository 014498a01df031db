/**
 * Intake: every contact becomes one ticket, exactly once per channel key. `receiveContact` is the one way in; the
 * citizen is found or created, the ticket numbered, placed by the routing rules, its SLA started and its first
 * interaction recorded, and the router asked to queue it.
 */
export { type IntakeOptions, type IntakeResult } from './intake.service.js';
export { receiveContact, takeInQueuedContact, type QueuedContact } from './receive-contact.service.js';
