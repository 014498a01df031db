import { expect } from 'chai';
import { Types } from 'mongoose';
import { randomUUID } from 'node:crypto';
import { io as connect, type Socket } from 'socket.io-client';
import type { NotificationPayload, PresencePayload, QueueStatsPayload, SyncAnswer, TicketEventPayload, TurnCalledPayload } from '../../src/realtime/events.js';
import { notify } from '../../src/services/notifications/index.js';
import { setPresence, startSession } from '../../src/services/staff/index.js';
import type { StaffDoc } from '../../src/store/staff.model.js';
import { startSystem, type RunningSystem } from '../../src/system.js';
import { contact, intakeNow, seedStaff, settle } from '../support/seed.js';
import { testEnv, testLog, uniqueName } from '../support/services.js';
import { eventually } from '../support/wait.js';

const SYSTEM = { kind: 'system' } as const;
// Long enough that "not yet offline" is checked well inside it, short enough to wait out in a test.
const NODE_A_GRACE_MS = 1_000;

interface Client {
  socket: Socket;
  ticketEvents: TicketEventPayload[];
  stats: QueueStatsPayload[];
  notifications: NotificationPayload[];
  turns: TurnCalledPayload[];
  disconnects: string[];
}

describe('live updates over Socket.IO (two API nodes + a worker, real Redis and FerretDB)', function () {
  this.timeout(600_000);
  let nodeA: RunningSystem;
  let nodeB: RunningSystem;
  let worker: RunningSystem;
  const clients: Client[] = [];

  async function token(staff: StaffDoc, node = nodeA): Promise<string> {
    return (await startSession(node.ctx, staff)).accessToken;
  }

  function open(node: RunningSystem, auth: Record<string, unknown>, path = ''): Client {
    const socket = connect(`${node.url ?? ''}${path}`, { auth, transports: ['websocket'], reconnection: false, forceNew: true });
    const client: Client = { socket, ticketEvents: [], stats: [], notifications: [], turns: [], disconnects: [] };
    socket.on('ticket:event', (e: TicketEventPayload) => client.ticketEvents.push(e));
    socket.on('queue:stats', (s: QueueStatsPayload) => client.stats.push(s));
    socket.on('notification:new', (n: NotificationPayload) => client.notifications.push(n));
    socket.on('turn:called', (t: TurnCalledPayload) => client.turns.push(t));
    socket.on('disconnect', (reason) => client.disconnects.push(reason));
    clients.push(client);
    return client;
  }

  async function connected(client: Client): Promise<Client> {
    await eventually(() => client.socket.connected, 'socket to connect');
    return client;
  }

  /** Drops the client's connection and waits until its node has seen it go: the grace period starts then. */
  async function drop(node: RunningSystem, client: Client): Promise<void> {
    const id = client.socket.id;
    client.socket.disconnect();
    await eventually(() => id !== undefined && node.sockets?.io.of('/').sockets.has(id) === false, 'the node to see the connection drop');
  }

  /**
   * Waits until a client has been sent everything published before now, so that a check that something did not reach
   * it cannot pass early: a marker, published after it the same way (the worker's emitter, Redis, the client's node),
   * reaches the client, and one socket delivers in order. A staff client gets a notification; the display a call.
   */
  async function caughtUp(client: Client, staff?: StaffDoc): Promise<void> {
    const marker = `marca ${randomUUID()}`;
    if (staff) {
      await notify(worker.ctx, { recipientId: staff._id, kind: 'report_back', ticketId: new Types.ObjectId(), trackingCode: '-', message: marker, dedupeKey: marker });
      await eventually(() => client.notifications.some((n) => n.message === marker), 'the marker sent after what is ruled out');
    } else {
      worker.ctx.realtime.turnCalled({ turn: 'Z-999', counter: 'Ventanilla 1', announcement: marker, at: new Date().toISOString() });
      await eventually(() => client.turns.some((t) => t.announcement === marker), 'the marker sent after what is ruled out');
    }
  }

  async function presenceOf(staff: StaffDoc): Promise<string | undefined> {
    return (await worker.ctx.store.staffPresence.getStaff(staff._id))?.presence;
  }

  async function refused(client: Client): Promise<{ message: string; data?: { code?: string } }> {
    return new Promise((resolve) => client.socket.once('connect_error', (err: Error & { data?: { code?: string } }) => { resolve(err); }));
  }

  before(async () => {
    const db = uniqueName(import.meta.filename);
    const prefix = uniqueName(import.meta.filename);
    const env = (role: string, extra: Record<string, string> = {}) =>
      testEnv(import.meta.filename, { ROLE: role, MONGODB_DB: db, PRESENCE_GRACE_MS: String(NODE_A_GRACE_MS), ...extra });
    worker = await startSystem(await env('worker'), { log: testLog, queuePrefix: prefix });
    nodeA = await startSystem(await env('api'), { log: testLog, queuePrefix: prefix });
    // Node B forgives a dropped connection for 20 s (catch-up test); node A for NODE_A_GRACE_MS (presence tests).
    nodeB = await startSystem(await env('api', { AUTH_ACCESS_TTL_SECONDS: '2', PRESENCE_GRACE_MS: '20000' }), { log: testLog, queuePrefix: prefix });
  });

  afterEach(() => {
    for (const c of clients.splice(0)) c.socket.disconnect();
  });

  after(async () => {
    await Promise.all([nodeA.stop(), nodeB.stop()]);
    await worker.stop();
  });

  it('refuses a connection without a valid token and accepts one with it', async () => {
    const none = open(nodeA, {});
    expect((await refused(none)).data?.code).to.equal('UNAUTHENTICATED');
    const forged = open(nodeA, { token: 'eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl' });
    expect((await refused(forged)).data?.code).to.equal('UNAUTHENTICATED');
    const agent = await seedStaff(worker.ctx.store, { units: ['GDVAC'] });
    const ok = await connected(open(nodeA, { token: await token(agent) }));
    expect(ok.socket.connected).to.equal(true);
  });

  it('delivers a ticket event to the unit that may see it, on the other node, and not to another unit', async () => {
    const office = await seedStaff(worker.ctx.store, { units: ['GDVAC'] });
    const rentas = await seedStaff(worker.ctx.store, { units: ['GAT'] });
    const officeClient = await connected(open(nodeB, { token: await token(office) }));
    const rentasClient = await connected(open(nodeB, { token: await token(rentas) }));
    // Created through the API of node A; routed by the worker process.
    const res = await fetch(`${nodeA.url ?? ''}/api/v1/tickets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await token(office)}` },
      body: JSON.stringify({ subject: 'Consulta en vivo', serviceCode: 'atencion.consulta_general' }),
    });
    const ticketId = ((await res.json()) as { ticket: { _id: string } }).ticket._id;
    await eventually(() => officeClient.ticketEvents.find((e) => e.ticket.ticketId === ticketId && e.kind === 'routed'), 'routed event on node B');
    expect(officeClient.ticketEvents.filter((e) => e.ticket.ticketId === ticketId).map((e) => e.kind)).to.include.members(['created', 'routed']);
    const routed = officeClient.ticketEvents.find((e) => e.kind === 'routed' && e.ticket.ticketId === ticketId);
    expect(routed?.ticket).to.include({ unitCode: 'GDVAC', status: 'en_cola' });
    expect(Object.keys(routed?.ticket ?? {})).not.to.include.members(['subject', 'citizenId']);
    await settle(worker.ctx.queues, ['route', 'assign']);
    await caughtUp(rentasClient, rentas);
    expect(rentasClient.ticketEvents.filter((e) => e.ticket.ticketId === ticketId)).to.deep.equal([]);
  });

  it('lets an agent catch up after a disconnect during which a ticket was assigned to them', async () => {
    const agent = await seedStaff(worker.ctx.store, { units: ['SGRC'], capacity: { email: 3 } });
    const first = await connected(open(nodeB, { token: await token(agent) }));
    expect(await first.socket.timeout(10_000).emitWithAck('presence:set', { presence: 'available' })).to.deep.equal({ ok: true });
    const since = new Date().toISOString();
    // A network cut shorter than node B's grace period: the agent stays available and gets work meanwhile.
    first.socket.disconnect();
    const { ticket } = await intakeNow(worker.ctx, contact({ subject: 'Partida mientras estaba desconectado', hint: { serviceCode: 'registro_civil.partidas' } }));
    await settle(worker.ctx.queues, ['route', 'assign']);
    expect((await worker.ctx.store.tickets.get(ticket._id.toString()))?.assigneeId?.toString()).to.equal(agent._id.toString());
    expect(first.ticketEvents.filter((e) => e.ticket.ticketId === ticket._id.toString())).to.deep.equal([]);

    const again = await connected(open(nodeB, { token: await token(agent) }));
    const answer = (await again.socket.timeout(10_000).emitWithAck('sync', { since })) as SyncAnswer;
    if (!answer.ok) throw new Error(answer.error.code);
    expect(answer.complete).to.equal(true);
    expect(answer.events.filter((e) => e.ticket.ticketId === ticket._id.toString()).map((e) => e.kind)).to.include('assigned');
    expect(answer.assigned.map((t) => t.ticketId)).to.include(ticket._id.toString());
    const bad = (await again.socket.timeout(10_000).emitWithAck('sync', { since: 'yesterday' })) as SyncAnswer;
    expect(bad).to.deep.equal({ ok: false, error: { code: 'VALIDATION_FAILED', message: 'since must be an ISO 8601 date-time.' } });
  });

  it('takes presence over the socket, and a dropped connection sets the agent offline after the grace period and reassigns their tickets', async () => {
    const leaving = await seedStaff(worker.ctx.store, { units: ['SGLIC'], capacity: { email: 1 } });
    const staying = await seedStaff(worker.ctx.store, { units: ['SGLIC'], capacity: { email: 1 } });
    const client = await connected(open(nodeA, { token: await token(leaving) }));
    expect(await client.socket.timeout(10_000).emitWithAck('presence:set', { presence: 'volando' })).to.deep.include({ ok: false });
    expect(await client.socket.timeout(10_000).emitWithAck('presence:set', { presence: 'available' })).to.deep.equal({ ok: true });
    const { ticket } = await intakeNow(worker.ctx, contact({ subject: 'Licencia', hint: { serviceCode: 'licencias.funcionamiento' } }));
    await settle(worker.ctx.queues, ['route', 'assign']);
    expect((await worker.ctx.store.tickets.get(ticket._id.toString()))?.assigneeId?.toString()).to.equal(leaving._id.toString());
    await setPresence(worker.ctx, SYSTEM, staying._id.toString(), 'available');

    await drop(nodeA, client);
    // The node knows the connection is gone, yet within the grace period the agent keeps presence and ticket.
    expect(await presenceOf(leaving)).to.equal('available');
    expect((await worker.ctx.store.tickets.get(ticket._id.toString()))?.assigneeId?.toString()).to.equal(leaving._id.toString());
    await eventually(async () => (await presenceOf(leaving)) === 'offline', 'agent set offline after the grace period');
    await settle(worker.ctx.queues, ['route', 'assign']);
    expect((await worker.ctx.store.tickets.get(ticket._id.toString()))?.assigneeId?.toString()).to.equal(staying._id.toString());
  });

  it('tells supervisors of presence changes and a person of their own notifications', async () => {
    const supervisor = await seedStaff(worker.ctx.store, { roles: ['supervisor'], units: ['SGPJ'] });
    const otherSupervisor = await seedStaff(worker.ctx.store, { roles: ['supervisor'], units: ['GAT'] });
    const agent = await seedStaff(worker.ctx.store, { units: ['SGPJ'] });
    const watcher = await connected(open(nodeA, { token: await token(supervisor) }));
    const outsider = await connected(open(nodeB, { token: await token(otherSupervisor) }));
    const presences: PresencePayload[] = [];
    const notifications: NotificationPayload[] = [];
    watcher.socket.on('presence:changed', (p: PresencePayload) => presences.push(p));
    watcher.socket.on('notification:new', (n: NotificationPayload) => notifications.push(n));
    const outsiderPresences: PresencePayload[] = [];
    outsider.socket.on('presence:changed', (p: PresencePayload) => outsiderPresences.push(p));

    await setPresence(worker.ctx, SYSTEM, agent._id.toString(), 'away');
    const seen = await eventually(() => presences.find((p) => p.staffId === agent._id.toString()), 'presence pushed to the supervisor');
    expect(seen).to.include({ presence: 'away' });
    expect(seen.units).to.deep.equal(['SGPJ']);

    const { ticket } = await intakeNow(worker.ctx, contact({ subject: 'Poda', hint: { serviceCode: 'parques.poda_arboles' } }));
    await notify(worker.ctx, {
      recipientId: supervisor._id,
      kind: 'sla_at_risk',
      ticketId: ticket._id,
      trackingCode: ticket.trackingCode,
      message: `El caso ${ticket.trackingCode} está por vencer su plazo`,
      dedupeKey: `test:${ticket._id.toString()}`,
    });
    await eventually(() => notifications.length > 0, 'notification pushed');
    expect(notifications[0]).to.include({ kind: 'sla_at_risk', trackingCode: ticket.trackingCode });
    await caughtUp(outsider, otherSupervisor);
    expect(outsiderPresences.filter((p) => p.staffId === agent._id.toString())).to.deep.equal([]);
  });

  it('keeps an agent who reconnects within the grace period', async () => {
    const agent = await seedStaff(worker.ctx.store, { units: ['SGLIC'] });
    // A colleague who drops just after the agent and does not come back: when they are set offline, the agent's own
    // grace period (as long, started earlier) has run out and its check has been made.
    const witness = await seedStaff(worker.ctx.store, { units: ['SGLIC'] });
    for (const person of [agent, witness]) await setPresence(worker.ctx, SYSTEM, person._id.toString(), 'available');
    const first = await connected(open(nodeA, { token: await token(agent) }));
    const witnessClient = await connected(open(nodeA, { token: await token(witness) }));
    const again = await token(agent, nodeB);

    await drop(nodeA, first);
    // Back within the grace period, this time through the other node.
    await connected(open(nodeB, { token: again }));
    await drop(nodeA, witnessClient);
    await eventually(async () => (await presenceOf(witness)) === 'offline', 'the witness set offline after the grace period');
    expect(await presenceOf(agent)).to.equal('available');
  });

  it('disconnects a disabled user and a socket whose token expired', async () => {
    const admin = await seedStaff(worker.ctx.store, { roles: ['admin'], units: ['GDVAC'] });
    const victim = await seedStaff(worker.ctx.store, { units: ['GDVAC'] });
    const client = await connected(open(nodeA, { token: await token(victim) }));
    const res = await fetch(`${nodeA.url ?? ''}/api/v1/staff/${victim._id.toString()}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await token(admin)}` },
      body: JSON.stringify({ disabled: true }),
    });
    expect(res.status).to.equal(200);
    await eventually(() => client.disconnects.length > 0, 'disabled user disconnected');

    const shortLived = await seedStaff(worker.ctx.store, { units: ['GDVAC'] });
    const expiring = await connected(open(nodeB, { token: await token(shortLived, nodeB) }));
    await eventually(() => expiring.disconnects.length > 0, 'socket dropped when its 2 s token expired', 10_000);
  });

  it('shows a public display only turn numbers and counter names', async () => {
    const display = await connected(open(nodeB, {}, '/display'));
    const { turns } = display;
    const announcement = 'Turno C-042, ventanilla 3';
    worker.ctx.realtime.turnCalled({ turn: 'C-042', counter: 'Ventanilla 3', announcement, at: '2026-11-23T15:00:00.000Z', ...({ citizenName: 'Rosa Quispe', dni: '10000001' } as object) });
    await eventually(() => turns.length > 0, 'turn on the display');
    expect(turns).to.deep.equal([{ turn: 'C-042', counter: 'Ventanilla 3', announcement, at: '2026-11-23T15:00:00.000Z' }]);
    await intakeNow(worker.ctx, contact({ subject: 'No debe verse en pantalla' }));
    await settle(worker.ctx.queues, ['route', 'assign']);
    await caughtUp(display);
    expect(display.ticketEvents).to.deep.equal([]);
    expect(display.stats).to.deep.equal([]);
  });

  it('pushes throttled live queue figures to supervisors under a burst of 1,000 tickets, and serves them over REST', async () => {
    const supervisor = await seedStaff(worker.ctx.store, { roles: ['supervisor'], units: ['GDVAC'] });
    const agent = await seedStaff(worker.ctx.store, { units: ['GDVAC'] });
    const watcher = await connected(open(nodeA, { token: await token(supervisor) }));
    const agentView = await connected(open(nodeB, { token: await token(agent) }));
    // Routing is held back so the burst stays a burst: 1,000 new tickets land in the office at once.
    const route = worker.ctx.queues.queue('route');
    await route.pause();
    const started = Date.now();
    const burst = Array.from({ length: 1000 }, (_, i) => contact({ externalId: `burst-${i}`, subject: `Caso ${i}` }));
    let next = 0;
    await Promise.all(
      Array.from({ length: 40 }, async () => {
        while (next < burst.length) {
          const c = burst[next++];
          if (c) await intakeNow(worker.ctx, c);
        }
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    const total = (s: QueueStatsPayload) => s.queues.find((q) => q.queue === '*');
    await settle(worker.ctx.queues, ['realtime']);
    const res = await fetch(`${nodeA.url ?? ''}/api/v1/stats/units/GDVAC`, { headers: { authorization: `Bearer ${await token(supervisor)}` } });
    expect(res.status).to.equal(200);
    const rest = (await res.json()) as QueueStatsPayload;
    expect(total(rest)?.waiting).to.be.at.least(1000);
    await eventually(() => watcher.stats.some((s) => total(s)?.waiting === total(rest)?.waiting), 'final figures pushed');

    const pushes = watcher.stats.filter((s) => s.unitCode === 'GDVAC').length;
    // One push per second at most (plus the second the burst ended in and the last one).
    expect(pushes, `${pushes} pushes for 1,000 tickets in ${seconds.toFixed(1)} s`).to.be.at.most(Math.ceil(seconds) + 3);
    expect(pushes).to.be.greaterThan(0);
    await caughtUp(agentView, agent);
    expect(agentView.stats, 'an agent is not sent supervisor figures').to.deep.equal([]);
    expect(total(rest)).to.have.keys(['queue', 'waiting', 'longestWaitSeconds', 'averageWaitTodaySeconds', 'atRisk', 'answeredToday', 'abandonedToday']);
    expect(rest.agents).to.have.keys(['available', 'busy', 'away', 'offline']);
    const denied = await fetch(`${nodeA.url ?? ''}/api/v1/stats/units/GDVAC`, { headers: { authorization: `Bearer ${await token(agent)}` } });
    expect(denied.status).to.equal(404);
    await route.obliterate({ force: true });
  });
});
