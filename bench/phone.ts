import { randomBytes } from 'node:crypto';
import twilio from 'twilio';
import type { Catalogue } from '../src/config/catalogue.js';
import { ivrChoicePaths } from '../src/domain/ivr.js';
import { routeContact } from '../src/domain/routing.js';
import type { PerChannel } from '../src/store/staff.model.js';
import type { TicketDoc } from '../src/store/ticket.model.js';
import { ticketIdFor } from '../src/store/ticket.repository.js';
import { startFakeTwilio, type FakeTwilio, type TwilioRequest } from '../test/support/fake-twilio.js';
import type { AgentPool, HarnessAgent } from './agents.js';
import { CpuMeter, type CpuShare } from './cpu.js';
import { HttpClient } from './http.js';
import { pause, TooSlow, type PhaseContext, type PhaseReturn } from './phase.js';
import { settle } from './pipeline.js';
import { nowMs, seededRandom, summarize, weighted, type LatencySummary } from './stats.js';
import { watchStoreOperations, type StoreOperations } from './store-operations.js';
import { REPO_ROOT, type SystemUnderTest, type WarningSource } from './system-under-test.js';
import { clearWaiting } from './take-next.js';

/*
 * The phone channel's two hot paths, with the history in the store: Twilio's signed voice webhooks answered with
 * TwiML (Twilio gives up on a webhook after 15 s), and a waiting caller put through when an agent becomes available
 * (the core claims the call in the live routing state and redirects it through Twilio's REST API, here the fake
 * Twilio of the tests). The harness plays Twilio: it signs each webhook over the public URL as Twilio does.
 */

/** Where Twilio reaches the system under test, as Twilio sees it: the webhooks are signed over this. */
const PUBLIC_BASE_URL = 'https://atencion.bench.example';
const VOICE = '/webhooks/twilio/voice';
const CALLER_ID = '+5114630000';

/** The fake Twilio and the phone channel's settings of a system under test. */
export interface PhoneHarness {
  /** The phone channel's variables for the system (its REST calls go to the fake). */
  readonly env: Record<string, string>;
  readonly twilio: FakeTwilio;
  readonly accountSid: string;
  readonly authToken: string;
  close(): Promise<void>;
}

export async function startPhoneHarness(): Promise<PhoneHarness> {
  const fake = await startFakeTwilio();
  const hex = (bytes: number): string => randomBytes(bytes).toString('hex');
  const accountSid = `AC${hex(16)}`;
  const authToken = hex(16);
  return {
    env: {
      PUBLIC_BASE_URL,
      TWILIO_ACCOUNT_SID: accountSid,
      TWILIO_AUTH_TOKEN: authToken,
      TWILIO_API_KEY_SID: `SK${hex(16)}`,
      TWILIO_API_KEY_SECRET: hex(24),
      TWILIO_TWIML_APP_SID: `AP${hex(16)}`,
      TWILIO_CALLER_ID: CALLER_ID,
      TWILIO_API_BASE_URL: fake.url,
    },
    twilio: fake,
    accountSid,
    authToken,
    close: () => fake.close(),
  };
}

export type WebhookKind = 'incoming' | 'menu' | 'wait';

/**
 * What one caller does, compressed in time so that a short run has the mix of a queue in which callers wait a couple
 * of minutes: the call comes in, the caller picks a menu option, then Twilio asks the wait URL again and again
 * (every ~35 s in reality: the announcement, then 30 s of hold).
 */
export interface CallScript {
  /** After the call comes in, the caller presses a key (the greeting and the menu play meanwhile). */
  menuAfterMs: number;
  /** Between two requests of the wait URL. */
  pollEveryMs: number;
  /** Wait URL requests per caller. */
  polls: number;
}

export const CALL_SCRIPT: CallScript = { menuAfterMs: 1_000, pollEveryMs: 2_000, polls: 4 };

export interface PlannedWebhook {
  /** Milliseconds after the start. */
  atMs: number;
  kind: WebhookKind;
  /** Index of the call it belongs to. */
  call: number;
}

/**
 * Exactly `rate` webhooks a second for `seconds`. Each slot goes to the earliest step of a call that is due (its menu
 * choice, its next wait request), or else to a new call coming in, so calls arrive as fast as the rate leaves room
 * for, and the mix settles at one call in, one menu choice and `script.polls` wait requests.
 */
export function planWebhooks(rate: number, seconds: number, script: CallScript): PlannedWebhook[] {
  const interval = 1000 / rate;
  const total = Math.max(1, Math.round(rate * seconds));
  // Steps of calls already in, by the time they are due (ties keep their order).
  const due: { atMs: number; kind: 'menu' | 'wait'; call: number; polled: number }[] = [];
  const schedule = (step: (typeof due)[number]): void => {
    let at = due.length;
    while (at > 0 && (due[at - 1]?.atMs ?? 0) > step.atMs) at--;
    due.splice(at, 0, step);
  };
  const plan: PlannedWebhook[] = [];
  let calls = 0;
  for (let i = 0; i < total; i++) {
    const atMs = i * interval;
    const next = due[0];
    if (next !== undefined && next.atMs <= atMs) {
      due.shift();
      plan.push({ atMs, kind: next.kind, call: next.call });
      const polled = next.kind === 'menu' ? 0 : next.polled + 1;
      if (polled < script.polls) schedule({ atMs: atMs + script.pollEveryMs, kind: 'wait', call: next.call, polled });
    } else {
      plan.push({ atMs, kind: 'incoming', call: calls });
      schedule({ atMs: atMs + script.menuAfterMs, kind: 'menu', call: calls, polled: 0 });
      calls++;
    }
  }
  return plan;
}

/** A key of the top menu that queues the caller, and where routing sends such a call. */
export interface PhoneChoice {
  digits: string;
  unit: string;
  skills: string[];
}

/** The top menu's choices (general attention included), placed by the real routing rules of `config/`. */
export function phoneChoices(catalogue: Catalogue): PhoneChoice[] {
  return ivrChoicePaths(catalogue.ivr)
    .filter((path) => !path.includes('.'))
    .map((digits) => {
      const decision = routeContact({ channel: 'phone', hint: { ivrDigits: digits } }, catalogue);
      return { digits, unit: decision.unitCode, skills: decision.requiredSkills };
    });
}

/** A request of Twilio's REST API that puts a waiting call through to an agent's softphone. */
export interface Redirect {
  callSid: string;
  staffId: string;
  /** `performance.now()` when the fake Twilio received it. */
  at: number;
}

/** The connect redirects among the requests the fake Twilio received: `POST .../Calls/<CallSid>.json` dialling a client. */
export function connectRedirects(requests: readonly TwilioRequest[]): Redirect[] {
  return requests.flatMap((r) => {
    const callSid = /\/Calls\/(CA[0-9a-f]{32})\.json$/.exec(r.path)?.[1];
    const staffId = /<Client>([a-f0-9]{24})<\/Client>/.exec(r.form.Twiml ?? '')?.[1];
    return r.method === 'POST' && callSid !== undefined && staffId !== undefined ? [{ callSid, staffId, at: r.at }] : [];
  });
}

/**
 * Each agent's first redirect after they became available (`performance.now()` stamps), and what should not
 * happen: a call put through twice (assigned twice), or a call this phase did not queue.
 */
export function matchConnects(
  turns: readonly { staffId: string; availableAt: number }[],
  redirects: readonly Redirect[],
  queued: ReadonlySet<string>,
): { latencies: number[]; connected: number; duplicates: number; unexpected: number } {
  const first = new Map<string, Redirect>();
  const perCall = new Map<string, number>();
  for (const r of redirects) {
    const seen = first.get(r.staffId);
    if (seen === undefined || r.at < seen.at) first.set(r.staffId, r);
    perCall.set(r.callSid, (perCall.get(r.callSid) ?? 0) + 1);
  }
  const latencies: number[] = [];
  for (const turn of turns) {
    const r = first.get(turn.staffId);
    if (r !== undefined && r.at >= turn.availableAt) latencies.push(r.at - turn.availableAt);
  }
  return {
    latencies,
    connected: latencies.length,
    duplicates: [...perCall.values()].reduce((n, count) => n + count - 1, 0),
    unexpected: [...perCall.keys()].filter((sid) => !queued.has(sid)).length,
  };
}

export interface WebhookResult {
  rate: number;
  seconds: number;
  planned: number;
  sent: number;
  /** Answered 200 with TwiML. */
  answered: number;
  /** Anything else, by HTTP status or error message. */
  errors: Record<string, number>;
  /** Still without an answer when the phase stopped waiting. */
  unanswered: number;
  /** Calls that came in, and of them those whose menu choice was answered (queued: a ticket through intake). */
  calls: number;
  queued: number;
  /** Scheduled send → TwiML read, every webhook; a failed or unanswered one counts as slower than any other. */
  latency: LatencySummary;
  byPath: Record<WebhookKind, LatencySummary>;
  /** Scheduled → written: the harness's own lag (should stay near 0). */
  sendLag: LatencySummary;
  cpu: CpuShare;
  store: StoreOperations;
  warnings: Record<string, number>;
}

export interface ConnectResult {
  /** Agents who became available, each with a caller waiting in their unit. */
  agents: number;
  /** Agents per second becoming available. */
  rate: number;
  /** Agents whose caller's redirect reached the fake Twilio. */
  connected: number;
  /** Agent sets `available` → the fake Twilio receives the redirect of the call assigned to them. */
  latency: LatencySummary;
  /** Agent sets `available` → the system acknowledges it (the claim and its store write are done by then). */
  acknowledged: LatencySummary;
  /** Redirects beyond the first of one call: the same caller put through twice. */
  duplicates: number;
  /** Redirected calls this phase did not queue. */
  unexpected: number;
  /** Whether the intake and routing of the queued calls had finished before the first agent became available. */
  settled: { idle: boolean; ms: number };
  cpu: CpuShare;
  store: StoreOperations;
  warnings: Record<string, number>;
}

export interface PhoneResult {
  webhooks: WebhookResult;
  connect: ConnectResult | null;
  /** Why the connect part did not run. */
  connectSkipped?: string;
}

export interface PhonePlan {
  /** Webhooks per second. */
  rate: number;
  seconds: number;
  /** Agents who become available (at most one per waiting caller). */
  agents: number;
}

/** Agents becoming available per second in the connect part: several at once, as after a team meeting. */
const AGENTS_PER_SECOND = 10;
/** How long the harness waits for answers and redirects after its last request. */
const DRAIN_MS = 10_000;
/** A phone agent takes one call at a time, and nothing else. */
const PHONE_ONLY: PerChannel = { phone: 1, email: 0, kiosk: 0, manual: 0 };

interface Call {
  sid: string;
  from: string;
  choice: PhoneChoice;
  /** Its menu choice was answered: Twilio would now hold it in the queue. */
  queued: boolean;
  queuedAt: number;
}

/** Calls `fire(i)` at `at(i)` (epoch ms) for every i < count, open loop: a late one fires at once, none is skipped. */
async function onSchedule(count: number, at: (i: number) => number, fire: (i: number) => void, signal: AbortSignal, tick: () => void = () => undefined): Promise<void> {
  let i = 0;
  while (i < count && !signal.aborted) {
    const now = nowMs();
    while (i < count && at(i) <= now) fire(i++);
    tick();
    if (i < count) await pause(at(i) - nowMs(), signal);
  }
}

/** The form Twilio posts for one step of a call (the parameters every voice webhook carries, and the step's own). */
function webhookRequest(kind: WebhookKind, call: Call, accountSid: string, queuedCalls: number): { path: string; form: Record<string, string> } {
  const form: Record<string, string> = {
    AccountSid: accountSid,
    ApiVersion: '2010-04-01',
    CallSid: call.sid,
    CallStatus: kind === 'incoming' ? 'ringing' : 'in-progress',
    Direction: 'inbound',
    From: call.from,
    Caller: call.from,
    FromCountry: 'PE',
    To: CALLER_ID,
    Called: CALLER_ID,
    ToCountry: 'PE',
  };
  if (kind === 'incoming') return { path: `${VOICE}/incoming`, form };
  if (kind === 'menu') return { path: `${VOICE}/menu?path=&attempt=0`, form: { ...form, Digits: call.choice.digits, FinishedOnKey: '', msg: 'Gather End' } };
  const queueTime = Math.max(0, Math.round((nowMs() - call.queuedAt) / 1000));
  return { path: `${VOICE}/wait`, form: { ...form, QueuePosition: String(Math.max(1, queuedCalls)), QueueTime: String(queueTime), AvgQueueTime: String(queueTime), CurrentQueueSize: String(queuedCalls) } };
}

interface Sent {
  kind: WebhookKind;
  scheduled: number;
  sent: number;
  answered?: number;
  error?: string;
}

/** The webhooks of `schedule`, open loop over real HTTP, each signed as Twilio signs it. */
async function sendWebhooks(
  sut: SystemUnderTest,
  harness: PhoneHarness,
  plan: PhonePlan,
  schedule: readonly PlannedWebhook[],
  calls: readonly Call[],
  services: { cpu: CpuMeter; tally: WarningSource },
  p: PhaseContext,
): Promise<WebhookResult> {
  const http = new HttpClient(sut.url, 64);
  const sends: Sent[] = [];
  const errors: Record<string, number> = {};
  const fail = (s: Sent, reason: string): void => {
    s.error = reason;
    errors[reason] = (errors[reason] ?? 0) + 1;
  };
  let inFlight = 0;
  let queuedCalls = 0;
  services.tally.take();
  const cpuFrom = await services.cpu.snapshot();
  const watch = watchStoreOperations(sut.system.ctx.store.connection, REPO_ROOT);
  const start = nowMs() + 20;
  const fire = (i: number): void => {
    const step = schedule[i];
    const call = step === undefined ? undefined : calls[step.call];
    if (step === undefined || call === undefined) return;
    const { path, form } = webhookRequest(step.kind, call, harness.accountSid, queuedCalls);
    const signature = twilio.getExpectedTwilioSignature(harness.authToken, `${PUBLIC_BASE_URL}${path}`, form);
    const s: Sent = { kind: step.kind, scheduled: start + step.atMs, sent: nowMs() };
    sends.push(s);
    inFlight++;
    http
      .request('POST', path, { form, headers: { 'x-twilio-signature': signature } })
      .then(
        (answer) => {
          s.answered = nowMs();
          if (answer.status !== 200 || answer.contentType?.startsWith('text/xml') !== true) {
            fail(s, `HTTP ${answer.status}${answer.status === 200 ? ' not TwiML' : ''}`);
          } else if (step.kind === 'menu') {
            call.queued = true;
            call.queuedAt = s.answered;
            queuedCalls++;
          }
        },
        (err: unknown) => {
          fail(s, err instanceof Error ? err.message : String(err));
        },
      )
      .finally(() => {
        inFlight--;
      });
  };
  let lastReport = 0;
  await onSchedule(schedule.length, (i) => start + (schedule[i]?.atMs ?? 0), fire, p.signal, () => {
    if (nowMs() - lastReport < 500) return;
    lastReport = nowMs();
    p.progress.status(`phone webhooks: sent ${sends.length}/${schedule.length}, queued callers ${queuedCalls}`);
  });
  const drainUntil = Math.min(nowMs() + DRAIN_MS, p.deadline);
  while (inFlight > 0 && nowMs() < drainUntil && !p.signal.aborted) await pause(20, p.signal);
  const store = await watch.stop();
  const cpuTo = await services.cpu.snapshot();
  http.close();

  // Per path and overall: what was planned but not answered with TwiML counts as slower than any answer.
  const latencyOf = (kind?: WebhookKind): LatencySummary => {
    const ok = sends.filter((s) => (kind === undefined || s.kind === kind) && s.answered !== undefined && s.error === undefined).map((s) => (s.answered ?? 0) - s.scheduled);
    return summarize(ok, schedule.filter((w) => kind === undefined || w.kind === kind).length - ok.length);
  };
  const latency = latencyOf();
  return {
    rate: plan.rate,
    seconds: plan.seconds,
    planned: schedule.length,
    sent: sends.length,
    answered: latency.samples,
    errors,
    unanswered: sends.filter((s) => s.answered === undefined && s.error === undefined).length,
    calls: sends.filter((s) => s.kind === 'incoming').length,
    queued: queuedCalls,
    latency,
    byPath: { incoming: latencyOf('incoming'), menu: latencyOf('menu'), wait: latencyOf('wait') },
    sendLag: summarize(sends.map((s) => s.sent - s.scheduled)),
    cpu: CpuMeter.share(cpuFrom, cpuTo),
    store,
    warnings: services.tally.take(),
  };
}

/**
 * One phone agent per waiting caller (up to `plan.agents`, in the callers' order of arrival, so each agent's unit has
 * a caller for them), logged in and connected beforehand but away; then they become available, `AGENTS_PER_SECOND`
 * a second, and each is timed until the fake Twilio receives the redirect of the call the core gave them.
 */
async function connectAgents(
  sut: SystemUnderTest,
  pool: AgentPool,
  harness: PhoneHarness,
  plan: PhonePlan,
  calls: readonly Call[],
  agents: HarnessAgent[],
  services: { cpu: CpuMeter; tally: WarningSource },
  p: PhaseContext,
): Promise<ConnectResult> {
  const ctx = sut.system.ctx;
  // An agent may take any phone call of their unit: given every skill its phone queues ask for.
  const skills = new Map<string, Set<string>>();
  for (const choice of phoneChoices(ctx.catalogue)) {
    const set = skills.get(choice.unit) ?? new Set<string>();
    for (const skill of choice.skills) set.add(skill);
    skills.set(choice.unit, set);
  }
  const waiting = calls.filter((c) => c.queued);
  const units = waiting.slice(0, plan.agents).map((c) => c.choice.unit);
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let unit = units.shift(); unit !== undefined && !p.signal.aborted; unit = units.shift()) {
        agents.push(await pool.recruit({ units: [unit], skills: [...(skills.get(unit) ?? [])], autoAssign: true, capacity: PHONE_ONLY, presence: 'away', signal: p.signal }));
        p.progress.status(`phone agents: ${agents.length} logged in (away)`);
      }
    }),
  );
  // Intake and routing of the last callers done: each waits in the live queue before any agent shows up.
  const settled = await settle(sut, Math.min(15_000, p.deadline - nowMs() - DRAIN_MS), p.signal, ['channel', 'route', 'assign']);

  const from = harness.twilio.requests.length;
  services.tally.take();
  const cpuFrom = await services.cpu.snapshot();
  const watch = watchStoreOperations(ctx.store.connection, REPO_ROOT);
  const turns: { staffId: string; availableAt: number; acknowledgedAt?: number }[] = [];
  const acks: Promise<void>[] = [];
  const start = nowMs() + 20;
  await onSchedule(agents.length, (i) => start + (i * 1000) / AGENTS_PER_SECOND, (i) => {
    const agent = agents[i];
    if (agent === undefined) return;
    const turn: (typeof turns)[number] = { staffId: agent.staffId, availableAt: performance.now() };
    turns.push(turn);
    acks.push(pool.setPresence(agent, 'available').then(() => { turn.acknowledgedAt = performance.now(); }, () => undefined));
  }, p.signal);
  const drainUntil = Math.min(nowMs() + DRAIN_MS, p.deadline);
  const redirected = (): Set<string> => new Set(connectRedirects(harness.twilio.requests.slice(from)).map((r) => r.staffId));
  while (nowMs() < drainUntil && !p.signal.aborted && !turns.every((t) => redirected().has(t.staffId))) {
    p.progress.status(`phone connect: ${redirected().size}/${agents.length} callers put through`);
    await pause(20, p.signal);
  }
  await Promise.race([Promise.all(acks), pause(Math.max(0, drainUntil - nowMs()))]);
  const store = await watch.stop();
  const cpuTo = await services.cpu.snapshot();
  const match = matchConnects(turns, connectRedirects(harness.twilio.requests.slice(from)), new Set(waiting.map((c) => c.sid)));
  const acknowledged = turns.flatMap((t) => (t.acknowledgedAt === undefined ? [] : [t.acknowledgedAt - t.availableAt]));
  return {
    agents: agents.length,
    rate: AGENTS_PER_SECOND,
    connected: match.connected,
    latency: summarize(match.latencies, agents.length - match.connected),
    acknowledged: summarize(acknowledged, agents.length - acknowledged.length),
    duplicates: match.duplicates,
    unexpected: match.unexpected,
    settled,
    cpu: CpuMeter.share(cpuFrom, cpuTo),
    store,
    warnings: services.tally.take(),
  };
}

/** Peruvian mobile numbers: callers call again, so numbers come from a pool, as the citizens they belong to do. */
const CALLER_POOL = 2_000;

/**
 * The phone phase: signed webhooks at `plan.rate` for `plan.seconds` (new calls, menu choices that queue callers
 * through intake, wait-URL requests), then agents becoming available with those callers waiting. The agents leave
 * and the callers still waiting are removed at the end, whatever happened, so later phases see the history only.
 */
export async function measurePhone(
  sut: SystemUnderTest,
  pool: AgentPool,
  harness: PhoneHarness,
  services: { cpu: CpuMeter; tally: WarningSource },
  plan: PhonePlan,
  p: PhaseContext,
): Promise<PhaseReturn<PhoneResult>> {
  const ctx = sut.system.ctx;
  const choices = phoneChoices(ctx.catalogue);
  if (choices.length === 0) throw new Error('the IVR menu queues no caller');
  const schedule = planWebhooks(plan.rate, plan.seconds, CALL_SCRIPT);
  const random = seededRandom(plan.rate * 1_000 + plan.seconds);
  const numbers = Array.from({ length: CALLER_POOL }, () => `+519${String(10_000_000 + Math.floor(random() * 89_999_999))}`);
  const prefix = randomBytes(8).toString('hex');
  const calls: Call[] = Array.from({ length: schedule.reduce((n, w) => Math.max(n, w.call + 1), 0) }, (_, i) => ({
    sid: `CA${prefix}${i.toString(16).padStart(16, '0')}`,
    from: numbers[Math.floor(random() * numbers.length)] ?? CALLER_ID,
    choice: weighted(choices.map((choice) => [choice, 1] as const), random()),
    queued: false,
    queuedAt: 0,
  }));
  const agents: HarnessAgent[] = [];
  // Read afresh at each step: the deadline (or Ctrl-C) may come during either part.
  const aborted = (): boolean => p.signal.aborted;
  try {
    const webhooks = await sendWebhooks(sut, harness, plan, schedule, calls, services, p);
    if (aborted()) return { result: { webhooks, connect: null, connectSkipped: 'the phase reached its deadline' }, timedOut: true, note: 'stopped during the webhooks' };
    if (webhooks.queued === 0) return { result: { webhooks, connect: null, connectSkipped: 'no caller was queued' } };
    let connect: ConnectResult;
    try {
      connect = await connectAgents(sut, pool, harness, plan, calls, agents, services, p);
    } catch (err) {
      // A system too slow to log the agents in: the webhooks were measured all the same.
      if (!(err instanceof TooSlow)) throw err;
      return { result: { webhooks, connect: null, connectSkipped: err.message }, timedOut: true, note: err.message };
    }
    const short = connect.connected < connect.agents && aborted();
    return { result: { webhooks, connect }, timedOut: short, ...(short ? { note: `put through ${connect.connected} of ${connect.agents} callers` } : {}) };
  } finally {
    const ids: TicketDoc['_id'][] = calls.filter((c) => c.queued).map((c) => ticketIdFor('phone', c.sid));
    // Bounded: a system this slow is reported by the phase; the harness does not wait on it.
    const cleanup = Promise.all([...agents.map((a) => pool.retire(a)), clearWaiting(ctx, ids)]).catch(() => undefined);
    await Promise.race([cleanup, pause(30_000)]);
  }
}
