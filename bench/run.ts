/**
 * `npm run bench`: the contact pipeline at scale, beside the raw ceilings of what it is built on, measured in one
 * run on one machine at several history sizes. See docs/benchmarks.md for what it measures and how to read it.
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import { loadCatalogue } from '../src/config/catalogue.js';
import { AgentPool, EventTracker, type HarnessAgent } from './agents.js';
import { parseBenchArgs, USAGE, UsageError, type BenchOptions } from './args.js';
import { measureCeilings, type CeilingPlan } from './ceilings.js';
import { emailFailures } from './email-report.js';
import { staffReadsFailures } from './staff-reads-report.js';
import { measureEmail, startEmailHarness } from './email.js';
import { preloadHistory, reserveCodes } from './history.js';
import { benchClock, benchConfig, measureKiosk, SERVICES } from './kiosk.js';
import { Budget, pause, runPhase, type PhaseContext, type PhaseOutcome, type PhaseReturn } from './phase.js';
import { measurePhone, startPhoneHarness } from './phone.js';
import { chooseDestinations, runArrivals, searchSustainedRate, SETTLE_MS, type ArrivalResult } from './pipeline.js';
import { profiled } from './profile.js';
import { Progress } from './progress.js';
import type { HistoryRun } from './report-cells.js';
import { checkTargets, pipelineShare, renderTable, type BenchResults } from './report.js';
import { nowMs } from './stats.js';
import { profileStore } from './store-profile.js';
import { createBenchLogger, LogTally, REPO_ROOT, startServices, startSystemUnderTest, type SystemUnderTest } from './system-under-test.js';
import { measureStaffReads, type ReadWindow } from './staff-reads.js';
import { measureTakeNext } from './take-next.js';

const run = promisify(execFile);

async function git(...args: string[]): Promise<string> {
  try {
    return (await run('git', args, { cwd: REPO_ROOT })).stdout.trim();
  } catch {
    return '';
  }
}

/** How long a system is given to stop by itself. */
const STOP_WAIT_MS = 10_000;
/**
 * How long a system still busy after that is given once its store is gone: its pending store calls fail after
 * the driver's 10 s server selection timeout, and some requests and jobs make several in a row.
 */
const BUSY_STOP_WAIT_MS = 30_000;

/**
 * A cautious guess at how long preloading `history` tickets takes with everything they left (about 12 documents a
 * ticket; 600-800 tickets a second on the 2-core box, this guess 500).
 */
function estimatePreloadMs(history: number): number {
  return 5_000 + history * 2;
}

function ceilingPlan(o: BenchOptions): CeilingPlan {
  return o.smoke ? { storeSeconds: 1, bullmqJobs: 500, socketEvents: 2_000 } : { storeSeconds: 5, bullmqJobs: 10_000, socketEvents: 20_000 };
}

interface RunContext {
  options: BenchOptions;
  budget: Budget;
  progress: Progress;
  log: Logger;
  tally: LogTally;
  /** Stem of the results file, for the profiles written beside it. */
  stem: string;
  /** Set when the services stop: what a still-busy system fails afterwards is expected. */
  onServicesStopping: () => void;
  /** Services kept until the end of the run because a system that still uses them would not stop. */
  deferredStops: (() => Promise<void>)[];
  /** The catalogue the systems run on: the configuration with a hall of 20 services (bench/kiosk.ts). */
  configDir: string;
  /** The counter channel's clock: office hours whatever the hour of the run. */
  clock: () => Date;
}

/**
 * Everything at one history size, on its own services (embedded ones are started for it and stopped after it,
 * so a system still busy with a backlog cannot weigh on the next size), a fresh system and database. The size
 * gets an even share of what the budget has left after holding back the larger sizes' preloads.
 */
async function runHistory(history: number, later: readonly number[], rc: RunContext): Promise<HistoryRun> {
  const { options, budget, progress } = rc;
  const label = `h${history}`;
  budget.holdBackMs = later.reduce((sum, h) => sum + estimatePreloadMs(h), 0);
  // A busy system's slow stop (see the end) comes out of the later sizes' shares, never out of their preloads.
  const until = nowMs() + budget.remainingMs() / (later.length + 1);
  progress.line(`history ${history.toLocaleString('en-US')}: starting services and a system on a fresh database`);
  const log = rc.log.child({ history: label });
  const bench = await startServices(process.env, log, { profileStore: options.profile });
  // The harness plays Twilio: its fake REST API receives the system's call redirects.
  const phone = await startPhoneHarness();
  // Outgoing mail goes to the SMTP sink of the tests; the email phase starts its own Dovecot.
  const mail = await startEmailHarness(process.env.CONFIG_DIR ?? join(REPO_ROOT, 'config'));
  const stopPhone = (): Promise<unknown> => Promise.race([Promise.all([phone.close(), mail.close()]), pause(5_000)]);
  let sut: SystemUnderTest;
  try {
    // The kiosks are not rate-limited here: one kiosk takes every measured turn.
    sut = await startSystemUnderTest(bench, label, log, process.env, { ...phone.env, ...mail.env, CONFIG_DIR: rc.configDir, KIOSK_RATE_LIMIT_PER_MINUTE: '10000' }, { counterClock: rc.clock });
  } catch (err) {
    await stopPhone();
    await bench.stop();
    throw err;
  }
  const ctx = sut.system.ctx;
  const tracker = new EventTracker();
  const pool = new AgentPool(sut, tracker);
  const services = { cpu: bench.cpu, tally: rc.tally.of(label) };
  const skipped = <T>(note: string): PhaseOutcome<T> => ({ status: 'skipped', seconds: 0, note });
  const phase = <T>(name: string, limits: { allowanceMs: number; minimumMs?: number }, work: (p: PhaseContext) => Promise<PhaseReturn<T>>): Promise<PhaseOutcome<T>> =>
    runPhase(`${label} ${name}`, budget, progress, { ...limits, until }, work);
  const out: HistoryRun = {
    history,
    database: sut.name,
    destinations: [],
    takeNextUnit: null,
    preload: skipped('not reached'),
    staffing: skipped('not reached'),
    ceilings: skipped('not reached'),
    pipeline: skipped('not reached'),
    sustained: skipped('not reached'),
    takeNext: skipped('not reached'),
    phone: skipped('not reached'),
    kiosk: skipped('not reached'),
    email: skipped('not reached'),
    staffReads: skipped('not reached'),
    pipelineShareOfStoreInsert: null,
    agents: 0,
    stoppedCleanly: false,
  };
  try {
    const waitingCodes = await reserveCodes(ctx, options.waiting);
    const kioskCodes = await reserveCodes(ctx, options.kioskWaiting);
    out.preload = await phase('preload', { allowanceMs: 10_000 + history * 4 }, async (p) => {
      const report = await preloadHistory(ctx, history, (done) => { p.progress.status(`${label} preload: ${done.toLocaleString('en-US')}/${history.toLocaleString('en-US')} closed tickets with their citizens, events and interactions`); }, p.signal);
      return { result: report, timedOut: report.inserted < history, ...(report.inserted < history ? { note: `reached ${report.inserted} of ${history}` } : {}) };
    });
    const pre = out.preload.result;
    const written = Object.entries(pre?.collections ?? {}).map(([name, c]) => `${c.inserted.toLocaleString('en-US')} ${name} (${c.perSecond.toLocaleString('en-US')}/s)`).join(', ');
    progress.line(`${label} preload: ${pre?.inserted ?? 0} closed tickets in ${out.preload.seconds} s${written ? `: ${written}` : ''}`);

    out.ceilings = await phase('ceilings', { allowanceMs: 60_000 }, async (p) => ({ result: await measureCeilings(pool, sut, bench.redisUrl, ceilingPlan(options), p) }));
    const c = out.ceilings.result;
    progress.line(`${label} ceilings: store ${c?.storeInsert?.perSecond ?? '—'}/s, BullMQ ${c?.bullmq?.perSecond ?? '—'}/s, Socket.IO ${c?.socketViaRedis?.perSecond ?? '—'}/s`);

    const { pipeline: destinations, takeNextUnit } = chooseDestinations(ctx.catalogue);
    const units = destinations.map((d) => d.unit);
    out.destinations = destinations.map((d) => ({ unit: d.unit, serviceCode: d.serviceCode }));
    out.takeNextUnit = takeNextUnit;

    // Take-next runs on a quiet system, before the pipeline: a slow system would still be working off the
    // pipeline's requests, and the waiting tickets are removed afterwards so the pipeline sees only the history.
    out.takeNext = await phase('take-next', { allowanceMs: 30_000 + options.waiting, minimumMs: 10_000 }, (p) =>
      measureTakeNext(sut, pool, services, takeNextUnit, { codes: waitingCodes, samples: options.takeNextSamples }, p),
    );
    const tn = out.takeNext.result;
    if (tn) progress.line(`${label} take-next: p50 ${tn.latency.p50 ?? '—'} ms, p99 ${tn.latency.p99 ?? '—'} ms (${tn.latency.samples} calls, ${tn.waiting} waiting)`);

    // The phone channel, also on a quiet system; its callers still waiting are removed afterwards.
    const phonePlan = { rate: options.phoneRate, seconds: options.phoneSeconds, agents: options.phoneAgents };
    out.phone = await phase('phone', { allowanceMs: 40_000 + options.phoneSeconds * 1000 + options.phoneAgents * 500, minimumMs: options.phoneSeconds * 1000 + 10_000 }, (p) =>
      measurePhone(sut, pool, phone, services, phonePlan, p),
    );
    const ph = out.phone.result;
    if (ph) {
      const c = ph.connect;
      progress.line(
        `${label} phone: webhook → TwiML p50 ${ph.webhooks.latency.p50 ?? '—'} ms, p99 ${ph.webhooks.latency.p99 ?? '—'} ms (${ph.webhooks.answered}/${ph.webhooks.planned}); ` +
          (c ? `available → redirect p50 ${c.latency.p50 ?? '—'} ms, p99 ${c.latency.p99 ?? '—'} ms (${c.connected}/${c.agents} put through)` : `no connect: ${ph.connectSkipped ?? '?'}`),
      );
    }

    // The counter channel, on a quiet system too: the hall full, a kiosk taking turns and the counters calling.
    const kioskPlan = { codes: kioskCodes, turnSamples: options.kioskTurns, callSamples: options.kioskCalls, clock: rc.clock };
    out.kiosk = await phase('kiosk', { allowanceMs: 60_000 + options.kioskWaiting * 6 + (options.kioskTurns + options.kioskCalls) * 150, minimumMs: 15_000 }, (p) => measureKiosk(sut, services, kioskPlan, p));
    const k = out.kiosk.result;
    if (k) progress.line(`${label} kiosk: take-a-turn p50 ${k.takeTurn.p50 ?? '—'} ms, p99 ${k.takeTurn.p99 ?? '—'} ms; call-next p50 ${k.callNext.p50 ?? '—'} ms, p99 ${k.callNext.p99 ?? '—'} ms (${k.waiting} waiting across ${k.services} services)`);
    // The email channel, on a quiet system too; the tickets its mail opened are removed afterwards.
    const emailPlan = { messages: options.emailMessages, ...(options.profile ? { profileFile: `${rc.stem}-${label}-email.cpuprofile` } : {}) };
    out.email = await phase('email', { allowanceMs: 60_000 + options.emailMessages * 100, minimumMs: 20_000 }, (p) => measureEmail(sut, mail, services, emailPlan, p));
    const em = out.email.result;
    if (em) progress.line(`${label} email: ${em.perSecond} messages/s (${em.takenIn}/${em.messages} taken in), per message p50 ${em.perMessage.p50 ?? '—'} ms, p99 ${em.perMessage.p99 ?? '—'} ms`);

    let poster: HarnessAgent | undefined;
    out.staffing = await phase('agents', { allowanceMs: options.smoke ? 30_000 : 60_000 }, async (p) => {
      // The counter agent who keys the contacts in; its socket sees each `created` event in the office's room.
      poster = await pool.recruit({ units: [ctx.catalogue.attentionOffice.code], autoAssign: false, capacity: { phone: 0, email: 0, kiosk: 0, manual: 0 }, signal: p.signal });
      const { recruited, planned, stalled } = await pool.ensureRoom(units, options.rate * options.durationSeconds, (text) => { p.progress.status(`${label} ${text}`); }, p.signal);
      const short = recruited < planned;
      return { result: { loggedIn: recruited }, timedOut: short, ...(short ? { note: `logged in ${recruited} of ${planned}${stalled ? `: ${stalled}` : ''}` } : {}) };
    });
    const counter = poster;

    const drainMs = options.smoke ? 10_000 : 15_000;
    // Fewer agents than planned only matters to a system fast enough to fill them; a slow one is still measured.
    if (counter === undefined || !units.every((u) => pool.active([u]).length > 0)) out.pipeline = skipped('no agent of some unit could log in');
    else {
      out.pipeline = await phase('pipeline', { allowanceMs: SETTLE_MS + options.durationSeconds * 1000 + drainMs + 10_000, minimumMs: options.durationSeconds * 1000 }, async (p) => {
        const arrivals = (): Promise<{ result: ArrivalResult; timedOut: boolean }> =>
          runArrivals(sut, counter, tracker, services, { rate: options.rate, seconds: options.durationSeconds, drainMs, settleMs: SETTLE_MS, destinations, label: `${label} pipeline` }, p);
        if (!options.profile) return arrivals();
        const port = bench.storeDebugPort;
        const store = port === undefined ? undefined : profileStore(port, options.durationSeconds, `${rc.stem}-${label}-ferretdb.pprof`);
        const { value, profile } = await profiled(`${rc.stem}-${label}.cpuprofile`, arrivals);
        if (profile) out.profile = profile;
        const storeProfile = await store;
        if (storeProfile) out.storeProfile = storeProfile;
        return value;
      });
    }
    const pr = out.pipeline.result;
    if (pr) progress.line(`${label} pipeline: p50 ${pr.latency.p50 ?? '—'} ms, p99 ${pr.latency.p99 ?? '—'} ms, ${pr.assigned}/${pr.planned} assigned`);

    const backlog = (pr?.backlog ?? 0) + (pr?.unanswered ?? 0);
    if (options.steps.length === 0) out.sustained = skipped('no steps asked for');
    else if (counter === undefined || out.pipeline.status !== 'ok') out.sustained = skipped(`the pipeline phase did not complete (${out.pipeline.status})`);
    else if (backlog > 0) out.sustained = skipped(`the pipeline phase left ${backlog} contacts unassigned: every step would start behind`);
    else {
      out.sustained = await phase('sustained', { allowanceMs: options.steps.length * (options.stepSeconds + 20) * 1000, minimumMs: options.stepSeconds * 1000 + 10_000 }, (p) =>
        searchSustainedRate(sut, pool, counter, services, options.steps, options.stepSeconds, destinations, label, p),
      );
    }
    out.pipelineShareOfStoreInsert = pipelineShare(out);

    // What staff read all day, while contacts keep arriving: after the pipeline, on the store it left.
    const readsPlan = { readers: options.readers, rate: options.readsRate, seconds: options.readsSeconds };
    out.staffReads = await phase('staff-reads', { allowanceMs: 30_000 + options.readers * 500 + options.readsSeconds * 1500, minimumMs: options.readsSeconds * 1500 + 5_000 }, (p) =>
      measureStaffReads(sut, pool, services, destinations, readsPlan, p),
    );
    const sr = out.staffReads.result;
    if (sr) {
      const slowest = (w: ReadWindow): string => {
        const [kind, l] = Object.entries(w.reads).reduce((worst, entry) => ((entry[1].p99 ?? 0) > (worst[1].p99 ?? 0) ? entry : worst));
        return `${kind} ${String(l.p99 ?? '—')} ms`;
      };
      progress.line(`${label} staff reads: slowest p99 alone ${slowest(sr.quiet)}; while ${String(sr.busy.arrivals.perSecond)} contacts/s arrived ${slowest(sr.busy)}`);
    }
  } catch (err) {
    // Something outside any phase (the catalogue, the harness itself): recorded, and the run goes on.
    out.error = err instanceof Error ? err.message : String(err);
    progress.line(`${label}: ${out.error}`);
  } finally {
    out.agents = pool.agents.length;
    pool.closeAll();
    progress.line(`${label}: stopping the system and its services`);
    const { stoppedCleanly, finished } = await sut.stop(STOP_WAIT_MS);
    out.stoppedCleanly = stoppedCleanly;
    let stopped = stoppedCleanly;
    if (!stopped) {
      rc.onServicesStopping();
      // The store goes first: a busy system's pending store work then fails fast, its workers record that in
      // Redis (still there, or their closing would wait on it forever) and its stop completes.
      await bench.stopStore();
      stopped = await Promise.race([finished.then(() => true), pause(BUSY_STOP_WAIT_MS).then(() => false)]);
    }
    await stopPhone();
    if (stopped) await bench.stop();
    else {
      // Its Redis stays up until the run ends: taken away now, the system's clients would retry it noisily
      // through the next sizes. It costs little: the system's store is gone, so it has nothing left to do.
      progress.line(`${label}: the system is still winding down; its Redis stays up until the run ends`);
      rc.deferredStops.push(() => bench.stop());
    }
  }
  return out;
}

/**
 * What makes the run fail (exit 1): a phase that threw or had to be abandoned, a system that did not start, and
 * any request the system answered with an HTTP error. Slowness is not a failure: it is what the report shows
 * (a phase cut at its deadline says so, with what it reached; a system still busy when stopped, too).
 */
function failuresOf(runs: readonly HistoryRun[], smoke: boolean): string[] {
  const failures: string[] = [];
  const httpErrors = (errors: Record<string, number> | undefined): string[] =>
    Object.entries(errors ?? {}).filter(([key]) => key.startsWith('HTTP ')).map(([key, n]) => `${n}× ${key}`);
  for (const r of runs) {
    for (const [phase, o] of Object.entries({ preload: r.preload, ceilings: r.ceilings, agents: r.staffing, pipeline: r.pipeline, sustained: r.sustained, takeNext: r.takeNext, phone: r.phone, kiosk: r.kiosk, email: r.email })) {
      const abandoned = o.status === 'timeout' && o.note?.includes('abandoned') === true;
      if (o.status === 'error' || abandoned) failures.push(`h${r.history}.${phase}: ${o.status}${o.note ? ` — ${o.note}` : ''}`);
    }
    const answered = [
      ...httpErrors(r.pipeline.result?.errors),
      ...(r.sustained.result?.steps.flatMap((s) => httpErrors(s.result.errors)) ?? []),
      ...httpErrors(r.takeNext.result?.errors),
      ...httpErrors(r.phone.result?.webhooks.errors).map((e) => `${e} (phone webhooks)`),
      ...httpErrors(r.kiosk.result?.errors).map((e) => `${e} (kiosk and counters)`),
    ];
    if (answered.length > 0) failures.push(`h${r.history}: the system answered errors: ${answered.join(', ')}`);
    // In the tiny smoke run any working system files at least one contact; a full run reports slowness instead.
    if (smoke && r.pipeline.result?.created === 0) failures.push(`h${r.history}.pipeline: no contact was created`);
    if (smoke && r.phone.result?.connect?.connected === 0) failures.push(`h${r.history}.phone: no waiting caller was put through`);
    if (smoke && r.kiosk.result?.callNext.samples === 0) failures.push(`h${r.history}.kiosk: no counter called a turn`);
    if ((r.kiosk.result?.duplicates ?? 0) > 0) failures.push(`h${r.history}.kiosk: ${String(r.kiosk.result?.duplicates)} turns were called twice`);
    failures.push(...emailFailures(r, smoke));
    failures.push(...staffReadsFailures(r));
    if (r.error !== undefined) failures.push(`h${r.history}: ${r.error}`);
  }
  return failures;
}

async function main(): Promise<number> {
  let options: BenchOptions;
  try {
    const parsed = parseBenchArgs(process.argv.slice(2));
    if (parsed === 'help') {
      process.stdout.write(USAGE);
      return 0;
    }
    options = parsed;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n\n${USAGE}`);
    return 2;
  }

  const startedAt = new Date();
  const loadAtStart = loadavg();
  const commit = (await git('rev-parse', '--short=10', 'HEAD')) || 'unknown';
  const dirty = (await git('status', '--porcelain', '--untracked-files=no')) !== '';
  const stamp = startedAt.toISOString().slice(0, 16).replace(/[:T]/g, '-');
  const label = options.smoke ? 'smoke' : 'bench';
  const jsonPath = resolve(options.jsonPath ?? join(REPO_ROOT, 'bench', 'results', `${stamp}-${commit}${options.smoke ? '-smoke' : ''}.json`));
  const stem = jsonPath.replace(/\.json$/, '');
  await mkdir(dirname(jsonPath), { recursive: true });

  const progress = new Progress();
  const budget = new Budget(options.budgetMinutes * 60_000, options.smoke ? 8_000 : STOP_WAIT_MS + BUSY_STOP_WAIT_MS + 20_000);
  let signals = 0;
  const interrupt = (): void => {
    signals++;
    if (signals > 1) process.exit(130);
    progress.line('interrupted: stopping everything (Ctrl-C again to exit at once)');
    budget.stop();
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  // A system still busy when the services stop fails its pending work by the hundred: counted, not printed.
  let servicesStopping = false;
  let lateRejections = 0;
  process.on('unhandledRejection', (reason) => {
    if (servicesStopping) lateRejections++;
    else progress.line(`unhandled rejection: ${reason instanceof Error ? reason.message : String(reason)}`);
  });

  const hallConfig = await benchConfig(process.env.CONFIG_DIR ?? join(REPO_ROOT, 'config'));
  const clock = benchClock(await loadCatalogue(hallConfig.dir));
  const tally = new LogTally();
  const log = await createBenchLogger(`${stem}.log`, tally);
  const external = { mongodb: Boolean(process.env.MONGODB_URI), redis: Boolean(process.env.REDIS_URL) };
  progress.line(`${label}: hall of ${String(SERVICES)} services; history ${options.history.join(', ')}; budget ${options.budgetMinutes} min; store ${external.mongodb ? 'MONGODB_URI' : 'embedded FerretDB'}, redis ${external.redis ? 'REDIS_URL' : 'embedded'}; results → ${relative(REPO_ROOT, jsonPath)}`);
  const runs: HistoryRun[] = [];
  const startFailures: string[] = [];
  const rc: RunContext = { options, budget, progress, log, tally, stem, onServicesStopping: () => { servicesStopping = true; }, deferredStops: [], configDir: hallConfig.dir, clock };
  for (const [i, history] of options.history.entries()) {
    if (budget.isInterrupted()) break;
    try {
      runs.push(await runHistory(history, options.history.slice(i + 1), rc));
    } catch (err) {
      startFailures.push(`h${history}: the system did not start: ${err instanceof Error ? err.message : String(err)}`);
      progress.line(startFailures.at(-1) ?? '');
    }
    servicesStopping = false;
  }

  const cpu = cpus();
  const results: BenchResults = {
    schema: 1,
    label,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    commit,
    dirty,
    options,
    machine: { cpus: cpu.length, cpuModel: cpu[0]?.model.trim() ?? 'unknown', memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version, platform: `${process.platform}-${process.arch}`,
      loadAverage: { start: loadAtStart.map((l) => Math.round(l * 100) / 100), end: loadavg().map((l) => Math.round(l * 100) / 100) },
    },
    services: {
      store: external.mongodb ? 'MONGODB_URI (external)' : 'embedded FerretDB v1.24.2 on SQLite, one per history size',
      redis: external.redis ? 'REDIS_URL (external)' : 'embedded redis-server, one per history size',
    },
    logFile: relative(REPO_ROOT, `${stem}.log`),
    runs,
    targets: checkTargets(runs, options),
    failures: [...startFailures, ...failuresOf(runs, options.smoke)],
  };
  await writeFile(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
  await hallConfig.remove();
  process.stdout.write(`${renderTable(results)}\n`);
  progress.line(`results written to ${relative(REPO_ROOT, jsonPath)}`);
  servicesStopping = true;
  await Promise.race([Promise.all(rc.deferredStops.map((stop) => stop())), pause(15_000)]);
  if (lateRejections > 0) progress.line(`${lateRejections} operations of a system still busy failed when the services stopped`);
  if (budget.isInterrupted()) return 130;
  return results.failures.length > 0 ? 1 : 0;
}

process.exitCode = await main();
// Sockets and timers of stopped systems may linger for a moment; the run is over, so the process ends now.
process.exit();
