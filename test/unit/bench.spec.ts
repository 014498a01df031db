import { expect } from 'chai';
import { parseBenchArgs, UsageError } from '../../bench/args.js';
import type { ArrivalResult } from '../../bench/pipeline.js';
import { checkTargets, type HistoryRun } from '../../bench/report.js';
import { summarize, type LatencySummary } from '../../bench/stats.js';
import { parsePprofTop } from '../../bench/store-profile.js';
import type { TakeNextResult } from '../../bench/take-next.js';

describe('bench: command line', () => {
  it('defaults to the issue\'s run: 1,000 and 100,000 closed tickets, 100/s for 60 s, 10 minutes', () => {
    const options = parseBenchArgs([]);
    expect(options).to.include({ rate: 100, durationSeconds: 60, waiting: 10_000, budgetMinutes: 10, smoke: false });
    expect(options !== 'help' && options.history).to.deep.equal([1_000, 100_000]);
    expect(options !== 'help' && options.steps).to.deep.equal([100, 200, 400, 800]);
  });

  it('makes --smoke a tiny run with no step search, and lets flags override it', () => {
    const options = parseBenchArgs(['--smoke', '--rate', '30']);
    expect(options).to.include({ smoke: true, rate: 30, durationSeconds: 3, waiting: 200, budgetMinutes: 1 });
    expect(options !== 'help' && options.steps).to.deep.equal([]);
  });

  it('sorts history sizes and accepts --steps none', () => {
    const options = parseBenchArgs(['--history', '100000,1000', '--steps', 'none']);
    expect(options !== 'help' && options.history).to.deep.equal([1_000, 100_000]);
    expect(options !== 'help' && options.steps).to.deep.equal([]);
  });

  for (const argv of [['--bogus'], ['--rate', '0'], ['--rate', 'fast'], ['--history', '1000,1000'], ['--history', '-5'], ['extra'], ['--waiting', '10', '--take-next', '20']]) {
    it(`refuses ${argv.join(' ')}`, () => {
      expect(() => parseBenchArgs(argv)).to.throw(UsageError);
    });
  }
});

describe('bench: latency summaries', () => {
  it('gives nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(summarize(values)).to.include({ samples: 100, missing: 0, p50: 50, p95: 95, p99: 99, max: 100 });
  });

  it('counts samples that never completed as slower than any that did', () => {
    const summary = summarize(Array.from({ length: 98 }, () => 10), 2);
    expect(summary.p50).to.equal(10);
    expect(summary.p99).to.equal(null);
    expect(summary.max).to.equal(null);
  });
});

describe('bench: targets', () => {
  const none = summarize([]);
  const arrivals = (latency: LatencySummary): ArrivalResult => ({
    rate: 100,
    seconds: 60,
    planned: 1,
    sent: 1,
    created: 1,
    errors: {},
    unanswered: 0,
    assigned: latency.samples,
    backlog: latency.missing,
    reached: { created: 1, routed: 1, assigned: latency.samples },
    latency,
    stages: { post: none, sendLag: none, intake: none, route: none, assign: none, deliver: none },
    achieved: { sentPerSecond: 100, assignedPerSecond: 100 },
    cpu: {},
    warnings: {},
    settled: { idle: true, ms: 0 },
  });
  const takeNext = (p99: number): TakeNextResult => ({
    unit: 'SGPS',
    waiting: 10_000,
    prepare: { inserted: 10_000, seconds: 1, perSecond: 10_000 },
    latency: summarize([p99]),
    agents: 1,
    errors: {},
    emptied: false,
    cpu: {},
    warnings: {},
  });
  const run = (history: number, p99: number | null, takeNextP99: number): HistoryRun => {
    const latency = summarize(p99 === null ? [] : [p99], p99 === null ? 1 : 0);
    return {
      history,
      database: 'x',
      destinations: [],
      takeNextUnit: null,
      preload: { status: 'ok', seconds: 1 },
      staffing: { status: 'ok', seconds: 1 },
      ceilings: { status: 'ok', seconds: 1 },
      pipeline: { status: 'ok', seconds: 1, result: arrivals(latency) },
      sustained: { status: 'skipped', seconds: 0 },
      takeNext: { status: 'ok', seconds: 1, result: takeNext(takeNextP99) },
      pipelineShareOfStoreInsert: null,
      agents: 0,
      stoppedCleanly: true,
    };
  };

  it('judges at the largest history and compares it with the smallest', () => {
    const options = parseBenchArgs([]);
    if (options === 'help') throw new Error('unexpected');
    const { atHistory, checks } = checkTargets([run(1_000, 50, 20), run(100_000, 80, 25)], options);
    expect(atHistory).to.equal(100_000);
    expect(checks.find((c) => c.target.startsWith('p99 contact'))?.met).to.equal(true);
    expect(checks.find((c) => c.target.startsWith('take-next p99 ≤'))?.met).to.equal(true);
    expect(checks.find((c) => c.target.startsWith('pipeline p99 at history'))?.met).to.equal(false);
    expect(checks.find((c) => c.target.startsWith('take-next p99 at history'))?.met).to.equal(false);
  });

  it('counts a latency beyond the deadline as a missed target, not as unknown', () => {
    const options = parseBenchArgs([]);
    if (options === 'help') throw new Error('unexpected');
    const { checks } = checkTargets([run(1_000, 50, 20), run(100_000, null, 25)], options);
    expect(checks.find((c) => c.target.startsWith('p99 contact'))?.met).to.equal(false);
    expect(checks.find((c) => c.target.startsWith('pipeline p99 at history'))?.met).to.equal(false);
  });
});

describe('bench: the store profile', () => {
  it('reads the table go tool pprof prints, shortening FerretDB\'s package paths', () => {
    const out = [
      'File: ferretdb',
      'Type: cpu',
      'Duration: 8s, Total samples = 9.37s (117.10%)',
      'Showing nodes accounting for 5.33s, 56.88% of 9.37s total',
      '      flat  flat%   sum%        cum   cum%',
      '         0     0%     0%      7.16s 76.41%  github.com/FerretDB/FerretDB/internal/handler.(*Handler).MsgFind',
      '     0.41s  4.38%  9.18%      1.22s 13.02%  encoding/json.(*Decoder).readValue',
      '    1.50ms  0.02%  9.20%     20ms  0.21%  runtime.futex',
    ].join('\n');
    const { rows, busyPercent } = parsePprofTop(out);
    expect(busyPercent).to.equal(117.1);
    expect(rows).to.deep.equal([
      { function: 'handler.(*Handler).MsgFind', flatPercent: 0, cumPercent: 76.41 },
      { function: 'encoding/json.(*Decoder).readValue', flatPercent: 4.38, cumPercent: 13.02 },
      { function: 'runtime.futex', flatPercent: 0.02, cumPercent: 0.21 },
    ]);
  });
});
