import type { BenchOptions } from './args.js';
import { fmt, type HistoryRun, latencyCell, scanSummary, statusNote, type TargetCheck } from './report-cells.js';
import { READ_KINDS, READ_LABELS, type ReadKind, type ReadWindow, type StaffReadsResult } from './staff-reads.js';
import type { StoreOperations } from './store-operations.js';

/** Issue 20: every staff read p99 ≤ 50 ms at 100,000 tickets with their history, 20 reading while 50 contacts/s arrive. */
export const STAFF_READS_P99_MS = 50;

/**
 * Scans that are not the reads' nor the contacts': the periodic repairs of the workers read the open work (every open
 * ticket's `_id`), on their own schedule, whatever else is going on.
 */
const PERIODIC = /workers\/(sla|system)\.worker\.ts/;

export function readScans(store: StoreOperations): StoreOperations['scans'] {
  return store.scans.filter((scan) => !PERIODIC.test(scan.site));
}

function p99Check(window: ReadWindow | undefined, label: string, at: string): TargetCheck {
  if (!window) return { target: `every staff read p99 ≤ ${fmt(STAFF_READS_P99_MS)} ms, ${label}${at}`, value: 'not measured', met: null };
  const measured = READ_KINDS.filter((kind) => window.reads[kind].samples > 0);
  const p99 = (kind: ReadKind): number => window.reads[kind].p99 ?? Infinity;
  const slow = measured.filter((kind) => p99(kind) > STAFF_READS_P99_MS);
  const worst = [...measured].sort((a, b) => p99(b) - p99(a))[0];
  const unmeasured = READ_KINDS.filter((kind) => window.reads[kind].samples === 0);
  return {
    target: `every staff read p99 ≤ ${fmt(STAFF_READS_P99_MS)} ms, ${label}${at}`,
    value:
      (slow.length === 0 ? `all ${fmt(measured.length)} reads; slowest ${worst ?? '—'} ${fmt(worst ? p99(worst) : null, 1)} ms` : `over: ${slow.map((k) => `${k} ${fmt(p99(k), 1)} ms`).join(', ')}`) +
      (unmeasured.length > 0 ? `; not measured: ${unmeasured.join(', ')}` : ''),
    met: slow.length === 0 && unmeasured.length === 0,
  };
}

/** The staff reads' targets at the largest history: every read under the bound alone and under load, no scans. */
export function staffReadsTargets(reads: StaffReadsResult | undefined, options: BenchOptions, at: string): TargetCheck[] {
  const asked = options.readsRate === 50 && options.readers === 20 ? '' : ` (asked: ${fmt(options.readers)} reading, ${fmt(options.readsRate)} contacts/s)`;
  const busy = reads?.busy;
  const scans = busy ? readScans(busy.store) : undefined;
  return [
    p99Check(reads?.quiet, `${fmt(reads?.readers)} people reading${asked}`, at),
    p99Check(busy, `${fmt(reads?.readers)} people reading while ${fmt(busy?.arrivals.perSecond, 1)} contacts/s arrive${asked}`, at),
    {
      target: `while staff read and contacts arrive, no store operation reads a whole collection (the periodic repairs aside)${at}`,
      value: scans ? scanSummary(scans) : 'not measured',
      met: scans ? scans.length === 0 : null,
    },
  ];
}

/** Growth checks: each read's p99 at the largest history against the smallest, the readers alone. */
export function staffReadsGrowth(smallest: HistoryRun, largest: HistoryRun): [string, number | null | undefined, number | null | undefined][] {
  return READ_KINDS.map((kind) => [`staff read ${kind} p99 (readers alone)`, smallest.staffReads.result?.quiet.reads[kind].p99, largest.staffReads.result?.quiet.reads[kind].p99]);
}

/** The staff-reads phase's rows of the results table. */
export function staffReadsRows(options: BenchOptions, row: (label: string, cell: (r: HistoryRun) => string) => void, section: (label: string) => void): void {
  const windows = (r: HistoryRun): [ReadWindow, ReadWindow] | undefined => (r.staffReads.result ? [r.staffReads.result.quiet, r.staffReads.result.busy] : undefined);
  section(`staff reads: ${fmt(options.readers)} people reading alone, then while ${fmt(options.readsRate)} contacts/s arrive (ms: p50 / p99 alone · p50 / p99 busy)`);
  for (const kind of READ_KINDS) {
    row(`  ${READ_LABELS[kind]}`, (r) => {
      const w = windows(r);
      if (!w) return '—';
      const cell = (x: ReadWindow): string => `${latencyCell(x.reads[kind], 'p50')} / ${latencyCell(x.reads[kind], 'p99')}`;
      const failed = w[0].reads[kind].errors + w[1].reads[kind].errors;
      return `${cell(w[0])} · ${cell(w[1])}${failed > 0 ? ` (${fmt(failed)} failed)` : ''}`;
    });
  }
  row('  reads measured (alone · busy), reads/s', (r) => {
    const w = windows(r);
    const count = (x: ReadWindow): number => READ_KINDS.reduce((n, k) => n + x.reads[k].samples, 0);
    return (w ? `${fmt(count(w[0]))} · ${fmt(count(w[1]))}, ${fmt(w[0].readsPerSecond)} · ${fmt(w[1].readsPerSecond)}` : '—') + statusNote(r.staffReads);
  });
  row('  earlier phases\' work finished before reading', (r) => {
    const settled = r.staffReads.result?.settled;
    return settled ? `${settled.idle ? 'yes' : 'no'}, after ${fmt(settled.ms / 1000, 1)} s` : '—';
  });
  row('  contacts filed while reading, per second', (r) => {
    const busy = windows(r)?.[1];
    return busy ? `${fmt(busy.arrivals.perSecond, 1)} (${fmt(busy.arrivals.created)}/${fmt(busy.arrivals.planned)})` : '—';
  });
  row('  CPU % of a core, node / store / redis (alone · busy)', (r) => {
    const w = windows(r);
    const cpu = (x: ReadWindow): string => `${fmt(x.cpu.node)} / ${fmt(x.cpu.ferretdb)} / ${fmt(x.cpu.redis)}`;
    return w ? `${cpu(w[0])} · ${cpu(w[1])}` : '—';
  });
  row('  store operations reading a whole collection (alone · busy)', (r) => {
    const w = windows(r);
    const scans = (x: ReadWindow): string => `${fmt(x.store.scans.reduce((n, s) => n + s.count, 0))} of ${fmt(x.store.total)}`;
    return w ? `${scans(w[0])} · ${scans(w[1])}` : '—';
  });
}

/** What makes the staff-reads phase fail the run: a read or a contact the system answered with an error. */
export function staffReadsFailures(r: Pick<HistoryRun, 'history' | 'staffReads'>): string[] {
  const reads = r.staffReads.result;
  if (!reads) return [];
  const failures: string[] = [];
  const readErrors = Object.entries(reads.errors);
  if (readErrors.length > 0) failures.push(`h${String(r.history)}.staff-reads: ${readErrors.map(([what, n]) => `${fmt(n)}× ${what}`).join(', ')}`);
  const filed = Object.entries(reads.busy.arrivals.errors);
  if (filed.length > 0) failures.push(`h${String(r.history)}.staff-reads: contacts refused: ${filed.map(([what, n]) => `${fmt(n)}× ${what}`).join(', ')}`);
  return failures;
}
