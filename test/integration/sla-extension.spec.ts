import { expect } from 'chai';
import { createBusinessCalendar } from '../../src/domain/business-calendar.js';
import { formatLocalDate } from '../../src/domain/sla-extension.js';
import { JOBS } from '../../src/queues/jobs.js';
import type { AppContext } from '../../src/services/context/index.js';
import { startSla } from '../../src/services/sla/index.js';
import { startSession } from '../../src/services/staff/index.js';
import type { StaffDoc } from '../../src/store/staff.model.js';
import type { NewTicket, Ticket } from '../../src/store/ticket.repository.js';
import { startSystem, type RunningSystem } from '../../src/system.js';
import { seedStaff, seedTicket } from '../support/seed.js';
import { testEnv, testLog, uniqueName } from '../support/services.js';
import { call as request, errorCode, fieldPaths, type Answer } from '../support/staff-fixtures.js';

const DAY_MS = 24 * 3600_000;

interface TicketBody {
  ticket: { _id: string; version: number; sla: { resolutionDueAt: string; atRiskAt: string; extension?: Record<string, unknown> } };
  notice: { direction: string; deliveryStatus: string; kind: string; channel: string; subject: string; body: string; authorId: string };
}

describe('extension (prórroga) of a request for public information (HTTP, FerretDB, Redis)', () => {
  let system: RunningSystem;
  let ctx: AppContext;
  let assignee: StaffDoc;
  let colleague: StaffDoc;
  let supervisor: StaffDoc;
  let admin: StaffDoc;
  let outsider: StaffDoc;
  let otherSupervisor: StaffDoc;
  const tokens = new Map<StaffDoc, string>();

  const call = (as: StaffDoc | undefined, method: string, path: string, json?: unknown, raw?: string): Promise<Answer> =>
    request(system.url ?? '', method, `/api/v1${path}`, {
      ...(as ? { token: tokens.get(as) ?? '' } : {}),
      ...(json !== undefined ? { json } : {}),
      ...(raw !== undefined ? { raw } : {}),
    });
  const extend = (as: StaffDoc, id: string, json: unknown): Promise<Answer> => call(as, 'POST', `/tickets/${id}/sla-extension`, json);

  /** A request for public information in the Secretaría General, assigned, with its SLA started at `startedAt`. */
  async function seedRequest(startedAt: Date, overrides: Partial<NewTicket> = {}): Promise<Ticket> {
    const ticket = await seedTicket(ctx.store, {
      type: 'acceso_informacion',
      unitCode: 'SG',
      queue: 'transparencia',
      subject: 'Copia de las actas de sesión de concejo de 2025',
      status: 'en_atencion',
      assigneeId: assignee._id,
      ...overrides,
    });
    await startSla(ctx, ticket._id.toString(), startedAt);
    return current(ticket._id.toString());
  }

  async function current(id: string): Promise<Ticket> {
    const ticket = await ctx.store.tickets.get(id);
    if (!ticket) throw new Error(`ticket ${id} vanished`);
    return ticket;
  }

  /** Every SLA check job of a ticket in Redis, in any state, with the instant it was scheduled to run. */
  async function slaJobsOf(id: string): Promise<{ kind: string; state: string; dueAt: string; runsAt: number }[]> {
    const jobs = await ctx.queues.queue('sla').getJobs(['delayed', 'waiting', 'prioritized', 'active', 'completed', 'failed']);
    return Promise.all(
      jobs
        .filter((job) => job.id?.startsWith(`sla:${id}:`))
        .map(async (job) => {
          const payload = JOBS['sla.check'].payload.parse(job.data);
          return { kind: payload.kind, state: await job.getState(), dueAt: payload.dueAt, runsAt: job.timestamp + (job.opts.delay ?? 0) };
        }),
    );
  }

  before(async () => {
    system = await startSystem(await testEnv(import.meta.filename, { ROLE: 'all' }), { log: testLog, queuePrefix: uniqueName(import.meta.filename) });
    ctx = system.ctx;
    const { store } = ctx;
    assignee = await seedStaff(store, { username: 'prorroga-agente', units: ['SG'], autoAssign: false });
    colleague = await seedStaff(store, { username: 'prorroga-colega', units: ['SG'], autoAssign: false });
    supervisor = await seedStaff(store, { username: 'prorroga-super', roles: ['supervisor'], units: ['SG'] });
    admin = await seedStaff(store, { username: 'prorroga-admin', roles: ['admin'], units: [] });
    outsider = await seedStaff(store, { username: 'prorroga-rentas', units: ['GAT'], autoAssign: false });
    otherSupervisor = await seedStaff(store, { username: 'prorroga-super-rentas', roles: ['supervisor'], units: ['GAT'] });
    for (const staff of [assignee, colleague, supervisor, admin, outsider, otherSupervisor]) {
      tokens.set(staff, (await startSession(ctx, staff)).accessToken);
    }
  });

  after(async () => {
    await ctx.queues.queue('sla').obliterate({ force: true });
    await ctx.store.connection.dropDatabase();
    await system.stop();
  });

  it('lets the assignee extend within the window: due dates move, the checks are replaced, the citizen is told', async () => {
    const startedAt = new Date();
    const ticket = await seedRequest(startedAt);
    const id = ticket._id.toString();
    const before = ticket.sla;
    if (!before?.resolutionDueAt || !before.atRiskAt) throw new Error('SLA not started');
    const calendar = createBusinessCalendar(ctx.catalogue.calendar);
    const expectedDue = calendar.dueAtEndOfBusinessDay(calendar.addBusinessDays(calendar.toLocalDate(startedAt), 10 + 5));
    expect((await slaJobsOf(id)).find((job) => job.kind === 'resolution')?.dueAt).to.equal(before.resolutionDueAt.toISOString());

    const reason = 'el volumen de la información solicitada, que abarca los expedientes de 2019 a 2025';
    const answer = await extend(assignee, id, { businessDays: 5, reason });
    expect(answer.status, JSON.stringify(answer.body)).to.equal(201);
    const { ticket: extended, notice } = answer.body as TicketBody;
    expect(extended.sla.resolutionDueAt).to.equal(expectedDue.toISOString());
    expect(new Date(extended.sla.atRiskAt).getTime()).to.be.greaterThan(before.atRiskAt.getTime());
    expect(extended.sla.extension).to.deep.include({
      businessDays: 5,
      reason,
      by: assignee._id.toString(),
      previousResolutionDueAt: before.resolutionDueAt.toISOString(),
      resolutionDueAt: expectedDue.toISOString(),
    });

    // Exactly one resolution check, delayed until the new due date; the at-risk warning follows it.
    const jobs = await slaJobsOf(id);
    const resolution = jobs.filter((job) => job.kind === 'resolution');
    expect(resolution).to.have.length(1);
    expect(resolution[0]?.state).to.equal('delayed');
    expect(resolution[0]?.dueAt).to.equal(expectedDue.toISOString());
    expect(Math.abs((resolution[0]?.runsAt ?? 0) - expectedDue.getTime())).to.be.below(5_000);
    expect(jobs.filter((job) => job.kind === 'at_risk').map((job) => job.dueAt)).to.deep.equal([extended.sla.atRiskAt]);
    expect(jobs).to.have.length(3);

    const events = (await ctx.store.ticketEvents.list(id)).filter((event) => event.type === 'sla_extended');
    expect(events).to.have.length(1);
    expect(events[0]).to.deep.include({ actorKind: 'staff', actorId: assignee._id.toString() });
    expect(events[0]?.data).to.deep.include({
      reason,
      businessDays: 5,
      previousDueAt: before.resolutionDueAt.toISOString(),
      newDueAt: expectedDue.toISOString(),
    });

    const date = formatLocalDate(expectedDue, -300);
    expect(notice).to.deep.include({ direction: 'out', deliveryStatus: 'queued', kind: 'email', channel: 'email', authorId: assignee._id.toString() });
    expect(notice.subject).to.equal(`Prórroga del plazo de su solicitud ${ticket.trackingCode}`);
    expect(notice.body).to.contain(`el plazo para atender su solicitud ${ticket.trackingCode} se prorroga hasta el ${date} por el siguiente motivo: ${reason}.`);
    expect(notice.body).to.contain('Ley 27806');

    // A client retrying after a timeout gets what is on record; nothing is written twice.
    const retry = await extend(assignee, id, { businessDays: 5, reason });
    expect(retry.status).to.equal(200);
    expect((retry.body as TicketBody).ticket.sla.resolutionDueAt).to.equal(expectedDue.toISOString());
    expect((await ctx.store.ticketEvents.list(id)).filter((event) => event.type === 'sla_extended')).to.have.length(1);
    expect((await ctx.store.interactions.list(id)).filter((interaction) => interaction.direction === 'out')).to.have.length(1);

    // A second extension is refused, by whomever and for whatever reason.
    const again = await extend(supervisor, id, { businessDays: 2, reason: 'otra razón' });
    expect(again.status).to.equal(409);
    expect(errorCode(again)).to.equal('ILLEGAL_TRANSITION');
    expect((again.body as { error: { details: { reason: string } } }).error.details.reason).to.equal('already_extended');
    expect((await current(id)).sla?.resolutionDueAt).to.deep.equal(expectedDue);

    // Reopening starts a new cycle without the extension, but the request was extended once: not again.
    expect((await call(assignee, 'POST', `/tickets/${id}/transitions`, { action: 'resolve', resolution: 'Se entregaron las copias' })).status).to.equal(200);
    expect((await call(supervisor, 'POST', `/tickets/${id}/transitions`, { action: 'reopen' })).status).to.equal(200);
    const reopened = await current(id);
    expect(reopened.sla?.extension).to.equal(undefined);
    const afterReopen = await extend(supervisor, id, { businessDays: 2, reason: 'otra razón' });
    expect((afterReopen.body as { error: { details: { reason: string } } }).error.details.reason).to.equal('already_extended');
  });

  it('lets a supervisor of the unit and an admin extend; not a colleague, and other units do not see the ticket', async () => {
    const ticket = await seedRequest(new Date());
    const id = ticket._id.toString();
    const body = { businessDays: 3, reason: 'Falta de personal en el archivo central.' };
    expect((await extend(colleague, id, body)).status).to.equal(403);
    expect(errorCode(await extend(colleague, id, body))).to.equal('FORBIDDEN');
    for (const stranger of [outsider, otherSupervisor]) {
      const answer = await extend(stranger, id, body);
      expect(answer.status).to.equal(404);
      expect(errorCode(answer)).to.equal('NOT_FOUND');
    }
    expect((await current(id)).sla?.extension).to.equal(undefined);
    const bySupervisor = await extend(supervisor, id, body);
    expect(bySupervisor.status).to.equal(201);
    // Due dates are recomputed from scratch when a pause ends; the extension is part of that computation.
    const extendedDue = (bySupervisor.body as TicketBody).ticket.sla.resolutionDueAt;
    expect((await call(assignee, 'POST', `/tickets/${id}/transitions`, { action: 'wait_citizen' })).status).to.equal(200);
    // A retry while paused (no live due date) repeats what was decided, it does not fail.
    const pausedRetry = await extend(supervisor, id, body);
    expect(pausedRetry.status).to.equal(200);
    expect((pausedRetry.body as TicketBody).notice.body).to.contain(formatLocalDate(new Date(extendedDue), -300));
    expect((await call(assignee, 'POST', `/tickets/${id}/transitions`, { action: 'citizen_replied' })).status).to.equal(200);
    expect((await current(id)).sla?.resolutionDueAt?.toISOString()).to.equal(extendedDue);

    const other = await seedRequest(new Date());
    const byAdmin = await extend(admin, other._id.toString(), body);
    expect(byAdmin.status).to.equal(201);
    expect((byAdmin.body as TicketBody).notice.body).to.match(/por el siguiente motivo: Falta de personal en el archivo central\.$/);
  });

  it('refuses after the notice window, for a reclamo, while paused, and beyond the policy maximum', async () => {
    const reason = 'Volumen de la información';
    const late = await seedRequest(new Date(Date.now() - 20 * DAY_MS));
    const lateAnswer = await extend(assignee, late._id.toString(), { businessDays: 5, reason });
    expect(lateAnswer.status).to.equal(409);
    const lateError = (lateAnswer.body as { error: { code: string; details: { reason: string; noticeDeadline: string } } }).error;
    expect(lateError.code).to.equal('ILLEGAL_TRANSITION');
    expect(lateError.details.reason).to.equal('notice_period_over');
    expect(new Date(lateError.details.noticeDeadline).getTime()).to.be.below(Date.now());

    const reclamo = await seedRequest(new Date(), { type: 'reclamo' });
    const reclamoAnswer = await extend(assignee, reclamo._id.toString(), { businessDays: 5, reason });
    expect(reclamoAnswer.status).to.equal(409);
    expect((reclamoAnswer.body as { error: { details: { reason: string } } }).error.details.reason).to.equal('not_extendable');

    const paused = await seedRequest(new Date(), { status: 'esperando_vecino' });
    const pausedAnswer = await extend(assignee, paused._id.toString(), { businessDays: 5, reason });
    expect(pausedAnswer.status).to.equal(409);
    expect((pausedAnswer.body as { error: { details: { reason: string } } }).error.details.reason).to.equal('clock_paused');

    const greedy = await seedRequest(new Date());
    const greedyAnswer = await extend(assignee, greedy._id.toString(), { businessDays: 11, reason });
    expect(greedyAnswer.status).to.equal(400);
    expect(fieldPaths(greedyAnswer)).to.deep.equal(['businessDays']);

    for (const refused of [late, reclamo, paused, greedy]) {
      const id = refused._id.toString();
      // The late one's overdue checks ran meanwhile and recorded their breaches; its dates did not move.
      const { sla } = await current(id);
      expect(sla?.resolutionDueAt).to.deep.equal(refused.sla?.resolutionDueAt);
      expect(sla?.extension).to.equal(undefined);
      expect((await ctx.store.ticketEvents.list(id)).filter((event) => event.type === 'sla_extended')).to.deep.equal([]);
      expect((await ctx.store.interactions.list(id)).filter((interaction) => interaction.direction === 'out')).to.deep.equal([]);
    }
  });

  it('answers hostile input with a 4xx and a stable code, never a 500, and changes nothing', async () => {
    const ticket = await seedRequest(new Date());
    const id = ticket._id.toString();
    const cases: [unknown, string | undefined, number, string][] = [
      [{}, undefined, 400, 'VALIDATION_FAILED'],
      [[], undefined, 400, 'VALIDATION_FAILED'],
      [{ businessDays: '5', reason: 'x' }, undefined, 400, 'VALIDATION_FAILED'],
      [{ businessDays: 5 }, undefined, 400, 'VALIDATION_FAILED'],
      [{ reason: 'x' }, undefined, 400, 'VALIDATION_FAILED'],
      [{ businessDays: 0, reason: 'x' }, undefined, 400, 'VALIDATION_FAILED'],
      [{ businessDays: -3, reason: 'x' }, undefined, 400, 'VALIDATION_FAILED'],
      [{ businessDays: 1.5, reason: 'x' }, undefined, 400, 'VALIDATION_FAILED'],
      [{ businessDays: 1e12, reason: 'x' }, undefined, 400, 'VALIDATION_FAILED'],
      [{ businessDays: 5, reason: '' }, undefined, 400, 'VALIDATION_FAILED'],
      [{ businessDays: 5, reason: '   ' }, undefined, 400, 'VALIDATION_FAILED'],
      [{ businessDays: 5, reason: 'x'.repeat(2_001) }, undefined, 400, 'VALIDATION_FAILED'],
      [{ businessDays: 5, reason: { $gt: '' } }, undefined, 400, 'VALIDATION_FAILED'],
      [{ businessDays: { $gt: 0 }, reason: 'x' }, undefined, 400, 'VALIDATION_FAILED'],
      [{ businessDays: 5, reason: 'x', by: admin._id.toString() }, undefined, 400, 'VALIDATION_FAILED'],
      [undefined, '{"businessDays": 5,', 400, 'MALFORMED_JSON'],
    ];
    for (const [json, raw, status, code] of cases) {
      const answer = await call(assignee, 'POST', `/tickets/${id}/sla-extension`, json, raw);
      expect(answer.status, JSON.stringify(json ?? raw).slice(0, 60)).to.equal(status);
      expect(errorCode(answer)).to.equal(code);
    }
    for (const path of ['/tickets/not-an-id/sla-extension', '/tickets/%24where/sla-extension', '/tickets/0123456789abcdef01234567/sla-extension']) {
      const answer = await call(assignee, 'POST', path, { businessDays: 5, reason: 'x' });
      expect(answer.status, path).to.equal(404);
      expect(errorCode(answer)).to.equal('NOT_FOUND');
    }
    const anonymous = await call(undefined, 'POST', `/tickets/${id}/sla-extension`, { businessDays: 5, reason: 'x' });
    expect(anonymous.status).to.equal(401);
    expect((await current(id)).sla).to.deep.equal(ticket.sla);

    const documented = await call(undefined, 'GET', '/openapi.json');
    expect(Object.keys((documented.body as { paths: object }).paths)).to.include('/api/v1/tickets/{id}/sla-extension');
  });
});
