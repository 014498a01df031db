import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { createRoutingStateRepository, type LiveAgent, type RoutingEntry, type RoutingStateRepository } from '../../src/live/routing-state.repository.js';
import { createRedis } from '../../src/queues/redis-client.js';
import { testLog, testServices, uniqueName } from '../support/services.js';

const DAY = '2026-12-01';
const t0 = new Date('2026-12-01T14:00:00Z');
const at = (seconds: number): Date => new Date(t0.getTime() + seconds * 1000);

let seq = 0;
function ticket(over: Partial<RoutingEntry> = {}): RoutingEntry {
  seq++;
  return {
    ticketId: `t${String(seq).padStart(4, '0')}`,
    unitCode: 'GDVAC',
    queue: 'general',
    channel: 'email',
    requiredSkills: [],
    priorityScore: 1,
    enqueuedAt: at(seq),
    ...over,
  };
}

function agent(staffId: string, over: Partial<LiveAgent> = {}): LiveAgent {
  return {
    staffId,
    presence: 'available',
    autoAssign: true,
    takesWork: true,
    units: ['GDVAC'],
    skills: [],
    capacity: { phone: 1, email: 2, kiosk: 1, manual: 1 },
    ...over,
  };
}

describe('live routing state (real Redis, Lua claims)', () => {
  let redis: Redis;
  let live: RoutingStateRepository;

  before(async () => {
    const { redisUrl } = await testServices();
    redis = createRedis(redisUrl, 'queue', testLog);
  });

  beforeEach(async () => {
    live = createRoutingStateRepository(redis, uniqueName(import.meta.filename));
    await live.markBuilt(t0);
  });

  after(() => {
    redis.disconnect();
  });

  it('refuses claims until the state is built, with a retryable error', async () => {
    const fresh = createRoutingStateRepository(redis, uniqueName(import.meta.filename));
    const err = await fresh.place(ticket(), t0, DAY).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).to.have.property('code', 'SERVICE_UNAVAILABLE');
    expect(await fresh.isBuilt()).to.equal(false);
  });

  it('serves Ley 28683 before VPP before normal, then arrival order, then id', async () => {
    const normalOld = ticket({ priorityScore: 1 });
    const vpp = ticket({ priorityScore: 2 });
    const normalNew = ticket({ priorityScore: 1 });
    const preferential = ticket({ priorityScore: 3 });
    for (const t of [normalOld, vpp, normalNew, preferential]) expect(await live.place(t, t0, DAY)).to.deep.equal([]);
    await live.upsertAgent(agent('a1', { presence: 'busy', capacity: { phone: 0, email: 10, kiosk: 0, manual: 0 } }));
    const order: string[] = [];
    for (let i = 0; i < 4; i++) {
      const claim = await live.take('a1', ['email'], t0, DAY);
      if (typeof claim === 'string') throw new Error(claim);
      order.push(claim.ticketId);
    }
    expect(order).to.deep.equal([preferential.ticketId, vpp.ticketId, normalOld.ticketId, normalNew.ticketId]);
    expect(await live.take('a1', ['email'], t0, DAY)).to.equal('empty');
  });

  it('an SLA lift re-ranks a waiting ticket without changing its arrival', async () => {
    const first = ticket({ priorityScore: 1 });
    const second = ticket({ priorityScore: 1 });
    await live.place(first, t0, DAY);
    await live.place(second, t0, DAY);
    await live.setPriority(second.ticketId, 2);
    await live.upsertAgent(agent('a1', { presence: 'busy' }));
    const claim = await live.take('a1', ['email'], t0, DAY);
    expect(claim).to.include({ ticketId: second.ticketId });
  });

  it('assigns a new ticket to the least loaded eligible agent with the required skills', async () => {
    await live.upsertAgent(agent('busy', { skills: ['reclamaciones'] }));
    await live.upsertAgent(agent('plain'));
    await live.upsertAgent(agent('skilled', { skills: ['reclamaciones', 'vpp'] }));
    const first = await live.place(ticket({ requiredSkills: ['reclamaciones'] }), at(1), DAY);
    expect(first).to.have.length(1);
    const firstAgent = Array.isArray(first) ? first[0]?.staffId : undefined;
    expect(['busy', 'skilled']).to.include(firstAgent);
    const second = await live.place(ticket({ requiredSkills: ['reclamaciones'] }), at(2), DAY);
    const secondAgent = Array.isArray(second) ? second[0]?.staffId : undefined;
    expect(['busy', 'skilled']).to.include(secondAgent);
    expect(secondAgent).to.not.equal(firstAgent);
    expect(await live.load('plain')).to.include({ email: 0 });
  });

  it('never exceeds capacity nor hands a ticket out twice under concurrent places, drains and takes', async () => {
    const agents = ['x1', 'x2', 'x3', 'x4', 'x5'];
    for (const id of agents) await live.upsertAgent(agent(id, { presence: 'offline' }));
    const tickets = Array.from({ length: 60 }, () => ticket());
    const claims = (
      await Promise.all([
        ...tickets.map((t) => live.place(t, t0, DAY)),
        ...agents.map(async (id) => {
          await live.upsertAgent(agent(id));
          return live.drain(id, t0, DAY);
        }),
        ...agents.map((id) => live.take(id, ['email'], t0, DAY)),
      ])
    ).flatMap((r) => (Array.isArray(r) ? r : typeof r === 'object' ? [r] : []));
    const ids = claims.map((c) => c.ticketId);
    expect(new Set(ids).size).to.equal(ids.length);
    expect(ids).to.have.length(agents.length * 2);
    for (const id of agents) {
      expect((await live.load(id)).email).to.equal(2);
      expect(await live.held(id)).to.have.length(2);
    }
    const figures = await live.figures('GDVAC', DAY);
    expect(figures.queues.find((q) => q.queue === 'general')).to.include({ waiting: 50, answeredToday: 10 });
    expect(figures.agents).to.include({ available: 5 });
  });

  it('a freed agent drains the queue; removal gives back capacity; a repeat place of a held ticket is a no-op', async () => {
    await live.upsertAgent(agent('a1', { capacity: { phone: 0, email: 1, kiosk: 0, manual: 0 } }));
    const a = ticket();
    const b = ticket();
    expect(await live.place(a, t0, DAY)).to.have.length(1);
    expect(await live.place(b, t0, DAY)).to.deep.equal([]);
    expect(await live.place(a, t0, DAY)).to.equal('assigned');
    expect(await live.remove(a.ticketId)).to.deep.equal({ state: 'held', staffId: 'a1', channel: 'email' });
    const drained = await live.drain('a1', t0, DAY);
    expect(drained.map((c) => c.ticketId)).to.deep.equal([b.ticketId]);
  });

  it('take and assign say why they refuse', async () => {
    await live.upsertAgent(agent('off', { presence: 'offline' }));
    await live.upsertAgent(agent('full', { presence: 'busy', capacity: { phone: 0, email: 0, kiosk: 0, manual: 0 } }));
    await live.upsertAgent(agent('other', { presence: 'busy', units: ['GAT'] }));
    const t = ticket();
    await live.place(t, t0, DAY);
    expect(await live.take('off', ['email'], t0, DAY)).to.equal('offline');
    expect(await live.take('full', ['email'], t0, DAY)).to.equal('at_capacity');
    expect(await live.take('nobody', ['email'], t0, DAY)).to.equal('not_agent');
    expect(await live.assign(t.ticketId, 'other', t0, DAY)).to.equal('not_member');
    expect(await live.assign(t.ticketId, 'full', t0, DAY)).to.equal('at_capacity');
    expect(await live.assign('missing', 'full', t0, DAY)).to.equal('not_waiting');
  });

  it('keeps claims pending until the store confirms them', async () => {
    await live.upsertAgent(agent('a1'));
    const t = ticket();
    await live.place(t, t0, DAY);
    expect(await live.pendingBefore(at(1))).to.deep.equal([t.ticketId]);
    await live.confirm(t.ticketId, 'a1');
    expect(await live.pendingBefore(at(1))).to.deep.equal([]);
  });

  it('counts abandoned waiting tickets and at-risk tickets per queue', async () => {
    const a = ticket({ queue: 'reclamaciones' });
    const b = ticket({ queue: 'reclamaciones' });
    await live.place(a, t0, DAY);
    await live.place(b, t0, DAY);
    await live.setAtRisk('GDVAC', b.ticketId, true);
    await live.remove(a.ticketId, DAY);
    const q = (await live.figures('GDVAC', DAY)).queues.find((f) => f.queue === 'reclamaciones');
    expect(q).to.deep.include({ waiting: 1, atRisk: 1, abandonedToday: 1, oldestEnqueuedAt: b.enqueuedAt });
  });
});
