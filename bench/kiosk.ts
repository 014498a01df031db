import { Types } from 'mongoose';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Catalogue, KioskService } from '../src/config/catalogue.js';
import { createBusinessCalendar } from '../src/domain/business-calendar.js';
import { formatTurnNumber } from '../src/domain/counter-turns.js';
import { priorityScore, type PriorityClass } from '../src/domain/priority.js';
import { routeContact } from '../src/domain/routing.js';
import { formatTrackingCode } from '../src/domain/tracking-code.js';
import type { AppContext } from '../src/services/context/index.js';
import { issueDeviceKey } from '../src/services/counter/index.js';
import { rebuildLiveState } from '../src/services/live-state/index.js';
import { startSession } from '../src/services/staff/index.js';
import type { TicketDoc } from '../src/store/ticket.model.js';
import { ticketIdFor } from '../src/store/ticket.repository.js';
import { CpuMeter, type CpuShare } from './cpu.js';
import { insertInBatches, type InsertReport, type ReservedCodes } from './history.js';
import { stringAt } from './http.js';
import { pause, type PhaseContext, type PhaseReturn } from './phase.js';
import { nowMs, seededRandom, summarize, weighted, type LatencySummary } from './stats.js';
import { watchStoreOperations, type StoreOperations } from './store-operations.js';
import { REPO_ROOT, type SystemUnderTest, type WarningSource } from './system-under-test.js';
import { clearWaiting } from './take-next.js';

/*
 * The counter channel's two hot paths with the hall full and the history in the store: a citizen taking a turn at a
 * kiosk (POST /kiosk/turns with a device key: intake, the day's turn number, the hall's queue, the turns ahead and the
 * wait), and a counter calling the next turn (POST /counters/:code/call-next: the Lua claim over the counter's
 * services, the ticket's write by `_id`, the call on the display board). The hall has SERVICES services and as many
 * counters, each serving two of them, so a call picks the best turn of two queues.
 */

/** The issue's hall: 10,000 turns waiting across 20 services. */
export const SERVICES = 20;
/** Calls made before measuring, so the first samples do not time module warm-up. */
const WARM_UP = 3;

const PRIORITY_MIX: readonly (readonly [PriorityClass, number])[] = [
  ['normal', 80],
  ['vpp', 12],
  ['preferential', 8],
];

interface KioskFile {
  services: { code: string; name: string; prefix: string; routingHint: string; typicalServiceMinutes: number; lastTurnAt?: string }[];
  counters: { code: string; name: string; services: string[] }[];
}

/**
 * The configuration of the systems under test: the catalogue of `baseDir` with a hall of {@link SERVICES} services
 * (the shipped ones, then more of the same routing hints, as a larger office would list them) and one counter per
 * service, each serving its own and the next one. Written to a temporary folder; `remove` deletes it.
 */
export async function benchConfig(baseDir: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-config-'));
  for (const name of await readdir(baseDir)) if (name.endsWith('.json')) await copyFile(join(baseDir, name), join(dir, name));
  const kiosk = JSON.parse(await readFile(join(baseDir, 'kiosk.json'), 'utf8')) as KioskFile;
  const shipped = kiosk.services.map(({ lastTurnAt: _last, ...s }) => s);
  const hints = [...new Set(shipped.map((s) => s.routingHint))];
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const used = new Set(shipped.map((s) => s.prefix));
  const extra: KioskFile['services'] = [];
  for (let i = 0; shipped.length + extra.length < SERVICES; i++) {
    const prefix = `X${letters.charAt(i % 26)}`;
    if (used.has(prefix)) continue;
    extra.push({ code: `servicio_${String(i + 1).padStart(2, '0')}`, name: `Servicio de plataforma ${String(i + 1)}`, prefix, routingHint: hints[i % hints.length] ?? 'orientacion', typicalServiceMinutes: 6 });
  }
  const services = [...shipped, ...extra].slice(0, SERVICES);
  const counters = services.map((s, i) => ({ code: `V${String(i + 1)}`, name: `Ventanilla ${String(i + 1)}`, services: [s.code, services[(i + 1) % services.length]?.code ?? s.code] }));
  await writeFile(join(dir, 'kiosk.json'), JSON.stringify({ ...kiosk, services, counters }, null, 2));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * The clock of the counter channel under test: the real one, moved to 10:00 Lima time of today (or of the next
 * business day), so turns are given whatever the hour the bench runs at. Only the counter channel reads it.
 */
export function benchClock(catalogue: Pick<Catalogue, 'calendar'>, now = Date.now()): () => Date {
  const calendar = createBusinessCalendar(catalogue.calendar);
  let day = calendar.toLocalDate(new Date(now));
  if (!calendar.isBusinessDay(day)) day = calendar.nextBusinessDay(day);
  const offset = Date.parse(`${day}T10:00:00-05:00`) - now;
  return () => new Date(Date.now() + offset);
}

export interface KioskPlan {
  codes: ReservedCodes;
  turnSamples: number;
  callSamples: number;
  /** The counter channel's clock in the system under test. */
  clock: () => Date;
}

export interface KioskResult {
  services: number;
  counters: number;
  waiting: number;
  prepare: InsertReport;
  /** POST /kiosk/turns → answer (201), one kiosk, one request at a time. */
  takeTurn: LatencySummary;
  /** POST /counters/:code/call-next → answer (200), the counters in turn, one call at a time. */
  callNext: LatencySummary;
  /** Turns a counter was given twice (must be 0). */
  duplicates: number;
  errors: Record<string, number>;
  cpu: CpuShare;
  store: { takeTurn: StoreOperations; callNext: StoreOperations };
  warnings: Record<string, number>;
}

/**
 * Turns waiting in the hall, arrived over the last two hours, written straight into the store (the history
 * shortcut) with the day's numbers of their prefixes; the store's ceilings are moved past them, so the system numbers
 * new turns after them. The live state is rebuilt from the store afterwards.
 */
async function insertWaitingTurns(ctx: AppContext, codes: ReservedCodes, day: string, signal: AbortSignal, onProgress: (done: number) => void): Promise<InsertReport & { ids: TicketDoc['_id'][] }> {
  const random = seededRandom(codes.count + 11);
  const services = ctx.catalogue.kiosk.services;
  const now = Date.now();
  const times = Array.from({ length: codes.count }, () => now - 60_000 - random() * 7_200_000).sort((a, b) => a - b);
  const seqs = new Map<string, number>();
  const ids: TicketDoc['_id'][] = [];
  let code = codes.first;
  const turnOf = (i: number): TicketDoc => {
    const service = services[i % services.length] as KioskService;
    const decision = routeContact({ channel: 'kiosk', hint: { kioskService: service.routingHint } }, ctx.catalogue);
    const seq = (seqs.get(service.prefix) ?? 0) + 1;
    seqs.set(service.prefix, seq);
    const at = new Date(times[i] ?? now);
    const priorityClass = weighted(PRIORITY_MIX, random());
    const channelKey = `bench-kiosk:${randomBytes(12).toString('hex')}`;
    const number = formatTurnNumber(service.prefix, seq);
    return {
      _id: ticketIdFor('kiosk', channelKey),
      trackingCode: formatTrackingCode(ctx.env.TRACKING_CODE_PREFIX, codes.year, code++),
      channel: 'kiosk',
      channelKey,
      type: decision.ticketType ?? 'consulta',
      ...(decision.serviceCode ? { serviceCode: decision.serviceCode } : {}),
      unitCode: decision.unitCode,
      queue: decision.queue,
      requiredSkills: decision.requiredSkills,
      originUnitCode: ctx.catalogue.attentionOffice.code,
      status: 'en_cola',
      priorityClass,
      priorityScore: priorityScore({ priorityClass, slaAtRisk: false }),
      slaAtRisk: false,
      subject: `Turno ${number}: ${service.name}`,
      routingHint: { kioskService: service.routingHint },
      enqueuedAt: at,
      turn: { number, service: service.code, day, issuedAt: at, deviceId: 'bench', statusKey: randomBytes(16).toString('base64url'), stage: 'waiting', waitingSince: at, waitSeconds: 0, serviceSeconds: 0, recalls: 0, redirectedFrom: [] },
      version: 0,
      createdAt: at,
      updatedAt: at,
    };
  };
  const report = await insertInBatches(
    ctx,
    codes.count,
    (from, to) =>
      Array.from({ length: to - from }, (_, k) => {
        const doc = turnOf(from + k);
        ids.push(doc._id);
        return doc;
      }),
    onProgress,
    signal,
  );
  const { TurnCeiling } = ctx.store.models;
  for (const [prefix, seq] of seqs) await TurnCeiling.updateOne({ _id: `${day}:${prefix}` }, { $set: { ceiling: seq, updatedAt: new Date() } }, { upsert: true });
  await rebuildLiveState(ctx);
  return { ...report, ids };
}

/** Sums the store operations of several stretches of one path. */
function mergeOperations(parts: readonly StoreOperations[]): StoreOperations {
  const shapes = new Map<string, { count: number; timedMs: number; timed: number; maxMs: number | null }>();
  const scans = new Map<string, StoreOperations['scans'][number]>();
  for (const part of parts) {
    for (const [shape, c] of Object.entries(part.byShape)) {
      const into = shapes.get(shape) ?? { count: 0, timedMs: 0, timed: 0, maxMs: null };
      into.count += c.count;
      if (c.meanMs !== null) {
        into.timedMs += c.meanMs * c.count;
        into.timed += c.count;
      }
      if (c.maxMs !== null) into.maxMs = Math.max(into.maxMs ?? 0, c.maxMs);
      shapes.set(shape, into);
    }
    for (const scan of part.scans) {
      const key = `${scan.shape} @ ${scan.site}`;
      const into = scans.get(key) ?? { ...scan, count: 0 };
      into.count += scan.count;
      scans.set(key, into);
    }
  }
  const byShape = Object.fromEntries(
    [...shapes.entries()]
      .sort((a, b) => b[1].count - a[1].count)
      .slice(0, 20)
      .map(([shape, c]) => [shape, { count: c.count, meanMs: c.timed === 0 ? null : Math.round((c.timedMs / c.timed) * 100) / 100, maxMs: c.maxMs }]),
  );
  return { total: parts.reduce((n, p) => n + p.total, 0), byShape, scans: [...scans.values()].sort((a, b) => b.count - a.count) };
}

function tally(errors: Record<string, number>, status: number, body: unknown): void {
  const key = `HTTP ${String(status)} ${stringAt(body, 'error', 'code') ?? ''}`.trim();
  errors[key] = (errors[key] ?? 0) + 1;
}

/**
 * Fills the hall, then measures a kiosk taking turns one after the other and the counters calling the next turn
 * one after the other (each then finishes its turn, untimed, so it may call again). The turns still waiting are
 * removed afterwards, whatever happened.
 */
export async function measureKiosk(sut: SystemUnderTest, services: { cpu: CpuMeter; tally: WarningSource }, plan: KioskPlan, p: PhaseContext): Promise<PhaseReturn<KioskResult>> {
  const ctx = sut.system.ctx;
  const { kiosk } = ctx.catalogue;
  const day = createBusinessCalendar(ctx.catalogue.calendar).toLocalDate(plan.clock());
  const ids: TicketDoc['_id'][] = [];
  const tokens: { code: string; token: string }[] = [];
  const errors: Record<string, number> = {};
  try {
    const prepare = await insertWaitingTurns(ctx, plan.codes, day, p.signal, (done) => { p.progress.status(`kiosk: ${done}/${plan.codes.count} turns waiting`); });
    ids.push(...prepare.ids);
    const admin = { kind: 'staff', id: 'bench', roles: ['admin'], units: [] } as const;
    const { key } = await issueDeviceKey(ctx, admin, 'Kiosco del bench');
    for (const counter of kiosk.counters) {
      const staff = await ctx.store.staff.create({ username: `ventanilla.${counter.code.toLowerCase()}`, displayName: counter.name, passwordHash: 'disabled', roles: ['agent'], units: [ctx.catalogue.attentionOffice.code] });
      const token = (await startSession(ctx, staff)).accessToken;
      const signedIn = await sut.http.request('POST', `/api/v1/counters/${counter.code}/sign-in`, { token, signal: p.signal });
      if (signedIn.status !== 200) throw new Error(`counter ${counter.code} sign-in answered ${String(signedIn.status)}`);
      tokens.push({ code: counter.code, token });
    }
    services.tally.take();
    const cpuFrom = await services.cpu.snapshot();

    const turnSamples: number[] = [];
    const watchTurns = watchStoreOperations(ctx.store.connection, REPO_ROOT);
    for (let i = 0; i < plan.turnSamples + WARM_UP && !p.signal.aborted; i++) {
      const service = kiosk.services[i % kiosk.services.length]?.code ?? '';
      const started = nowMs();
      const answer = await sut.http.request('POST', '/api/v1/kiosk/turns', { headers: { 'X-Kiosk-Key': key }, json: { requestId: `bench-${String(i)}-${randomBytes(4).toString('hex')}`, service }, signal: p.signal });
      const elapsed = nowMs() - started;
      if (answer.status !== 201) tally(errors, answer.status, answer.body);
      else {
        if (i >= WARM_UP) turnSamples.push(elapsed);
        const id = stringAt(answer.body, 'turn', 'ticketId');
        if (id !== undefined) ids.push(new Types.ObjectId(id));
      }
      if (turnSamples.length % 20 === 0) p.progress.status(`kiosk: ${turnSamples.length}/${plan.turnSamples} turns taken`);
    }
    const takeTurnStore = await watchTurns.stop();

    // Rounds: every counter calls once (timed, store operations watched), then every counter finishes (untimed).
    const callSamples: number[] = [];
    const callStore: StoreOperations[] = [];
    const called = new Set<string>();
    let duplicates = 0;
    let calls = 0;
    // Read afresh at each step: the deadline (or Ctrl-C) may come during a round.
    const aborted = (): boolean => p.signal.aborted;
    while (callSamples.length < plan.callSamples && !aborted()) {
      const watch = watchStoreOperations(ctx.store.connection, REPO_ROOT);
      const holding: { code: string; token: string }[] = [];
      for (const counter of tokens) {
        if (callSamples.length >= plan.callSamples || aborted()) break;
        const started = nowMs();
        const answer = await sut.http.request('POST', `/api/v1/counters/${counter.code}/call-next`, { token: counter.token, signal: p.signal });
        const elapsed = nowMs() - started;
        calls++;
        if (answer.status !== 200) {
          if (answer.status !== 204) tally(errors, answer.status, answer.body);
          continue;
        }
        if (calls > WARM_UP) callSamples.push(elapsed);
        const ticketId = stringAt(answer.body, 'turn', 'ticketId') ?? '';
        if (called.has(ticketId)) duplicates++;
        called.add(ticketId);
        holding.push(counter);
      }
      callStore.push(await watch.stop());
      if (holding.length === 0) break;
      for (const counter of holding) {
        const finished = await sut.http.request('POST', `/api/v1/counters/${counter.code}/finish`, { token: counter.token, json: { outcome: 'resolved' }, signal: p.signal });
        if (finished.status !== 200) tally(errors, finished.status, finished.body);
      }
      p.progress.status(`kiosk: ${callSamples.length}/${plan.callSamples} turns called`);
    }
    const cpuTo = await services.cpu.snapshot();
    const short = turnSamples.length < plan.turnSamples || callSamples.length < plan.callSamples;
    return {
      result: {
        services: kiosk.services.length,
        counters: kiosk.counters.length,
        waiting: prepare.inserted,
        prepare: { inserted: prepare.inserted, seconds: prepare.seconds, perSecond: prepare.perSecond },
        takeTurn: summarize(turnSamples),
        callNext: summarize(callSamples),
        duplicates,
        errors,
        cpu: CpuMeter.share(cpuFrom, cpuTo),
        store: { takeTurn: takeTurnStore, callNext: mergeOperations(callStore) },
        warnings: services.tally.take(),
      },
      timedOut: short,
      ...(short ? { note: `reached ${turnSamples.length} of ${plan.turnSamples} turns and ${callSamples.length} of ${plan.callSamples} calls` } : {}),
    };
  } finally {
    // The counters close (handing back any turn still held) and the turns still waiting are removed; bounded.
    const cleanup = (async () => {
      for (const counter of tokens) await sut.http.request('POST', `/api/v1/counters/${counter.code}/sign-out`, { token: counter.token }).catch(() => undefined);
      await clearWaiting(ctx, ids);
    })().catch(() => undefined);
    await Promise.race([cleanup, pause(60_000)]);
  }
}
