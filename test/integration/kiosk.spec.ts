import { expect } from 'chai';
import { dniCheckCharacters } from '../../src/domain/identity-documents.js';
import { createRedis } from '../../src/queues/redis-client.js';
import { nextTurnNumber } from '../../src/services/counter/kiosk.service.js';
import { lima, startHall, turnOf, type Hall } from '../support/hall.js';
import { testLog, testServices } from '../support/services.js';
import { call, errorCode, fieldPaths } from '../support/staff-fixtures.js';

describe('kiosk: services, turns, device keys (real HTTP, FerretDB, Redis)', function () {
  this.timeout(300_000);
  let hall: Hall;
  let key: string;

  before(async () => {
    hall = await startHall(import.meta.filename, { KIOSK_RATE_LIMIT_PER_MINUTE: '40' });
    key = await hall.kiosk('Kiosco 1, hall principal');
  });

  after(async () => {
    await hall.stop();
  });

  it('lists the services grouped by unit, each open now or not', async () => {
    hall.clock.ms = lima('2026-12-01T16:45');
    const answer = await call(hall.url, 'GET', '/api/v1/kiosk/services');
    expect(answer.status).to.equal(200);
    const body = answer.body as { open: boolean; groups: { unitCode: string; unitName: string; services: { code: string; open: boolean; closedMessage?: string }[] }[] };
    expect(body.open).to.equal(true);
    const byCode = new Map(body.groups.flatMap((g) => g.services.map((s) => [s.code, { ...s, unit: g.unitCode }] as const)));
    expect(byCode.get('caja')).to.include({ unit: 'SGRCT', open: false });
    expect(byCode.get('caja')?.closedMessage).to.match(/último turno a las 16:30/);
    expect(byCode.get('rentas')).to.include({ unit: 'GAT', open: true });
    expect(byCode.get('orientacion')).to.include({ unit: 'GDVAC', open: true });
    expect(body.groups.find((g) => g.unitCode === 'GAT')?.unitName).to.equal('Rentas');
  });

  it('issues a turn with what the printer needs, and answers a retry of the same request with the same turn', async () => {
    hall.clock.ms = lima('2026-12-01T10:00');
    const requestId = 'kiosk-1-request-0001';
    const first = await call(hall.url, 'POST', '/api/v1/kiosk/turns', { headers: { 'X-Kiosk-Key': key }, json: { requestId, service: 'licencias' } });
    expect(first.status).to.equal(201);
    const turn = turnOf(first);
    expect(turn.number).to.match(/^L-\d{3}$/);
    expect(turn.trackingCode).to.match(/^PL-2026-\d{6}$/);
    expect(turn.priority.class).to.equal('normal');
    expect(turn.status.url).to.equal(`/api/v1/turns/${encodeURIComponent(turn.status.token)}`);
    expect(turn.printout).to.include(`TURNO ${turn.number}`);
    expect(turn.printout.join('\n')).to.contain('01/12/2026 10:00').and.contain(turn.trackingCode);
    expect(turn.estimatedWait.minutes).to.equal(null);
    expect(turn.estimatedWait.text).to.match(/aún no hay ventanillas/);

    const retry = await call(hall.url, 'POST', '/api/v1/kiosk/turns', { headers: { 'X-Kiosk-Key': key }, json: { requestId, service: 'licencias' } });
    expect(retry.status).to.equal(200);
    expect(turnOf(retry)).to.deep.include({ ticketId: turn.ticketId, number: turn.number, trackingCode: turn.trackingCode });
    const reused = await call(hall.url, 'POST', '/api/v1/kiosk/turns', { headers: { 'X-Kiosk-Key': key }, json: { requestId, service: 'rentas' } });
    expect(reused.status).to.equal(409);
    expect(errorCode(reused)).to.equal('DUPLICATE');

    const ticket = await hall.system.ctx.store.tickets.get(turn.ticketId);
    expect(ticket).to.include({ channel: 'kiosk', status: 'en_cola', unitCode: 'SGLIC', serviceCode: 'licencias.funcionamiento' });
    expect(ticket?.turn).to.include({ number: turn.number, service: 'licencias', day: '2026-12-01', stage: 'waiting' });
  });

  it('numbers turns per prefix without a repeat under many kiosks at once, restarting at midnight Lima time', async () => {
    const kiosks = await Promise.all([hall.kiosk('K-a'), hall.kiosk('K-b'), hall.kiosk('K-c')]);
    hall.clock.ms = lima('2026-12-02T23:58');
    const burst = Array.from({ length: 60 }, (_, i) => hall.take(kiosks[i % 3] ?? '', { service: i % 2 === 0 ? 'rentas' : 'registro_civil' }));
    const numbers = (await Promise.all(burst)).map((a) => turnOf(a).number);
    const rentas = numbers.filter((n) => n.startsWith('R-')).sort();
    const civil = numbers.filter((n) => n.startsWith('RC-')).sort();
    expect(rentas).to.deep.equal(Array.from({ length: 30 }, (_, i) => `R-${String(i + 1).padStart(3, '0')}`));
    expect(civil).to.deep.equal(Array.from({ length: 30 }, (_, i) => `RC-${String(i + 1).padStart(3, '0')}`));

    // 20:00 in Lima is already the next day in UTC: the Lima day, not the UTC one, numbers the turns.
    hall.clock.ms = lima('2026-12-03T20:00');
    expect(turnOf(await hall.take(key, { service: 'rentas' })).number).to.equal('R-001');
    hall.clock.ms = lima('2026-12-03T23:59') - 1_000;
    expect(turnOf(await hall.take(key, { service: 'rentas' })).number).to.equal('R-002');
    hall.clock.ms = lima('2026-12-04T00:00') + 1_000;
    expect(turnOf(await hall.take(key, { service: 'rentas' })).number).to.equal('R-001');
  });

  it('never repeats a number within the day when Redis loses the sequence (a restart), starting above what the store reserved', async () => {
    hall.clock.ms = lima('2026-12-05T09:00');
    const before = [];
    for (let i = 0; i < 5; i++) before.push(turnOf(await hall.take(key, { service: 'vecino_puntual' })).number);
    expect(before).to.deep.equal(['VP-001', 'VP-002', 'VP-003', 'VP-004', 'VP-005']);
    // What a Redis restart loses: the day's sequence and its ceiling.
    const redis = createRedis((await testServices()).redisUrl, 'queue', testLog);
    const keys = await redis.keys(`*:hall}:t[nc]:2026-12-05:VP`);
    expect(keys).to.have.length(2);
    await redis.del(...keys);
    redis.disconnect();
    const after = await Promise.all(Array.from({ length: 4 }, () => hall.take(key, { service: 'vecino_puntual' })));
    const seqs = after.map((a) => Number(turnOf(a).number.slice(3)));
    expect(Math.min(...seqs)).to.be.greaterThan(5);
    expect(new Set(seqs).size).to.equal(4);
    // The store's ceiling moves by blocks; the sequence resumes above it.
    expect(await hall.system.ctx.store.hall.turnCeiling('2026-12-05:VP')).to.be.at.least(Math.max(...seqs));
    const direct = await nextTurnNumber(hall.system.ctx, 'VP', '2026-12-05');
    expect(direct).to.equal(Math.max(...seqs) + 1);
  });

  it('refuses closed services: after the last turn, outside office hours, on a holiday', async () => {
    const cases: [number, string, string][] = [
      [lima('2026-12-01T16:31'), 'caja', 'last_turn_given'],
      [lima('2026-12-06T10:00'), 'rentas', 'office_closed'],
      [lima('2026-12-08T10:00'), 'rentas', 'office_closed'],
      [lima('2026-12-01T23:59') + 30_000, 'rentas', 'office_closed'],
    ];
    for (const [at, service, reason] of cases) {
      hall.clock.ms = at;
      const answer = await hall.take(key, { service });
      expect(answer.status, `${service} at ${new Date(at).toISOString()}`).to.equal(409);
      expect(errorCode(answer)).to.equal('CLOSED');
      const body = answer.body as { error: { message: string; details: { reason: string } } };
      expect(body.error.details.reason).to.equal(reason);
      expect(body.error.message).to.match(/cerrada|ya no se entregan/);
    }
    hall.clock.ms = lima('2026-12-01T16:29');
    expect((await hall.take(key, { service: 'caja' })).status).to.equal(201);
  });

  it('refuses a DNI with a wrong check character with a Spanish message on `dni`, and accepts the right one', async () => {
    hall.clock.ms = lima('2026-12-01T11:00');
    const number = '41234567';
    const { digit } = dniCheckCharacters(number);
    const wrong = String((Number(digit) + 1) % 10);
    const refused = await hall.take(key, { service: 'orientacion', dni: `${number}-${wrong}` });
    expect(refused.status).to.equal(400);
    expect(fieldPaths(refused)).to.deep.equal(['dni']);
    expect((refused.body as { error: { message: string } }).error.message).to.match(/dígito de verificación no corresponde/);
    const accepted = await hall.take(key, { service: 'orientacion', dni: `${number}-${digit}` });
    expect(accepted.status).to.equal(201);
    const ticket = await hall.system.ctx.store.tickets.get(turnOf(accepted).ticketId);
    const citizen = await hall.system.ctx.store.citizens.get(ticket?.citizenId?.toString() ?? '');
    expect(citizen?.dni).to.equal(number);
  });

  it('refuses hostile input with 400 and the field at fault', async () => {
    hall.clock.ms = lima('2026-12-01T11:30');
    const cases: [unknown, string[]][] = [
      [{ requestId: 'hostile-0001', service: 'no_such_service' }, ['service']],
      [{ requestId: 'hostile-0002', service: 'rentas', dni: '1'.repeat(21) }, ['dni']],
      [{ requestId: 'hostile-0003', service: 'rentas', dni: 'abcdefgh' }, ['dni']],
      [{ requestId: 'hostile-0004', service: 'rentas', preferentialReason: 'vip' }, ['preferentialReason']],
      [{ requestId: 'hostile-0005', service: 'rentas', firstNames: 'Rosa', isAdmin: true }, ['firstNames', 'isAdmin']],
      [{ requestId: 'x', service: 'rentas' }, ['requestId']],
      [{ requestId: 'hostile-0006<script>', service: 'rentas' }, ['requestId']],
      [{ service: 'rentas' }, ['requestId']],
      [[1, 2, 3], ['(body)']],
    ];
    for (const [json, paths] of cases) {
      const answer = await call(hall.url, 'POST', '/api/v1/kiosk/turns', { headers: { 'X-Kiosk-Key': key }, json });
      expect(answer.status, JSON.stringify(json)).to.equal(400);
      expect(errorCode(answer)).to.equal('VALIDATION_FAILED');
      expect(fieldPaths(answer), JSON.stringify(json)).to.deep.equal(paths);
    }
    const huge = await call(hall.url, 'POST', '/api/v1/kiosk/turns', { headers: { 'X-Kiosk-Key': key }, json: { requestId: 'hostile-0007', service: 'rentas', pad: 'x'.repeat(300_000) } });
    expect(huge.status).to.equal(413);
    const notJson = await call(hall.url, 'POST', '/api/v1/kiosk/turns', { headers: { 'X-Kiosk-Key': key }, raw: '{"requestId":', contentType: 'application/json' });
    expect(notJson.status).to.equal(400);
    expect(errorCode(notJson)).to.equal('MALFORMED_JSON');
  });

  it('takes turns only with a valid, unrevoked device key, and a key does nothing else', async () => {
    hall.clock.ms = lima('2026-12-01T12:00');
    const body = { requestId: 'auth-check-0001', service: 'orientacion' };
    const missing = await call(hall.url, 'POST', '/api/v1/kiosk/turns', { json: body });
    expect([missing.status, errorCode(missing)]).to.deep.equal([401, 'UNAUTHENTICATED']);
    const [, id] = /^kio_([a-f0-9]{24})_/.exec(key) ?? [];
    const forged = await call(hall.url, 'POST', '/api/v1/kiosk/turns', { headers: { 'X-Kiosk-Key': `kio_${id ?? ''}_${'A'.repeat(43)}` }, json: body });
    expect([forged.status, errorCode(forged)]).to.deep.equal([401, 'UNAUTHENTICATED']);
    const garbage = await call(hall.url, 'POST', '/api/v1/kiosk/turns', { headers: { 'X-Kiosk-Key': 'let-me-in' }, json: body });
    expect(garbage.status).to.equal(401);

    const { token } = await hall.clerk();
    const adminToken = hall.adminToken;
    const issued = await call(hall.url, 'POST', '/api/v1/kiosk/devices', { token: adminToken, json: { name: 'Kiosco 2, segundo piso' } });
    expect(issued.status).to.equal(201);
    const fresh = (issued.body as { key: string; device: { id: string } });
    expect((await call(hall.url, 'POST', '/api/v1/kiosk/devices', { token, json: { name: 'No soy admin' } })).status).to.equal(403);
    expect((await call(hall.url, 'POST', '/api/v1/kiosk/turns', { headers: { 'X-Kiosk-Key': fresh.key }, json: body })).status).to.equal(201);
    // The key is not a staff credential, in whatever header it comes.
    expect((await call(hall.url, 'GET', '/api/v1/tickets', { headers: { 'X-Kiosk-Key': fresh.key } })).status).to.equal(401);
    expect((await call(hall.url, 'GET', '/api/v1/tickets', { headers: { authorization: `Bearer ${fresh.key}` } })).status).to.equal(401);
    expect((await call(hall.url, 'POST', '/api/v1/counters/V1/sign-in', { headers: { authorization: `Bearer ${fresh.key}` } })).status).to.equal(401);
    const devices = await call(hall.url, 'GET', '/api/v1/kiosk/devices', { token: adminToken });
    expect(JSON.stringify(devices.body)).not.to.contain(fresh.key.slice(-43));

    const revoked = await call(hall.url, 'POST', `/api/v1/kiosk/devices/${fresh.device.id}/revoke`, { token: adminToken });
    expect(revoked.status).to.equal(200);
    const after = await call(hall.url, 'POST', '/api/v1/kiosk/turns', { headers: { 'X-Kiosk-Key': fresh.key }, json: { ...body, requestId: 'auth-check-0002' } });
    expect([after.status, errorCode(after)]).to.deep.equal([401, 'UNAUTHENTICATED']);
    expect((after.body as { error: { details: { reason: string } } }).error.details.reason).to.equal('revoked');
  });

  it('rate-limits each device, and not the others', async () => {
    hall.clock.ms = lima('2026-12-01T13:00') + 5_000;
    const busy = await hall.kiosk('Kiosco ocupado');
    const other = await hall.kiosk('Kiosco tranquilo');
    const answers = [];
    for (let i = 0; i < 41; i++) answers.push(await hall.take(busy, { service: 'orientacion' }));
    expect(answers.slice(0, 40).map((a) => a.status)).to.deep.equal(Array.from({ length: 40 }, () => 201));
    const limited = answers[40];
    expect(limited?.status).to.equal(429);
    expect(limited && errorCode(limited)).to.equal('RATE_LIMITED');
    expect(Number(limited?.headers.get('retry-after'))).to.equal(55);
    expect((await hall.take(other, { service: 'orientacion' })).status).to.equal(201);
    hall.clock.ms = lima('2026-12-01T13:01') + 1_000;
    expect((await hall.take(busy, { service: 'orientacion' })).status).to.equal(201);
  });

  it('shows a turn to whoever holds its link: state and place, nothing personal', async () => {
    hall.clock.ms = lima('2026-12-01T14:00');
    const number = '40123456';
    const issued = turnOf(await hall.take(key, { service: 'libro_reclamaciones', dni: number }));
    const status = await call(hall.url, 'GET', `/api/v1/turns/${issued.status.token}`);
    expect(status.status).to.equal(200);
    expect(status.body).to.include({ number: issued.number, state: 'waiting', service: 'Libro de Reclamaciones' });
    const text = JSON.stringify(status.body);
    expect(text).not.to.contain(number);
    expect(text).not.to.contain(issued.trackingCode);
    const [id] = issued.status.token.split('.');
    expect((await call(hall.url, 'GET', `/api/v1/turns/${id ?? ''}.${'B'.repeat(22)}`)).status).to.equal(404);
    expect((await call(hall.url, 'GET', `/api/v1/turns/${id ?? ''}`)).status).to.equal(404);
  });
});
