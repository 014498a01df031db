import { ticketInput } from '../support/seed.js';
import { expect } from 'chai';
import { join } from 'node:path';
import { Types } from 'mongoose';
import { watchStoreOperations } from '../../bench/store-operations.js';
import { AppError } from '../../src/errors.js';
import type { Store } from '../../src/store/connection.js';
import { createCounterRepository } from '../../src/store/counter.repository.js';
import type { GuardedStep } from '../../src/store/guarded-update.js';
import type { Models } from '../../src/store/models.js';
import { createStaffPresenceRepository } from '../../src/store/staff-presence.repository.js';
import type { StaffDoc } from '../../src/store/staff.model.js';
import type { NewTicket } from '../../src/store/ticket.repository.js';
import { testLocks, testStore } from '../support/services.js';

const ROOT = join(import.meta.dirname, '../..');

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(AppError);
    return err as AppError;
  }
  throw new Error('expected a rejection');
}

function ticket(overrides: Partial<NewTicket> = {}): NewTicket {
  return ticketInput({ trackingCode: 'PL-2026-000001', channel: 'kiosk', channelKey: 'kiosk-req-1', subject: 'Consulta sobre arbitrios', ...overrides });
}

describe('store on the real MongoDB-compatible server', () => {
  let store: Store;

  before(async () => {
    store = await testStore(import.meta.filename);
  });

  after(async () => {
    await store.connection.dropDatabase();
    await store.close();
  });

  it('answers ping', async () => {
    expect(await store.ping()).to.equal(true);
  });

  it('makes the indexes what the models declare (on FerretDB the unique and `q_` ones), dropping any other an older version left', async () => {
    const { Ticket } = store.models;
    // The server's default name of an unnamed index: `trackingCode_1`.
    const declared = Ticket.schema.indexes().map(([fields, options]) => ({
      name: typeof options.name === 'string' ? options.name : Object.entries(fields).map(([field, direction]) => `${field}_${String(direction)}`).join('_'),
      key: JSON.stringify(fields),
      unique: options.unique === true,
    }));
    expect(declared.some((i) => i.unique)).to.equal(true);
    expect(declared.some((i) => i.name.startsWith('q_'))).to.equal(true);
    const wanted = declared.filter((i) => !store.filters.exactIdOnly || i.unique || i.name.startsWith('q_')).map((i) => `${i.name} ${i.key}`);
    const present = async (): Promise<string[]> => (await Ticket.collection.indexes()).filter((i) => i.name !== '_id_').map((i) => `${i.name ?? ''} ${JSON.stringify(i.key)}`);

    // An index a previous version declared, and one declared now that it left under another name.
    await Ticket.collection.createIndex({ subject: 1 }, undefined, undefined);
    await Ticket.collection.dropIndex('q_citizen_created');
    await Ticket.collection.createIndex({ citizenId: 1, createdAt: -1, _id: -1 }, { name: 'citizen_old' }, undefined);
    const reopened = await testStore(import.meta.filename, store.connection.name);
    try {
      expect((await present()).sort()).to.deep.equal([...wanted].sort());
    } finally {
      await reopened.close();
    }
    // Opening it once more changes nothing.
    const again = await testStore(import.meta.filename, store.connection.name);
    try {
      expect((await present()).sort()).to.deep.equal([...wanted].sort());
    } finally {
      await again.close();
    }
  });

  it('round-trips a citizen and finds it by every identifier', async () => {
    const created = await store.citizens.create({
      dni: '10000001',
      ruc: '20131312955',
      firstNames: 'Rosa',
      lastNames: 'Quispe Mamani',
      emails: [' Rosa.Quispe@Example.PE '],
      phones: ['+51 987 654 321'],
    });
    expect(created.emails).to.deep.equal(['rosa.quispe@example.pe']);
    expect(created.phones).to.deep.equal(['+51987654321']);
    const byDni = await store.citizens.findByIdentifier('dni', '10000001');
    expect(byDni?._id.toString()).to.equal(created._id.toString());
    expect(byDni?.lastNames).to.equal('Quispe Mamani');
    expect((await store.citizens.findByIdentifier('email', 'ROSA.QUISPE@example.pe'))?._id.toString()).to.equal(created._id.toString());
    expect((await store.citizens.findByIdentifier('phone', '+51987654321'))?._id.toString()).to.equal(created._id.toString());
    expect((await store.citizens.findByIdentifier('ruc', '20131312955'))?._id.toString()).to.equal(created._id.toString());
    expect(await store.citizens.findByIdentifier('dni', '99999999')).to.equal(null);
  });

  it('refuses a second citizen with the same DNI with DUPLICATE and leaves no partial write', async () => {
    await store.citizens.create({ dni: '20000002', emails: ['first@example.pe'] });
    const before = await store.models.Citizen.countDocuments();
    const err = await rejection(store.citizens.create({ dni: '20000002', emails: ['second@example.pe'] }));
    expect(err.code).to.equal('DUPLICATE');
    expect(err.status).to.equal(409);
    expect(err.details).to.deep.equal({ identifiers: ['dni'] });
    expect(await store.models.Citizen.countDocuments()).to.equal(before);
    expect(await store.citizens.findByIdentifier('email', 'second@example.pe')).to.equal(null);
  });

  it('rejects invalid identity documents with field paths', async () => {
    const err = await rejection(store.citizens.create({ dni: '1234567A', ruc: '20131312954', emails: ['not-an-email'] }));
    expect(err.code).to.equal('VALIDATION_FAILED');
    expect(err.details?.fields?.map((f) => f.path)).to.deep.equal(['dni', 'ruc', 'emails.0']);
  });

  it('round-trips a ticket and refuses the same channel key twice', async () => {
    const created = await store.tickets.insert(ticket());
    expect(created.status).to.equal('nuevo');
    expect(created.version).to.equal(0);
    const found = await store.tickets.get(created._id.toString());
    expect(found?.trackingCode).to.equal('PL-2026-000001');
    expect((await store.tickets.findByChannelKey('kiosk', 'kiosk-req-1'))?._id.toString()).to.equal(created._id.toString());
    const err = await rejection(store.tickets.insert(ticket({ trackingCode: 'PL-2026-000002' })));
    expect(err.code).to.equal('DUPLICATE');
    expect(err.details).to.deep.equal({ key: ['channel', 'channelKey'], existingId: created._id.toString() });
    expect(await store.models.Ticket.countDocuments({ channelKey: 'kiosk-req-1' })).to.equal(1);
  });

  it('refuses a reused tracking code', async () => {
    await store.tickets.insert(ticket({ trackingCode: 'PL-2026-000010', channelKey: 'a' }));
    const err = await rejection(store.tickets.insert(ticket({ trackingCode: 'PL-2026-000010', channelKey: 'b' })));
    expect(err.code).to.equal('DUPLICATE');
    expect(err.details).to.deep.equal({ key: ['trackingCode'] });
  });

  it('validates ticket fields through the schema', async () => {
    const err = await rejection(store.tickets.insert(ticket({ channelKey: 'x1', trackingCode: 'PL-2026-000020', type: 'peticion' as never })));
    expect(err.code).to.equal('VALIDATION_FAILED');
    expect(err.details?.fields?.[0]?.path).to.equal('type');
  });

  it('answers null for a malformed id instead of throwing', async () => {
    expect(await store.tickets.get('not-an-id')).to.equal(null);
    expect(await store.tickets.get(new Types.ObjectId().toString())).to.equal(null);
  });

  it('appends ticket events and lists them in order', async () => {
    const t = await store.tickets.insert(ticket({ trackingCode: 'PL-2026-000030', channelKey: 'ev' }));
    const id = t._id.toString();
    await store.ticketEvents.append({ ticketId: id, type: 'created', actorKind: 'system', toStatus: 'nuevo', at: new Date('2026-03-02T14:00:00Z') });
    await store.ticketEvents.append({
      ticketId: id,
      type: 'status_changed',
      actorKind: 'staff',
      actorId: 'agent-7',
      fromStatus: 'nuevo',
      toStatus: 'en_cola',
      reason: 'enrutado',
      at: new Date('2026-03-02T14:01:00Z'),
    });
    const events = await store.ticketEvents.list(id);
    expect(events.map((e) => [e.type, e.fromStatus, e.toStatus, e.actorId])).to.deep.equal([
      ['created', undefined, 'nuevo', undefined],
      ['status_changed', 'nuevo', 'en_cola', 'agent-7'],
    ]);
  });

  describe('guarded writes of staff and counters', () => {
    const always = (): boolean => true;

    async function newStaff(username: string): Promise<StaffDoc> {
      return store.staff.create({ username, displayName: 'Agente de prueba', email: 'agente@example.pe', passwordHash: 'x', roles: ['agent'] });
    }

    /** The store operations `work` caused, by shape, and those FerretDB answers by reading a whole collection. */
    async function operations(work: () => Promise<unknown>): Promise<{ shapes: string[]; scans: string[] }> {
      const watch = watchStoreOperations(store.connection, ROOT);
      let seen: Awaited<ReturnType<typeof watch.stop>> | undefined;
      try {
        await work();
      } finally {
        seen = await watch.stop();
      }
      return { shapes: Object.keys(seen.byShape), scans: seen.scans.map((s) => s.shape) };
    }

    /** The store's models, but another writer that does not take the lock changes a staff document right after each read of it. */
    function withRacingWriter(models: Models): Models {
      const Staff = new Proxy(models.Staff, {
        get(target, property, receiver): unknown {
          if (property !== 'findById') return Reflect.get(target, property, receiver);
          return (id: Types.ObjectId) => ({
            lean: async () => {
              const read = await target.findById(id).lean();
              await target.updateOne({ _id: id }, { $set: { displayName: 'Cambiado por otro' }, $inc: { version: 1 } });
              return read;
            },
          });
        },
      });
      return { ...models, Staff };
    }

    it('writes staff and counters by exact _id on FerretDB (no scan), with the value read in the filter on MongoDB', async () => {
      const id = (await newStaff('filtros.guardados'))._id.toString();
      const seen = await operations(async () => {
        await store.staffPresence.setPresence(id, 'available', new Date(), always);
        await store.staffPresence.setCapacity(id, { phone: 2 }, always);
        await store.staff.updateProfile(id, { displayName: 'Otro nombre', email: null });
        await store.staff.bumpTokenVersion(id);
        // The first block creates the counter; the second and the range update it.
        for (let i = 0; i < 21; i++) await store.counters.next('test:filters');
        expect(await store.counters.reserveRange('test:filters', 5)).to.equal(41);
      });
      const [staffWrite, counterWrite] = store.filters.exactIdOnly ? ['{_id}', '{_id}'] : ['{_id,version}', '{_id,seq}'];
      expect(seen.shapes).to.include.members([`staff.findOneAndUpdate ${staffWrite}`, `counters.updateOne ${counterWrite}`]);
      expect(seen.shapes.filter((s) => s.startsWith('staff.') || s.startsWith('counters.'))).to.have.members([
        'staff.findOne {_id}',
        `staff.findOneAndUpdate ${staffWrite}`,
        'counters.findOne {_id}',
        'counters.insertOne',
        `counters.updateOne ${counterWrite}`,
      ]);
      if (store.filters.exactIdOnly) expect(seen.scans).to.deep.equal([]);
      const after = await store.staff.get(id);
      expect(after).to.deep.include({ presence: 'available', displayName: 'Otro nombre', tokenVersion: 1, version: 4 });
      expect(after?.capacity.phone).to.equal(2);
      expect(after).not.to.have.property('email');
    });

    it("keeps the version and the counter's value in the filter on MongoDB, which refuses a write that raced one outside the lock", async () => {
      const locks = await testLocks(store.connection.name);
      const mongodb = { exactIdOnly: false };
      const id = (await newStaff('filtro.mongodb'))._id;
      const shapes = await operations(async () => {
        const plain = createStaffPresenceRepository(store.models, locks, mongodb);
        expect((await plain.setPresence(id, 'away', new Date(), always)).after?.version).to.equal(1);
        const counters = createCounterRepository(store.models, locks, mongodb);
        expect(await counters.reserveRange('test:mongodb', 20)).to.equal(1);
        expect(await counters.reserveRange('test:mongodb', 20)).to.equal(21);
      });
      expect(shapes.shapes).to.include.members(['staff.findOneAndUpdate {_id,version}', 'counters.updateOne {_id,seq}']);

      const raced = createStaffPresenceRepository(withRacingWriter(store.models), locks, mongodb);
      const refused = await raced.setPresence(id, 'available', new Date(), always);
      expect(refused.before?.version).to.equal(1);
      expect(refused.after).to.equal(null);
      expect(await store.staff.get(id.toString())).to.deep.include({ presence: 'away', displayName: 'Cambiado por otro', version: 2 });

      // With FerretDB's exact _id filter the same write goes through: there the lock is the guard, so every writer of a
      // staff document (the repositories' every write) takes it, as the next test shows.
      const unguarded = createStaffPresenceRepository(withRacingWriter(store.models), locks, { exactIdOnly: true });
      expect((await unguarded.setPresence(id, 'available', new Date(), always)).after).to.deep.include({ presence: 'available', version: 3 });
    });

    it('serialises the writers of one document across processes under its lock: none writes from a stale read', async () => {
      const other = await testStore(import.meta.filename, store.connection.name);
      try {
        const id = (await newStaff('dos.procesos'))._id.toString();
        // A second process asks for a change while the first is between its read and its write.
        const racing: Promise<GuardedStep<StaffDoc>>[] = [];
        const first = await store.staffPresence.setPresence(id, 'available', new Date(), () => {
          racing.push(other.staffPresence.setPresence(id, 'away', new Date(), always));
          return true;
        });
        const [second] = await Promise.all(racing);
        expect(first.after?.version).to.equal(1);
        expect(second?.before).to.deep.include({ presence: 'available', version: 1 });
        expect(second?.after).to.deep.include({ presence: 'away', version: 2 });

        const writes = await Promise.all(
          Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? store : other).staff.bumpTokenVersion(id)),
        );
        expect(writes.map((w) => w?.version).sort((a, b) => (a ?? 0) - (b ?? 0))).to.deep.equal(Array.from({ length: 12 }, (_, i) => i + 3));
        expect(await store.staff.get(id)).to.deep.include({ tokenVersion: 12, version: 14 });

        const numbers = await Promise.all(
          Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? store.counters.next('test:processes') : other.counters.next('test:processes'))),
        );
        const range = await other.counters.reserveRange('test:processes', 10);
        expect(new Set(numbers).size).to.equal(60);
        expect(range).to.be.greaterThan(Math.max(...numbers));
      } finally {
        await other.close();
      }
    });
  });
});
