import type { BusinessCalendar } from './business-calendar.js';
import { atRiskAt, computeDueAt, type PauseInterval, type SlaTarget } from './sla.js';
import { isOpenStatus, isSlaPaused, type TicketStatus } from './ticket-lifecycle.js';
import type { Channel, TicketType } from './ticket-types.js';

/**
 * SLA policies (`config/sla.json`) and the decisions taken on them: which policy a ticket falls under, its due
 * dates, and which delayed checks it still needs. Pure: the SLA service feeds it tickets and a calendar.
 */

/**
 * What a policy applies to. `{}` is the default policy; a policy naming a unit also names a ticket type (the
 * catalogue schema enforces it), so specificity is a strict order: type + unit, then type, then default.
 */
export interface SlaPolicyMatch {
  readonly ticketType?: TicketType;
  readonly unit?: string;
}

/** One SLA policy as validated from `config/sla.json`. */
export interface SlaPolicy {
  readonly id: string;
  readonly match: SlaPolicyMatch;
  /** Target for the first answer to the citizen; absent: no first-response clock for this policy. */
  readonly firstResponse?: SlaTarget;
  /**
   * Per-channel first-response targets that replace `firstResponse`: a caller on the phone or a citizen
   * standing at the counter cannot wait a business day for a first word.
   */
  readonly firstResponseByChannel?: Readonly<Partial<Record<Channel, SlaTarget>>>;
  readonly resolution: SlaTarget;
  /** Share of the resolution time after which supervisors are warned and the ticket's priority raised. */
  readonly atRiskFraction: number;
  /** Whether and how far the resolution term may be extended (prórroga); absent: it may not. */
  readonly extension?: SlaExtensionRule;
}

/** The prórroga a policy allows; see `src/domain/sla-extension.ts` for when it may be granted. */
export interface SlaExtensionRule {
  /** Most business days one extension may add to the resolution term. */
  readonly maxBusinessDays: number;
  /** Business days after the filing day within which the citizen must be told of the extension. */
  readonly noticeWithinBusinessDays: number;
}

function specificity(match: SlaPolicyMatch): number {
  return (match.ticketType !== undefined ? 2 : 0) + (match.unit !== undefined ? 1 : 0);
}

/**
 * The policy for a ticket of `ticketType` held by `unitCode`: the most specific matching one (type + unit over
 * type over the default); between equally specific matches, the first in file order. `undefined` only when no
 * policy matches, which a catalogue with its default policy never allows.
 */
export function selectSlaPolicy<P extends SlaPolicy>(
  policies: readonly P[],
  ticket: { ticketType: TicketType; unitCode: string },
): P | undefined {
  let best: P | undefined;
  let bestScore = -1;
  for (const policy of policies) {
    const { ticketType, unit } = policy.match;
    if (ticketType !== undefined && ticketType !== ticket.ticketType) continue;
    if (unit !== undefined && unit !== ticket.unitCode) continue;
    const score = specificity(policy.match);
    if (score > bestScore) {
      best = policy;
      bestScore = score;
    }
  }
  return best;
}

/** The first-response target of `policy` for a contact on `channel`, if the policy has one. */
export function firstResponseTarget(policy: SlaPolicy, channel: Channel): SlaTarget | undefined {
  return policy.firstResponseByChannel?.[channel] ?? policy.firstResponse;
}

/** Due dates of one SLA cycle; all absent while the clock is paused (they are unknown until it resumes). */
export interface SlaDueDates {
  firstResponseDueAt?: Date;
  resolutionDueAt?: Date;
  atRiskAt?: Date;
}

/** Due dates for a clock started at `startedAt` with these pauses, recomputed from scratch every time. */
export function planSlaDueDates(
  calendar: BusinessCalendar,
  policy: SlaPolicy,
  channel: Channel,
  startedAt: Date,
  pauses: readonly PauseInterval[],
): SlaDueDates {
  const dates: SlaDueDates = {};
  const firstTarget = firstResponseTarget(policy, channel);
  const firstDue = firstTarget ? computeDueAt(calendar, startedAt, firstTarget, pauses) : undefined;
  if (firstDue) dates.firstResponseDueAt = firstDue;
  const resolutionDue = computeDueAt(calendar, startedAt, policy.resolution, pauses);
  if (resolutionDue) {
    dates.resolutionDueAt = resolutionDue;
    dates.atRiskAt = atRiskAt(calendar, startedAt, resolutionDue, policy.atRiskFraction);
  }
  return dates;
}

/** The three delayed checks of a ticket's SLA. */
export const SLA_CHECK_KINDS = ['first_response', 'at_risk', 'resolution'] as const;
export type SlaCheckKind = (typeof SLA_CHECK_KINDS)[number];

/** The part of a ticket's SLA state the checks depend on (structurally the stored `TicketSla`). */
export interface SlaClockState extends SlaDueDates {
  pauses: readonly PauseInterval[];
  firstRespondedAt?: Date;
  atRiskNotifiedAt?: Date;
  firstResponseBreachedAt?: Date;
  breachedAt?: Date;
}

/** The instant a check of `kind` is due, whatever has happened since. */
export function checkDueAt(sla: SlaClockState, kind: SlaCheckKind): Date | undefined {
  switch (kind) {
    case 'first_response':
      return sla.firstResponseDueAt;
    case 'at_risk':
      return sla.atRiskAt;
    case 'resolution':
      return sla.resolutionDueAt;
  }
}

/** When the outcome a check of `kind` records (the warning, the breach) was recorded on the ticket, if it was. */
export function checkOutcomeAt(sla: SlaClockState, kind: SlaCheckKind): Date | undefined {
  switch (kind) {
    case 'first_response':
      return sla.firstResponseBreachedAt;
    case 'at_risk':
      return sla.atRiskNotifiedAt;
    case 'resolution':
      return sla.breachedAt;
  }
}

/** Whether the outcome a check of `kind` records is already on the ticket. */
export function checkOutcomeRecorded(sla: SlaClockState, kind: SlaCheckKind): boolean {
  return checkOutcomeAt(sla, kind) !== undefined;
}

/**
 * Whether a check of `kind` still has something to watch, regardless of the ticket's status: the first
 * response not given yet, no warning after a breach (it would only be noise), nothing recorded twice.
 */
function checkStillNeeded(sla: SlaClockState, kind: SlaCheckKind): boolean {
  if (checkOutcomeRecorded(sla, kind)) return false;
  if (kind === 'first_response') return sla.firstRespondedAt === undefined;
  if (kind === 'at_risk') return sla.breachedAt === undefined;
  return true;
}

/** Whether the clock is running: the case is open and the office is not waiting for the citizen. */
export function isSlaRunning(status: TicketStatus): boolean {
  return isOpenStatus(status) && !isSlaPaused(status);
}

/**
 * The delayed checks a ticket needs right now, each with the instant it is due; a kind left out has no job.
 * A closed or paused ticket needs none.
 */
export function pendingSlaChecks(sla: SlaClockState, status: TicketStatus): Partial<Record<SlaCheckKind, Date>> {
  const pending: Partial<Record<SlaCheckKind, Date>> = {};
  if (!isSlaRunning(status)) return pending;
  for (const kind of SLA_CHECK_KINDS) {
    const due = checkDueAt(sla, kind);
    if (due !== undefined && checkStillNeeded(sla, kind)) pending[kind] = due;
  }
  return pending;
}

/**
 * Whether a check of `kind` scheduled for `dueAt` should record its outcome now. False for a stale job: the
 * ticket closed or paused, the due date moved, the first response arrived, the outcome already recorded.
 */
export function isCheckDue(sla: SlaClockState, status: TicketStatus, kind: SlaCheckKind, dueAt: Date): boolean {
  return isSlaRunning(status) && checkDueAt(sla, kind)?.getTime() === dueAt.getTime() && checkStillNeeded(sla, kind);
}

/**
 * Whether this very check (same kind, same due date) was already recorded: a job that ran before and stopped
 * halfway must finish its notifications rather than treat itself as stale.
 */
export function isCheckRecorded(sla: SlaClockState, kind: SlaCheckKind, dueAt: Date): boolean {
  return checkDueAt(sla, kind)?.getTime() === dueAt.getTime() && checkOutcomeRecorded(sla, kind);
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** `dd/mm/aaaa HH:mm` in local time, as staff in Lima read a date (`utcOffsetMinutes` from the calendar). */
export function formatLocalDateTime(instant: Date, utcOffsetMinutes: number): string {
  const local = new Date(instant.getTime() + utcOffsetMinutes * 60_000);
  return (
    `${pad(local.getUTCDate())}/${pad(local.getUTCMonth() + 1)}/${local.getUTCFullYear()} ` +
    `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}`
  );
}
