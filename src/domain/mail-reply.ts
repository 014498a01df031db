import { isOpenStatus, type TicketStatus } from './ticket-lifecycle.js';

/*
 * What a mail that belongs to an existing case does to it. A citizen's answer is never a new case while the case
 * is alive; once it was resolved, a short answer ("gracias", "no, sigue igual") soon after belongs to it and, if the
 * citizen disagrees, the case reopens; months later the same thread is a new matter, taken as a new case that names
 * the old one, so the office's figures do not count a resolved case as open for months.
 */

/** What the mail does to the case it threads to. */
export type ReplyEffect =
  /** Added to the case, nothing else changes: the case is open, or the mail was automatic. */
  | 'join'
  /** Added, and the case waiting for the citizen (`esperando_vecino`) goes back to work (`citizen_replied`). */
  | 'resume'
  /** Added, and the resolved or closed case reopens (`reopen`): the citizen answered within the window. */
  | 'reopen'
  /** A new case that names this one: the case was resolved longer ago than the window, or annulled. */
  | 'follow_up';

export interface ReplyContext {
  status: TicketStatus;
  /** When it was resolved (resolved and closed cases). */
  resolvedAt?: Date;
  /** Since when the case waits for the citizen (the open pause of its SLA clock), when it does. */
  waitingSince?: Date;
  /** When the mail reached the mailbox. */
  receivedAt: Date;
  /** Calendar days after the resolution in which an answer reopens the case. */
  reopenWindowDays: number;
  /** An out-of-office reply or a bounce: it is recorded on the case and changes nothing. */
  automatic: boolean;
}

const DAY_MS = 86_400_000;

/**
 * Decides what a threaded mail does. A mail received before the case was resolved, or before it started waiting
 * for the citizen, was written about the earlier state and only joins: it does not undo what staff did after it
 * arrived (and a mail read again after a crash cannot reopen a case twice).
 */
export function replyEffect(context: ReplyContext): ReplyEffect {
  const { status, receivedAt } = context;
  if (context.automatic) return 'join';
  if (status === 'anulado') return 'follow_up';
  if (isOpenStatus(status)) {
    if (status !== 'esperando_vecino') return 'join';
    return context.waitingSince === undefined || receivedAt >= context.waitingSince ? 'resume' : 'join';
  }
  const resolvedAt = context.resolvedAt;
  if (resolvedAt === undefined) return 'follow_up';
  if (receivedAt < resolvedAt) return 'join';
  return receivedAt.getTime() - resolvedAt.getTime() <= context.reopenWindowDays * DAY_MS ? 'reopen' : 'follow_up';
}
