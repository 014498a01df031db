import { expect } from 'chai';
import type { Presence } from '../../src/domain/staff.js';
import { OWNED_STATUSES, WAITING_STATUSES } from '../../src/domain/ticket-lifecycle.js';
import { CHANNELS, type Channel } from '../../src/domain/ticket-types.js';
import { assignTo, takeNext } from '../../src/services/assignment/index.js';
import type { Actor } from '../../src/services/context/index.js';
import { setPresence } from '../../src/services/staff/index.js';
import type { StaffDoc } from '../../src/store/staff.model.js';
import { startSystem, type RunningSystem } from '../../src/system.js';
import { contact, intakeNow, seedStaff, settle } from '../support/seed.js';
import { testEnv, testLog, uniqueName } from '../support/services.js';

const SYSTEM: Actor = { kind: 'system' };

/** A small deterministic PRNG so a failing run can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

async function runLimited<T>(items: T[], limit: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await work(item);
      }
    }),
  );
}

describe('assignment under concurrency (real FerretDB + Redis + BullMQ workers)', function () {
  this.timeout(300_000);
  let system: RunningSystem;

  before(async () => {
    system = await startSystem(await testEnv(import.meta.filename, { ROLE: 'worker' }), { log: testLog, queuePrefix: uniqueName(import.meta.filename) });
  });

  after(async () => {
    await system.stop();
  });

  it('500 concurrent tickets, 20 agents changing presence: nobody over capacity, nothing assigned twice, nothing waiting while an eligible agent has room', async () => {
    const { store, queues } = system.ctx;
    const random = prng(20261123);
    // Two units (the office's triage queue and Rentas), agents in one or both, one skill-restricted group.
    const agents: StaffDoc[] = [];
    for (let i = 0; i < 20; i++) {
      const units = i < 8 ? ['GDVAC'] : i < 14 ? ['GAT'] : ['GDVAC', 'GAT'];
      agents.push(await seedStaff(store, { username: `agente${i}`, units, capacity: { phone: 1, email: 1 + (i % 4), kiosk: 1, manual: 2 } }));
    }
    for (const agent of agents) await setPresence(system.ctx, SYSTEM, agent._id.toString(), 'available');

    const channels: Channel[] = ['phone', 'email', 'kiosk', 'manual'];
    const contacts = Array.from({ length: 500 }, (_, i) =>
      contact({
        channel: channels[i % 4] as Channel,
        externalId: `burst-${i}`,
        subject: `Caso ${i}`,
        hint: i % 3 === 0 ? { serviceCode: 'rentas.estado_cuenta' } : {},
        citizen: i % 10 === 0 ? { preferential: true } : {},
      }),
    );
    const presences: Presence[] = ['available', 'available', 'away', 'offline', 'busy'];
    const arrivals = { done: false };
    const churn = (async () => {
      let flips = 0;
      // Keep flipping while contacts arrive, and at least 200 times.
      while (!arrivals.done || flips < 200) {
        const agent = agents[Math.floor(random() * agents.length)] as StaffDoc;
        await setPresence(system.ctx, SYSTEM, agent._id.toString(), presences[Math.floor(random() * presences.length)] as Presence);
        flips++;
      }
    })();
    // Every contact arrives, and 60 of them are delivered a second time at the same moment.
    const deliveries = [...contacts, ...contacts.slice(0, 60)];
    await runLimited(deliveries, 40, (c) => intakeNow(system.ctx, c));
    arrivals.done = true;
    await churn;
    // Most agents end available, some away or offline.
    for (const [i, agent] of agents.entries()) {
      await setPresence(system.ctx, SYSTEM, agent._id.toString(), i % 5 === 0 ? 'offline' : i % 7 === 0 ? 'away' : 'available');
    }
    await settle(queues, ['route', 'assign']);

    const tickets = await store.models.Ticket.find({}).lean();
    expect(tickets).to.have.length(500);
    expect(new Set(tickets.map((t) => t.trackingCode)).size).to.equal(500);
    expect(tickets.filter((t) => t.status === 'nuevo')).to.deep.equal([]);

    const finalAgents = await store.models.Staff.find({ _id: { $in: agents.map((a) => a._id) } }).lean();
    // The live routing state's load of each agent must equal what the store says they hold.
    const loads = new Map(await Promise.all(finalAgents.map(async (a) => [a._id.toString(), await system.ctx.live.load(a._id.toString())] as const)));
    const loadOf = (a: StaffDoc, channel: Channel): number => loads.get(a._id.toString())?.[channel] ?? -1;
    for (const agent of finalAgents) {
      const owned = tickets.filter((t) => t.assigneeId?.toString() === agent._id.toString() && OWNED_STATUSES.includes(t.status));
      for (const channel of CHANNELS) {
        const count = owned.filter((t) => t.channel === channel).length;
        expect(count, `${agent.username} owns ${count} ${channel} tickets, capacity ${agent.capacity[channel]}`).to.be.at.most(agent.capacity[channel]);
        expect(loadOf(agent, channel), `${agent.username} load counter on ${channel}`).to.equal(count);
      }
      if (agent.presence === 'offline') expect(owned.filter((t) => t.status !== 'esperando_vecino')).to.deep.equal([]);
    }

    const events = await store.models.TicketEvent.find({ type: { $in: ['assigned', 'unassigned'] } }).lean();
    for (const ticket of tickets) {
      const mine = events.filter((e) => e.ticketId.toString() === ticket._id.toString()).sort((a, b) => a.at.getTime() - b.at.getTime() || a._id.toString().localeCompare(b._id.toString()));
      const assigned = mine.filter((e) => e.type === 'assigned').length;
      const unassigned = mine.filter((e) => e.type === 'unassigned').length;
      expect(assigned - unassigned, `ticket ${ticket.trackingCode} assignments`).to.equal(OWNED_STATUSES.includes(ticket.status) ? 1 : 0);
    }

    const waiting = tickets.filter((t) => WAITING_STATUSES.includes(t.status));
    expect(waiting.length).to.be.greaterThan(0);
    for (const ticket of waiting) {
      const eligible = finalAgents.filter(
        (a) => a.presence === 'available' && a.autoAssign && !a.disabled && a.units.includes(ticket.unitCode) && loadOf(a, ticket.channel) < a.capacity[ticket.channel],
      );
      expect(eligible.map((a) => a.username), `ticket ${ticket.trackingCode} (${ticket.unitCode}/${ticket.channel}) waits`).to.deep.equal([]);
    }
  });

  it('drains the queue at once when an agent becomes available', async () => {
    const { store, queues } = system.ctx;
    // Licencias has no agents yet: its tickets wait.
    const t1 = await intakeNow(system.ctx, contact({ subject: 'espera 1', hint: { serviceCode: 'licencias.funcionamiento' } }));
    const t2 = await intakeNow(system.ctx, contact({ subject: 'espera 2', hint: { serviceCode: 'licencias.funcionamiento' } }));
    await settle(queues, ['route', 'assign']);
    expect((await store.tickets.get(t1.ticket._id.toString()))?.status).to.equal('en_cola');
    const agent = await seedStaff(store, { units: ['SGLIC'], capacity: { email: 2 } });
    await setPresence(system.ctx, SYSTEM, agent._id.toString(), 'available');
    await settle(queues, ['route', 'assign']);
    const mine = await store.models.Ticket.find({ assigneeId: agent._id }).lean();
    expect(mine.map((t) => t._id.toString()).sort()).to.deep.equal([t1.ticket._id.toString(), t2.ticket._id.toString()].sort());
    expect(mine.every((t) => t.status === 'asignado')).to.equal(true);
  });

  it('refuses a manual assignment and a take-next beyond capacity as at_capacity, and the agent holds no more than it', async () => {
    const { store, queues } = system.ctx;
    // Registro Civil, with one agent in manual mode (never picked automatically).
    const agent = await seedStaff(store, { units: ['SGRC'], capacity: { phone: 1, email: 1 }, autoAssign: false });
    const supervisor: Actor = { kind: 'staff', id: 'sup', roles: ['supervisor'], units: ['SGRC'] };
    const call = (subject: string) => intakeNow(system.ctx, contact({ channel: 'phone', externalId: `CA${subject}`, subject, hint: { serviceCode: 'registro_civil.partidas' } }));
    const a = await call('llamada1');
    const b = await call('llamada2');
    const mail = await intakeNow(system.ctx, contact({ subject: 'correo', hint: { serviceCode: 'registro_civil.partidas' } }));
    await setPresence(system.ctx, SYSTEM, agent._id.toString(), 'available');
    await settle(queues, ['route', 'assign']);
    expect((await store.tickets.get(a.ticket._id.toString()))?.status, 'manual-mode agent gets nothing automatically').to.equal('en_cola');

    const first = await assignTo(system.ctx, supervisor, a.ticket, agent._id.toString());
    expect(first.assigneeId?.toString()).to.equal(agent._id.toString());
    let error: unknown;
    try {
      await assignTo(system.ctx, supervisor, b.ticket, agent._id.toString());
    } catch (err) {
      error = err;
    }
    expect(error).to.include({ code: 'CONFLICT', reason: 'at_capacity' });
    expect((await store.tickets.get(b.ticket._id.toString()))?.status, 'the refused ticket still waits').to.equal('en_cola');

    const me: Actor = { kind: 'staff', id: agent._id.toString(), roles: ['agent'], units: ['SGRC'] };
    let full: unknown;
    try {
      await takeNext(system.ctx, me, 'phone');
    } catch (err) {
      full = err;
    }
    expect(full).to.include({ code: 'CONFLICT', reason: 'at_capacity' });
    const next = await takeNext(system.ctx, me, 'email');
    expect(next?._id.toString()).to.equal(mail.ticket._id.toString());
    expect(await takeNext(system.ctx, me, 'manual')).to.equal(null);
    expect(await system.ctx.live.load(agent._id.toString())).to.deep.include({ phone: 1, email: 1 });
  });
});
