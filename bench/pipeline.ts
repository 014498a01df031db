import type { Catalogue } from '../src/config/catalogue.js';
import { routeContact } from '../src/domain/routing.js';
import type { QueueName } from '../src/queues/jobs.js';
import type { AgentPool, EventTracker } from './agents.js';
import { CpuMeter, type CpuShare } from './cpu.js';
import { HttpClient, stringAt } from './http.js';
import { pause, type PhaseContext } from './phase.js';
import { nowMs, perSecond, seededRandom, summarize, type LatencySummary } from './stats.js';
import type { SystemUnderTest, WarningSource } from './system-under-test.js';

/** A service whose manual contacts routing sends to `unit` with no skill required. */
export interface Destination {
  unit: string;
  serviceCode: string;
  /** What the counter agent types as the subject: the service's name. */
  subject: string;
}

/** How many units the arrivals are spread over: a municipality's contacts go to many units, not one. */
const PIPELINE_UNITS = 6;

/** p99 a step of the sustained-rate search must stay under. */
export const SUSTAINED_P99_MS = 1_000;

/**
 * Destinations for the pipeline (one service per unit, several units) and a separate unit for take-next, all
 * decided by the real routing rules, so the harness follows `config/` rather than hard-coding unit codes.
 */
export function chooseDestinations(catalogue: Catalogue): { pipeline: Destination[]; takeNextUnit: string } {
  const office = catalogue.attentionOffice.code;
  const byUnit = new Map<string, Destination>();
  for (const service of catalogue.services) {
    if (!service.channels.includes('manual')) continue;
    const decision = routeContact({ channel: 'manual', hint: { serviceCode: service.code } }, catalogue);
    if (decision.unitCode === office || decision.requiredSkills.length > 0 || byUnit.has(decision.unitCode)) continue;
    byUnit.set(decision.unitCode, { unit: decision.unitCode, serviceCode: service.code, subject: service.name.slice(0, 300) });
  }
  const all = [...byUnit.values()];
  const takeNext = all.pop();
  if (takeNext === undefined || all.length === 0) throw new Error('config has too few units reachable by a manual contact');
  return { pipeline: all.slice(0, PIPELINE_UNITS), takeNextUnit: takeNext.unit };
}

/** Milliseconds between stages of one contact; see {@link ArrivalResult.stages}. */
export interface StageTimings {
  // Each stage summarises the contacts that completed it; `reached` says how many did.
  /** Scheduled arrival → HTTP answer of the POST. */
  post: LatencySummary;
  /** Scheduled arrival → request actually written (the harness's own lag; should stay near 0). */
  sendLag: LatencySummary;
  /** Scheduled arrival → `created` event stamped by the server (HTTP + intake). */
  intake: LatencySummary;
  /** `created` → `routed`, server stamps (route queue wait + routing + its store writes). */
  route: LatencySummary;
  /** `routed` → `assigned`, server stamps (SLA start, assign queue wait, claim). */
  assign: LatencySummary;
  /** `assigned` stamped → received by the agent's socket (publish through Redis, adapter, socket). */
  deliver: LatencySummary;
}

export interface ArrivalResult {
  rate: number;
  seconds: number;
  planned: number;
  sent: number;
  /** POSTs answered 201. */
  created: number;
  /** Failed POSTs by HTTP status or error message. */
  errors: Record<string, number>;
  /** POSTs still without an answer when the phase ended. */
  unanswered: number;
  /** Contacts whose `assigned` event reached their agent's socket. */
  assigned: number;
  /** Contacts created but not assigned when the phase ended: a backlog the system had not worked off. */
  backlog: number;
  /** Contacts whose `created`, `routed` and `assigned` events were seen: where the unassigned ones stopped. */
  reached: { created: number; routed: number; assigned: number };
  /** POST scheduled → `assigned` received by the agent's socket; failed or unassigned contacts count as missing. */
  latency: LatencySummary;
  stages: StageTimings;
  achieved: { sentPerSecond: number; assignedPerSecond: number };
  /** Percent of one core used by this process (harness + system) and each embedded service. */
  cpu: CpuShare;
  /** Warnings the system logged meanwhile, by message. */
  warnings: Record<string, number>;
  /** Whether the system's queues were idle before the first arrival, and how long that took to happen. */
  settled: { idle: boolean; ms: number };
}

interface Contact {
  scheduled: number;
  sent?: number;
  answered?: number;
  ticketId?: string;
  error?: string;
}

export interface ArrivalPlan {
  rate: number;
  seconds: number;
  /** How long to wait after the last arrival for assignments still under way. */
  drainMs: number;
  /** At most this long is spent waiting for idle queues before the first arrival. */
  settleMs: number;
  destinations: readonly Destination[];
  label: string;
}

/** Citizens arrive again: DNIs come from a fixed pool, as returning residents do. */
const CITIZEN_POOL = 5_000;

/**
 * Open-loop arrivals through the public API: contact i is POSTed at start + i/rate whatever happened to the
 * earlier ones (no waiting on answers), over a keep-alive pool, by a counter agent of the office. Each is then
 * followed until its `assigned` event reaches the socket of the agent it went to. Latencies are measured from
 * the scheduled instant, so a harness or server that falls behind cannot hide it.
 */
export async function runArrivals(
  sut: SystemUnderTest,
  poster: { token: string },
  tracker: EventTracker,
  services: { cpu: CpuMeter; tally: WarningSource },
  plan: ArrivalPlan,
  p: PhaseContext,
): Promise<{ result: ArrivalResult; timedOut: boolean }> {
  const interval = 1000 / plan.rate;
  const planned = Math.max(1, Math.round(plan.rate * plan.seconds));
  const contacts: Contact[] = [];
  const random = seededRandom(plan.rate * 1_000 + plan.seconds);
  const dnis = Array.from({ length: CITIZEN_POOL }, () => String(10_000_000 + Math.floor(random() * 89_999_999)));
  const errors: Record<string, number> = {};
  const fail = (contact: Contact, reason: string): void => {
    contact.error = reason;
    errors[reason] = (errors[reason] ?? 0) + 1;
  };
  const settled = await settle(sut, Math.min(plan.settleMs, p.deadline - nowMs() - plan.seconds * 1000 - plan.drainMs), p.signal);
  services.tally.take();
  const cpuFrom = await services.cpu.snapshot();
  // Its own connection pool: requests still hanging when the phase ends must not hold sockets later phases need.
  const http = new HttpClient(sut.url, 128);
  const start = nowMs() + 20;
  let inFlight = 0;

  const fire = (i: number): void => {
    const destination = plan.destinations[i % plan.destinations.length];
    if (destination === undefined) return;
    const contact: Contact = { scheduled: start + i * interval };
    contacts.push(contact);
    const dni = dnis[Math.floor(random() * dnis.length)] ?? '10000000';
    contact.sent = nowMs();
    inFlight++;
    http
      .request('POST', '/api/v1/tickets', {
        token: poster.token,
        json: {
          subject: destination.subject,
          description: `Registrado en ventanilla (${plan.label}, contacto ${i + 1}).`,
          serviceCode: destination.serviceCode,
          citizen: { dni },
        },
      })
      .then(
        (answer) => {
          contact.answered = nowMs();
          const id = stringAt(answer.body, 'ticket', '_id');
          if (answer.status === 201 && id !== undefined) contact.ticketId = id;
          else fail(contact, `HTTP ${answer.status} ${stringAt(answer.body, 'error', 'code') ?? ''}`.trim());
        },
        (err: unknown) => {
          contact.answered = nowMs();
          fail(contact, err instanceof Error ? err.message : String(err));
        },
      )
      .finally(() => {
        inFlight--;
      });
  };

  const assignedNow = (): number => contacts.reduce((n, c) => n + (c.ticketId !== undefined && tracker.get(c.ticketId)?.assigned ? 1 : 0), 0);
  let lastReport = 0;
  const report = (phase: string): void => {
    const now = nowMs();
    if (now - lastReport < 500) return;
    lastReport = now;
    p.progress.status(`${plan.label}: ${phase} sent ${contacts.length}/${planned}, answered ${contacts.filter((c) => c.answered).length}, assigned ${assignedNow()}`);
  };

  let i = 0;
  while (i < planned && !p.signal.aborted) {
    const now = nowMs();
    while (i < planned && start + i * interval <= now) fire(i++);
    report('sending');
    if (i < planned) await pause(start + i * interval - nowMs(), p.signal);
  }
  const drainUntil = Math.min(start + planned * interval + plan.drainMs, p.deadline);
  while (nowMs() < drainUntil && !p.signal.aborted) {
    if (inFlight === 0 && contacts.every((c) => c.error !== undefined || (c.ticketId !== undefined && tracker.get(c.ticketId)?.assigned))) break;
    report('draining');
    await pause(50, p.signal);
  }
  const cpuTo = await services.cpu.snapshot();
  const result = { ...summarizeArrivals(plan, planned, contacts, { ...errors }, tracker, CpuMeter.share(cpuFrom, cpuTo), services.tally.take()), settled };
  http.close();
  return { result, timedOut: contacts.length < planned };
}

/** At most this long is spent waiting for the system to be idle before the pipeline's arrivals start. */
export const SETTLE_MS = 20_000;

/**
 * Waits until no job is waiting or running in `queueNames` (by default those the pipeline goes through: agents who
 * just became available trigger a search for work, for instance), so arrivals meet a system at rest. Bounded.
 */
export async function settle(
  sut: SystemUnderTest,
  withinMs: number,
  signal: AbortSignal,
  queueNames: readonly QueueName[] = ['route', 'assign', 'realtime'],
): Promise<{ idle: boolean; ms: number }> {
  const started = nowMs();
  const queues = queueNames.map((name) => sut.system.ctx.queues.queue(name));
  let quiet = 0;
  while (nowMs() - started < withinMs && !signal.aborted) {
    const counts = await Promise.all(queues.map((q) => q.getJobCounts('waiting', 'active', 'prioritized')));
    quiet = counts.every((c) => Object.values(c).every((n) => n === 0)) ? quiet + 1 : 0;
    if (quiet >= 3) return { idle: true, ms: Math.round(nowMs() - started) };
    await pause(100, signal);
  }
  return { idle: false, ms: Math.round(nowMs() - started) };
}

function summarizeArrivals(
  plan: ArrivalPlan,
  planned: number,
  contacts: readonly Contact[],
  errors: Record<string, number>,
  tracker: EventTracker,
  cpu: CpuShare,
  warnings: Record<string, number>,
): Omit<ArrivalResult, 'settled'> {
  const latency: number[] = [];
  const stage = { post: [] as number[], sendLag: [] as number[], intake: [] as number[], route: [] as number[], assign: [] as number[], deliver: [] as number[] };
  let assigned = 0;
  let created = 0;
  const reached = { created: 0, routed: 0, assigned: 0 };
  let lastAssigned = 0;
  for (const c of contacts) {
    if (c.sent !== undefined) stage.sendLag.push(c.sent - c.scheduled);
    if (c.answered !== undefined && c.error === undefined) stage.post.push(c.answered - c.scheduled);
    if (c.ticketId === undefined) continue;
    created++;
    const seen = tracker.get(c.ticketId);
    if (seen?.created) reached.created++;
    if (seen?.routed) reached.routed++;
    if (seen?.created) stage.intake.push(seen.created.at - c.scheduled);
    if (seen?.created && seen.routed) stage.route.push(seen.routed.at - seen.created.at);
    if (seen?.routed && seen.assigned) stage.assign.push(seen.assigned.at - seen.routed.at);
    if (seen?.assigned) {
      stage.deliver.push(seen.assigned.recv - seen.assigned.at);
      latency.push(seen.assigned.recv - c.scheduled);
      lastAssigned = Math.max(lastAssigned, seen.assigned.recv);
      assigned++;
    }
  }
  const first = contacts[0]?.scheduled ?? 0;
  const lastSent = contacts.reduce((m, c) => Math.max(m, c.sent ?? 0), first);
  return {
    rate: plan.rate,
    seconds: plan.seconds,
    planned,
    sent: contacts.length,
    created,
    errors,
    unanswered: contacts.filter((c) => c.answered === undefined).length,
    assigned,
    backlog: created - assigned,
    reached: { ...reached, assigned },
    latency: summarize(latency, planned - assigned),
    stages: {
      post: summarize(stage.post, contacts.length - stage.post.length),
      sendLag: summarize(stage.sendLag),
      intake: summarize(stage.intake),
      route: summarize(stage.route),
      assign: summarize(stage.assign),
      deliver: summarize(stage.deliver),
    },
    achieved: { sentPerSecond: perSecond(contacts.length, lastSent - first), assignedPerSecond: perSecond(assigned, lastAssigned - first) },
    cpu,
    warnings,
  };
}

export interface StepResult {
  rate: number;
  passed: boolean;
  result: ArrivalResult;
}

export interface SustainedSearch {
  steps: StepResult[];
  /** Highest step rate whose p99 stayed under {@link SUSTAINED_P99_MS} with no error; null if none did. */
  highestSustained: number | null;
  /** Why the search stopped before its last step, if it did. */
  stoppedBecause?: string;
}

/** Did a run of arrivals keep up: nothing failed, nothing left waiting, and p99 under the bar. */
export function keptUp(result: ArrivalResult): boolean {
  return Object.keys(result.errors).length === 0 && result.unanswered === 0 && result.latency.p99 !== null && result.latency.p99 <= SUSTAINED_P99_MS;
}

/**
 * The highest sustained rate: short runs at rising rates, stopping at the first that does not keep up (a failed
 * step leaves a backlog that would spoil any later one).
 */
export async function searchSustainedRate(
  sut: SystemUnderTest,
  pool: AgentPool,
  poster: { token: string },
  services: { cpu: CpuMeter; tally: WarningSource },
  steps: readonly number[],
  stepSeconds: number,
  destinations: readonly Destination[],
  label: string,
  p: PhaseContext,
): Promise<{ result: SustainedSearch; timedOut: boolean }> {
  const search: SustainedSearch = { steps: [], highestSustained: null };
  const drainMs = 5_000;
  const settleMs = 5_000;
  for (const rate of steps) {
    const needMs = stepSeconds * 1000 + drainMs + settleMs;
    if (p.deadline - nowMs() < needMs || p.signal.aborted) {
      search.stoppedBecause = `no time left for ${rate}/s`;
      return { result: search, timedOut: true };
    }
    await pool.ensureRoom(
      destinations.map((d) => d.unit),
      rate * stepSeconds,
      (text) => {
        p.progress.status(`${label} ${rate}/s: ${text}`);
      },
      p.signal,
    );
    const { result } = await runArrivals(sut, poster, pool.tracker, services, { rate, seconds: stepSeconds, drainMs, settleMs, destinations, label: `${label} ${rate}/s` }, p);
    const passed = keptUp(result);
    search.steps.push({ rate, passed, result });
    p.progress.line(`${label} ${rate}/s: ${passed ? 'kept up' : 'fell behind'} (p99 ${result.latency.p99 ?? '—'} ms, ${result.assigned}/${result.planned} assigned)`);
    if (!passed) {
      search.stoppedBecause = `${rate}/s did not keep up`;
      break;
    }
    search.highestSustained = rate;
  }
  return { result: search, timedOut: false };
}
