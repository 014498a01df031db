import type { BusinessCalendar } from './business-calendar.js';
import { renderMessage, type MessageTemplates, type RenderedMessage } from './message-templates.js';
import { computeDueAt } from './sla.js';
import { formatLocalDateTime, type SlaExtensionRule, type SlaPolicy } from './sla-policy.js';
import { isOpenStatus, isSlaPaused, type TicketStatus } from './ticket-lifecycle.js';
import type { TicketType } from './ticket-types.js';

/**
 * Extension ("prórroga") of the term to answer a request for public information: TUO de la Ley 27806
 * (D.S. 021-2019-JUS), art. 11. The entity answers within 10 business days (lit. b); when that is materially
 * impossible it may, once ("por única vez"), set a later date, telling the requester with reasons within two
 * business days of receiving the request (lit. g). The law fixes no ceiling for the new date; the policy's
 * `extension.maxBusinessDays` in `config/sla.json` is the office's own.
 *
 * The notice window as implemented, and why:
 * - "Receiving the request" is the start of the SLA clock, `sla.startedAt`: intake starts it at the ticket's
 *   creation, the moment the contact reached the office, not when a worker got to it.
 * - Days are counted as every term in days (TUO de la Ley 27444, arts. 144-145): the filing day is not counted,
 *   day 1 is the next business day, weekends and the holidays of the calendar are skipped. A filing on a
 *   weekend or holiday also has the next business day as day 1.
 * - The window ends when the office closes (end of the last opening window) on the 2nd business day: the same
 *   instant at which every other term in days falls due in this system (`computeDueAt`).
 * So a request filed on a Friday, with the following Tuesday and Wednesday holidays, may be extended until
 * Thursday's closing time. Other readings (until midnight of that day; a weekend filing deemed received on
 * Monday, so counted from Tuesday) end later, never earlier: a notice on time under this one is on time under
 * all of them, which is the side an office must err on.
 * The instant checked is when the office records the extension and queues the notice to the citizen.
 */

/** Ticket types with a legal basis for extending the term: only requests under Ley 27806. */
export const EXTENDABLE_TICKET_TYPES: readonly TicketType[] = ['acceso_informacion'];

/** Why an extension is refused; clients match on it (`details.reason` of an ILLEGAL_TRANSITION). */
export const EXTENSION_REFUSALS = ['not_extendable', 'clock_paused', 'already_extended', 'notice_period_over'] as const;
export type ExtensionRefusal = (typeof EXTENSION_REFUSALS)[number];

/** An extension granted, as kept on the ticket's SLA state. */
export interface SlaExtension {
  businessDays: number;
  reason: string;
  /** Staff id of who granted it. */
  by: string;
  at: Date;
  /** The resolution due date the extension replaced. */
  previousResolutionDueAt: Date;
  /** The due date it set, as the citizen was told (a later pause may move the live one further). */
  resolutionDueAt: Date;
}

/** What the decision looks at. */
export interface ExtensionCandidate {
  ticketType: TicketType;
  status: TicketStatus;
  /** The ticket's SLA; absent when its clock never started. */
  sla?: { startedAt: Date; extension?: SlaExtension };
  /** The `extension` of the ticket's SLA policy; absent when the policy allows none. */
  rule?: SlaExtensionRule;
  /**
   * Whether an earlier SLA cycle of the ticket (before a reopen restarted the clock) was extended: the law allows
   * one extension per request, and a reopen does not make it a new one.
   */
  extendedBefore: boolean;
}

export type ExtensionDecision = { ok: true; noticeDeadline: Date } | { ok: false; reason: ExtensionRefusal; noticeDeadline?: Date };

/** The last instant at which the citizen may be told of an extension of a clock started at `startedAt`. */
export function extensionNoticeDeadline(calendar: BusinessCalendar, startedAt: Date, rule: SlaExtensionRule): Date {
  const deadline = computeDueAt(calendar, startedAt, { unit: 'business_days', value: rule.noticeWithinBusinessDays });
  // computeDueAt is undefined only while a pause is open, and none is passed: the window ignores pauses, because
  // the law counts it from the filing whatever happened since.
  if (!deadline) throw new Error('notice deadline without pauses cannot be undefined');
  return deadline;
}

/**
 * Whether the ticket's resolution term may be extended at `now`. The refusals are checked from the most to the
 * least permanent: a request that can never be extended says so, rather than that its clock is paused.
 * A paused clock is refused because the new due date, which the citizen must be told, is unknown until it resumes.
 */
export function decideExtension(calendar: BusinessCalendar, candidate: ExtensionCandidate, now: Date): ExtensionDecision {
  const { sla, rule } = candidate;
  if (!EXTENDABLE_TICKET_TYPES.includes(candidate.ticketType) || !rule || !sla || !isOpenStatus(candidate.status)) {
    return { ok: false, reason: 'not_extendable' };
  }
  if (sla.extension !== undefined || candidate.extendedBefore) return { ok: false, reason: 'already_extended' };
  const noticeDeadline = extensionNoticeDeadline(calendar, sla.startedAt, rule);
  if (now.getTime() > noticeDeadline.getTime()) return { ok: false, reason: 'notice_period_over', noticeDeadline };
  if (isSlaPaused(candidate.status)) return { ok: false, reason: 'clock_paused', noticeDeadline };
  return { ok: true, noticeDeadline };
}

/**
 * The policy with the extension's business days added to its resolution target, so due dates stay a pure function
 * of start, pauses and policy (they are recomputed from scratch whenever a pause closes). The catalogue allows an
 * extension only on a policy whose resolution is in business days.
 */
export function withExtension(policy: SlaPolicy, extension: Pick<SlaExtension, 'businessDays'> | undefined): SlaPolicy {
  if (!extension || policy.resolution.unit !== 'business_days') return policy;
  return { ...policy, resolution: { unit: 'business_days', value: policy.resolution.value + extension.businessDays } };
}

/** `dd/mm/aaaa` in local time, as a date is written for people in Peru (`utcOffsetMinutes` from the calendar). */
export function formatLocalDate(instant: Date, utcOffsetMinutes: number): string {
  return formatLocalDateTime(instant, utcOffsetMinutes).slice(0, 10);
}

/**
 * The notice that tells the citizen of the extension: template `sla.extension_notice` (es-PE) with the reason and the
 * new date, as the law asks. The reason, typed by staff, is ended with a full stop if it has no final punctuation.
 */
export function extensionNotice(
  templates: MessageTemplates,
  input: { trackingCode: string; dueAt: Date; utcOffsetMinutes: number; reason: string },
): RenderedMessage {
  return renderMessage(templates, 'sla.extension_notice', {
    trackingCode: input.trackingCode,
    dueDate: formatLocalDate(input.dueAt, input.utcOffsetMinutes),
    reason: /[.!?]$/.test(input.reason) ? input.reason : `${input.reason}.`,
  });
}
