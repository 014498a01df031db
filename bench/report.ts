import type { BenchOptions } from './args.js';
import type { Ceiling } from './ceilings.js';
import { emailGrowth, emailRows, emailTargets } from './email-report.js';
import { staffReadsGrowth, staffReadsRows, staffReadsTargets } from './staff-reads-report.js';
import type { KioskResult } from './kiosk.js';
import type { ConnectResult, PhoneResult, WebhookKind, WebhookResult } from './phone.js';
import type { ArrivalResult, SustainedSearch } from './pipeline.js';
import { fmt, latencyCell, ms, scanSummary, statusNote, type HistoryRun, type TargetCheck } from './report-cells.js';
import type { LatencySummary } from './stats.js';
import type { StoreOperations } from './store-operations.js';

export interface BenchResults {
  schema: 1;
  label: string;
  startedAt: string;
  finishedAt: string;
  commit: string;
  dirty: boolean;
  options: BenchOptions;
  /** `loadAverage` at the start and the end: a busy machine (another job running) shows here. */
  machine: { cpus: number; cpuModel: string; memoryGb: number; node: string; platform: string; loadAverage: { start: number[]; end: number[] } };
  services: { store: string; redis: string };
  /** The system's warnings and errors are written here (relative to the repository). */
  logFile: string;
  runs: HistoryRun[];
  targets: { atHistory: number | null; checks: TargetCheck[] };
  /** Phases that ended in an error or were abandoned, as `h<history>.<phase>: <note>`. */
  failures: string[];
}

function ceilingCell(c: Ceiling | undefined): string {
  return c ? `${fmt(c.perSecond)}${c.cut ? ' (cut)' : ''}` : '—';
}

/** The pipeline's rate set against the store's raw insert rate. */
export function pipelineShare(run: Pick<HistoryRun, 'ceilings' | 'pipeline' | 'sustained'>): HistoryRun['pipelineShareOfStoreInsert'] {
  const inserts = run.ceilings.result?.storeInsert?.perSecond;
  if (!inserts) return null;
  const sustained = run.sustained.result?.highestSustained;
  const pipeline = run.pipeline.result;
  let rate: number;
  let basis: string;
  if (sustained !== null && sustained !== undefined) {
    rate = sustained;
    basis = 'highest sustained rate';
  } else if (pipeline) {
    rate = pipeline.achieved.assignedPerSecond;
    basis = 'contacts assigned per second in the pipeline phase (no sustained rate found)';
  } else {
    return null;
  }
  return { percent: Math.round((rate / inserts) * 1000) / 10, contactsPerSecond: rate, basis };
}

/** `< 100/s` when the first step fell behind, `≥ 800/s` when none did (the limit lies above), else the rate. */
function sustainedText(s: SustainedSearch): string {
  if (s.steps.length === 0) return '—';
  if (s.highestSustained === null) return `< ${fmt(s.steps[0]?.rate)}/s`;
  return `${s.steps.every((step) => step.passed) ? '≥ ' : ''}${fmt(s.highestSustained)}/s`;
}

const TARGET_HISTORY = 100_000;

/** Issue 9: webhook → TwiML p99 ≤ 50 ms at 50 webhooks/s, agent available → connect redirect p99 ≤ 200 ms. */
const PHONE_TARGETS = { webhookRate: 50, webhookP99Ms: 50, connectP99Ms: 200 };

/** The phone channel's two targets; a latency beyond the deadline (too many failures) misses its target. */
function phoneTargets(phone: PhoneResult | undefined, options: BenchOptions, at: string): TargetCheck[] {
  const hooks = phone?.webhooks;
  const failed = hooks ? Object.values(hooks.errors).reduce((a, b) => a + b, 0) + hooks.unanswered : 0;
  const rateNote = options.phoneRate === PHONE_TARGETS.webhookRate ? '' : ` (the phase ran at ${fmt(options.phoneRate)}/s)`;
  const connect = phone?.connect;
  return [
    {
      target: `p99 signed Twilio webhook → TwiML ≤ ${PHONE_TARGETS.webhookP99Ms} ms at ${PHONE_TARGETS.webhookRate} webhooks/s${at}`,
      value: hooks ? `${hooks.latency.p99 === null ? 'beyond the deadline' : `${ms(hooks.latency.p99)} ms`}, ${fmt(failed)} failed of ${fmt(hooks.planned)}${rateNote}` : 'not measured',
      met: hooks ? hooks.latency.p99 !== null && hooks.latency.p99 <= PHONE_TARGETS.webhookP99Ms && options.phoneRate >= PHONE_TARGETS.webhookRate : null,
    },
    {
      target: `p99 agent available → connect redirect sent to Twilio ≤ ${PHONE_TARGETS.connectP99Ms} ms${at}`,
      value: connect ? `${connect.latency.p99 === null ? 'beyond the deadline' : `${ms(connect.latency.p99)} ms`}, ${fmt(connect.connected)} of ${fmt(connect.agents)} callers put through` : 'not measured',
      met: connect ? connect.latency.p99 !== null && connect.latency.p99 <= PHONE_TARGETS.connectP99Ms && connect.duplicates === 0 : null,
    },
    {
      target: `no store operation reads a whole collection on either phone path (FerretDB v1: any filter but an exact _id)${at}`,
      value: hooks ? scanSummary([...hooks.store.scans, ...(connect?.store.scans ?? [])]) : 'not measured',
      met: hooks ? hooks.store.scans.length === 0 && (connect?.store.scans.length ?? 0) === 0 : null,
    },
  ];
}

/** Issue 11: call-next p99 ≤ 30 ms with 10,000 turns waiting across 20 services; no scan on either path. */
const KIOSK_TARGETS = { callNextP99Ms: 30, waiting: 10_000, services: 20 };

function kioskTargets(kiosk: KioskResult | undefined, at: string): TargetCheck[] {
  const hall = kiosk ? ` with ${fmt(kiosk.waiting)} waiting across ${fmt(kiosk.services)} services` : '';
  return [
    {
      target: `call-next p99 ≤ ${KIOSK_TARGETS.callNextP99Ms} ms with ${fmt(KIOSK_TARGETS.waiting)} turns waiting across ${KIOSK_TARGETS.services} services${at}`,
      value: kiosk ? `${ms(kiosk.callNext.p99)} ms${hall}` : 'not measured',
      met: kiosk && kiosk.callNext.p99 !== null ? kiosk.callNext.p99 <= KIOSK_TARGETS.callNextP99Ms && kiosk.waiting >= KIOSK_TARGETS.waiting && kiosk.services >= KIOSK_TARGETS.services && kiosk.duplicates === 0 : null,
    },
    {
      target: `take-a-turn p99 (reported; the issue sets no figure)${at}`,
      value: kiosk ? `${ms(kiosk.takeTurn.p99)} ms${hall}` : 'not measured',
      met: null,
    },
    {
      target: `no store operation reads a whole collection on take-a-turn or call-next${at}`,
      value: kiosk ? scanSummary([...kiosk.store.takeTurn.scans, ...kiosk.store.callNext.scans]) : 'not measured',
      met: kiosk ? kiosk.store.takeTurn.scans.length === 0 && kiosk.store.callNext.scans.length === 0 : null,
    },
  ];
}

/** The issue's targets, checked at the largest history run (they are stated for 100,000). */
export function checkTargets(runs: readonly HistoryRun[], options: BenchOptions): BenchResults['targets'] {
  const largest = runs.reduce<HistoryRun | undefined>((best, r) => (best === undefined || r.history > best.history ? r : best), undefined);
  const smallest = runs.reduce<HistoryRun | undefined>((best, r) => (best === undefined || r.history < best.history ? r : best), undefined);
  if (!largest) return { atHistory: null, checks: [] };
  const at = largest.history === TARGET_HISTORY ? '' : ` (measured at history ${fmt(largest.history)}; the target is stated at ${fmt(TARGET_HISTORY)})`;
  const checks: TargetCheck[] = [];
  const p99 = largest.pipeline.result?.latency.p99;
  const rateNote = options.rate === 100 ? '' : ` (the phase ran at ${options.rate}/s)`;
  checks.push({
    target: `p99 contact → agent notified ≤ 100 ms at 100 contacts/s${at}`,
    value: p99 === null || p99 === undefined ? 'not measured or beyond the deadline' : `${ms(p99)} ms${rateNote}`,
    met: p99 === undefined ? null : p99 !== null && p99 <= 100 && options.rate >= 100,
  });
  const sustained = largest.sustained.result;
  checks.push({
    target: `≥ 500 contacts/s sustained (p99 < 1 s)${at}`,
    value: sustained ? sustainedText(sustained) : 'not measured',
    met: !sustained || (sustained.steps.length === 0) ? null : (sustained.highestSustained ?? 0) >= 500,
  });
  const share = largest.pipelineShareOfStoreInsert;
  checks.push({
    target: `pipeline ≥ 35 % of the raw store-insert ceiling${at}`,
    value: share ? `${fmt(share.percent, 1)} % (${fmt(share.contactsPerSecond)}/s, ${share.basis})` : 'not measured',
    met: share ? share.percent >= 35 : null,
  });
  const take = largest.takeNext.result;
  checks.push({
    target: `take-next p99 ≤ 30 ms with 10,000 waiting${at}`,
    value: take ? `${ms(take.latency.p99)} ms with ${fmt(take.waiting)} waiting` : 'not measured',
    met: take && take.latency.p99 !== null ? take.latency.p99 <= 30 && take.waiting >= 10_000 : null,
  });
  checks.push(...phoneTargets(largest.phone.result, options, at));
  checks.push(...kioskTargets(largest.kiosk.result, at));
  checks.push(...emailTargets(largest.email.result, options, at));
  checks.push(...staffReadsTargets(largest.staffReads.result, options, at));
  if (smallest && smallest !== largest) {
    const pairs: [string, number | null | undefined, number | null | undefined][] = [
      ['pipeline p50', smallest.pipeline.result?.latency.p50, largest.pipeline.result?.latency.p50],
      ['pipeline p95', smallest.pipeline.result?.latency.p95, largest.pipeline.result?.latency.p95],
      ['pipeline p99', smallest.pipeline.result?.latency.p99, largest.pipeline.result?.latency.p99],
      ['take-next p50', smallest.takeNext.result?.latency.p50, largest.takeNext.result?.latency.p50],
      ['take-next p99', smallest.takeNext.result?.latency.p99, largest.takeNext.result?.latency.p99],
      ['phone webhook p50', smallest.phone.result?.webhooks.latency.p50, largest.phone.result?.webhooks.latency.p50],
      ['phone webhook p99', smallest.phone.result?.webhooks.latency.p99, largest.phone.result?.webhooks.latency.p99],
      ['phone connect p50', smallest.phone.result?.connect?.latency.p50, largest.phone.result?.connect?.latency.p50],
      ['phone connect p99', smallest.phone.result?.connect?.latency.p99, largest.phone.result?.connect?.latency.p99],
      ['take-a-turn p50', smallest.kiosk.result?.takeTurn.p50, largest.kiosk.result?.takeTurn.p50],
      ['take-a-turn p99', smallest.kiosk.result?.takeTurn.p99, largest.kiosk.result?.takeTurn.p99],
      ['call-next p50', smallest.kiosk.result?.callNext.p50, largest.kiosk.result?.callNext.p50],
      ['call-next p99', smallest.kiosk.result?.callNext.p99, largest.kiosk.result?.callNext.p99],
      ...emailGrowth(smallest, largest),
      ...staffReadsGrowth(smallest, largest),
    ];
    for (const [name, small, large] of pairs) {
      const known = typeof small === 'number' && typeof large === 'number' && small > 0;
      checks.push({
        target: `${name} at history ${fmt(largest.history)} within 1.2× of history ${fmt(smallest.history)}`,
        value: known ? `${fmt(large / small, 2)}× (${ms(small)} → ${ms(large)} ms)` : `${ms(small)} → ${large === null ? 'beyond the deadline' : ms(large)} ms`,
        met: known ? large / small <= 1.2 : small !== undefined && large === null ? false : null,
      });
    }
  }
  return { atHistory: largest.history, checks };
}

/** The history's collections in the order a ticket's life fills them; any other after them. */
const PRELOAD_ORDER = ['tickets', 'citizens', 'citizen_identifiers', 'ticket_events', 'interactions'];
const collectionRank = (name: string): number => (PRELOAD_ORDER.includes(name) ? PRELOAD_ORDER.indexOf(name) : PRELOAD_ORDER.length);

/** The results as a table for stdout, one column per history size. */
export function renderTable(results: BenchResults): string {
  const runs = results.runs;
  const rows: [string, ...string[]][] = [];
  const row = (label: string, cell: (r: HistoryRun) => string): void => {
    rows.push([label, ...runs.map(cell)]);
  };
  const section = (label: string): void => {
    rows.push([label, ...runs.map(() => '')]);
  };
  row('history (closed tickets)', (r) => `${fmt(r.preload.result?.inserted ?? 0)}${statusNote(r.preload)}`);
  row('  preload, tickets/s (with all they left)', (r) => fmt(r.preload.result?.perSecond));
  section('  preload, documents (per second of their inserts)');
  const written = [...new Set(runs.flatMap((r) => Object.keys(r.preload.result?.collections ?? {})))].sort((a, b) => collectionRank(a) - collectionRank(b) || a.localeCompare(b));
  for (const name of written) {
    row(`    ${name}`, (r) => {
      const c = r.preload.result?.collections?.[name];
      return c ? `${fmt(c.inserted)} (${fmt(c.perSecond)}/s)` : '—';
    });
  }
  row('    all, per second of the preload', (r) => {
    const d = r.preload.result?.documents;
    return d ? `${fmt(d.inserted)} (${fmt(d.perSecond)}/s)` : '—';
  });
  section('raw ceilings (per second)');
  row('  store inserts (32 at a time)', (r) => ceilingCell(r.ceilings.result?.storeInsert) + statusNote(r.ceilings));
  row('  store: one query for waiting work, ms', (r) => {
    const scan = r.ceilings.result?.storeScan;
    return scan ? `${ms(scan.ms)} (${fmt(scan.documents)} tickets)` : '—';
  });
  row('  BullMQ add+process no-op jobs', (r) => ceilingCell(r.ceilings.result?.bullmq));
  row('  Socket.IO events → 1 client (Redis)', (r) => ceilingCell(r.ceilings.result?.socketViaRedis));
  row('  Socket.IO events → 1 client (direct)', (r) => ceilingCell(r.ceilings.result?.socketDirect));
  const pipe = (r: HistoryRun): ArrivalResult | undefined => r.pipeline.result;
  section(`pipeline, ${fmt(results.options.rate)}/s for ${fmt(results.options.durationSeconds)} s: POST → agent's socket (ms)`);
  row('  p50', (r) => latencyCell(pipe(r)?.latency, 'p50') + statusNote(r.pipeline));
  row('  p95', (r) => latencyCell(pipe(r)?.latency, 'p95'));
  row('  p99', (r) => latencyCell(pipe(r)?.latency, 'p99'));
  row('  max', (r) => latencyCell(pipe(r)?.latency, 'max'));
  row('  agents logged in and available', (r) => `${fmt(r.staffing.result?.loggedIn)}${statusNote(r.staffing)}`);
  row('  seen created / routed / assigned', (r) => {
    const x = pipe(r);
    return x ? `${fmt(x.reached.created)} / ${fmt(x.reached.routed)} / ${fmt(x.reached.assigned)} of ${fmt(x.planned)}` : '—';
  });
  row('  failed / unanswered POSTs', (r) => {
    const x = pipe(r);
    return x ? `${fmt(Object.values(x.errors).reduce((a, b) => a + b, 0))} / ${fmt(x.unanswered)}` : '—';
  });
  row('  queues idle before the first arrival', (r) => {
    const x = pipe(r)?.settled;
    return x ? (x.idle ? `yes (${fmt(x.ms / 1000, 1)} s)` : `no (gave up after ${fmt(x.ms / 1000, 1)} s)`) : '—';
  });
  section('  where the time goes, p50 / p99 (ms)');
  const stage = (name: keyof ArrivalResult['stages']) => (r: HistoryRun): string => {
    const s = pipe(r)?.stages[name];
    return s ? `${ms(s.p50)} / ${ms(s.p99)}` : '—';
  };
  row('    POST answered', stage('post'));
  row('    intake (→ created event)', stage('intake'));
  row('    route (created → routed)', stage('route'));
  row('    assign (routed → assigned)', stage('assign'));
  row('    deliver (assigned → socket)', stage('deliver'));
  row('    harness send lag', stage('sendLag'));
  row('  CPU % of a core: node / store / redis', (r) => {
    const c = pipe(r)?.cpu;
    return c ? `${fmt(c.node)} / ${fmt(c.ferretdb)} / ${fmt(c.redis)}` : '—';
  });
  row('highest sustained rate, p99 < 1 s', (r) => {
    const s = r.sustained.result;
    return (s ? sustainedText(s) : '—') + statusNote(r.sustained);
  });
  row('  steps (p99 ms)', (r) => r.sustained.result?.steps.map((s) => `${fmt(s.rate)}:${s.passed ? '✓' : '✗'}${ms(s.result.latency.p99)}`).join(' ') ?? '—');
  row('pipeline % of store-insert ceiling', (r) => (r.pipelineShareOfStoreInsert ? `${fmt(r.pipelineShareOfStoreInsert.percent, 1)} %` : '—'));
  section('take-next (ms)');
  row('  waiting', (r) => fmt(r.takeNext.result?.waiting) + statusNote(r.takeNext));
  row('  p50', (r) => ms(r.takeNext.result?.latency.p50));
  row('  p99', (r) => ms(r.takeNext.result?.latency.p99));
  row('  max', (r) => ms(r.takeNext.result?.latency.max));
  row('  calls measured', (r) => fmt(r.takeNext.result?.latency.samples));
  const hooks = (r: HistoryRun): WebhookResult | undefined => r.phone.result?.webhooks;
  const connect = (r: HistoryRun): ConnectResult | undefined => r.phone.result?.connect ?? undefined;
  const percentiles = (l: LatencySummary | undefined): string => (l ? `${latencyCell(l, 'p50')} / ${latencyCell(l, 'p95')} / ${latencyCell(l, 'p99')} / ${latencyCell(l, 'max')}` : '—');
  const scans = (store: StoreOperations | undefined): string => (store ? `${fmt(store.scans.reduce((n, x) => n + x.count, 0))} of ${fmt(store.total)}` : '—');
  section(`phone: signed webhooks at ${fmt(results.options.phoneRate)}/s for ${fmt(results.options.phoneSeconds)} s → TwiML (ms)`);
  row('  p50 / p95 / p99 / max', (r) => percentiles(hooks(r)?.latency) + statusNote(r.phone));
  for (const kind of ['incoming', 'menu', 'wait'] as const satisfies readonly WebhookKind[]) {
    row(`    /voice/${kind}: count, p50 / p99`, (r) => {
      const l = hooks(r)?.byPath[kind];
      return l ? `${fmt(l.samples + l.missing)}: ${latencyCell(l, 'p50')} / ${latencyCell(l, 'p99')}` : '—';
    });
  }
  row('  failed / unanswered', (r) => {
    const x = hooks(r);
    return x ? `${fmt(Object.values(x.errors).reduce((a, b) => a + b, 0))} / ${fmt(x.unanswered)} of ${fmt(x.planned)}` : '—';
  });
  row('  calls in / queued through the menu', (r) => (hooks(r) ? `${fmt(hooks(r)?.calls)} / ${fmt(hooks(r)?.queued)}` : '—'));
  row('  harness send lag p99', (r) => ms(hooks(r)?.sendLag.p99));
  row('  CPU % of a core: node / store / redis', (r) => {
    const c = hooks(r)?.cpu;
    return c ? `${fmt(c.node)} / ${fmt(c.ferretdb)} / ${fmt(c.redis)}` : '—';
  });
  row('  store operations reading a whole collection', (r) => scans(hooks(r)?.store));
  section(`phone: agent available → connect redirect at the fake Twilio (ms)`);
  row('  p50 / p95 / p99 / max', (r) => percentiles(connect(r)?.latency) + (r.phone.result?.connectSkipped !== undefined ? ` [${r.phone.result.connectSkipped}]` : ''));
  row('  available → acknowledged p50 / p99', (r) => {
    const l = connect(r)?.acknowledged;
    return l ? `${latencyCell(l, 'p50')} / ${latencyCell(l, 'p99')}` : '—';
  });
  row('  callers put through / agents', (r) => {
    const x = connect(r);
    return x ? `${fmt(x.connected)} / ${fmt(x.agents)}${x.duplicates > 0 ? `, ${fmt(x.duplicates)} twice` : ''}${x.unexpected > 0 ? `, ${fmt(x.unexpected)} unknown` : ''}` : '—';
  });
  row('  store operations reading a whole collection', (r) => scans(connect(r)?.store));
  const kiosk = (r: HistoryRun): KioskResult | undefined => r.kiosk.result;
  section(`counter channel: ${fmt(results.options.kioskWaiting)} turns waiting across the hall's services (ms)`);
  row('  take-a-turn p50 / p95 / p99 / max', (r) => percentiles(kiosk(r)?.takeTurn) + statusNote(r.kiosk));
  row('  call-next p50 / p95 / p99 / max', (r) => percentiles(kiosk(r)?.callNext));
  row('  turns taken / called (measured)', (r) => (kiosk(r) ? `${fmt(kiosk(r)?.takeTurn.samples)} / ${fmt(kiosk(r)?.callNext.samples)}` : '—'));
  row('  services / counters / turns called twice', (r) => (kiosk(r) ? `${fmt(kiosk(r)?.services)} / ${fmt(kiosk(r)?.counters)} / ${fmt(kiosk(r)?.duplicates)}` : '—'));
  row('  CPU % of a core: node / store / redis', (r) => {
    const c = kiosk(r)?.cpu;
    return c ? `${fmt(c.node)} / ${fmt(c.ferretdb)} / ${fmt(c.redis)}` : '—';
  });
  row('  store ops reading a whole collection: take-a-turn', (r) => scans(kiosk(r)?.store.takeTurn));
  row('  store ops reading a whole collection: call-next', (r) => scans(kiosk(r)?.store.callNext));
  emailRows(results.options, row, section);
  staffReadsRows(results.options, row, section);
  row('system stopped within 10 s', (r) => (r.stoppedCleanly ? 'yes' : 'no (busy with a backlog)'));

  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length))) ?? [];
  const header: [string, ...string[]] = ['', ...runs.map((r) => `history ${fmt(r.history)}`)];
  const all = [header, ...rows];
  const colWidths = header.map((_, col) => Math.max(widths[col] ?? 0, ...all.map((r) => (r[col] ?? '').length)));
  const line = (r: readonly string[]): string => r.map((cell, col) => (col === 0 ? cell.padEnd(colWidths[col] ?? 0) : cell.padStart(colWidths[col] ?? 0))).join('   ');
  const out = [
    `Queue at scale — ${results.label}, commit ${results.commit}${results.dirty ? ' (uncommitted changes)' : ''}, ${results.startedAt}`,
    `machine: ${results.machine.cpus} cores (${results.machine.cpuModel}), ${results.machine.memoryGb} GB, node ${results.machine.node}, load average ${results.machine.loadAverage.start.map((l) => fmt(l, 1)).join(' ')} at the start`,
    `store: ${results.services.store}; redis: ${results.services.redis}`,
    '',
    line(header),
    ...rows.map(line),
    '',
  ];
  if (results.targets.checks.length > 0) {
    out.push(`Targets${results.targets.atHistory !== null ? ` (history ${fmt(results.targets.atHistory)})` : ''}:`);
    for (const c of results.targets.checks) out.push(`  ${c.met === null ? ' n/a ' : c.met ? ' met ' : 'MISSED'}  ${c.target}: ${c.value}`);
    out.push('');
  }
  if (results.failures.length > 0) {
    out.push('Phases that failed:');
    for (const f of results.failures) out.push(`  ${f}`);
    out.push('');
  }
  return out.join('\n');
}
