import { Queue, Worker } from 'bullmq';
import { WAITING_STATUSES } from '../src/domain/ticket-lifecycle.js';
import { createRedis } from '../src/queues/redis-client.js';
import { rooms, type NotificationPayload } from '../src/realtime/events.js';
import type { AgentPool } from './agents.js';
import { pause, type PhaseContext } from './phase.js';
import { nowMs, perSecond } from './stats.js';
import type { SystemUnderTest } from './system-under-test.js';

/** One ceiling: how much of a raw operation the machine does per second, alone, in this run. */
export interface Ceiling {
  perSecond: number;
  operations: number;
  seconds: number;
  /** How it was driven (concurrency, window), so runs compare like with like. */
  setup: string;
  /** True when the deadline, not the planned amount, ended it. */
  cut: boolean;
}

/** The cost of one query for waiting work at this history size (see {@link storeScan}). */
export interface StoreScan {
  /** Median of three runs (one run when it takes over a second), ms. */
  ms: number;
  /** Tickets in the collection. */
  documents: number;
}

export interface Ceilings {
  storeInsert?: Ceiling;
  storeScan?: StoreScan;
  bullmq?: Ceiling;
  socketViaRedis?: Ceiling;
  socketDirect?: Ceiling;
}

export interface CeilingPlan {
  storeSeconds: number;
  bullmqJobs: number;
  socketEvents: number;
}

const INSERT_CONCURRENCY = 32;
const BULLMQ_CONCURRENCY = 32;
const SOCKET_WINDOW = 1_000;

/** A document the size and shape of a ticket, without the ticket collection's indexes: the store's raw write. */
function ticketShaped(i: number): Record<string, unknown> {
  const at = new Date();
  return {
    trackingCode: `BENCH-${i}`,
    channel: 'manual',
    channelKey: `ceiling-${i}-${Math.random()}`,
    type: 'consulta',
    unitCode: 'GAT',
    originUnitCode: 'GDVAC',
    queue: 'rentas',
    requiredSkills: [],
    status: 'nuevo',
    priorityClass: 'normal',
    priorityScore: 1,
    slaAtRisk: false,
    subject: 'Consulta de estado de cuenta de arbitrios e impuesto predial',
    description: 'Vecino solicita información sobre su estado de cuenta y el cronograma de pagos del año.',
    routingHint: { serviceCode: 'rentas.estado_cuenta', text: 'estado de cuenta arbitrios' },
    version: 0,
    createdAt: at,
    updatedAt: at,
  };
}

/** Single-document inserts at a fixed concurrency, through the system's own store connection. */
async function storeInsertCeiling(sut: SystemUnderTest, seconds: number, p: PhaseContext): Promise<Ceiling> {
  const connection = sut.system.ctx.store.connection;
  const name = 'bench_insert_ceiling';
  const collection = connection.collection(name);
  const started = nowMs();
  const until = Math.min(started + seconds * 1000, p.deadline);
  let done = 0;
  let cut = false;
  await Promise.all(
    Array.from({ length: INSERT_CONCURRENCY }, async () => {
      while (nowMs() < until) {
        if (p.signal.aborted) {
          cut = true;
          return;
        }
        await collection.insertOne(ticketShaped(done));
        done++;
      }
    }),
  );
  const elapsed = nowMs() - started;
  await connection.dropCollection(name).catch(() => undefined);
  return {
    perSecond: perSecond(done, elapsed),
    operations: done,
    seconds: Math.round(elapsed / 100) / 10,
    setup: `insertOne of a ticket-sized document, ${INSERT_CONCURRENCY} at a time, pool ${sut.system.ctx.env.MONGODB_POOL_SIZE}`,
    cut,
  };
}

/**
 * One query of the shape today's hot path uses to find waiting work (status, unit, best first), on the
 * tickets collection with the history in it. FerretDB v1 sends only an exact `{_id}` filter to its backend,
 * so this reads the whole collection: the unit of cost that grows with history. On MongoDB it uses an index.
 */
async function storeScan(sut: SystemUnderTest): Promise<StoreScan> {
  const { Ticket } = sut.system.ctx.store.models;
  const documents = await Ticket.estimatedDocumentCount();
  const once = async (): Promise<number> => {
    const started = nowMs();
    await Ticket.find({ status: { $in: [...WAITING_STATUSES] }, unitCode: 'GAT' }).sort({ priorityScore: -1, enqueuedAt: 1 }).limit(100).lean();
    return nowMs() - started;
  };
  const first = await once();
  // A slow query is timed once; a fast one three times (the median), since its noise matters more.
  const times = first > 1_000 ? [first] : [first, await once(), await once()].sort((a, b) => a - b);
  const value = times[Math.floor(times.length / 2)] ?? first;
  return { ms: Math.round(value * 10) / 10, documents };
}

/** No-op jobs added one by one (32 producers) and processed by one worker (concurrency 32). */
async function bullmqCeiling(sut: SystemUnderTest, redisUrl: string, jobs: number, p: PhaseContext): Promise<Ceiling> {
  const log = sut.system.ctx.log;
  const connection = createRedis(redisUrl, 'queue', log);
  const blocking = createRedis(redisUrl, 'blocking', log);
  const prefix = `${sut.name}:ceiling`;
  const queue = new Queue('noop', { connection, prefix });
  let completed = 0;
  let lastCompletedAt = 0;
  const worker = new Worker('noop', () => Promise.resolve(), { connection: blocking, prefix, concurrency: BULLMQ_CONCURRENCY });
  worker.on('completed', () => {
    completed++;
    lastCompletedAt = nowMs();
  });
  const started = nowMs();
  let added = 0;
  try {
    await Promise.all(
      Array.from({ length: BULLMQ_CONCURRENCY }, async () => {
        while (added < jobs && !p.signal.aborted) {
          added++;
          await queue.add('noop', { i: added }, { removeOnComplete: true, removeOnFail: true });
        }
      }),
    );
    while (completed < added && !p.signal.aborted) await pause(5, p.signal);
  } finally {
    await worker.close(true);
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    connection.disconnect();
    blocking.disconnect();
  }
  const elapsed = (lastCompletedAt || nowMs()) - started;
  return {
    perSecond: perSecond(completed, elapsed),
    operations: completed,
    seconds: Math.round(elapsed / 100) / 10,
    setup: `add (${BULLMQ_CONCURRENCY} producers) + process (one worker, concurrency ${BULLMQ_CONCURRENCY}) of no-op jobs`,
    cut: completed < jobs,
  };
}

/**
 * Events delivered to one connected client, with at most a window of them in flight, either through the path
 * workers use (the Redis emitter, then the API node's adapter) or emitted by the API node's server itself.
 */
async function socketCeiling(pool: AgentPool, sut: SystemUnderTest, via: 'redis' | 'direct', events: number, p: PhaseContext): Promise<Ceiling> {
  const client = await pool.recruit({
    units: [sut.system.ctx.catalogue.attentionOffice.code],
    autoAssign: false,
    capacity: { phone: 0, email: 0, kiosk: 0, manual: 0 },
    signal: p.signal,
  });
  let received = 0;
  let lastReceivedAt = 0;
  client.socket.on('notification:new', () => {
    received++;
    lastReceivedAt = nowMs();
  });
  const io = sut.system.sockets?.io;
  const send = (i: number): void => {
    const payload: NotificationPayload = {
      notificationId: `n${i}`,
      kind: 'sla_at_risk',
      ticketId: '000000000000000000000000',
      trackingCode: 'PL-2026-000001',
      message: 'El caso PL-2026-000001 está por vencer su plazo de atención.',
      at: new Date().toISOString(),
    };
    if (via === 'redis' || io === undefined) sut.system.ctx.realtime.notification(client.staffId, payload);
    else io.to(rooms.user(client.staffId)).emit('notification:new', payload);
  };
  const started = nowMs();
  let sent = 0;
  try {
    while (received < events && !p.signal.aborted) {
      while (sent < events && sent - received < SOCKET_WINDOW) send(sent++);
      await pause(1, p.signal);
    }
  } finally {
    client.socket.disconnect();
    client.retired = true;
  }
  const elapsed = (lastReceivedAt || nowMs()) - started;
  return {
    perSecond: perSecond(received, elapsed),
    operations: received,
    seconds: Math.round(elapsed / 100) / 10,
    setup: via === 'redis' ? `Redis emitter → adapter → 1 client, ≤ ${SOCKET_WINDOW} in flight` : `server emit → 1 client, ≤ ${SOCKET_WINDOW} in flight`,
    cut: received < events,
  };
}

/** The raw ceilings, one after the other, each alone on the machine. */
export async function measureCeilings(pool: AgentPool, sut: SystemUnderTest, redisUrl: string, plan: CeilingPlan, p: PhaseContext): Promise<Ceilings> {
  const out: Ceilings = {};
  p.progress.status('ceilings: store inserts');
  out.storeInsert = await storeInsertCeiling(sut, plan.storeSeconds, p);
  p.progress.status('ceilings: BullMQ jobs');
  if (!p.signal.aborted) out.bullmq = await bullmqCeiling(sut, redisUrl, plan.bullmqJobs, p);
  p.progress.status('ceilings: Socket.IO events');
  if (!p.signal.aborted) out.socketViaRedis = await socketCeiling(pool, sut, 'redis', plan.socketEvents, p);
  if (!p.signal.aborted) out.socketDirect = await socketCeiling(pool, sut, 'direct', plan.socketEvents, p);
  // Last: at a large history on today's code one query takes seconds.
  p.progress.status('ceilings: one query for waiting work');
  if (!p.signal.aborted) out.storeScan = await storeScan(sut);
  return out;
}
