/**
 * The email channel's use case: one mail read from a mailbox becomes a new case, joins the case it answers, reopens
 * it, or opens a follow-up; automatic mail is recorded where it belongs and changes nothing.
 */
export { acknowledgeMail, outcomeSummary, takeInEmail, type EmailIntakeDeps, type EmailOutcome } from './email-intake.service.js';
