import type { Ceilings } from './ceilings.js';
import type { EmailResult } from './email.js';
import type { InsertReport } from './history.js';
import type { KioskResult } from './kiosk.js';
import type { PhaseOutcome } from './phase.js';
import type { PhoneResult } from './phone.js';
import type { ArrivalResult, SustainedSearch } from './pipeline.js';
import type { ProfileSummary } from './profile.js';
import type { StaffReadsResult } from './staff-reads.js';
import type { LatencySummary } from './stats.js';
import type { StoreOperations } from './store-operations.js';
import type { StoreProfileSummary } from './store-profile.js';
import type { TakeNextResult } from './take-next.js';

/*
 * What one history size's run holds, and the cells every table of the report is written with (the main report and
 * the email phase's section share them).
 */

/** Everything measured at one history size. */
export interface HistoryRun {
  /** Closed tickets asked for; `preload.result.inserted` says how many made it before the deadline. */
  history: number;
  database: string;
  /** Services the contacts were filed under, one per unit (routing sends each to its unit's agents). */
  destinations: { unit: string; serviceCode: string }[];
  takeNextUnit: string | null;
  preload: PhaseOutcome<InsertReport>;
  /** Logging in the pipeline's agents (and the counter agent who files the contacts). */
  staffing: PhaseOutcome<{ loggedIn: number }>;
  ceilings: PhaseOutcome<Ceilings>;
  pipeline: PhaseOutcome<ArrivalResult>;
  sustained: PhaseOutcome<SustainedSearch>;
  takeNext: PhaseOutcome<TakeNextResult>;
  /** The phone channel: signed webhooks → TwiML, and agent available → the waiting caller's connect redirect. */
  phone: PhaseOutcome<PhoneResult>;
  /** The counter channel: a kiosk taking turns and counters calling the next one, the hall full. */
  kiosk: PhaseOutcome<KioskResult>;
  /** The email channel: a Dovecot mailbox of varied messages taken in by the system's poller. */
  email: PhaseOutcome<EmailResult>;
  /** What staff read all day (tickets, lists, search, a citizen's cases), 20 people reading while contacts arrive. */
  staffReads: PhaseOutcome<StaffReadsResult>;
  /** Pipeline contacts/s as a percentage of the raw store-insert ceiling, and which rate was used. */
  pipelineShareOfStoreInsert: { percent: number; contactsPerSecond: number; basis: string } | null;
  profile?: ProfileSummary;
  /** The embedded FerretDB's CPU profile over the pipeline's arrivals (`--profile`). */
  storeProfile?: StoreProfileSummary;
  /** Agents logged in over the run (pipeline, take-next, observers). */
  agents: number;
  /** The system stopped within 10 s (otherwise it was still busy with a backlog when its services went). */
  stoppedCleanly: boolean;
  /** A failure outside any phase, which ended this history size early. */
  error?: string;
}

export interface TargetCheck {
  target: string;
  value: string;
  /** null: not measured in this run. */
  met: boolean | null;
}

export const fmt = (n: number | null | undefined, digits = 0): string =>
  n === null || n === undefined ? '—' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export const ms = (n: number | null | undefined): string => (n === null || n === undefined ? '—' : n < 10 ? fmt(n, 1) : fmt(n));

export function latencyCell(l: LatencySummary | undefined, which: 'p50' | 'p95' | 'p99' | 'max'): string {
  if (!l) return '—';
  const v = l[which];
  if (v === null && l.missing > 0) return `> deadline`;
  return ms(v);
}

export function statusNote<T>(o: PhaseOutcome<T>): string {
  return o.status === 'ok' ? '' : ` [${o.status}]`;
}

/** `none`, or the operations that read a whole collection by shape, most frequent first. */
export function scanSummary(scans: readonly StoreOperations['scans'][number][]): string {
  const byShape = new Map<string, number>();
  for (const scan of scans) byShape.set(scan.shape, (byShape.get(scan.shape) ?? 0) + scan.count);
  if (byShape.size === 0) return 'none';
  return [...byShape.entries()].sort((a, b) => b[1] - a[1]).map(([shape, n]) => `${fmt(n)}× ${shape}`).join(', ');
}
