import { expect } from 'chai';
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TicketStatus } from '../../src/domain/ticket-lifecycle.js';
import { JOBS, type JobPayload } from '../../src/queues/jobs.js';
import type { AppContext } from '../../src/services/context/index.js';
import { handleSlaCheck, recordFirstResponse, slaOnTransition, startSla } from '../../src/services/sla/index.js';
import type { StaffDoc } from '../../src/store/staff.model.js';
import type { NewTicket, Ticket } from '../../src/store/ticket.repository.js';
import { startSystem, type RunningSystem } from '../../src/system.js';
import { HANDLERS } from '../../workers/registry.js';
import { seedStaff, seedTicket } from '../support/seed.js';
import { testEnv, testLog, uniqueName } from '../support/services.js';
import { eventually } from '../support/wait.js';

const SHIPPED_CONFIG = join(import.meta.dirname, '../../config');
const FAST_SLA = join(import.meta.dirname, '../fixtures/config-fast-sla');

/** The shipped configuration (units, services, routing...) with the fast calendar and SLA targets laid over it. */
async function fastSlaConfigDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fast-sla-'));
  for (const name of await readdir(SHIPPED_CONFIG)) {
    if (name.endsWith('.json')) await copyFile(join(SHIPPED_CONFIG, name), join(dir, name));
  }
  await copyFile(join(FAST_SLA, 'calendar.json'), join(dir, 'calendar.json'));
  await copyFile(join(FAST_SLA, 'sla.json'), join(dir, 'sla.json'));
  return dir;
}


/** What most tests here need: a complaint being worked on in Fiscalización. */
const CASE = { type: 'queja', unitCode: 'SGF', subject: 'Caso de prueba de plazos', status: 'en_atencion' } as const satisfies Partial<NewTicket>;

async function current(ctx: AppContext, id: string): Promise<Ticket> {
  const ticket = await ctx.store.tickets.get(id);
  if (!ticket) throw new Error(`ticket ${id} vanished`);
  return ticket;
}

async function eventsOf(ctx: AppContext, id: string, type: string): Promise<unknown[]> {
  return (await ctx.store.ticketEvents.list(id)).filter((event) => event.type === type);
}

async function notificationsOf(ctx: AppContext, staff: StaffDoc, ticketId?: string): Promise<{ kind: string; message: string }[]> {
  const { items } = await ctx.store.notifications.listForRecipient(staff._id, { limit: 100 });
  return items.filter((n) => ticketId === undefined || n.ticketId.toString() === ticketId);
}

/** Every SLA job of a ticket still in Redis, in any state. */
async function slaJobsOf(ctx: AppContext, ticketId: string): Promise<{ kind: string; state: string; dueAt: string }[]> {
  const queue = ctx.queues.queue('sla');
  const jobs = await queue.getJobs(['delayed', 'waiting', 'prioritized', 'active', 'completed', 'failed']);
  const mine = jobs.filter((job) => job.id?.startsWith(`sla:${ticketId}:`));
  return Promise.all(
    mine.map(async (job) => {
      const payload = JOBS['sla.check'].payload.parse(job.data);
      expect(job.id).to.equal(`sla:${ticketId}:${payload.kind}`);
      return { kind: payload.kind, state: await job.getState(), dueAt: payload.dueAt };
    }),
  );
}

/** What the lead's transition service does: store the status change, then tell the SLA. */
async function transition(ctx: AppContext, id: string, from: TicketStatus, to: TicketStatus, at = new Date()): Promise<void> {
  const { modifiedCount } = await ctx.store.models.Ticket.updateOne({ _id: id, status: from }, { $set: { status: to }, $inc: { version: 1 } });
  expect(modifiedCount).to.equal(1);
  await slaOnTransition(ctx, id, from, to, at);
}

const iso = (date: Date | undefined): string | undefined => date?.toISOString();

describe('SLA in business time: delayed checks, pauses, warnings and breaches (real FerretDB + Redis)', () => {
  let system: RunningSystem;
  let ctx: AppContext;
  let configDir: string;
  let fiscalizacionSupervisor: StaffDoc;
  let limpiezaSupervisor: StaffDoc;
  let fiscalizacionAgent: StaffDoc;
  let retiredSupervisor: StaffDoc;
  let officeSupervisor: StaffDoc;

  before(async () => {
    configDir = await fastSlaConfigDir();
    system = await startSystem(await testEnv(import.meta.filename, { ROLE: 'worker', CONFIG_DIR: configDir }), {
      log: testLog,
      queuePrefix: uniqueName(import.meta.filename),
    });
    ctx = system.ctx;
    fiscalizacionSupervisor = await seedStaff(ctx.store, { username: 'sup.fiscalizacion', roles: ['supervisor'], units: ['SGF'] });
    limpiezaSupervisor = await seedStaff(ctx.store, { username: 'sup.limpieza', roles: ['supervisor'], units: ['SGLP'] });
    fiscalizacionAgent = await seedStaff(ctx.store, { username: 'agente.fiscalizacion', roles: ['agent'], units: ['SGF'] });
    retiredSupervisor = await seedStaff(ctx.store, { username: 'sup.retirado', roles: ['supervisor'], units: ['SGF'], disabled: true });
    officeSupervisor = await seedStaff(ctx.store, { username: 'sup.gdvac', roles: ['supervisor'], units: ['GDVAC'] });
  });

  after(async () => {
    await ctx.queues.queue('sla').obliterate({ force: true });
    await ctx.store.connection.dropDatabase();
    await system.stop();
    await rm(configDir, { recursive: true, force: true });
  });

  it('warns the unit supervisor when a case is at risk, raises its priority, then records the breach', async () => {
    const ticket = await seedTicket(ctx.store, CASE);
    const id = ticket._id.toString();
    const startedAt = new Date();
    await startSla(ctx, id, startedAt);

    const started = await current(ctx, id);
    expect(started.sla?.policy).to.equal('queja');
    expect(started.sla?.resolutionDueAt?.getTime()).to.equal(startedAt.getTime() + 3_000);
    expect(started.sla?.atRiskAt?.getTime()).to.equal(startedAt.getTime() + 1_500);

    const warned = await eventually(async () => {
      const t = await current(ctx, id);
      return t.sla?.atRiskNotifiedAt !== undefined && (await notificationsOf(ctx, fiscalizacionSupervisor, id)).length > 0 && t;
    }, 'the at-risk warning');
    expect(warned.slaAtRisk).to.equal(true);
    expect(warned.priorityScore).to.equal(2);
    expect(warned.sla?.atRiskNotifiedAt?.getTime()).to.be.at.least(startedAt.getTime() + 1_500);
    expect(await eventsOf(ctx, id, 'sla_at_risk')).to.have.length(1);
    const [warning] = await notificationsOf(ctx, fiscalizacionSupervisor, id);
    expect(warning?.kind).to.equal('sla_at_risk');
    expect(warning?.message).to.match(new RegExp(`^El caso ${ticket.trackingCode} está por vencer su plazo \\(vence el \\d{2}/\\d{2}/\\d{4} \\d{2}:\\d{2}\\)$`));

    const breached = await eventually(async () => {
      const t = await current(ctx, id);
      return t.sla?.breachedAt !== undefined && (await notificationsOf(ctx, fiscalizacionSupervisor, id)).length > 1 && t;
    }, 'the breach');
    expect(breached.sla?.breachedAt?.getTime()).to.be.at.least(startedAt.getTime() + 3_000);
    expect(await eventsOf(ctx, id, 'sla_breached')).to.have.length(1);
    expect((await notificationsOf(ctx, fiscalizacionSupervisor, id)).map((n) => n.kind).sort()).to.deep.equal(['sla_at_risk', 'sla_breached']);

    // Only enabled supervisors of the unit holding the case hear of it.
    expect(await notificationsOf(ctx, limpiezaSupervisor, id)).to.deep.equal([]);
    expect(await notificationsOf(ctx, fiscalizacionAgent, id)).to.deep.equal([]);
    expect(await notificationsOf(ctx, retiredSupervisor, id)).to.deep.equal([]);
    expect(await notificationsOf(ctx, officeSupervisor, id)).to.deep.equal([]);
    // Finished checks leave nothing behind that would block the next schedule.
    await eventually(async () => (await slaJobsOf(ctx, id)).length === 0, 'finished SLA jobs to be gone');
  });

  it('records a missing first response, and not one given in time', async () => {
    const late = await seedTicket(ctx.store, { ...CASE, type: 'consulta' });
    const answered = await seedTicket(ctx.store, { ...CASE, type: 'consulta' });
    const at = new Date();
    await startSla(ctx, late._id.toString(), at);
    await startSla(ctx, answered._id.toString(), at);
    await recordFirstResponse(ctx, answered._id.toString(), new Date());

    expect((await slaJobsOf(ctx, answered._id.toString())).map((j) => j.kind).sort()).to.deep.equal(['at_risk', 'resolution']);
    await eventually(async () => (await eventsOf(ctx, late._id.toString(), 'first_response_breached')).length === 1, 'the first-response breach');
    const notes = await eventually(async () => {
      const found = await notificationsOf(ctx, fiscalizacionSupervisor, late._id.toString());
      return found.length > 0 && found;
    }, 'the first-response notification');
    expect(notes.map((n) => n.kind)).to.deep.equal(['first_response_breached']);
    expect(notes[0]?.message).to.contain(`El caso ${late.trackingCode} no recibió primera respuesta dentro del plazo`);

    // Both were due at the same instant, which has now passed.
    const ok = await current(ctx, answered._id.toString());
    expect(ok.sla?.firstRespondedAt).to.be.instanceOf(Date);
    expect(ok.sla?.firstResponseBreachedAt).to.equal(undefined);
    expect(await eventsOf(ctx, answered._id.toString(), 'first_response_breached')).to.deep.equal([]);
  });

  it('pauses while waiting for the citizen and moves the due date by the paused time', async () => {
    const paused = await seedTicket(ctx.store, { ...CASE, type: 'reclamo' });
    const control = await seedTicket(ctx.store, { ...CASE, type: 'reclamo' });
    const id = paused._id.toString();
    const startedAt = new Date();
    await startSla(ctx, id, startedAt);
    await startSla(ctx, control._id.toString(), startedAt);
    const originalDue = (await current(ctx, id)).sla?.resolutionDueAt;
    if (!originalDue) throw new Error('no resolution due date');

    const pausedAt = new Date();
    await transition(ctx, id, 'en_atencion', 'esperando_vecino', pausedAt);
    const waiting = await current(ctx, id);
    expect(waiting.sla?.pauses).to.deep.equal([{ from: pausedAt }]);
    expect(waiting.sla?.resolutionDueAt).to.equal(undefined);
    expect(await slaJobsOf(ctx, id)).to.deep.equal([]);
    // A check already running when the pause began finds nothing to record.
    await handleSlaCheck(ctx, { ticketId: id, kind: 'resolution', dueAt: originalDue.toISOString() });

    // The control ticket, started at the same instant, breaches: the original due date has passed.
    await eventually(async () => (await current(ctx, control._id.toString())).sla?.breachedAt !== undefined, 'the control breach');
    expect(await eventsOf(ctx, id, 'sla_breached')).to.deep.equal([]);
    expect((await current(ctx, id)).sla?.breachedAt).to.equal(undefined);

    const resumedAt = new Date();
    await transition(ctx, id, 'esperando_vecino', 'en_atencion', resumedAt);
    const resumed = await current(ctx, id);
    const newDue = resumed.sla?.resolutionDueAt;
    expect(newDue?.getTime()).to.equal(originalDue.getTime() + (resumedAt.getTime() - pausedAt.getTime()));
    expect(resumed.sla?.pauses).to.deep.equal([{ from: pausedAt, to: resumedAt }]);
    expect((await slaJobsOf(ctx, id)).find((j) => j.kind === 'resolution')?.dueAt).to.equal(iso(newDue));

    const breached = await eventually(async () => {
      const t = await current(ctx, id);
      return t.sla?.breachedAt !== undefined && t;
    }, 'the breach after the pause');
    expect(breached.sla?.breachedAt?.getTime()).to.be.at.least(newDue?.getTime() ?? Infinity);
    // The event is written just after the breach is stored.
    await eventually(async () => (await eventsOf(ctx, id, 'sla_breached')).length > 0, 'the breach event');
    expect(await eventsOf(ctx, id, 'sla_breached')).to.have.length(1);
  });

  it('removes the checks when the case is resolved: no breach afterwards', async () => {
    const resolved = await seedTicket(ctx.store, { ...CASE, type: 'reclamo' });
    const control = await seedTicket(ctx.store, { ...CASE, type: 'reclamo' });
    const id = resolved._id.toString();
    const at = new Date();
    await startSla(ctx, id, at);
    await startSla(ctx, control._id.toString(), at);
    expect((await slaJobsOf(ctx, id)).map((j) => j.kind).sort()).to.deep.equal(['at_risk', 'resolution']);

    await transition(ctx, id, 'en_atencion', 'resuelto');
    expect(await slaJobsOf(ctx, id)).to.deep.equal([]);

    await eventually(async () => (await current(ctx, control._id.toString())).sla?.breachedAt !== undefined, 'the control breach');
    const after = await current(ctx, id);
    expect(after.sla?.breachedAt).to.equal(undefined);
    expect(after.sla?.atRiskNotifiedAt).to.equal(undefined);
    expect(await eventsOf(ctx, id, 'sla_breached')).to.deep.equal([]);
    expect(await eventsOf(ctx, id, 'sla_at_risk')).to.deep.equal([]);
  });

  it('writes one event and one notification per supervisor for a check that runs twice', async () => {
    const ticket = await seedTicket(ctx.store, { ...CASE, type: 'denuncia', unitCode: 'SGF' });
    const id = ticket._id.toString();
    await startSla(ctx, id, new Date());
    const { sla, version } = await current(ctx, id);
    // The most specific policy: denuncia in Fiscalización.
    expect(sla?.policy).to.equal('denuncia.fiscalizacion');
    if (!sla?.atRiskAt || !sla.resolutionDueAt || !sla.firstResponseDueAt) throw new Error('due dates missing');

    const atRisk: JobPayload<'sla.check'> = { ticketId: id, kind: 'at_risk', dueAt: sla.atRiskAt.toISOString() };
    await Promise.all([handleSlaCheck(ctx, atRisk), handleSlaCheck(ctx, atRisk)]);
    await handleSlaCheck(ctx, atRisk);
    const warned = await current(ctx, id);
    expect(warned.version).to.equal(version + 1);
    expect(warned.priorityScore).to.equal(2);
    expect(await eventsOf(ctx, id, 'sla_at_risk')).to.have.length(1);

    const breach: JobPayload<'sla.check'> = { ticketId: id, kind: 'resolution', dueAt: sla.resolutionDueAt.toISOString() };
    await Promise.all([handleSlaCheck(ctx, breach), handleSlaCheck(ctx, breach), handleSlaCheck(ctx, breach)]);
    expect(await eventsOf(ctx, id, 'sla_breached')).to.have.length(1);

    // A run that recorded the breach on the ticket and stopped before writing the rest: the next run finishes it.
    expect(await ctx.store.ticketSla.recordFirstResponseBreach(id, sla.firstResponseDueAt, new Date())).to.not.equal(null);
    const firstResponse: JobPayload<'sla.check'> = { ticketId: id, kind: 'first_response', dueAt: sla.firstResponseDueAt.toISOString() };
    await handleSlaCheck(ctx, firstResponse);
    await handleSlaCheck(ctx, firstResponse);
    expect(await eventsOf(ctx, id, 'first_response_breached')).to.have.length(1);

    expect((await notificationsOf(ctx, fiscalizacionSupervisor, id)).map((n) => n.kind).sort()).to.deep.equal([
      'first_response_breached',
      'sla_at_risk',
      'sla_breached',
    ]);
    expect(await notificationsOf(ctx, limpiezaSupervisor, id)).to.deep.equal([]);
  });

  it('escalates to the office that took the case when the unit has no supervisor', async () => {
    const ticket = await seedTicket(ctx.store, { ...CASE, type: 'denuncia', unitCode: 'SGPJ', originUnitCode: 'GDVAC' });
    const id = ticket._id.toString();
    await startSla(ctx, id, new Date());
    const dueAt = (await current(ctx, id)).sla?.resolutionDueAt?.toISOString() ?? '';
    await handleSlaCheck(ctx, { ticketId: id, kind: 'resolution', dueAt });
    expect((await notificationsOf(ctx, officeSupervisor, id)).map((n) => n.kind)).to.deep.equal(['sla_breached']);
  });

  it('replaces jobs when due dates move, keeping exactly one per ticket and kind', async () => {
    const ticket = await seedTicket(ctx.store, { ...CASE, type: 'denuncia', unitCode: 'SGF' });
    const id = ticket._id.toString();
    const dueDates = (t: Ticket) => ({
      first_response: iso(t.sla?.firstResponseDueAt),
      at_risk: iso(t.sla?.atRiskAt),
      resolution: iso(t.sla?.resolutionDueAt),
    });
    const scheduled = async () =>
      Object.fromEntries((await slaJobsOf(ctx, id)).map((j) => [j.kind, `${j.state} ${j.dueAt}`])) as Record<string, string>;
    const delayedAt = (dates: Record<string, string | undefined>) =>
      Object.fromEntries(Object.entries(dates).map(([kind, due]) => [kind, `delayed ${due ?? ''}`]));

    await startSla(ctx, id, new Date());
    const first = await current(ctx, id);
    expect(await slaJobsOf(ctx, id)).to.have.length(3);
    expect(await scheduled()).to.deep.equal(delayedAt(dueDates(first)));

    await startSla(ctx, id, new Date(Date.now() + 60_000));
    const again = await current(ctx, id);
    expect(dueDates(again)).to.deep.equal(dueDates(first));
    expect(await slaJobsOf(ctx, id)).to.have.length(3);
    expect(await scheduled()).to.deep.equal(delayedAt(dueDates(first)));

    const pausedAt = new Date();
    await transition(ctx, id, 'en_atencion', 'esperando_vecino', pausedAt);
    await transition(ctx, id, 'esperando_vecino', 'en_atencion', new Date(pausedAt.getTime() + 5_000));
    const moved = await current(ctx, id);
    expect(moved.sla?.resolutionDueAt?.getTime()).to.equal((first.sla?.resolutionDueAt?.getTime() ?? 0) + 5_000);
    expect(await slaJobsOf(ctx, id)).to.have.length(3);
    expect(await scheduled()).to.deep.equal(delayedAt(dueDates(moved)));

    await recordFirstResponse(ctx, id, new Date());
    expect(Object.keys(await scheduled()).sort()).to.deep.equal(['at_risk', 'resolution']);
  });

  it('restarts the resolution clock when a resolved case is reopened', async () => {
    const ticket = await seedTicket(ctx.store, { ...CASE, type: 'denuncia', unitCode: 'SGF' });
    const id = ticket._id.toString();
    await startSla(ctx, id, new Date(Date.now() - 60_000));
    const before = await current(ctx, id);
    await handleSlaCheck(ctx, { ticketId: id, kind: 'at_risk', dueAt: iso(before.sla?.atRiskAt) ?? '' });
    const respondedAt = new Date();
    await recordFirstResponse(ctx, id, respondedAt);
    await transition(ctx, id, 'en_atencion', 'resuelto');
    expect(await slaJobsOf(ctx, id)).to.deep.equal([]);

    const reopenedAt = new Date();
    await transition(ctx, id, 'resuelto', 'en_cola', reopenedAt);
    await slaOnTransition(ctx, id, 'resuelto', 'en_cola', reopenedAt);
    const reopened = await current(ctx, id);
    expect(reopened.sla?.startedAt).to.deep.equal(reopenedAt);
    expect(reopened.sla?.resolutionDueAt?.getTime()).to.equal(reopenedAt.getTime() + 20 * 60_000);
    expect(reopened.sla?.atRiskNotifiedAt).to.equal(undefined);
    expect(reopened.sla?.firstRespondedAt).to.deep.equal(respondedAt);
    expect(reopened.slaAtRisk).to.equal(false);
    expect(reopened.priorityScore).to.equal(1);
    expect(await eventsOf(ctx, id, 'sla_restarted')).to.have.length(1);
    expect((await slaJobsOf(ctx, id)).map((j) => j.kind).sort()).to.deep.equal(['at_risk', 'resolution']);
  });

  it('pages a supervisor notifications, filters unread ones and lets only the recipient mark them read', async () => {
    const reader = await seedStaff(ctx.store, { username: 'sup.lectora', roles: ['supervisor'], units: ['DEMUNA'] });
    const ticket = await seedTicket(ctx.store, { ...CASE, unitCode: 'DEMUNA' });
    const created = [];
    for (let i = 0; i < 5; i++) {
      created.push(
        await ctx.store.notifications.create({
          recipientId: reader._id,
          kind: 'sla_at_risk',
          ticketId: ticket._id,
          trackingCode: ticket.trackingCode,
          message: `Aviso ${i}`,
          dedupeKey: `test:${ticket._id.toString()}:${i}`,
        }),
      );
    }
    const again = await ctx.store.notifications.create({
      recipientId: reader._id.toString(),
      kind: 'sla_at_risk',
      ticketId: ticket._id.toString(),
      trackingCode: ticket.trackingCode,
      message: 'Otro texto, misma clave',
      dedupeKey: `test:${ticket._id.toString()}:0`,
    });
    expect(again._id.toString()).to.equal(created[0]?._id.toString());

    const first = await ctx.store.notifications.listForRecipient(reader._id, { limit: 2 });
    const second = await ctx.store.notifications.listForRecipient(reader._id, { limit: 2, ...(first.nextCursor ? { after: first.nextCursor } : {}) });
    const third = await ctx.store.notifications.listForRecipient(reader._id, { limit: 2, ...(second.nextCursor ? { after: second.nextCursor } : {}) });
    const messages = [...first.items, ...second.items, ...third.items].map((n) => n.message);
    expect(messages).to.have.members(['Aviso 0', 'Aviso 1', 'Aviso 2', 'Aviso 3', 'Aviso 4']);
    expect(messages).to.have.length(5);
    expect(third.nextCursor).to.equal(undefined);

    const target = created[1]!._id.toString();
    expect(await ctx.store.notifications.markRead(target, limpiezaSupervisor._id, new Date())).to.equal(null);
    const read = await ctx.store.notifications.markRead(target, reader._id, new Date('2026-03-02T15:00:00Z'));
    expect(read?.readAt).to.deep.equal(new Date('2026-03-02T15:00:00Z'));
    expect((await ctx.store.notifications.markRead(target, reader._id, new Date()))?.readAt).to.deep.equal(read?.readAt);
    const unread = await ctx.store.notifications.listForRecipient(reader._id, { unreadOnly: true });
    expect(unread.items.map((n) => n.message)).to.have.members(['Aviso 0', 'Aviso 2', 'Aviso 3', 'Aviso 4']);
  });

  describe('with a check that is running', () => {
    let blocked: RunningSystem;
    let release: () => void = () => undefined;
    let entered: Promise<void>;
    let handlerFinishedAt = 0;

    before(async () => {
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let signalEntered: () => void = () => undefined;
      entered = new Promise<void>((resolve) => {
        signalEntered = resolve;
      });
      blocked = await startSystem(await testEnv(import.meta.filename, { ROLE: 'worker', CONFIG_DIR: configDir }), {
        log: testLog,
        queuePrefix: uniqueName(import.meta.filename),
        handlers: {
          ...HANDLERS,
          'sla.check': async (payload, c) => {
            signalEntered();
            await gate;
            await handleSlaCheck(c, payload);
            handlerFinishedAt = Date.now();
          },
        },
      });
    });

    after(async () => {
      release();
      await blocked.ctx.queues.queue('sla').obliterate({ force: true });
      await blocked.ctx.store.connection.dropDatabase();
      await blocked.stop();
    });

    it('waits for it to finish before replacing its job', async () => {
      const c = blocked.ctx;
      const ticket = await seedTicket(c.store, { ...CASE, type: 'consulta' });
      const id = ticket._id.toString();
      await startSla(c, id, new Date());
      const firstDue = (await current(c, id)).sla?.firstResponseDueAt;
      await entered;
      expect((await slaJobsOf(c, id)).find((j) => j.kind === 'first_response')?.state).to.equal('active');

      // The pause must remove the running first-response job; it can only do so once the job is done.
      let pauseDone = false;
      const pausing = transition(c, id, 'en_atencion', 'esperando_vecino').then(() => {
        pauseDone = true;
        return Date.now();
      });
      // Once the pause is stored, all the transition has left to do is the job's removal, which must wait for the check.
      await eventually(async () => (await current(c, id)).sla?.pauses.some((pause) => pause.to === undefined) === true, 'the pause to be stored');
      expect(pauseDone, 'the pause waits for the running check').to.equal(false);
      release();
      const pausedDoneAt = await pausing;
      expect(pausedDoneAt).to.be.at.least(handlerFinishedAt);
      expect(handlerFinishedAt).to.be.greaterThan(0);
      expect(await slaJobsOf(c, id)).to.deep.equal([]);
      // The running check found the ticket paused: nothing recorded.
      expect((await current(c, id)).sla?.firstResponseBreachedAt).to.equal(undefined);
      expect(await eventsOf(c, id, 'first_response_breached')).to.deep.equal([]);

      // The first response was already overdue when the pause began, and a pause never moves a deadline that
      // has passed: on resume the check is scheduled again under the same job id and records the breach at once.
      // It runs only if the add was not swallowed by the finished job's id.
      const supervisor = await seedStaff(c.store, { username: 'sup.fiscalizacion', roles: ['supervisor'], units: ['SGF'] });
      await transition(c, id, 'esperando_vecino', 'en_atencion');
      expect((await current(c, id)).sla?.firstResponseDueAt).to.deep.equal(firstDue);
      await eventually(async () => (await eventsOf(c, id, 'first_response_breached')).length === 1, 'the breach after resuming');
      await eventually(async () => (await notificationsOf(c, supervisor, id)).length === 1, 'the breach notification');
      await eventually(async () => (await slaJobsOf(c, id)).every((j) => j.kind !== 'first_response'), 'the finished job to be gone');
    });
  });
});
