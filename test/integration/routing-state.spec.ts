import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { createLiveState, type LiveState } from '../../src/live/index.js';
import type { RoutingEntry } from '../../src/live/live-script.js';
import type { LiveAgent } from '../../src/live/routing-state.repository.js';
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

/** Waiting work of one case of the calling order: an id, its score (domain/priority.ts), its arrival, what it needs. */
interface Waiting {
  id: string;
  score: number;
  minute: number;
  skills?: string[];
  service?: string;
}

/**
 * The calling order, case by case, as the live state's scripts serve it. The order key is made once, by the domain
 * (`queueOrder`: higher score first, then arrival, equal keys by id); the scripts store it and compare it, and
 * check skills. These run the production scripts, through their repositories, on real Redis.
 */
const AGENT_ORDER: { title: string; waiting: Waiting[]; agentSkills?: string[]; served: string[] }[] = [
  {
    title: 'Ley 28683 preferential before Vecino Puntual before general attention, whatever the arrivals',
    waiting: [
      { id: 'n', score: 1, minute: 0 },
      { id: 'v', score: 2, minute: 5 },
      { id: 'p', score: 3, minute: 30 },
    ],
    served: ['p', 'v', 'n'],
  },
  {
    title: 'an SLA at risk ranks a ticket with the class above by its arrival: not before older ones of that class',
    waiting: [
      { id: 'n-old', score: 1, minute: -5 },
      { id: 'v-old', score: 2, minute: 0 },
      { id: 'n-risk', score: 2, minute: 1 },
      { id: 'v-new', score: 2, minute: 2 },
    ],
    served: ['v-old', 'n-risk', 'v-new', 'n-old'],
  },
  {
    title: 'within a class by arrival, equal arrivals by ticket id',
    waiting: [
      { id: 'b', score: 1, minute: 3 },
      { id: 'a', score: 1, minute: 3 },
      { id: 'c', score: 1, minute: 1 },
    ],
    served: ['c', 'a', 'b'],
  },
  {
    title: 'work that needs a skill the agent lacks is left to others; the rest keeps its order',
    waiting: [
      { id: 'reclamo', score: 3, minute: 0, skills: ['reclamaciones'] },
      { id: 'later', score: 1, minute: 9 },
      { id: 'earlier', score: 1, minute: 1 },
    ],
    served: ['earlier', 'later'],
  },
  {
    title: 'an agent with the skill takes that work in its place in the order',
    waiting: [
      { id: 'reclamo', score: 1, minute: 5, skills: ['reclamaciones'] },
      { id: 'first', score: 1, minute: 1 },
      { id: 'vip', score: 2, minute: 9, skills: ['reclamaciones', 'vpp'] },
    ],
    agentSkills: ['reclamaciones', 'vpp'],
    served: ['vip', 'first', 'reclamo'],
  },
];

const HALL_ORDER: { title: string; waiting: Waiting[]; served: string[] }[] = [
  {
    title: 'the counter calls across its services: preferential, then VPP, then general',
    waiting: [
      { id: 'n', score: 1, minute: 0, service: 'orientacion' },
      { id: 'v', score: 2, minute: 4, service: 'caja' },
      { id: 'p', score: 3, minute: 8, service: 'orientacion' },
    ],
    served: ['p', 'v', 'n'],
  },
  {
    title: 'within a class by arrival across services, equal arrivals by ticket id',
    waiting: [
      { id: 'c2', score: 1, minute: 2, service: 'caja' },
      { id: 'o1', score: 1, minute: 1, service: 'orientacion' },
      { id: 'o2b', score: 1, minute: 2, service: 'orientacion' },
    ],
    served: ['o1', 'c2', 'o2b'],
  },
];

describe('live routing state (real Redis, Lua claims)', () => {
  let redis: Redis;
  let live: LiveState;

  before(async () => {
    const { redisUrl } = await testServices();
    redis = createRedis(redisUrl, 'queue', testLog);
  });

  beforeEach(async () => {
    live = createLiveState(redis, uniqueName(import.meta.filename));
    await live.markBuilt(t0);
  });

  after(() => {
    redis.disconnect();
  });

  describe('the calling order of agents\' queues, case by case', () => {
    for (const order of AGENT_ORDER) {
      it(order.title, async () => {
        for (const w of order.waiting) {
          const entry = ticket({ ticketId: w.id, priorityScore: w.score, enqueuedAt: at(w.minute * 60), requiredSkills: w.skills ?? [] });
          expect(await live.routing.place(entry, t0, DAY)).to.deep.equal([]);
        }
        await live.routing.upsertAgent(agent('a1', { presence: 'busy', skills: order.agentSkills ?? [], capacity: { phone: 0, email: 20, kiosk: 0, manual: 0 } }));
        const served: string[] = [];
        for (let claim = await live.routing.take('a1', ['email'], t0, DAY); typeof claim !== 'string'; claim = await live.routing.take('a1', ['email'], t0, DAY)) served.push(claim.ticketId);
        expect(served).to.deep.equal(order.served);
      });
    }
  });

  describe('the calling order of the counter hall, case by case', () => {
    for (const order of HALL_ORDER) {
      it(order.title, async () => {
        for (const w of order.waiting) {
          const entry = ticket({ ticketId: w.id, channel: 'kiosk', priorityScore: w.score, enqueuedAt: at(w.minute * 60) });
          expect(await live.hall.wait(entry, w.service ?? 'orientacion')).to.equal('waiting');
        }
        expect(await live.hall.seat('V1', 'clerk', ['orientacion', 'caja'], false)).to.equal('ok');
        const served: string[] = [];
        for (let call = await live.hall.call('V1', 'clerk', t0, DAY); typeof call !== 'string'; call = await live.hall.call('V1', 'clerk', t0, DAY)) {
          served.push(call.ticketId);
          // The turn leaves the counter (finished), which frees it for the next call.
          expect(await live.hall.remove(call.ticketId)).to.deep.include({ state: 'held', staffId: 'clerk' });
        }
        expect(served).to.deep.equal(order.served);
      });
    }
  });

  it('keeps the hall\'s turns and agents\' tickets apart: each side lets go only of its own', async () => {
    const turn = ticket({ channel: 'kiosk' });
    const routed = ticket();
    await live.hall.wait(turn, 'caja');
    await live.routing.place(routed, t0, DAY);
    expect(await live.routing.remove(turn.ticketId)).to.equal(null);
    expect(await live.hall.remove(routed.ticketId)).to.equal(null);
    expect(await live.locate(turn.ticketId)).to.deep.equal({ state: 'waiting', hallService: 'caja' });
    expect(await live.hall.remove(turn.ticketId)).to.deep.equal({ state: 'waiting', channel: 'kiosk' });
    expect(await live.routing.remove(routed.ticketId)).to.deep.equal({ state: 'waiting', channel: 'email' });
    expect((await live.figures('GDVAC', DAY)).queues.find((q) => q.queue === 'general')).to.include({ waiting: 0 });
  });

  it('refuses claims until the state is built, with a retryable error', async () => {
    const fresh = createLiveState(redis, uniqueName(import.meta.filename));
    const err = await fresh.routing.place(ticket(), t0, DAY).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).to.include({ code: 'SERVICE_UNAVAILABLE', reason: 'live_state_rebuilding', retryable: true });
    expect(await fresh.hall.call('V1', 'clerk', t0, DAY).catch((e: unknown) => e)).to.include({ reason: 'live_state_rebuilding' });
    expect(await fresh.isBuilt()).to.equal(false);
  });

  it('serves Ley 28683 before VPP before normal, then arrival order, then id', async () => {
    const normalOld = ticket({ priorityScore: 1 });
    const vpp = ticket({ priorityScore: 2 });
    const normalNew = ticket({ priorityScore: 1 });
    const preferential = ticket({ priorityScore: 3 });
    for (const t of [normalOld, vpp, normalNew, preferential]) expect(await live.routing.place(t, t0, DAY)).to.deep.equal([]);
    await live.routing.upsertAgent(agent('a1', { presence: 'busy', capacity: { phone: 0, email: 10, kiosk: 0, manual: 0 } }));
    const order: string[] = [];
    for (let i = 0; i < 4; i++) {
      const claim = await live.routing.take('a1', ['email'], t0, DAY);
      if (typeof claim === 'string') throw new Error(claim);
      order.push(claim.ticketId);
    }
    expect(order).to.deep.equal([preferential.ticketId, vpp.ticketId, normalOld.ticketId, normalNew.ticketId]);
    expect(await live.routing.take('a1', ['email'], t0, DAY)).to.equal('empty');
  });

  it('an SLA lift re-ranks a waiting ticket without changing its arrival', async () => {
    const first = ticket({ priorityScore: 1 });
    const second = ticket({ priorityScore: 1 });
    await live.routing.place(first, t0, DAY);
    await live.routing.place(second, t0, DAY);
    await live.routing.setPriority({ ...second, priorityScore: 2 });
    await live.routing.upsertAgent(agent('a1', { presence: 'busy' }));
    const claim = await live.routing.take('a1', ['email'], t0, DAY);
    expect(claim).to.include({ ticketId: second.ticketId });
  });

  it('assigns a new ticket to the least loaded eligible agent with the required skills', async () => {
    await live.routing.upsertAgent(agent('busy', { skills: ['reclamaciones'] }));
    await live.routing.upsertAgent(agent('plain'));
    await live.routing.upsertAgent(agent('skilled', { skills: ['reclamaciones', 'vpp'] }));
    const first = await live.routing.place(ticket({ requiredSkills: ['reclamaciones'] }), at(1), DAY);
    expect(first).to.have.length(1);
    const firstAgent = Array.isArray(first) ? first[0]?.staffId : undefined;
    expect(['busy', 'skilled']).to.include(firstAgent);
    const second = await live.routing.place(ticket({ requiredSkills: ['reclamaciones'] }), at(2), DAY);
    const secondAgent = Array.isArray(second) ? second[0]?.staffId : undefined;
    expect(['busy', 'skilled']).to.include(secondAgent);
    expect(secondAgent).to.not.equal(firstAgent);
    expect(await live.load('plain')).to.include({ email: 0 });
  });

  it('never exceeds capacity nor hands a ticket out twice under concurrent places, drains and takes', async () => {
    const agents = ['x1', 'x2', 'x3', 'x4', 'x5'];
    for (const id of agents) await live.routing.upsertAgent(agent(id, { presence: 'offline' }));
    const tickets = Array.from({ length: 60 }, () => ticket());
    const claims = (
      await Promise.all([
        ...tickets.map((t) => live.routing.place(t, t0, DAY)),
        ...agents.map(async (id) => {
          await live.routing.upsertAgent(agent(id));
          return live.routing.drain(id, t0, DAY);
        }),
        ...agents.map((id) => live.routing.take(id, ['email'], t0, DAY)),
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
    await live.routing.upsertAgent(agent('a1', { capacity: { phone: 0, email: 1, kiosk: 0, manual: 0 } }));
    const a = ticket();
    const b = ticket();
    expect(await live.routing.place(a, t0, DAY)).to.have.length(1);
    expect(await live.routing.place(b, t0, DAY)).to.deep.equal([]);
    expect(await live.routing.place(a, t0, DAY)).to.equal('assigned');
    expect(await live.routing.remove(a.ticketId)).to.deep.equal({ state: 'held', staffId: 'a1', channel: 'email' });
    const drained = await live.routing.drain('a1', t0, DAY);
    expect(drained.map((c) => c.ticketId)).to.deep.equal([b.ticketId]);
  });

  it('take and assign say why they refuse', async () => {
    await live.routing.upsertAgent(agent('off', { presence: 'offline' }));
    await live.routing.upsertAgent(agent('full', { presence: 'busy', capacity: { phone: 0, email: 0, kiosk: 0, manual: 0 } }));
    await live.routing.upsertAgent(agent('other', { presence: 'busy', units: ['GAT'] }));
    const t = ticket();
    await live.routing.place(t, t0, DAY);
    expect(await live.routing.take('off', ['email'], t0, DAY)).to.equal('offline');
    expect(await live.routing.take('full', ['email'], t0, DAY)).to.equal('at_capacity');
    expect(await live.routing.take('nobody', ['email'], t0, DAY)).to.equal('not_agent');
    expect(await live.routing.assign(t.ticketId, 'other', t0, DAY)).to.equal('not_member');
    expect(await live.routing.assign(t.ticketId, 'full', t0, DAY)).to.equal('at_capacity');
    expect(await live.routing.assign('missing', 'full', t0, DAY)).to.equal('not_waiting');
  });

  it('keeps claims pending until the store confirms them', async () => {
    await live.routing.upsertAgent(agent('a1'));
    const t = ticket();
    await live.routing.place(t, t0, DAY);
    expect(await live.pendingBefore(at(1))).to.deep.equal([t.ticketId]);
    await live.confirm(t.ticketId, 'a1');
    expect(await live.pendingBefore(at(1))).to.deep.equal([]);
  });

  it('counts abandoned waiting tickets and at-risk tickets per queue', async () => {
    const a = ticket({ queue: 'reclamaciones' });
    const b = ticket({ queue: 'reclamaciones' });
    await live.routing.place(a, t0, DAY);
    await live.routing.place(b, t0, DAY);
    await live.setAtRisk('GDVAC', b.ticketId, true);
    await live.routing.remove(a.ticketId, DAY);
    const q = (await live.figures('GDVAC', DAY)).queues.find((f) => f.queue === 'reclamaciones');
    expect(q).to.deep.include({ waiting: 1, atRisk: 1, abandonedToday: 1, oldestEnqueuedAt: b.enqueuedAt });
  });
});
