import { ticketInput } from '../support/seed.js';
import { expect } from 'chai';
import { Types } from 'mongoose';
import { AppError } from '../../src/errors.js';
import type { Store } from '../../src/store/connection.js';
import type { NewTicket } from '../../src/store/ticket.repository.js';
import { testStore } from '../support/services.js';

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

  it('keeps the indexes the server can use: on FerretDB only the unique ones, and drops any other an older version left', async () => {
    const { Ticket } = store.models;
    const declared = Ticket.schema.indexes();
    const unique = declared.filter(([, options]) => options.unique === true).map(([fields]) => JSON.stringify(fields));
    expect(unique).to.have.length.greaterThan(0);
    expect(declared.length).to.be.greaterThan(unique.length);
    const keys = async (): Promise<string[]> => (await Ticket.collection.indexes()).filter((i) => i.name !== '_id_').map((i) => JSON.stringify(i.key));

    // An index a previous version declared, which no query on FerretDB can use.
    await Ticket.collection.createIndex({ subject: 1 }, undefined, undefined);
    const reopened = await testStore(import.meta.filename, store.connection.name);
    try {
      const present = await keys();
      if (store.filters.exactIdOnly) {
        expect(present.sort()).to.deep.equal([...unique].sort());
      } else {
        expect(present).to.include.members(declared.map(([fields]) => JSON.stringify(fields)));
      }
    } finally {
      await reopened.close();
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
});
