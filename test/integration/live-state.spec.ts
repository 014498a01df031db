import { expect } from 'chai';
import { OWNED_STATUSES, WAITING_STATUSES } from '../../src/domain/ticket-lifecycle.js';
import { CHANNELS } from '../../src/domain/ticket-types.js';
import { createRedis } from '../../src/queues/redis-client.js';
import { takeNext } from '../../src/services/assignment/index.js';
import { reconcileLiveState } from '../../src/services/assignment/index.js';
import type { Actor } from '../../src/services/context/index.js';
import { setPresence } from '../../src/services/staff/index.js';
import { transitionTicket } from '../../src/services/tickets/index.js';
import type { StaffDoc } from '../../src/store/staff.model.js';
import { startSystem, type RunningSystem } from '../../src/system.js';
import { contact, intakeNow, seedStaff, settle } from '../support/seed.js';
import { testEnv, testLog, testServices, uniqueName } from '../support/services.js';

const SYSTEM: Actor = { kind: 'system', id: 'test' };
const staffActor = (s: StaffDoc): Actor => ({ kind: 'staff', id: s._id.toString(), roles: s.roles, units: s.units });

/** Deterministic pseudo-random numbers, so a failing run can be replayed. */
function seeded(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

describe('live routing state against the store: rebuild, crashed claims, agreement (real services)', () => {
  let system: RunningSystem;
  let prefix: string;

  before(async () => {
    prefix = uniqueName(import.meta.filename);
    system = await startSystem(await testEnv(import.meta.filename, { ROLE: 'worker' }), { log: testLog, queuePrefix: prefix });
  });

  after(async () => {
    await system.stop();
  });

  /** The live state and the store tell the same story: who waits, who holds what, each agent's load. */
  async function expectAgreement(agents: readonly StaffDoc[]): Promise<void> {
    const { store, live } = system.ctx;
    const tickets = await store.models.Ticket.find({}).lean();
    for (const t of tickets) {
      const where = await live.locate(t._id.toString());
      if (WAITING_STATUSES.includes(t.status)) expect(where, `${t.trackingCode} ${t.status}`).to.deep.equal({ state: 'waiting' });
      else if (OWNED_STATUSES.includes(t.status)) expect(where, `${t.trackingCode} ${t.status}`).to.deep.include({ state: 'held', staffId: t.assigneeId?.toString() });
      else if (t.status !== 'nuevo') expect(where, `${t.trackingCode} ${t.status}`).to.equal(null);
    }
    for (const agent of agents) {
      const load = await live.load(agent._id.toString());
      for (const channel of CHANNELS) {
        const held = tickets.filter((t) => t.assigneeId?.toString() === agent._id.toString() && OWNED_STATUSES.includes(t.status) && t.channel === channel).length;
        expect(load[channel], `${agent.username} ${channel}`).to.equal(held);
        expect(held).to.be.at.most(agent.capacity[channel]);
      }
    }
  }

  it('settles a claim whose worker died before the store write: completed, or given back when the ticket is gone', async () => {
    const { store, live } = system.ctx;
    const agent = await seedStaff(store, { units: ['SGRC'], capacity: { email: 2 } });
    await setPresence(system.ctx, SYSTEM, agent._id.toString(), 'busy');
    const a = await intakeNow(system.ctx, contact({ subject: 'partida 1', hint: { serviceCode: 'registro_civil.partidas' } }));
    const b = await intakeNow(system.ctx, contact({ subject: 'partida 2', hint: { serviceCode: 'registro_civil.partidas' } }));
    await settle(system.ctx.queues, ['route', 'assign']);
    const [ta, tb] = await Promise.all([store.tickets.get(a.ticket._id.toString()), store.tickets.get(b.ticket._id.toString())]);
    if (!ta || !tb) throw new Error('tickets missing');
    // The "worker" claims both in the live state and dies before writing either to the store.
    expect(await live.routing.take(agent._id.toString(), ['email'], new Date(), '2026-12-01')).to.include({ ticketId: ta._id.toString() });
    expect(await live.routing.take(agent._id.toString(), ['email'], new Date(), '2026-12-01')).to.include({ ticketId: tb._id.toString() });
    // Meanwhile the second one is cancelled in the store: that gives its claim back at once.
    await transitionTicket(system.ctx, { kind: 'system', id: 'test' }, tb._id.toString(), { action: 'cancel', reason: 'duplicado' });
    expect(await live.locate(tb._id.toString())).to.equal(null);
    const report = await reconcileLiveState(system.ctx, new Date(Date.now() + 60_000));
    expect(report.staleClaims).to.equal(1);
    expect((await store.tickets.get(ta._id.toString()))?.assigneeId?.toString()).to.equal(agent._id.toString());
    expect(await live.pendingBefore(new Date(Date.now() + 60_000))).to.deep.equal([]);
    expect(await live.load(agent._id.toString())).to.include({ email: 1 });
    await expectAgreement([agent]);
  });

  it('rebuilds from the store when Redis loses everything mid-load: nothing lost, nothing doubled, order kept', async () => {
    const { store, live, queues } = system.ctx;
    const redis = createRedis((await testServices()).redisUrl, 'queue', testLog);
    const agent = await seedStaff(store, { units: ['SGLIC'], capacity: { email: 50 } });
    const normal = [];
    for (let i = 0; i < 8; i++) normal.push(await intakeNow(system.ctx, contact({ subject: `licencia ${i}`, hint: { serviceCode: 'licencias.funcionamiento' } })));
    const urgent = await intakeNow(system.ctx, contact({ subject: 'licencia preferente', citizen: { preferential: true }, hint: { serviceCode: 'licencias.funcionamiento' } }));
    await settle(queues, ['route', 'assign']);
    // Redis restarts empty: every key of this deployment is gone (live state, queues, locks).
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
    redis.disconnect();
    expect(await live.isBuilt()).to.equal(false);
    // More contacts arrive while the state is gone; their route jobs rebuild it on first use.
    const late = [];
    for (let i = 0; i < 3; i++) late.push(await intakeNow(system.ctx, contact({ subject: `tarde ${i}`, hint: { serviceCode: 'licencias.funcionamiento' } })));
    await settle(queues, ['route', 'assign']);
    await reconcileLiveState(system.ctx);
    expect(await live.isBuilt()).to.equal(true);
    const me = staffActor(agent);
    await setPresence(system.ctx, SYSTEM, agent._id.toString(), 'busy');
    const served: string[] = [];
    for (;;) {
      const next = await takeNext(system.ctx, me, 'email');
      if (!next) break;
      served.push(next._id.toString());
    }
    const expected = [urgent, ...normal, ...late].map((r) => r.ticket._id.toString());
    expect(served).to.deep.equal(expected);
    await expectAgreement([agent]);
  });

  it('agrees with the store after a randomised run of intake, presence flips, take-next, hand-backs and closes', async () => {
    const { store } = system.ctx;
    const random = seeded(20261201);
    const agents: StaffDoc[] = [];
    for (let i = 0; i < 4; i++) agents.push(await seedStaff(store, { units: ['SGPJ'], capacity: { email: 2, phone: 1 } }));
    const presences = ['available', 'busy', 'away', 'offline'] as const;
    for (let step = 0; step < 120; step++) {
      const r = random();
      const agent = agents[Math.floor(random() * agents.length)] as StaffDoc;
      if (r < 0.35) {
        await intakeNow(system.ctx, contact({ channel: random() < 0.5 ? 'email' : 'phone', externalId: `rnd-${String(step)}`, subject: `caso ${String(step)}`, hint: { serviceCode: 'parques.poda_arboles' } }));
      } else if (r < 0.55) {
        await setPresence(system.ctx, SYSTEM, agent._id.toString(), presences[Math.floor(random() * presences.length)] ?? 'busy');
      } else if (r < 0.7) {
        await takeNext(system.ctx, staffActor(agent)).catch(() => null);
      } else {
        const mine = await store.models.Ticket.find({ assigneeId: agent._id, status: { $in: ['asignado', 'en_atencion'] } }).lean();
        const ticket = mine[0];
        if (ticket) {
          const action = ticket.status === 'asignado' ? 'start' : random() < 0.5 ? 'unassign' : 'resolve';
          await transitionTicket(system.ctx, staffActor(agent), ticket._id.toString(), { action, ...(action === 'resolve' ? { resolution: 'Atendido' } : {}) }).catch(() => null);
        }
      }
    }
    await settle(system.ctx.queues, ['route', 'assign']);
    await expectAgreement(agents);
  });
});
