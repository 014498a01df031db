import type { BenchOptions } from './args.js';
import type { EmailResult, EmailStages } from './email.js';
import { fmt, type HistoryRun, latencyCell, ms, scanSummary, statusNote, type TargetCheck } from './report-cells.js';

/** Issue 10: ≥ 50 messages/s from a Dovecot mailbox of 2,000 varied messages into tickets, threading by `_id` only. */
export const EMAIL_TARGETS = { messages: 2_000, perSecond: 50 };

/** The email channel's targets; a mailbox not taken in whole by the deadline misses the rate. */
export function emailTargets(email: EmailResult | undefined, options: BenchOptions, at: string): TargetCheck[] {
  const sizeNote = options.emailMessages === EMAIL_TARGETS.messages ? '' : ` (the mailbox held ${fmt(options.emailMessages)})`;
  return [
    {
      target: `≥ ${fmt(EMAIL_TARGETS.perSecond)} messages/s taken in from a Dovecot mailbox of ${fmt(EMAIL_TARGETS.messages)} varied messages into tickets${at}`,
      value: email ? `${fmt(email.perSecond, 1)}/s, ${fmt(email.takenIn)} of ${fmt(email.messages)} taken in${email.setAside > 0 ? `, ${fmt(email.setAside)} set aside` : ''}${sizeNote}` : 'not measured',
      met: email ? email.complete && email.setAside === 0 && email.perSecond >= EMAIL_TARGETS.perSecond && options.emailMessages >= EMAIL_TARGETS.messages : null,
    },
    {
      target: `while mail is taken in, no store operation reads a whole collection (threading by Message-ID and code are _id reads)${at}`,
      value: email ? scanSummary(email.store.scans) : 'not measured',
      met: email ? email.store.scans.length === 0 : null,
    },
  ];
}

/** Growth checks of the email phase: the cost of one message at the largest history against the smallest. */
export function emailGrowth(smallest: HistoryRun, largest: HistoryRun): [string, number | null | undefined, number | null | undefined][] {
  return [
    ['email per message p50', smallest.email.result?.perMessage.p50, largest.email.result?.perMessage.p50],
    ['email per message p99', smallest.email.result?.perMessage.p99, largest.email.result?.perMessage.p99],
  ];
}

/** What the mail became, in the table's order. */
const OUTCOME_ORDER = ['created', 'joined', 'reopened', 'follow_up', 'resumed', 'bounce', 'ignored'] as const;

/** The email phase's rows of the results table. */
export function emailRows(options: BenchOptions, row: (label: string, cell: (r: HistoryRun) => string) => void, section: (label: string) => void): void {
  const email = (r: HistoryRun): EmailResult | undefined => r.email.result;
  section(`email: a Dovecot mailbox of ${fmt(options.emailMessages)} messages → tickets (poller start → last UID recorded)`);
  row('  messages/s (taken in / in the mailbox)', (r) => {
    const x = email(r);
    return (x ? `${fmt(x.perSecond, 1)} (${fmt(x.takenIn)} / ${fmt(x.messages)} in ${fmt(x.seconds, 1)} s)` : '—') + statusNote(r.email);
  });
  row('  per message p50 / p95 / p99 / max, ms', (r) => {
    const l = email(r)?.perMessage;
    return l ? `${latencyCell(l, 'p50')} / ${latencyCell(l, 'p95')} / ${latencyCell(l, 'p99')} / ${latencyCell(l, 'max')}` : '—';
  });
  section('  where the time goes, p50 / p99 (ms)');
  const stage = (name: keyof EmailStages) => (r: HistoryRun): string => {
    const l = email(r)?.stages[name];
    return l ? `${ms(l.p50)} / ${ms(l.p99)}` : '—';
  };
  row('    fetch and parse (per message)', stage('read'));
  row('    use-case: threading, store, ack requested (per message)', stage('useCase'));
  row('    moved to the processed folder (per batch)', stage('move'));
  row('    reading state recorded (per batch)', stage('record'));
  row('  batches (one FETCH, MOVE and state write each)', (r) => {
    const x = email(r);
    return x ? `${fmt(x.batches)} (${fmt(x.batches > 0 ? x.takenIn / x.batches : 0, 1)} messages each)` : '—';
  });
  row('  created / joined / reopened / follow-up / resumed / bounce / ignored', (r) => {
    const x = email(r);
    return x ? OUTCOME_ORDER.map((kind) => fmt(x.outcomes[kind] ?? 0)).join(' / ') : '—';
  });
  row('  became what they should', (r) => {
    const x = email(r);
    if (!x) return '—';
    const wrong = Object.entries(x.mismatches).map(([what, n]) => `${fmt(n)}× ${what}`);
    return `${fmt(x.asPlanned)} of ${fmt(x.messages)}${wrong.length > 0 ? ` (${wrong.join(', ')})` : ''}`;
  });
  row('  refused (retried) / set aside', (r) => {
    const x = email(r);
    return x ? `${fmt(Object.values(x.refused).reduce((a, b) => a + b, 0))} / ${fmt(x.setAside)}` : '—';
  });
  row('  acknowledgements sent at the end / later / asked', (r) => {
    const a = email(r)?.acknowledgements;
    return a ? `${fmt(a.atEnd)} / ${fmt(a.sent)}${a.drainSeconds !== null ? ` (+${fmt(a.drainSeconds, 1)} s)` : ''} / ${fmt(a.expected)}` : '—';
  });
  row('  CPU % of a core: node / store / redis', (r) => {
    const c = email(r)?.cpu;
    return c ? `${fmt(c.node)} / ${fmt(c.ferretdb)} / ${fmt(c.redis)}` : '—';
  });
  row('  store operations per message', (r) => fmt(email(r)?.storeOperationsPerMessage, 1));
  row('  store operations reading a whole collection', (r) => {
    const store = email(r)?.store;
    return store ? `${fmt(store.scans.reduce((n, x) => n + x.count, 0))} of ${fmt(store.total)}` : '—';
  });
  row('  earlier mail (cold poller), msg/s', (r) => {
    const x = email(r)?.earlier;
    return x ? `${fmt(x.perSecond, 1)} (${fmt(x.messages)})` : '—';
  });
}

/**
 * What makes the email phase fail the run: mail the core refused for good (set aside), and mail that became something
 * else than it is (a reply that opened a new case, a bounce that did not find its case). Mail not read by the deadline
 * is slowness, which the table reports; in the smoke run, not a single mail taken in is a failure.
 */
export function emailFailures(r: Pick<HistoryRun, 'history' | 'email'>, smoke: boolean): string[] {
  const email = r.email.result;
  if (!email) return [];
  const failures: string[] = [];
  if (email.setAside > 0) failures.push(`h${String(r.history)}.email: ${fmt(email.setAside)} mails set aside (the core refused them; see the log)`);
  const wrong = Object.entries(email.mismatches).filter(([what]) => !what.endsWith('→ missing'));
  if (wrong.length > 0) failures.push(`h${String(r.history)}.email: mail that did not become what it is: ${wrong.map(([what, n]) => `${fmt(n)}× ${what}`).join(', ')}`);
  if (smoke && email.takenIn === 0) failures.push(`h${String(r.history)}.email: no mail was taken in`);
  return failures;
}
