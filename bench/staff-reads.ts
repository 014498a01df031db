import { setMaxListeners } from 'node:events';
import type { AppContext } from '../src/services/context/index.js';
import type { Ticket } from '../src/store/ticket.repository.js';
import type { AgentPool, HarnessAgent } from './agents.js';
import { CpuMeter, type CpuShare } from './cpu.js';
import { HttpClient, stringAt } from './http.js';
import { pause, type PhaseContext, type PhaseReturn } from './phase.js';
import { settle, type Destination } from './pipeline.js';
import { nowMs, perSecond, seededRandom, summarize, type LatencySummary } from './stats.js';
import { watchStoreOperations, type StoreOperations } from './store-operations.js';
import { REPO_ROOT, type SystemUnderTest, type WarningSource } from './system-under-test.js';

/*
 * What staff read all day, timed while contacts keep arriving: 20 people (agents of the units contacts go to, and an
 * admin) each read one thing after another, a few a second (far more than anyone at a desk), over the REST API and
 * their sockets as a browser does, while a counter agent files contacts at 50 a second. Every read of issue 20 is one kind here; the
 * table puts each kind at the smallest history beside the largest (docs/benchmarks.md, "Staff reads").
 */

export const READ_KINDS = [
  'open-assigned',
  'open-closed',
  'timeline-page',
  'unit-list',
  'unit-list-next',
  'list-status',
  'list-type',
  'list-channel',
  'list-service',
  'list-assignee',
  'list-days',
  'day-list',
  'waiting',
  'mine',
  'search-code',
  'search-citizen',
  'search-words',
  'citizen-history',
  'mail-thread',
  'mail-code',
  'socket-catchup',
] as const;
export type ReadKind = (typeof READ_KINDS)[number];

/** What each kind reads, as the table says it. */
export const READ_LABELS: Record<ReadKind, string> = {
  'open-assigned': 'open the ticket just assigned to me (ticket, citizen, timeline)',
  'open-closed': 'open a closed ticket of months ago',
  'timeline-page': "a ticket's timeline, next page (newest first)",
  'unit-list': "my unit's tickets, first page",
  'unit-list-next': "my unit's tickets, next page (cursor)",
  'list-status': '… filtered by status',
  'list-type': '… filtered by type',
  'list-channel': '… filtered by channel',
  'list-service': '… filtered by service',
  'list-assignee': '… filtered by assignee',
  'list-days': '… filtered by a range of creation days',
  'day-list': "today's contacts of my unit (supervisor's day list)",
  waiting: 'what waits in my units (live state)',
  mine: 'what is mine (live state)',
  'search-code': 'search a tracking code (no dashes)',
  'search-citizen': "search a citizen's DNI, RUC, phone or email → their cases",
  'search-words': "search a word's beginning in subjects",
  'citizen-history': "a citizen's cases (history)",
  'mail-thread': 'the mail thread read when drafting a reply (store)',
  'mail-code': 'a tracking code cited by mail (store)',
  'socket-catchup': 'Socket.IO catch-up after a reconnect (`sync`)',
};

export interface StaffReadsPlan {
  readers: number;
  /** Contacts filed per second while the readers read. */
  rate: number;
  seconds: number;
}

/** One window of the phase: the reads of every kind, and the contacts filed meanwhile. */
export interface ReadWindow {
  seconds: number;
  /** Contacts filed while reading: planned, answered 201, and per second. */
  arrivals: { planned: number; created: number; perSecond: number; errors: Record<string, number> };
  reads: Record<ReadKind, LatencySummary & { errors: number }>;
  /** Reads per second, all kinds. */
  readsPerSecond: number;
  cpu: CpuShare;
  store: StoreOperations;
}

export interface StaffReadsResult {
  readers: number;
  /** Whether the system had finished earlier phases' work (its queues idle) before the first window, and how long that took. */
  settled: { idle: boolean; ms: number };
  /** The readers alone: what each read costs. */
  quiet: ReadWindow;
  /** The readers while contacts arrive at the plan's rate (issue 20's condition). */
  busy: ReadWindow;
  /** Reads and contacts the system answered with an error, by kind and answer. */
  errors: Record<string, number>;
  warnings: Record<string, number>;
}

/** What the readers read: tickets, codes, citizens and words taken from the history before the clock starts. */
interface Samples {
  closed: Map<string, Ticket[]>;
  anyClosed: Ticket[];
  mail: Ticket[];
  citizens: { id: string; query: string }[];
  words: string[];
}

const DAY_MS = 86_400_000;
/**
 * Between two reads of one person: alone, 100-300 ms (20 people make about 100 reads a second, to measure each read
 * many times); while contacts arrive, 0.5-1.5 s (about 20 a second: a busy office, with people reading far more often
 * than anyone at a desk does).
 */
const THINK_MS = { quiet: { min: 100, max: 300 }, busy: { min: 500, max: 1_500 } };
/** At most this long is waited for the system to finish what earlier phases left. */
const SETTLE_WITHIN_MS = 60_000;
/** How far back a reconnecting client asks what it missed: a network blip, a laptop woken up. */
const CATCH_UP_MS = 15_000;

/** A Lima day as `YYYY-MM-DD` (Lima is UTC−5 all year). */
function limaDay(at: number): string {
  return new Date(at - 5 * 3_600_000).toISOString().slice(0, 10);
}

function pick<T>(list: readonly T[], r: () => number): T | undefined {
  return list[Math.floor(r() * list.length)];
}

/** Closed tickets of each unit from about six months back, and what to search for in them. */
async function takeSamples(ctx: AppContext, units: readonly string[]): Promise<Samples> {
  const back = { at: new Date(Date.now() - 180 * DAY_MS), id: 'ffffffffffffffffffffffff' };
  const closed = new Map<string, Ticket[]>();
  for (const unit of units) closed.set(unit, (await ctx.store.tickets.page([{ unitCode: unit }], { status: ['cerrado'] }, back, 40)).items);
  const anyClosed = (await ctx.store.tickets.page('all', { status: ['cerrado'] }, back, 200)).items;
  const mail = (await ctx.store.tickets.page('all', { channel: 'email' }, back, 50)).items;
  const citizens: Samples['citizens'] = [];
  for (const ticket of anyClosed) {
    if (ticket.citizenId === undefined || citizens.length >= 60) continue;
    const citizen = await ctx.store.citizens.get(ticket.citizenId.toString());
    const query = citizen?.dni ?? citizen?.phones[0]?.replace(/^\+51/, '') ?? citizen?.emails[0] ?? citizen?.ruc;
    if (citizen && query !== undefined) citizens.push({ id: citizen._id.toString(), query });
  }
  // The beginning of a subject's longest word, as someone types it before it is finished.
  const words = anyClosed.map((t) => [...t.subject.split(/[^\p{L}]+/u)].sort((a, b) => b.length - a.length)[0] ?? '').filter((w) => w.length >= 5).map((w) => w.slice(0, Math.max(4, w.length - 3)));
  return { closed, anyClosed, mail, citizens, words };
}

type Reader = HarnessAgent & { admin: boolean; assignedIds: string[]; lastDetail?: string; nextUnitPage?: string };

/**
 * Reads with `readers` people while contacts arrive at `rate` a second for `seconds`. The readers are recruited for
 * it (agents of the pipeline's units with room for a few contacts each, so some arrivals are theirs; an admin); a
 * counter agent of the office files the contacts.
 */
export async function measureStaffReads(
  sut: SystemUnderTest,
  pool: AgentPool,
  services: { cpu: CpuMeter; tally: WarningSource },
  destinations: readonly Destination[],
  plan: StaffReadsPlan,
  p: PhaseContext,
): Promise<PhaseReturn<StaffReadsResult>> {
  const ctx = sut.system.ctx;
  // Every reader and the arrivals wait on the phase's signal at once.
  setMaxListeners(4 * (plan.readers + 8), p.signal);
  const units = destinations.map((d) => d.unit);
  const samples = await takeSamples(ctx, units);
  const office = ctx.catalogue.attentionOffice.code;
  const poster = await pool.recruit({ units: [office], autoAssign: false, capacity: { phone: 0, email: 0, kiosk: 0, manual: 0 }, signal: p.signal });
  const readers: Reader[] = [];
  for (let i = 0; i < plan.readers && !p.signal.aborted; i++) {
    const admin = i === 0;
    const unit = units[i % units.length] ?? office;
    const agent = await pool.recruit({
      units: [admin ? office : unit],
      ...(admin ? { roles: ['admin' as const] } : {}),
      autoAssign: !admin,
      capacity: { phone: 0, email: 0, kiosk: 0, manual: admin ? 0 : 3 },
      ...(admin ? {} : { presence: 'available' as const }),
      signal: p.signal,
    });
    const reader: Reader = Object.assign(agent, { admin, assignedIds: [] });
    agent.socket.on('ticket:event', (event) => {
      if (event.kind === 'assigned' && event.ticket.assigneeId === agent.staffId) reader.assignedIds.push(event.ticket.ticketId);
    });
    readers.push(reader);
  }

  const http = new HttpClient(sut.url, 64);
  const stopped = (): boolean => p.signal.aborted;
  // Of the window under way.
  let latencies = new Map<ReadKind, number[]>();
  let readErrors = new Map<ReadKind, number>();
  const errors: Record<string, number> = {};
  const fail = (kind: ReadKind, reason: string): void => {
    readErrors.set(kind, (readErrors.get(kind) ?? 0) + 1);
    errors[`${kind}: ${reason}`] = (errors[`${kind}: ${reason}`] ?? 0) + 1;
  };
  const get = async (reader: Reader, kind: ReadKind, path: string): Promise<unknown> => {
    const started = nowMs();
    const answer = await http.request('GET', path, { token: reader.token });
    if (answer.status !== 200) {
      fail(kind, `HTTP ${String(answer.status)} ${stringAt(answer.body, 'error', 'code') ?? ''}`.trim());
      return undefined;
    }
    latencies.get(kind)?.push(nowMs() - started);
    return answer.body;
  };
  const timed = async (kind: ReadKind, work: () => Promise<unknown>): Promise<void> => {
    const started = nowMs();
    await work();
    latencies.get(kind)?.push(nowMs() - started);
  };

  /** One read of `kind` by `reader`; false when there is nothing for this reader to read of that kind yet. */
  const read = async (reader: Reader, kind: ReadKind, r: () => number): Promise<boolean> => {
    const unit = reader.units[0] ?? office;
    const mine = reader.admin ? samples.anyClosed : (samples.closed.get(unit) ?? []);
    const closed = pick(mine, r);
    const unitParam = reader.admin ? '' : `unit=${unit}&`;
    switch (kind) {
      case 'open-assigned': {
        const id = reader.assignedIds.at(-1);
        if (id === undefined) return false;
        await get(reader, kind, `/api/v1/tickets/${id}`);
        return true;
      }
      case 'open-closed': {
        if (!closed) return false;
        const body = await get(reader, kind, `/api/v1/tickets/${closed._id.toString()}?order=newest&pageSize=5`);
        const next = stringAt(body, 'timeline', 'next');
        reader.lastDetail = next === undefined ? undefined : `${closed._id.toString()}?order=newest&pageSize=5&cursor=${next}`;
        return true;
      }
      case 'timeline-page': {
        if (reader.lastDetail === undefined) return false;
        const [id, query] = reader.lastDetail.split('?');
        await get(reader, kind, `/api/v1/tickets/${id ?? ''}/timeline?${query ?? ''}`);
        return true;
      }
      case 'unit-list': {
        const body = await get(reader, kind, `/api/v1/tickets?${unitParam}pageSize=25`);
        reader.nextUnitPage = stringAt(body, 'next');
        return true;
      }
      case 'unit-list-next':
        if (reader.nextUnitPage === undefined) return false;
        await get(reader, kind, `/api/v1/tickets?${unitParam}pageSize=25&cursor=${reader.nextUnitPage}`);
        return true;
      case 'list-status':
        await get(reader, kind, `/api/v1/tickets?${unitParam}status=${pick(['cerrado', 'en_cola', 'resuelto', 'asignado'], r) ?? 'cerrado'}&pageSize=25`);
        return true;
      case 'list-type':
        await get(reader, kind, `/api/v1/tickets?${unitParam}type=${pick(['consulta', 'reclamo', 'tramite', 'denuncia'], r) ?? 'reclamo'}&pageSize=25`);
        return true;
      case 'list-channel':
        await get(reader, kind, `/api/v1/tickets?${unitParam}channel=${pick(['phone', 'email', 'kiosk', 'manual'], r) ?? 'phone'}&pageSize=25`);
        return true;
      case 'list-service': {
        const service = closed?.serviceCode;
        if (service === undefined) return false;
        await get(reader, kind, `/api/v1/tickets?${unitParam}service=${encodeURIComponent(service)}&pageSize=25`);
        return true;
      }
      case 'list-assignee': {
        const assignee = closed?.assigneeId?.toString();
        if (assignee === undefined) return false;
        await get(reader, kind, `/api/v1/tickets?${unitParam}assignee=${assignee}&pageSize=25`);
        return true;
      }
      case 'list-days': {
        const from = Date.now() - Math.floor(r() * 300 + 30) * DAY_MS;
        await get(reader, kind, `/api/v1/tickets?${unitParam}from=${limaDay(from)}&to=${limaDay(from + 14 * DAY_MS)}&pageSize=25`);
        return true;
      }
      case 'day-list':
        await get(reader, kind, `/api/v1/tickets?${unitParam}from=${limaDay(Date.now())}&pageSize=50`);
        return true;
      case 'waiting':
        await get(reader, kind, `/api/v1/tickets/waiting${reader.admin ? '' : `?unit=${unit}`}`);
        return true;
      case 'mine':
        if (reader.admin) return false;
        await get(reader, kind, '/api/v1/tickets/mine');
        return true;
      case 'search-code': {
        if (!closed) return false;
        await get(reader, kind, `/api/v1/tickets/search?q=${encodeURIComponent(closed.trackingCode.replace(/-/g, '').toLowerCase())}`);
        return true;
      }
      case 'search-citizen': {
        const citizen = pick(samples.citizens, r);
        if (!citizen) return false;
        await get(reader, kind, `/api/v1/tickets/search?q=${encodeURIComponent(citizen.query)}`);
        return true;
      }
      case 'search-words': {
        const word = pick(samples.words, r);
        if (word === undefined) return false;
        await get(reader, kind, `/api/v1/tickets/search?q=${encodeURIComponent(word)}`);
        return true;
      }
      case 'citizen-history': {
        const citizen = pick(samples.citizens, r);
        if (!citizen) return false;
        await get(reader, kind, `/api/v1/citizens/${citizen.id}/tickets`);
        return true;
      }
      case 'mail-thread': {
        const ticket = pick(samples.mail, r);
        if (!ticket) return false;
        await timed(kind, () => ctx.store.interactions.list(ticket._id.toString()));
        return true;
      }
      case 'mail-code': {
        const ticket = pick(samples.anyClosed, r);
        if (!ticket) return false;
        await timed(kind, () => ctx.store.tickets.findByTrackingCode(ticket.trackingCode));
        return true;
      }
      case 'socket-catchup': {
        const started = nowMs();
        const answer: unknown = await reader.socket.timeout(10_000).emitWithAck('sync', { since: new Date(Date.now() - CATCH_UP_MS).toISOString() });
        if (typeof answer === 'object' && answer !== null && 'ok' in answer && answer.ok === true) latencies.get(kind)?.push(nowMs() - started);
        else fail(kind, 'sync refused');
        return true;
      }
    }
  };

  /** Every reader reads for `seconds` while contacts are filed at `rate` a second (none for 0). */
  const window = async (name: 'quiet' | 'busy', seconds: number, rate: number): Promise<ReadWindow> => {
    latencies = new Map(READ_KINDS.map((k) => [k, []]));
    readErrors = new Map();
    const think = THINK_MS[name];
    const arrivals = { planned: Math.round(rate * seconds), created: 0, errors: {} as Record<string, number> };
    const refuse = (reason: string): void => {
      arrivals.errors[reason] = (arrivals.errors[reason] ?? 0) + 1;
    };
    const cpuFrom = await services.cpu.snapshot();
    const watch = watchStoreOperations(ctx.store.connection, REPO_ROOT);
    const start = nowMs();
    const end = Math.min(start + seconds * 1000, p.deadline - 5_000);
    // Contacts keep arriving: open loop, as the pipeline phase files them, whatever the answers.
    const filing = (async () => {
      const inFlight = new Set<Promise<unknown>>();
      for (let i = 0; i < arrivals.planned && nowMs() < end && !p.signal.aborted; i++) {
        await pause(start + (i * 1000) / rate - nowMs(), p.signal);
        const destination = destinations[i % destinations.length];
        if (!destination) continue;
        const sent = http
          .request('POST', '/api/v1/tickets', { token: poster.token, json: { subject: destination.subject, serviceCode: destination.serviceCode, citizen: { dni: String(20_000_000 + i) } } })
          .then(
            (answer) => {
              if (answer.status === 201) arrivals.created++;
              else refuse(`HTTP ${String(answer.status)}`);
            },
            (err: unknown) => {
              if (!p.signal.aborted) refuse(err instanceof Error ? err.message : String(err));
            },
          );
        inFlight.add(sent);
        void sent.finally(() => inFlight.delete(sent));
      }
      await Promise.allSettled([...inFlight]);
    })();
    const reading = readers.map(async (reader, n) => {
      const r = seededRandom(n + (name === 'quiet' ? 1 : 1_001));
      const order = [...READ_KINDS].sort(() => r() - 0.5);
      for (let i = 0; nowMs() < end && !p.signal.aborted; i++) {
        const kind = order[i % order.length] ?? 'unit-list';
        try {
          await read(reader, kind, r);
        } catch (err) {
          // A read cut by the phase's end is not a failure.
          if (!stopped()) fail(kind, err instanceof Error ? err.message : String(err));
        }
        await pause(think.min + r() * (think.max - think.min), p.signal);
        if (n === 0 && i % 10 === 9) p.progress.status(`staff reads (${name}): ${String(Math.round((nowMs() - start) / 1000))} s, ${String([...latencies.values()].reduce((sum, l) => sum + l.length, 0))} reads, ${String(arrivals.created)} contacts filed`);
      }
    });
    await Promise.all([filing, ...reading]);
    const elapsed = nowMs() - start;
    const store = await watch.stop();
    const cpuTo = await services.cpu.snapshot();
    const total = [...latencies.values()].reduce((sum, l) => sum + l.length, 0);
    return {
      seconds: Math.round(elapsed / 100) / 10,
      arrivals: { planned: arrivals.planned, created: arrivals.created, perSecond: perSecond(arrivals.created, elapsed), errors: arrivals.errors },
      reads: Object.fromEntries(READ_KINDS.map((kind) => [kind, { ...summarize(latencies.get(kind) ?? []), errors: readErrors.get(kind) ?? 0 }])) as ReadWindow['reads'],
      readsPerSecond: perSecond(total, elapsed),
      cpu: CpuMeter.share(cpuFrom, cpuTo),
      store,
    };
  };

  // Each agent first gets a contact of their own (the ticket "just assigned to me"), then the system is left to
  // finish what earlier phases left before anything is timed.
  for (const [i, reader] of readers.entries()) {
    const destination = destinations.find((d) => reader.units.includes(d.unit));
    if (reader.admin || !destination) continue;
    await http.request('POST', '/api/v1/tickets', { token: poster.token, json: { subject: destination.subject, serviceCode: destination.serviceCode, citizen: { dni: String(30_000_000 + i) } } });
  }
  const assignedBy = nowMs() + 20_000;
  while (readers.some((r) => !r.admin && r.assignedIds.length === 0) && nowMs() < assignedBy && !p.signal.aborted) await pause(100, p.signal);
  const settled = await settle(sut, SETTLE_WITHIN_MS, p.signal, ['route', 'assign', 'realtime', 'channel', 'sla', 'system']);
  services.tally.take();
  const quiet = await window('quiet', Math.max(5, Math.round(plan.seconds / 2)), 0);
  const busy = await window('busy', plan.seconds, plan.rate);
  http.close();
  const short = busy.seconds < plan.seconds - 1;
  return { result: { readers: readers.length, settled, quiet, busy, errors, warnings: services.tally.take() }, timedOut: short };
}
