/**
 * Tickets as staff work them: the state machine applied as one guarded write with its effects (audit, queue, SLA, the
 * citizen told), referral and report-back, notes, replies; what staff read all day (a ticket with its timeline, a unit's lists, what waits and what is mine,
 * search, a citizen's cases) a page at a time from indexes; and what a reconnecting client missed.
 */
export { syncSince } from './sync.service.js';
export { acknowledgeReportBack, addNote, applyTransition, assignTicketToStaff, referTicket, replyToCitizen, STAFF_ACTIONS, transitionTicket, type StaffAction, type TransitionOptions } from './ticket.service.js';
export {
  citizenCases,
  getCitizenCases,
  getTicketDetail,
  getTicketTimeline,
  listTickets,
  myTickets,
  searchTickets,
  waitingTickets,
  type SearchAnswer,
  type TicketDetail,
  type TicketListQuery,
  type TicketPage,
  type Timeline,
  type TimelineItem,
  type WaitingTicket,
} from './reads.service.js';
