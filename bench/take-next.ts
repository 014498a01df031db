import type { AppContext } from '../src/services/context/index.js';
import { rebuildLiveState } from '../src/services/live-state/index.js';
import type { TicketDoc } from '../src/store/ticket.model.js';
import type { AgentPool, HarnessAgent } from './agents.js';
import { CpuMeter, type CpuShare } from './cpu.js';
import { insertWaiting, type InsertReport, type ReservedCodes, type WaitingReport } from './history.js';
import { stringAt } from './http.js';
import { pause, type PhaseContext } from './phase.js';
import { nowMs, summarize, type LatencySummary } from './stats.js';
import type { SystemUnderTest, WarningSource } from './system-under-test.js';

/** An agent in manual mode may hold this many per channel: the most the staff schema allows. */
const TAKE_NEXT_CAPACITY = { phone: 100, email: 100, kiosk: 100, manual: 100 };

/** Calls made before measuring, so the first samples do not time module warm-up. */
const WARM_UP = 3;

/*
 * Tickets written straight into the store (or removed from it) are unknown to the live routing state until it
 * is rebuilt from the store, so both functions below end with a rebuild. They are the one place the harness
 * changes waiting work behind the system's back.
 */

/**
 * Puts `codes.count` tickets in `unit`'s queue, waiting, with no agent of the unit available: the queue
 * take-next serves from. The tickets are written straight into the store (the history shortcut).
 */
export async function prepareWaiting(...args: Parameters<typeof insertWaiting>): Promise<WaitingReport> {
  const [ctx] = args;
  const report = await insertWaiting(...args);
  await rebuildLiveState(ctx);
  return report;
}

/**
 * Removes the tickets `prepareWaiting` wrote that are still waiting, so later phases see the history and nothing
 * else. One `_id` operation per ticket, 16 at a time: on FerretDB v1 any other filter (`$in` included) reads the
 * whole collection and tests every document against it, which with 100,000 tickets and 10,000 ids kept the store
 * busy for minutes, well into the pipeline phase that followed.
 */
export async function clearWaiting(ctx: AppContext, ids: readonly TicketDoc['_id'][]): Promise<number> {
  const { Ticket, OpenTicket } = ctx.store.models;
  let deleted = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ids.length) {
      const id = ids[next++];
      if ((await Ticket.findById(id, { status: 1 }).lean())?.status !== 'en_cola') continue;
      deleted += (await Ticket.deleteOne({ _id: id })).deletedCount;
      await OpenTicket.deleteOne({ _id: id });
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  await rebuildLiveState(ctx);
  return deleted;
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

interface Taken {
  samples: number[];
  errors: Record<string, number>;
  emptied: boolean;
  agents: number;
}

/** The loop of take-next calls; a new agent takes over whenever the current one is full. */
async function takeRepeatedly(sut: SystemUnderTest, recruit: () => Promise<HarnessAgent>, wanted: number, p: PhaseContext): Promise<Taken> {
  const taken: Taken = { samples: [], errors: {}, emptied: false, agents: 1 };
  let agent = await recruit().catch((err: unknown) => {
    if (p.signal.aborted) return undefined;
    throw err;
  });
  if (agent === undefined) return { ...taken, agents: 0 };
  let calls = 0;
  let failures = 0;
  while (taken.samples.length < wanted && !p.signal.aborted && failures <= 20) {
    const started = nowMs();
    const answer = await sut.http.request('POST', '/api/v1/tickets/take-next', { token: agent.token, json: {}, signal: p.signal }).catch((err: unknown) => {
      if (p.signal.aborted) return undefined;
      throw err;
    });
    if (answer === undefined) break;
    const elapsed = nowMs() - started;
    calls++;
    if (answer.status === 200) {
      if (calls > WARM_UP) taken.samples.push(elapsed);
    } else if (answer.status === 204) {
      taken.emptied = true;
      break;
    } else if (answer.status === 409 && stringAt(answer.body, 'error', 'details', 'reason') === 'at_capacity') {
      const next = await recruit().catch((err: unknown) => {
        if (p.signal.aborted) return undefined;
        throw err;
      });
      if (next === undefined) break;
      agent = next;
      taken.agents++;
    } else {
      const key = `HTTP ${answer.status} ${stringAt(answer.body, 'error', 'code') ?? ''}`.trim();
      taken.errors[key] = (taken.errors[key] ?? 0) + 1;
      failures++;
    }
    if (taken.samples.length % 10 === 0) p.progress.status(`take-next: ${taken.samples.length}/${wanted} taken`);
  }
  return taken;
}

/**
 * One agent in manual mode (no automatic assignment) asks for the next ticket again and again through the
 * public API; each answer is timed. When the agent is full on every channel another one takes over. The
 * agents leave and the tickets still waiting are removed at the end, whatever happened.
 */
export async function measureTakeNext(
  sut: SystemUnderTest,
  pool: AgentPool,
  services: { cpu: CpuMeter; tally: WarningSource },
  unit: string,
  plan: { codes: ReservedCodes; samples: number },
  p: PhaseContext,
): Promise<{ result: TakeNextResult; timedOut: boolean; note?: string }> {
  const ctx = sut.system.ctx;
  let waitingIds: TicketDoc['_id'][] = [];
  try {
    const prepare = await prepareWaiting(ctx, unit, plan.codes, (done) => { p.progress.status(`take-next: ${done}/${plan.codes.count} tickets waiting`); }, p.signal);
    waitingIds = prepare.ids;
    services.tally.take();
    const cpuFrom = await services.cpu.snapshot();
    const recruit = (): Promise<HarnessAgent> => pool.recruit({ units: [unit], autoAssign: false, capacity: TAKE_NEXT_CAPACITY, presence: 'available', signal: p.signal });
    const taken = await takeRepeatedly(sut, recruit, plan.samples, p);
    const cpuTo = await services.cpu.snapshot();
    const short = taken.samples.length < plan.samples && !taken.emptied;
    return {
      result: {
        unit,
        waiting: prepare.inserted,
        prepare: { inserted: prepare.inserted, seconds: prepare.seconds, perSecond: prepare.perSecond },
        latency: summarize(taken.samples),
        agents: taken.agents,
        errors: taken.errors,
        emptied: taken.emptied,
        cpu: CpuMeter.share(cpuFrom, cpuTo),
        warnings: services.tally.take(),
      },
      timedOut: short,
      ...(short ? { note: `reached ${taken.samples.length} of ${plan.samples} calls` } : {}),
    };
  } finally {
    // Bounded: a system this slow is reported by the phase; the harness does not wait on it.
    const cleanup = Promise.all([...pool.active([unit]).map((a) => pool.retire(a)), clearWaiting(ctx, waitingIds)]).catch(() => undefined);
    await Promise.race([cleanup, pause(30_000)]);
  }
}
