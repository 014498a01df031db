import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { Types } from 'mongoose';
import { readIndexReady, readIndexRun, rebuildReadIndexStep } from '../../src/services/read-index/index.js';
import { listTickets, searchTickets } from '../../src/services/tickets/index.js';
import type { StaffActor } from '../../src/services/staff/index.js';
import type { PageCursor } from '../../src/store/pages.js';
import type { Ticket } from '../../src/store/ticket.repository.js';
import { startSystem, type RunningSystem } from '../../src/system.js';
import { seedStaff, ticketInput } from '../support/seed.js';
import { testEnv, testLog, testServices, testStore, uniqueName } from '../support/services.js';
import { eventually } from '../support/wait.js';
import { actorOf } from '../support/staff-fixtures.js';

/*
 * A store written by the version before the read index (tickets without postings or `referralFromUnit`, only unique
 * indexes, as that version kept them on FerretDB) gets what the new reads need on the first start of this version,
 * in the background (going on from where a start that was stopped left it), without losing or repeating a ticket;
 * `npm run store:reindex` rebuilds it again with progress.
 */

const TICKETS = 1_600;
const REFERRED_EVERY = 7;
const root = join(import.meta.dirname, '../..');

describe('read index: a store of the previous version upgrades itself (real FerretDB)', () => {
  const dbName = uniqueName(import.meta.filename);
  let system: RunningSystem | undefined;
  let admin: StaffActor;
  let office: StaffActor;
  let firstStartedAt = 0;

  before(async function () {
    this.timeout(300_000);
    const old = await testStore(import.meta.filename, dbName);
    const { Ticket } = old.models;
    for (let start = 0; start < TICKETS; start += 1_000) {
      const docs = Array.from({ length: Math.min(1_000, TICKETS - start) }, (_, k) => {
        const i = start + k;
        const createdAt = new Date(Date.parse('2025-12-01T14:00:00Z') + i * 60_000);
        return {
          ...ticketInput({ subject: `Solicitud ${String(i)} de limpieza pública`, unitCode: i % REFERRED_EVERY === 0 ? 'SGLP' : 'GDVAC', status: 'cerrado', createdAt }),
          _id: new Types.ObjectId(),
          version: 3,
          updatedAt: createdAt,
          ...(i % REFERRED_EVERY === 0 ? { referral: { fromUnit: 'GDVAC', toUnit: 'SGLP', referredBy: 'x', referredAt: createdAt, reason: 'Limpieza' } } : {}),
        };
      });
      await Ticket.collection.insertMany(docs);
    }
    // As that version left its indexes on FerretDB: the unique ones only; no read-index collections.
    for (const index of await Ticket.collection.indexes()) {
      if (index.name !== undefined && index.name !== '_id_' && index.unique !== true) await Ticket.collection.dropIndex(index.name);
    }
    for (const model of [old.models.TicketTerm, old.models.SearchWord, old.models.MaintenanceRun]) await model.collection.drop();
    // A first start of this version was stopped after one batch of its upgrade.
    const stopped = await rebuildReadIndexStep({ store: old, clock: () => new Date() }, { batches: 1 });
    expect(stopped).to.deep.include({ phase: 'tickets', processed: 500 });
    firstStartedAt = stopped.startedAt.getTime();
    await old.close();

    system = await startSystem(await testEnv(import.meta.filename, { ROLE: 'all', MONGODB_DB: dbName }), { log: testLog, queuePrefix: dbName });
    admin = actorOf(await seedStaff(system.ctx.store, { roles: ['admin'], units: [] }));
    office = actorOf(await seedStaff(system.ctx.store, { units: ['GDVAC'] }));
  });

  after(async () => {
    await system?.stop();
  });

  async function everyTicket(): Promise<Ticket[]> {
    const all: Ticket[] = [];
    let after: PageCursor | undefined;
    for (;;) {
      if (!system) throw new Error('no system');
      const page = await system.ctx.store.tickets.inCreationOrder(after, 1_000);
      all.push(...page.items);
      if (page.next === undefined) return all;
      after = page.next;
    }
  }

  async function searchAll(actor: StaffActor, q: string): Promise<Ticket[]> {
    const found: Ticket[] = [];
    let after: PageCursor | undefined;
    for (;;) {
      if (!system) throw new Error('no system');
      const answer = await searchTickets(system.ctx, actor, q, { limit: 100, after });
      found.push(...answer.items);
      if (!('next' in answer) || answer.next === undefined) return found;
      after = answer.next;
    }
  }

  it('builds the read index in the background on its start, going on from where a stopped start left it, losing and repeating no ticket', async function () {
    this.timeout(300_000);
    const ctx = system?.ctx;
    if (!ctx) throw new Error('no system');
    await eventually(() => readIndexReady(ctx), 'the read index to be built', 240_000);
    const run = await readIndexRun(ctx);
    expect(run?.startedAt.getTime(), 'the run the stopped start began').to.equal(firstStartedAt);
    expect(run?.changed.referrals).to.equal(Math.ceil(TICKETS / REFERRED_EVERY));
    expect(run?.processed, 'every ticket, then every posting').to.be.greaterThan(TICKETS);

    const indexes = (await ctx.store.models.Ticket.collection.indexes()).map((i) => i.name);
    expect(indexes).to.include.members(['q_unit_created', 'q_unit_status_created', 'q_referrer_created', 'q_citizen_created']);

    const tickets = await everyTicket();
    expect(tickets).to.have.length(TICKETS);
    expect(new Set(tickets.map((t) => t.trackingCode)).size).to.equal(TICKETS);

    const cleaning = await searchAll(admin, 'limpieza');
    expect(cleaning).to.have.length(TICKETS);
    expect(new Set(cleaning.map((t) => t._id.toString())).size).to.equal(TICKETS);
    // The office sees its own cases and those it referred to SGLP, now found by the referrer's index.
    const referred = await listTickets(ctx, office, { unit: 'SGLP', limit: 200 });
    expect(referred.items).to.have.length(200);
    expect(referred.items.every((t) => t.referral?.fromUnit === 'GDVAC')).to.equal(true);
    expect(await searchAll(office, 'limpieza publica')).to.have.length(TICKETS);
  });

  it('rebuilds it again with `npm run store:reindex`, printing its progress, and changes nothing that was right', async function () {
    this.timeout(300_000);
    const { mongodbUri, redisUrl } = await testServices();
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/reindex.ts'], {
      cwd: root,
      env: { ...process.env, MONGODB_URI: mongodbUri, REDIS_URL: redisUrl, MONGODB_DB: dbName, LOG_LEVEL: 'silent', NODE_ENV: 'test' },
      timeout: 240_000,
    });
    const lines = stdout.trim().split('\n');
    expect(lines[0]).to.equal('read index: building it from the tickets');
    expect(lines.filter((l) => /^\s+(tickets|postings)\s+\d+ documents\s+\d+\/s/.test(l)).length, stdout).to.be.greaterThan(1);
    expect(lines.some((l) => /^\s+done\s+\d+ documents .* nothing changed$/.test(l)), stdout).to.equal(true);
    expect(lines.at(-1)).to.match(/^done in \d+\.\d s$/);
    expect(await everyTicket()).to.have.length(TICKETS);
  });
});
