import { expect } from 'chai';
import { supervisedQueueStats } from '../../src/services/figures/index.js';
import { listNotifications, markNotificationRead, notify } from '../../src/services/notifications/index.js';
import { startSession } from '../../src/services/staff/index.js';
import { assignTicketToStaff } from '../../src/services/tickets/index.js';
import type { StaffDoc } from '../../src/store/staff.model.js';
import { startSystem, type RunningSystem } from '../../src/system.js';
import { seedStaff, settle } from '../support/seed.js';
import { testEnv, testLog, uniqueName } from '../support/services.js';
import { actorOf, refusal } from '../support/staff-fixtures.js';

interface Answer {
  status: number;
  body: { error?: { code: string; message: string; details?: { fields?: { path: string }[] } } } & Record<string, unknown>;
}

describe('tickets REST API (real HTTP, FerretDB, Redis, workers)', () => {
  let system: RunningSystem;
  let officeAgent: StaffDoc;
  let rentasAgent: StaffDoc;
  let supervisor: StaffDoc;
  const tokens = new Map<string, string>();

  async function call(method: string, path: string, as?: StaffDoc, payload?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const res = await fetch(`${system.url ?? ''}/api/v1${path}`, {
      method,
      headers: {
        ...(as ? { authorization: `Bearer ${tokens.get(as._id.toString()) ?? ''}` } : {}),
        ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(payload !== undefined ? { body: typeof payload === 'string' ? payload : JSON.stringify(payload) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Answer['body']) : {} };
  }

  before(async () => {
    system = await startSystem(await testEnv(import.meta.filename, { ROLE: 'all' }), { log: testLog, queuePrefix: uniqueName(import.meta.filename) });
    const { store } = system.ctx;
    officeAgent = await seedStaff(store, { username: 'api-oficina', units: ['GDVAC'], autoAssign: false, capacity: { manual: 5 } });
    rentasAgent = await seedStaff(store, { username: 'api-rentas', units: ['GAT'], autoAssign: false });
    supervisor = await seedStaff(store, { username: 'api-super', roles: ['supervisor'], units: ['GDVAC'] });
    for (const staff of [officeAgent, rentasAgent, supervisor]) tokens.set(staff._id.toString(), (await startSession(system.ctx, staff)).accessToken);
  });

  after(async () => {
    await system.stop();
  });

  it('serves its OpenAPI document', async () => {
    const res = await call('GET', '/openapi.json');
    expect(res.status).to.equal(200);
    expect(Object.keys(res.body.paths as object)).to.include.members(['/api/v1/tickets', '/api/v1/tickets/{id}/transitions', '/api/v1/tickets/take-next']);
  });

  it('refuses every ticket endpoint without a token', async () => {
    for (const [method, path] of [['GET', '/tickets'], ['POST', '/tickets'], ['GET', '/tickets/0123456789abcdef01234567'], ['POST', '/tickets/take-next']] as const) {
      const res = await call(method, path, undefined, method === 'POST' ? {} : undefined);
      expect(res.status, `${method} ${path}`).to.equal(401);
      expect(res.body.error?.code).to.equal('UNAUTHENTICATED');
    }
  });

  it('creates a ticket by hand once per Idempotency-Key, then works it through its life', async () => {
    const payload = { subject: 'Vecino pregunta por el horario de atención', serviceCode: 'atencion.consulta_general', citizen: { dni: '10000001', firstNames: 'Luis' } };
    const first = await call('POST', '/tickets', officeAgent, payload, { 'idempotency-key': 'form-2026-11-23-0001' });
    expect(first.status).to.equal(201);
    const again = await call('POST', '/tickets', officeAgent, payload, { 'idempotency-key': 'form-2026-11-23-0001' });
    expect(again.status).to.equal(200);
    const ticket = first.body.ticket as { _id: string; trackingCode: string };
    expect((again.body.ticket as { _id: string })._id).to.equal(ticket._id);
    await settle(system.ctx.queues, ['route', 'assign']);

    expect((await call('PUT', '/staff/me/presence', officeAgent, { presence: 'available' })).status).to.equal(200);
    const taken = await call('POST', '/tickets/take-next', officeAgent, { channel: 'manual' });
    expect(taken.status).to.equal(200);
    const mine = taken.body.ticket as { _id: string; version: number; status: string };
    expect(mine.status).to.equal('asignado');

    const started = await call('POST', `/tickets/${mine._id}/transitions`, officeAgent, { action: 'start', expectedVersion: mine.version });
    expect(started.status).to.equal(200);
    const stale = await call('POST', `/tickets/${mine._id}/transitions`, officeAgent, { action: 'wait_citizen', expectedVersion: mine.version });
    expect(stale.status).to.equal(409);
    expect(stale.body.error?.code).to.equal('CONFLICT');

    expect((await call('POST', `/tickets/${mine._id}/notes`, officeAgent, { body: 'Se revisó el estado de cuenta' })).status).to.equal(201);
    expect((await call('POST', `/tickets/${mine._id}/replies`, officeAgent, { body: 'Estimado vecino, su deuda es S/ 0.00' })).status).to.equal(201);
    const resolved = await call('POST', `/tickets/${mine._id}/transitions`, officeAgent, { action: 'resolve', resolution: 'Informado' });
    expect(resolved.status).to.equal(200);

    const detail = await call('GET', `/tickets/${mine._id}`, officeAgent);
    expect(detail.status).to.equal(200);
    type Item = { kind: 'event'; event: { type: string } } | { kind: 'interaction'; interaction: { direction: string } };
    const timeline = detail.body.timeline as { order: string; items: Item[]; next?: string };
    expect(timeline.order).to.equal('oldest');
    expect(timeline.items.flatMap((i) => (i.kind === 'event' ? [i.event.type] : []))).to.include.members(['created', 'routed', 'assigned', 'note_added', 'replied']);
    expect(timeline.items.flatMap((i) => (i.kind === 'interaction' ? [i.interaction.direction] : []))).to.deep.equal(['in', 'internal', 'out']);
    expect(timeline.next).to.equal(undefined);
    expect(JSON.stringify(detail.body)).not.to.contain('passwordHash');

    // A long timeline pages: three at a time, newest first, and the pages put together are the whole of it, once each.
    const newest = await call('GET', `/tickets/${mine._id}?order=newest&pageSize=3`, officeAgent);
    const pages = [(newest.body.timeline as { items: Item[]; next?: string })];
    while (pages.at(-1)?.next !== undefined) {
      const more = await call('GET', `/tickets/${mine._id}/timeline?order=newest&pageSize=3&cursor=${pages.at(-1)?.next ?? ''}`, officeAgent);
      expect(more.status).to.equal(200);
      pages.push(more.body as { items: Item[]; next?: string });
    }
    expect(pages.length).to.be.greaterThan(2);
    expect(pages.flatMap((p) => p.items)).to.deep.equal([...timeline.items].reverse());

    const found = await call('GET', `/tickets/search?q=${encodeURIComponent(ticket.trackingCode.toLowerCase().replace(/-/g, ''))}`, officeAgent);
    expect(found.status).to.equal(200);
    expect(found.body.kind).to.equal('code');
    expect((found.body.items as { _id: string }[]).map((t) => t._id)).to.deep.equal([mine._id]);
    const resolvedList = await call('GET', '/tickets?status=resuelto', officeAgent);
    expect((resolvedList.body.items as { _id: string }[])[0]?._id).to.equal(mine._id);
    expect((await call('POST', '/tickets', officeAgent, { subject: 'Otro caso de la oficina' })).status).to.equal(201);
    const firstOfAll = await call('GET', '/tickets?pageSize=1', officeAgent);
    expect(firstOfAll.body.items).to.have.length(1);
    expect(firstOfAll.body.next).to.be.a('string');
    const second = await call('GET', `/tickets?pageSize=1&cursor=${String(firstOfAll.body.next)}`, officeAgent);
    expect((second.body.items as { _id: string }[])[0]?._id).not.to.equal((firstOfAll.body.items as { _id: string }[])[0]?._id);
  });

  it('answers 404 to an agent of another unit, for the ticket and in lists', async () => {
    const created = await call('POST', '/tickets', officeAgent, { subject: 'Caso de la oficina' });
    const id = (created.body.ticket as { _id: string })._id;
    await settle(system.ctx.queues, ['route', 'assign']);
    const res = await call('GET', `/tickets/${id}`, rentasAgent);
    expect(res.status).to.equal(404);
    expect(res.body.error?.code).to.equal('NOT_FOUND');
    expect((await call('POST', `/tickets/${id}/notes`, rentasAgent, { body: 'hola' })).status).to.equal(404);
    const list = await call('GET', '/tickets', rentasAgent);
    expect((list.body.items as { _id: string }[]).map((t) => t._id)).not.to.include(id);
  });

  it('lets only a supervisor assign, and answers take-next with 204 when nothing waits', async () => {
    const created = await call('POST', '/tickets', officeAgent, { subject: 'Para asignar' });
    const id = (created.body.ticket as { _id: string })._id;
    await settle(system.ctx.queues, ['route', 'assign']);
    const denied = await call('POST', `/tickets/${id}/assign`, officeAgent, { staffId: officeAgent._id.toString() });
    expect(denied.status).to.equal(403);
    await call('PUT', '/staff/me/presence', officeAgent, { presence: 'available' });
    const done = await call('POST', `/tickets/${id}/assign`, supervisor, { staffId: officeAgent._id.toString() });
    expect(done.status).to.equal(200);
    // The person's view shows what they hold now, from the live routing state.
    const channel = (done.body.ticket as { channel: 'manual' | 'email' | 'phone' | 'kiosk' }).channel;
    const me = await call('GET', '/staff/me', officeAgent);
    expect((me.body as { load: Record<string, number> }).load[channel]).to.be.at.least(1);
    const offline = await call('POST', '/tickets/take-next', rentasAgent, {});
    expect(offline.status).to.equal(409);
    await call('PUT', '/staff/me/presence', rentasAgent, { presence: 'available' });
    const empty = await call('POST', '/tickets/take-next', rentasAgent, {});
    expect(empty.status).to.equal(204);
  });

  it('checks who may assign, read notifications and see queue figures in the use-cases, whatever the caller', async () => {
    const created = await call('POST', '/tickets', officeAgent, { subject: 'Asignación directa' });
    const id = (created.body.ticket as { _id: string })._id;
    await settle(system.ctx.queues, ['route', 'assign']);
    const staffId = officeAgent._id.toString();
    expect(await refusal(assignTicketToStaff(system.ctx, actorOf(officeAgent), id, staffId))).to.equal('FORBIDDEN');
    expect(await refusal(assignTicketToStaff(system.ctx, actorOf(rentasAgent), id, staffId))).to.equal('NOT_FOUND');
    expect((await system.ctx.store.tickets.get(id))?.status).to.equal('en_cola');
    await call('PUT', '/staff/me/presence', officeAgent, { presence: 'available' });
    expect((await assignTicketToStaff(system.ctx, actorOf(supervisor), id, staffId)).assigneeId?.toString()).to.equal(staffId);

    const note = await notify(system.ctx, {
      recipientId: officeAgent._id,
      kind: 'report_back',
      ticketId: id,
      trackingCode: 'PL-2026-000001',
      message: 'Prueba',
      dedupeKey: `test:${id}`,
    });
    const noteId = note._id.toString();
    expect(await refusal(markNotificationRead(system.ctx, actorOf(rentasAgent), noteId))).to.equal('NOT_FOUND');
    expect((await listNotifications(system.ctx, actorOf(rentasAgent), {})).items.map((n) => n._id.toString())).not.to.include(noteId);
    expect(await refusal(listNotifications(system.ctx, { kind: 'system' }, {}))).to.equal('FORBIDDEN');
    expect((await markNotificationRead(system.ctx, actorOf(officeAgent), noteId)).readAt).to.be.instanceOf(Date);

    expect(await supervisedQueueStats(system.ctx, actorOf(officeAgent))).to.deep.equal([]);
    expect((await supervisedQueueStats(system.ctx, actorOf(supervisor))).map((s) => s.unitCode)).to.deep.equal(['GDVAC']);
  });

  it('answers hostile input on every endpoint with a 4xx and a stable code, never a 500', async () => {
    const created = await call('POST', '/tickets', officeAgent, { subject: 'Objetivo' });
    const id = (created.body.ticket as { _id: string })._id;
    const cases: [string, string, unknown, number, string][] = [
      ['POST', '/tickets', {}, 400, 'VALIDATION_FAILED'],
      ['POST', '/tickets', [], 400, 'VALIDATION_FAILED'],
      ['POST', '/tickets', { subject: 42 }, 400, 'VALIDATION_FAILED'],
      ['POST', '/tickets', { subject: 'x'.repeat(301) }, 400, 'VALIDATION_FAILED'],
      ['POST', '/tickets', { subject: 'ok', citizen: { dni: { $gt: '' } } }, 400, 'VALIDATION_FAILED'],
      ['POST', '/tickets', { subject: 'ok', citizen: { dni: '1234567' } }, 400, 'VALIDATION_FAILED'],
      ['POST', '/tickets', { subject: 'ok', type: 'peticion' }, 400, 'VALIDATION_FAILED'],
      ['POST', '/tickets', { subject: 'ok', isAdmin: true }, 400, 'VALIDATION_FAILED'],
      ['POST', '/tickets', '{"subject":', 400, 'MALFORMED_JSON'],
      ['GET', '/tickets?pageSize=100000', undefined, 400, 'VALIDATION_FAILED'],
      ['GET', '/tickets?status=abierto', undefined, 400, 'VALIDATION_FAILED'],
      ['GET', '/tickets?from=ayer', undefined, 400, 'VALIDATION_FAILED'],
      ['GET', '/tickets?page=2', undefined, 400, 'VALIDATION_FAILED'],
      ['GET', '/tickets?cursor=bm90LWEtY3Vyc29y', undefined, 400, 'VALIDATION_FAILED'],
      ['GET', '/tickets?cursor=%24%7B%7D', undefined, 400, 'VALIDATION_FAILED'],
      ['GET', '/tickets?cursor[$gt]=x', undefined, 400, 'VALIDATION_FAILED'],
      ['GET', '/tickets?q=x', undefined, 400, 'VALIDATION_FAILED'],
      ['GET', '/tickets/search', undefined, 400, 'VALIDATION_FAILED'],
      ['GET', '/tickets/search?q=%20%20', undefined, 400, 'VALIDATION_FAILED'],
      ['GET', '/tickets/search?q[$ne]=x', undefined, 400, 'VALIDATION_FAILED'],
      ['GET', `/tickets/search?q=${'a'.repeat(201)}`, undefined, 400, 'VALIDATION_FAILED'],
      ['GET', '/tickets/waiting?unit=NOPE', undefined, 400, 'VALIDATION_FAILED'],
      ['GET', `/tickets/${id}?order=sideways`, undefined, 400, 'VALIDATION_FAILED'],
      ['GET', `/tickets/${id}/timeline?cursor=xyz`, undefined, 400, 'VALIDATION_FAILED'],
      ['GET', '/citizens/not-an-id/tickets', undefined, 404, 'NOT_FOUND'],
      ['GET', '/citizens/0123456789abcdef01234567/tickets', undefined, 404, 'NOT_FOUND'],
      ['GET', '/tickets?status=nuevo&status=abierto', undefined, 400, 'VALIDATION_FAILED'],
      ['GET', '/tickets?status=', undefined, 400, 'VALIDATION_FAILED'],
      ['POST', '/tickets', { subject: 'ok', citizen: { phone: '------' } }, 400, 'VALIDATION_FAILED'],
      ['POST', '/tickets', { subject: 'ok', citizen: { email: 'vecino@' } }, 400, 'VALIDATION_FAILED'],
      ['DELETE', '/tickets', undefined, 405, 'METHOD_NOT_ALLOWED'],
      ['GET', '/tickets/take-next', undefined, 405, 'METHOD_NOT_ALLOWED'],
      ['GET', '/tickets/not-an-id', undefined, 404, 'NOT_FOUND'],
      ['GET', '/tickets/%24where', undefined, 404, 'NOT_FOUND'],
      ['POST', `/tickets/${id}/transitions`, { action: 'teleport' }, 400, 'VALIDATION_FAILED'],
      ['POST', `/tickets/${id}/transitions`, { action: 'enqueue' }, 400, 'VALIDATION_FAILED'],
      ['POST', `/tickets/${id}/transitions`, { action: 'close' }, 409, 'ILLEGAL_TRANSITION'],
      ['POST', `/tickets/${id}/transitions`, { action: 'cancel' }, 400, 'VALIDATION_FAILED'],
      ['POST', `/tickets/${id}/transitions`, { action: 'start', expectedVersion: 'x' }, 400, 'VALIDATION_FAILED'],
      ['POST', `/tickets/${id}/refer`, { unitCode: 'NOPE', reason: 'x' }, 400, 'VALIDATION_FAILED'],
      ['POST', `/tickets/${id}/refer`, { unitCode: 'SGLP' }, 400, 'VALIDATION_FAILED'],
      ['POST', `/tickets/${id}/assign`, { staffId: 'abc' }, 400, 'VALIDATION_FAILED'],
      ['POST', `/tickets/${id}/notes`, { body: '' }, 400, 'VALIDATION_FAILED'],
      ['POST', `/tickets/${id}/notes`, { body: 'x'.repeat(20_001) }, 400, 'VALIDATION_FAILED'],
      ['POST', `/tickets/${id}/replies`, { body: ['a'] }, 400, 'VALIDATION_FAILED'],
      ['POST', `/tickets/${id}/report-back/ack`, {}, 409, 'ILLEGAL_TRANSITION'],
      ['POST', '/tickets/take-next', { channel: 'fax' }, 400, 'VALIDATION_FAILED'],
      ['GET', '/notifications?limit=mil', undefined, 400, 'VALIDATION_FAILED'],
      ['GET', '/notifications?after=../../etc', undefined, 400, 'VALIDATION_FAILED'],
      ['GET', '/notifications?unread=maybe', undefined, 400, 'VALIDATION_FAILED'],
      ['POST', '/notifications/not-an-id/read', {}, 404, 'NOT_FOUND'],
      ['POST', '/notifications/0123456789abcdef01234567/read', {}, 404, 'NOT_FOUND'],
      ['GET', '/stats/units/GDVAC', undefined, 404, 'NOT_FOUND'],
      ['GET', '/stats/units/%24ne', undefined, 404, 'NOT_FOUND'],
      ['POST', `/tickets/${id}/sla-extension`, { businessDays: 'diez', reason: 'x' }, 400, 'VALIDATION_FAILED'],
    ];
    for (const [method, path, payload, status, code] of cases) {
      const res = await call(method, path, officeAgent, payload);
      expect(res.status, `${method} ${path} ${JSON.stringify(payload ?? null).slice(0, 60)}`).to.equal(status);
      expect(res.body.error?.code, `${method} ${path}`).to.equal(code);
    }
    const bad = await call('POST', '/tickets', officeAgent, { subject: 'ok', citizen: { dni: '1234567' } });
    expect(bad.body.error?.details?.fields?.map((f) => f.path)).to.deep.equal(['citizen.dni']);
    const key = await call('POST', '/tickets', officeAgent, { subject: 'ok' }, { 'idempotency-key': 'a b' });
    expect(key.status).to.equal(400);
  });
});
