import type { AppContext } from '../src/services/context.js';
import type { AgentPool, HarnessAgent } from './agents.js';
import { CpuMeter, type CpuShare } from './cpu.js';
import { insertWaiting, type InsertReport, type ReservedCodes } from './history.js';
import { stringAt } from './http.js';
import type { PhaseContext } from './phase.js';
import { nowMs, summarize, type LatencySummary } from './stats.js';
import type { LogTally, SystemUnderTest } from './system-under-test.js';

/** An agent in manual mode may hold this many per channel: the most the staff schema allows. */
const TAKE_NEXT_CAPACITY = { phone: 100, email: 100, kiosk: 100, manual: 100 };

/** Calls made before measuring, so the first samples do not time module warm-up. */
const WARM_UP = 3;

/**
 * Puts `count` tickets in `unit`'s queue, waiting, with no agent of the unit available: the queue take-next
 * serves from. The tickets are written straight into the store (the history shortcut).
 *
 * TODO(issue 8): when routing state lives in Redis, tickets written straight into the store are invisible to it
 * until it is rebuilt: call `await rebuildLiveState(ctx)` here, once the lead's rewrite provides it. This is
 * the one place the harness loads waiting work behind the system's back.
 */
export async function prepareWaiting(ctx: AppContext, unit: string, codes: ReservedCodes, onProgress: (done: number) => void, signal: AbortSignal): Promise<InsertReport> {
  return insertWaiting(ctx, unit, codes, onProgress, signal);
}

export interface TakeNextResult {
  unit: string;
  waiting: number;
  prepare: InsertReport;
  /** POST /api/v1/tickets/take-next → answer, per ticket taken. */
  latency: LatencySummary;
  /** Agents used: each holds at most its capacity, then the next one takes over. */
  agents: number;
  errors: Record<string, number>;
  /** The queue ran dry before the planned samples. */
  emptied: boolean;
  cpu: CpuShare;
  warnings: Record<string, number>;
}

/**
 * One agent in manual mode (no automatic assignment) asks for the next ticket again and again through the
 * public API; each answer is timed. When the agent is full on every channel another one takes over.
 */
export async function measureTakeNext(
  sut: SystemUnderTest,
  pool: AgentPool,
  services: { cpu: CpuMeter; tally: LogTally },
  unit: string,
  plan: { codes: ReservedCodes; samples: number },
  p: PhaseContext,
): Promise<{ result: TakeNextResult; timedOut: boolean; note?: string }> {
  const prepare = await prepareWaiting(
    sut.system.ctx,
    unit,
    plan.codes,
    (done) => {
      p.progress.status(`take-next: ${done}/${plan.codes.count} tickets waiting`);
    },
    p.signal,
  );
  services.tally.take();
  const cpuFrom = await services.cpu.snapshot();
  const recruit = (): Promise<HarnessAgent> => pool.recruit({ units: [unit], autoAssign: false, capacity: TAKE_NEXT_CAPACITY, presence: 'available' });
  let agent = await recruit();
  let agents = 1;
  const samples: number[] = [];
  const errors: Record<string, number> = {};
  let emptied = false;
  let calls = 0;
  while (samples.length < plan.samples && !p.signal.aborted) {
    const started = nowMs();
    const answer = await sut.http.request('POST', '/api/v1/tickets/take-next', { token: agent.token, json: {}, signal: p.signal }).catch((err: unknown) => {
      if (p.signal.aborted) return undefined;
      throw err;
    });
    if (answer === undefined) break;
    const elapsed = nowMs() - started;
    calls++;
    if (answer.status === 200) {
      if (calls > WARM_UP) samples.push(elapsed);
    } else if (answer.status === 204) {
      emptied = true;
      break;
    } else if (answer.status === 409 && stringAt(answer.body, 'error', 'details', 'reason') === 'at_capacity') {
      agent = await recruit();
      agents++;
    } else {
      const key = `HTTP ${answer.status} ${stringAt(answer.body, 'error', 'code') ?? ''}`.trim();
      errors[key] = (errors[key] ?? 0) + 1;
      if (Object.values(errors).reduce((a, b) => a + b, 0) > 20) break;
    }
    if (samples.length % 10 === 0) p.progress.status(`take-next: ${samples.length}/${plan.samples} taken`);
  }
  const cpuTo = await services.cpu.snapshot();
  return {
    result: {
      unit,
      waiting: prepare.inserted,
      prepare,
      latency: summarize(samples),
      agents,
      errors,
      emptied,
      cpu: CpuMeter.share(cpuFrom, cpuTo),
      warnings: services.tally.take(),
    },
    timedOut: samples.length < plan.samples && !emptied,
    ...(samples.length < plan.samples && !emptied ? { note: `reached ${samples.length} of ${plan.samples} calls` } : {}),
  };
}
