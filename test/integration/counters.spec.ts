import { expect } from 'chai';
import { priorityScore } from '../../src/domain/priority.js';
import { takeNext } from '../../src/services/assignment/index.js';
import { ensureLiveState, followPriority } from '../../src/services/live-state/index.js';
import { setPresence } from '../../src/services/staff/index.js';
import { counterTurn, lima, startHall, turnOf, type Hall } from '../support/hall.js';
import { DocumentValidators, openApiProblems, type OpenApiDoc } from '../support/openapi.js';
import { settle } from '../support/seed.js';
import { actorOf, call, errorCode } from '../support/staff-fixtures.js';
import { eventually } from '../support/wait.js';

/** The error details of a refused counter action. */
function reasonOf(answer: { body: unknown }): string | undefined {
  return (answer.body as { error?: { details?: { reason?: string } } }).error?.details?.reason;
}

describe('counters: calling turns, the display board, counter work on the ticket (real HTTP, Socket.IO, FerretDB, Redis)', function () {
  this.timeout(300_000);
  let hall: Hall;
  let key: string;

  // Each case gets a hall of its own: what waits in one must not be called in another.
  beforeEach(async () => {
    hall = await startHall(import.meta.filename, { KIOSK_RATE_LIMIT_PER_MINUTE: '1000' });
    key = await hall.kiosk();
  });

  afterEach(async () => {
    await hall.stop();
  });

  it('calls legal preferential turns first, then Vecino Puntual, then by arrival', async () => {
    const { store } = hall.system.ctx;
    await store.citizens.create({ dni: '40000011', vpp: true });
    const first = turnOf(await hall.take(key, { service: 'rentas' }));
    const second = turnOf(await hall.take(key, { service: 'rentas' }));
    const vpp = turnOf(await hall.take(key, { service: 'rentas', dni: '40000011' }));
    const pregnant = turnOf(await hall.take(key, { service: 'rentas', preferentialReason: 'gestante' }));
    expect(vpp.priority.class).to.equal('vpp');
    expect(pregnant.priority.class).to.equal('preferential');
    expect(pregnant.priority.note).to.match(/Ley 28683/);
    expect(pregnant.ahead).to.equal(0);
    expect(vpp.ahead).to.equal(2 - 2);
    const later = turnOf(await hall.take(key, { service: 'rentas' }));
    expect(later.ahead).to.equal(4);

    const { token } = await hall.clerk();
    expect((await hall.counter(token, 'V3', 'sign-in')).status).to.equal(200);
    const order = [];
    for (let i = 0; i < 5; i++) {
      const called = counterTurn(await hall.counter(token, 'V3', 'call-next'));
      order.push(called.number);
      const finished = await hall.counter(token, 'V3', 'finish', { outcome: 'resolved' });
      expect(finished.status, JSON.stringify(finished.body)).to.equal(200);
    }
    expect(order).to.deep.equal([pregnant.number, vpp.number, first.number, second.number, later.number]);
    expect((await hall.counter(token, 'V3', 'call-next')).status).to.equal(204);
    // The citizen's record is not marked preferential: a pregnancy is not a standing.
    const ticket = await store.tickets.get(pregnant.ticketId);
    expect(ticket?.turn?.preferentialReason).to.equal('gestante');
  });

  it('does not let an SLA at risk lift a turn past a preferential one that waits', async () => {
    const { ctx } = hall.system;
    await ctx.store.citizens.create({ dni: '40000022', vpp: true });
    const vpp = turnOf(await hall.take(key, { service: 'orientacion', dni: '40000022' }));
    const elder = turnOf(await hall.take(key, { service: 'orientacion', preferentialReason: 'adulto_mayor' }));
    // What the SLA does to a ticket at risk: one class up, which elsewhere ranks a VPP case with preferential ones.
    const atRisk = await ctx.store.tickets.get(vpp.ticketId);
    if (!atRisk) throw new Error('the VPP turn is not stored');
    await followPriority(ctx, { ...atRisk, slaAtRisk: true, priorityScore: priorityScore({ priorityClass: atRisk.priorityClass, slaAtRisk: true }) });
    // Nor does it put the turn where agents take work from: turns are called from counters only.
    const agent = await hall.clerk(['GDVAC']);
    await setPresence(ctx, { kind: 'system' }, agent.staff._id.toString(), 'available');
    expect(await takeNext(ctx, actorOf(agent.staff))).to.equal(null);
    const { token } = await hall.clerk();
    await hall.counter(token, 'V7', 'sign-in');
    expect(counterTurn(await hall.counter(token, 'V7', 'call-next')).number).to.equal(elder.number);
    await hall.counter(token, 'V7', 'finish', { outcome: 'resolved' });
    expect(counterTurn(await hall.counter(token, 'V7', 'call-next')).number).to.equal(vpp.number);
  });

  it('never gives two counters calling at once the same turn, and each gets one', async () => {
    const clerks = await Promise.all([hall.clerk(), hall.clerk(), hall.clerk()]);
    const counters = ['V1', 'V2', 'V4'];
    for (const [i, c] of clerks.entries()) expect((await hall.counter(c.token, counters[i] ?? '', 'sign-in')).status).to.equal(200);
    // Two turns, three counters at once: two get one each, the third finds none.
    turnOf(await hall.take(key, { service: 'caja' }));
    turnOf(await hall.take(key, { service: 'caja' }));
    const race = await Promise.all(clerks.map((c, i) => hall.counter(c.token, counters[i] ?? '', 'call-next')));
    expect(race.map((a) => a.status).sort()).to.deep.equal([200, 200, 204]);
    const won = race.filter((a) => a.status === 200).map((a) => counterTurn(a).ticketId);
    expect(new Set(won).size).to.equal(2);
    for (const [i, c] of clerks.entries()) await hall.counter(c.token, counters[i] ?? '', 'finish', { outcome: 'resolved' });

    // Thirty turns, the three counters calling and finishing as fast as they can: each turn called exactly once.
    const issued = await Promise.all(Array.from({ length: 30 }, () => hall.take(key, { service: 'caja' })));
    const numbers = issued.map((a) => turnOf(a).number);
    const called: string[] = [];
    await Promise.all(
      clerks.map(async (c, i) => {
        for (;;) {
          const answer = await hall.counter(c.token, counters[i] ?? '', 'call-next');
          if (answer.status === 204) return;
          called.push(counterTurn(answer).number);
          expect((await hall.counter(c.token, counters[i] ?? '', 'finish', { outcome: 'resolved' })).status).to.equal(200);
        }
      }),
    );
    expect([...called].sort()).to.deep.equal([...numbers].sort());
    const tickets = await Promise.all(issued.map((a) => hall.system.ctx.store.tickets.get(turnOf(a).ticketId)));
    expect(tickets.every((t) => t?.status === 'resuelto' && t.turn?.outcome === 'resolved' && t.turn.counterCode !== undefined)).to.equal(true);
  });

  it('announces every call on the display board, recalls up to the limit, then closes the turn as a no-show; nothing personal on the board', async () => {
    const dni = '40123456';
    const board = await hall.board();
    const issued = turnOf(await hall.take(key, { service: 'orientacion', dni }));
    const { token } = await hall.clerk();
    await hall.counter(token, 'V7', 'sign-in');
    expect(counterTurn(await hall.counter(token, 'V7', 'call-next')).number).to.equal(issued.number);
    await eventually(() => board.calls.length === 1, 'the call on the board');
    expect(board.calls[0]).to.deep.include({ turn: issued.number, counter: 'Ventanilla 7', announcement: `Turno ${issued.number}, ventanilla 7` });

    const early = await hall.counter(token, 'V7', 'no-show');
    expect([early.status, reasonOf(early)]).to.deep.equal([409, 'recalls_pending']);
    expect(counterTurn(await hall.counter(token, 'V7', 'recall')).recalls).to.equal(1);
    expect(counterTurn(await hall.counter(token, 'V7', 'recall')).recalls).to.equal(2);
    const third = await hall.counter(token, 'V7', 'recall');
    expect([third.status, reasonOf(third)]).to.deep.equal([409, 'recall_limit']);
    await eventually(() => board.calls.length === 3, 'the recalls on the board');
    const closed = counterTurn(await hall.counter(token, 'V7', 'no-show'));
    expect(closed).to.include({ stage: 'done', status: 'anulado' });
    const ticket = await hall.system.ctx.store.tickets.get(issued.ticketId);
    expect(ticket?.turn).to.include({ outcome: 'no_show', stage: 'done', recalls: 2, counterCode: 'V7' });
    const status = await call(hall.url, 'GET', `/api/v1/turns/${issued.status.token}`);
    expect(status.body).to.include({ state: 'no_show' });

    // A board that connects later is shown the last calls at once.
    const late = await hall.board();
    await eventually(() => late.recent.length === 1, 'the recent calls on connect');
    expect(late.recent[0]?.map((c) => c.turn)).to.deep.equal([issued.number, issued.number, issued.number]);
    for (const payload of [...board.raw, ...late.raw]) {
      const text = JSON.stringify(payload);
      expect(text).not.to.contain(dni);
      expect(text).not.to.contain(issued.trackingCode);
      expect(text).not.to.contain(issued.ticketId);
    }
    for (const c of [...board.calls, ...(late.recent[0] ?? [])]) expect(Object.keys(c).sort()).to.deep.equal(['announcement', 'at', 'counter', 'turn']);
  });

  it('redirects a turn to another service, where it keeps its number and its place by arrival', async () => {
    const rentas = turnOf(await hall.take(key, { service: 'rentas' }));
    const l1 = turnOf(await hall.take(key, { service: 'licencias' }));
    const l2 = turnOf(await hall.take(key, { service: 'licencias' }));
    const a = await hall.clerk();
    const b = await hall.clerk();
    await hall.counter(a.token, 'V3', 'sign-in');
    await hall.counter(b.token, 'V5', 'sign-in');
    expect(counterTurn(await hall.counter(a.token, 'V3', 'call-next')).number).to.equal(rentas.number);
    await hall.counter(a.token, 'V3', 'start');
    const same = await hall.counter(a.token, 'V3', 'redirect', { service: 'rentas' });
    expect(same.status).to.equal(400);
    const moved = counterTurn(await hall.counter(a.token, 'V3', 'redirect', { service: 'licencias', notes: 'Necesita licencia de funcionamiento' }));
    expect(moved).to.include({ number: rentas.number, stage: 'waiting', status: 'en_cola' });
    const status = await call(hall.url, 'GET', `/api/v1/turns/${rentas.status.token}`);
    expect(status.body).to.include({ state: 'waiting', ahead: 0, service: 'Licencias de funcionamiento' });

    const order = [];
    for (let i = 0; i < 3; i++) {
      order.push(counterTurn(await hall.counter(b.token, 'V5', 'call-next')).number);
      await hall.counter(b.token, 'V5', 'finish', { outcome: 'resolved' });
    }
    expect(order).to.deep.equal([rentas.number, l1.number, l2.number]);
    const ticket = await hall.system.ctx.store.tickets.get(rentas.ticketId);
    expect(ticket).to.include({ unitCode: 'SGLIC', status: 'resuelto' });
    expect(ticket?.turn).to.include({ service: 'licencias', counterCode: 'V5', staffId: b.staff._id.toString() });
    expect(ticket?.turn?.redirectedFrom).to.deep.equal(['rentas']);
  });

  it('parks a turn while the citizen fills a form, serves the next one, and calls the parked one back', async () => {
    const board = await hall.board();
    const first = turnOf(await hall.take(key, { service: 'registro_civil' }));
    const second = turnOf(await hall.take(key, { service: 'registro_civil' }));
    const { token } = await hall.clerk();
    await hall.counter(token, 'V6', 'sign-in');
    expect(counterTurn(await hall.counter(token, 'V6', 'call-next')).number).to.equal(first.number);
    await hall.counter(token, 'V6', 'start');
    const busy = await hall.counter(token, 'V6', 'call-next');
    expect([busy.status, reasonOf(busy)]).to.deep.equal([409, 'counter_busy']);
    expect(counterTurn(await hall.counter(token, 'V6', 'park', { note: 'Llenando formulario de partida' }))).to.include({ stage: 'parked' });
    const parkedStatus = await call(hall.url, 'GET', `/api/v1/turns/${first.status.token}`);
    expect(parkedStatus.body).to.include({ state: 'parked', counter: 'Ventanilla 6' });

    expect(counterTurn(await hall.counter(token, 'V6', 'call-next')).number).to.equal(second.number);
    const occupied = await hall.counter(token, 'V6', `parked/${first.ticketId}/recall`);
    expect([occupied.status, reasonOf(occupied)]).to.deep.equal([409, 'counter_busy']);
    await hall.counter(token, 'V6', 'finish', { outcome: 'resolved' });
    const back = counterTurn(await hall.counter(token, 'V6', `parked/${first.ticketId}/recall`));
    expect(back).to.include({ number: first.number, stage: 'called' });
    await eventually(() => board.calls.filter((c) => c.turn === first.number).length === 2, 'the parked turn announced again');
    const view = await call(hall.url, 'GET', '/api/v1/counters/V6', { token });
    expect(view.body).to.deep.include({ state: 'open' });
    expect((view.body as { current: { number: string }; parked: unknown[] }).current.number).to.equal(first.number);
    expect((view.body as { parked: unknown[] }).parked).to.deep.equal([]);
    const done = counterTurn(await hall.counter(token, 'V6', 'finish', { outcome: 'open_case', notes: 'Falta la partida de nacimiento original' }));
    expect(done).to.include({ stage: 'done' });
    const ticket = await hall.system.ctx.store.tickets.get(first.ticketId);
    // Left open in its own unit: Registro Civil's agents take it from their queue.
    expect(ticket).to.include({ status: 'en_cola', unitCode: 'SGRC' });
    expect(ticket?.turn).to.include({ outcome: 'open_case', stage: 'done', notes: 'Falta la partida de nacimiento original' });
    expect(ticket?.turn?.serviceSeconds).to.be.a('number');
  });

  it('records the counter work on the ticket: waits, service time, outcome, counter and agent, on the timeline too', async () => {
    const issued = turnOf(await hall.take(key, { service: 'libro_reclamaciones' }));
    const { token, staff } = await hall.clerk();
    await hall.counter(token, 'V7', 'sign-in');
    counterTurn(await hall.counter(token, 'V7', 'call-next'));
    await hall.counter(token, 'V7', 'start');
    const done = await hall.counter(token, 'V7', 'finish', { outcome: 'open_case', unitCode: 'SG', notes: 'Pide copia de expediente' });
    expect(done.status).to.equal(200);
    const ticket = await hall.system.ctx.store.tickets.get(issued.ticketId);
    expect(ticket).to.include({ status: 'derivado', unitCode: 'SG' });
    expect(ticket?.referral).to.include({ fromUnit: 'GDVAC', toUnit: 'SG' });
    expect(ticket?.turn).to.include({ counterCode: 'V7', staffId: staff._id.toString(), outcome: 'open_case' });
    expect(ticket?.turn?.waitSeconds).to.be.a('number').and.at.least(0);
    expect(ticket?.turn?.firstCalledAt).to.be.instanceOf(Date);
    const events = await hall.system.ctx.store.ticketEvents.list(issued.ticketId);
    const types = events.map((e) => e.type);
    expect(types).to.include.members(['created', 'routed', 'assigned', 'turn_called', 'status_changed', 'referred', 'turn_finished']);
    expect(events.find((e) => e.type === 'turn_finished')?.data).to.include({ counter: 'V7', outcome: 'open_case', unit: 'SG' });

    // Supervisors of the office (and admins) see the hall with their queues.
    turnOf(await hall.take(key, { service: 'caja' }));
    const stats = await call(hall.url, 'GET', '/api/v1/stats/units/GDVAC', { token: hall.adminToken });
    const figures = (stats.body as { hall: { waiting: number; counters: { open: number; closed: number }; services: { code: string; waiting: number }[] } }).hall;
    expect(figures.waiting).to.equal(1);
    expect(figures.counters).to.include({ open: 1, closed: 6 });
    expect(figures.services.find((s) => s.code === 'caja')?.waiting).to.equal(1);
  });

  it('refuses what a counter may not do: another counter, a second seat, calling while paused, acting without a turn', async () => {
    const a = await hall.clerk();
    const b = await hall.clerk();
    await hall.counter(a.token, 'V1', 'sign-in');
    const taken = await hall.counter(b.token, 'V1', 'sign-in');
    expect([taken.status, reasonOf(taken)]).to.deep.equal([409, 'counter_taken']);
    const elsewhere = await hall.counter(a.token, 'V2', 'sign-in');
    expect([elsewhere.status, reasonOf(elsewhere)]).to.deep.equal([409, 'signed_in_elsewhere']);
    const foreign = await hall.counter(b.token, 'V1', 'call-next');
    expect([foreign.status, reasonOf(foreign)]).to.deep.equal([403, 'counter_of_another']);
    const idle = await hall.counter(a.token, 'V1', 'start');
    expect([idle.status, reasonOf(idle)]).to.deep.equal([409, 'no_current_turn']);
    turnOf(await hall.take(key, { service: 'caja' }));
    expect((await hall.counter(a.token, 'V1', 'pause', { reason: 'Refrigerio' })).body).to.include({ state: 'paused' });
    const paused = await hall.counter(a.token, 'V1', 'call-next');
    expect([paused.status, reasonOf(paused)]).to.deep.equal([409, 'counter_paused']);
    await hall.counter(a.token, 'V1', 'resume');
    expect((await hall.counter(a.token, 'V1', 'call-next')).status).to.equal(200);
    const unknown = await hall.counter(a.token, 'V99', 'call-next');
    expect(unknown.status).to.equal(404);
    const badOutcome = await hall.counter(a.token, 'V1', 'finish', { outcome: 'maybe', extra: 1 });
    expect(badOutcome.status).to.equal(400);
    expect(errorCode(badOutcome)).to.equal('VALIDATION_FAILED');
    // Signing out hands the called turn back to the hall, in its place.
    const out = await hall.counter(a.token, 'V1', 'sign-out');
    expect(out.body).to.include({ state: 'closed' });
    await hall.counter(b.token, 'V2', 'sign-in');
    expect((await hall.counter(b.token, 'V2', 'call-next')).status).to.equal(200);
  });

  it('rebuilds the hall from the store when Redis loses it: seats, waiting turns in order, held and parked turns', async () => {
    const { ctx } = hall.system;
    const t1 = turnOf(await hall.take(key, { service: 'rentas' }));
    const t2 = turnOf(await hall.take(key, { service: 'rentas' }));
    const t3 = turnOf(await hall.take(key, { service: 'rentas' }));
    const p = turnOf(await hall.take(key, { service: 'rentas', preferentialReason: 'adulto_mayor' }));
    const { token } = await hall.clerk();
    await hall.counter(token, 'V3', 'sign-in');
    expect(counterTurn(await hall.counter(token, 'V3', 'call-next')).number).to.equal(p.number);
    await hall.counter(token, 'V3', 'park');
    expect(counterTurn(await hall.counter(token, 'V3', 'call-next')).number).to.equal(t1.number);
    await settle(ctx.queues, ['route']);
    // What a Redis restart does to the live state: gone, then rebuilt from the store.
    await ctx.live.clear();
    await ensureLiveState(ctx);
    const view = await call(hall.url, 'GET', '/api/v1/counters/V3', { token });
    const body = view.body as { state: string; current: { number: string }; parked: { number: string }[]; services: { code: string; waiting: number }[] };
    expect(body.state).to.equal('open');
    expect(body.current.number).to.equal(t1.number);
    expect(body.parked.map((x) => x.number)).to.deep.equal([p.number]);
    expect(body.services.find((s) => s.code === 'rentas')?.waiting).to.equal(2);
    await hall.counter(token, 'V3', 'finish', { outcome: 'resolved' });
    expect(counterTurn(await hall.counter(token, 'V3', 'call-next')).number).to.equal(t2.number);
    await hall.counter(token, 'V3', 'finish', { outcome: 'resolved' });
    expect(counterTurn(await hall.counter(token, 'V3', 'call-next')).number).to.equal(t3.number);
  });

  it('tells the citizen the wait from the service’s recent attentions and its open counters', async () => {
    const { token } = await hall.clerk();
    await hall.counter(token, 'V5', 'sign-in');
    // No attention today yet: the catalogue's 15 minutes per licencias turn.
    turnOf(await hall.take(key, { service: 'licencias' }));
    const second = turnOf(await hall.take(key, { service: 'licencias' }));
    expect(second.ahead).to.equal(1);
    expect(second.estimatedWait).to.include({ minutes: 15 });
    // Three attentions of 2 minutes each at the one open counter.
    for (let i = 0; i < 3; i++) await hall.system.ctx.live.hall.recordServiceTime('licencias', 120, 20);
    const third = turnOf(await hall.take(key, { service: 'licencias' }));
    expect(third.ahead).to.equal(2);
    expect(third.estimatedWait).to.include({ minutes: 4 });
    hall.clock.ms = lima('2026-12-01T10:05');
    const status = await call(hall.url, 'GET', `/api/v1/turns/${third.status.token}`);
    expect(status.body).to.deep.include({ ahead: 2 });
  });

  it('answers as the OpenAPI document says, from the kiosk to the counter, errors included', async () => {
    const served = await call(hall.url, 'GET', '/api/v1/openapi.json');
    const doc = served.body as OpenApiDoc;
    expect(openApiProblems(doc)).to.deep.equal([]);
    const validators = new DocumentValidators(doc);
    const check = (method: string, template: string, answer: { status: number; body: unknown }): void => {
      expect(validators.answerProblems(method, template, answer.status, answer.body), `${method} ${template} ${String(answer.status)}`).to.deep.equal([]);
    };
    expect(validators.operation('post', '/api/v1/kiosk/turns').security).to.deep.equal([{ kioskDeviceKey: [] }]);
    check('get', '/api/v1/kiosk/services', await call(hall.url, 'GET', '/api/v1/kiosk/services'));
    const taken = await hall.take(key, { service: 'rentas', preferentialReason: 'discapacidad' });
    check('post', '/api/v1/kiosk/turns', taken);
    check('post', '/api/v1/kiosk/turns', await hall.take(key, { service: 'nada' }));
    check('post', '/api/v1/kiosk/turns', await call(hall.url, 'POST', '/api/v1/kiosk/turns', { json: { requestId: 'no-key-0001', service: 'rentas' } }));
    check('get', '/api/v1/turns/{token}', await call(hall.url, 'GET', `/api/v1/turns/${turnOf(taken).status.token}`));
    const { token } = await hall.clerk();
    check('post', '/api/v1/counters/{code}/sign-in', await hall.counter(token, 'V3', 'sign-in'));
    check('post', '/api/v1/counters/{code}/call-next', await hall.counter(token, 'V3', 'call-next'));
    check('post', '/api/v1/counters/{code}/no-show', await hall.counter(token, 'V3', 'no-show'));
    check('post', '/api/v1/counters/{code}/park', await hall.counter(token, 'V3', 'park', {}));
    check('get', '/api/v1/counters/{code}', await call(hall.url, 'GET', '/api/v1/counters/V3', { token }));
    check('get', '/api/v1/counters', await call(hall.url, 'GET', '/api/v1/counters', { token }));
    check('post', '/api/v1/counters/{code}/call-next', await hall.counter(token, 'V3', 'call-next'));
    check('post', '/api/v1/kiosk/devices', await call(hall.url, 'POST', '/api/v1/kiosk/devices', { token: hall.adminToken, json: { name: 'Kiosco 3' } }));
    check('get', '/api/v1/kiosk/devices', await call(hall.url, 'GET', '/api/v1/kiosk/devices', { token: hall.adminToken }));
    check('get', '/api/v1/stats/units/{unitCode}', await call(hall.url, 'GET', '/api/v1/stats/units/GDVAC', { token: hall.adminToken }));
  });
});
