/**
 * Tickets as staff work them: the state machine applied as one guarded write with its effects (audit, queue, SLA, the
 * citizen told), referral and report-back, notes, replies, a ticket with its timeline, lists, and what a reconnecting
 * client missed.
 */
export { syncSince } from './sync.service.js';
export { acknowledgeReportBack, addNote, applyTransition, assignTicketToStaff, getTicketDetail, listTickets, referTicket, replyToCitizen, STAFF_ACTIONS, transitionTicket, type StaffAction, type TicketDetail, type TransitionOptions } from './ticket.service.js';
