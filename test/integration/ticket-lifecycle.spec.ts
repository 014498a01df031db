import { expect } from 'chai';
import type { Actor } from '../../src/services/context/index.js';
import { visibleTicket } from '../../src/services/context/index.js';
import { setPresence } from '../../src/services/staff/index.js';
import { acknowledgeReportBack, getTicketDetail, referTicket, transitionTicket } from '../../src/services/tickets/index.js';
import type { StaffDoc } from '../../src/store/staff.model.js';
import { startSystem, type RunningSystem } from '../../src/system.js';
import { contact, intakeNow, seedStaff, settle } from '../support/seed.js';
import { testEnv, testLog, uniqueName } from '../support/services.js';

function actorFor(staff: StaffDoc): Actor {
  return { kind: 'staff', id: staff._id.toString(), roles: staff.roles, units: staff.units };
}

async function failure(promise: Promise<unknown>): Promise<{ code?: string; details?: Record<string, unknown> }> {
  try {
    await promise;
  } catch (err) {
    return err as { code?: string };
  }
  throw new Error('expected a failure');
}

describe('ticket lifecycle: atomic transitions, referral and report-back, access (real services)', () => {
  let system: RunningSystem;
  let officeAgent: StaffDoc;
  let officeColleague: StaffDoc;
  let cleaningStaff: StaffDoc;
  let rentasAgent: StaffDoc;

  before(async () => {
    system = await startSystem(await testEnv(import.meta.filename, { ROLE: 'worker' }), { log: testLog, queuePrefix: uniqueName(import.meta.filename) });
    const { store } = system.ctx;
    officeAgent = await seedStaff(store, { username: 'oficina1', units: ['GDVAC'], capacity: { email: 10 } });
    officeColleague = await seedStaff(store, { username: 'oficina2', units: ['GDVAC'], autoAssign: false });
    cleaningStaff = await seedStaff(store, { username: 'limpieza1', roles: ['area_staff'], units: ['SGLP'], autoAssign: false });
    rentasAgent = await seedStaff(store, { username: 'rentas1', units: ['GAT'], autoAssign: false });
    await setPresence(system.ctx, { kind: 'system' }, officeAgent._id.toString(), 'available');
  });

  after(async () => {
    await system.stop();
  });

  async function assignedTicket(externalId: string) {
    const { ticket } = await intakeNow(system.ctx, contact({ externalId, subject: `Caso ${externalId}` }));
    await settle(system.ctx.queues, ['route', 'assign']);
    const current = await system.ctx.store.tickets.get(ticket._id.toString());
    expect(current?.assigneeId?.toString()).to.equal(officeAgent._id.toString());
    return current!;
  }

  it('lets exactly one of many simultaneous actions win; the others get CONFLICT or ILLEGAL_TRANSITION', async () => {
    const ticket = await assignedTicket('race-1');
    const me = actorFor(officeAgent);
    const attempts = await Promise.allSettled(Array.from({ length: 10 }, () => transitionTicket(system.ctx, me, ticket._id.toString(), { action: 'start' })));
    expect(attempts.filter((a) => a.status === 'fulfilled')).to.have.length(1);
    for (const a of attempts) {
      if (a.status === 'rejected') expect(['CONFLICT', 'ILLEGAL_TRANSITION']).to.include((a.reason as { code: string }).code);
    }
    const events = await system.ctx.store.ticketEvents.list(ticket._id.toString());
    expect(events.filter((e) => e.type === 'status_changed' && e.toStatus === 'en_atencion')).to.have.length(1);
  });

  it('refuses an illegal transition with the allowed actions, and a stale version with CONFLICT', async () => {
    const ticket = await assignedTicket('illegal-1');
    const me = actorFor(officeAgent);
    const illegal = await failure(transitionTicket(system.ctx, me, ticket._id.toString(), { action: 'close' }));
    expect(illegal.code).to.equal('ILLEGAL_TRANSITION');
    expect(illegal.details).to.deep.include({ status: 'asignado', action: 'close' });
    const stale = await failure(transitionTicket(system.ctx, me, ticket._id.toString(), { action: 'start', expectedVersion: ticket.version - 1 }));
    expect(stale.code).to.equal('CONFLICT');
    const noResolution = await failure(transitionTicket(system.ctx, me, ticket._id.toString(), { action: 'resolve' }));
    expect(noResolution.code).to.equal('VALIDATION_FAILED');
  });

  it('records who, when, from, to and why for every change', async () => {
    const ticket = await assignedTicket('audit-1');
    const me = actorFor(officeAgent);
    await transitionTicket(system.ctx, me, ticket._id.toString(), { action: 'start' });
    await transitionTicket(system.ctx, me, ticket._id.toString(), { action: 'wait_citizen', reason: 'Falta copia del DNI' });
    const detail = await getTicketDetail(system.ctx, me, ticket._id.toString());
    const last = detail.timeline.items.flatMap((item) => (item.kind === 'event' ? [item.event] : [])).at(-1);
    expect(last).to.deep.include({ type: 'status_changed', actorKind: 'staff', actorId: officeAgent._id.toString(), fromStatus: 'en_atencion', toStatus: 'esperando_vecino', reason: 'Falta copia del DNI' });
    expect(last?.at).to.be.instanceOf(Date);
    expect(detail.ticket.sla?.pauses).to.have.length(1);
  });

  it('refers a case to a unit, which resolves it and reports back to the office', async () => {
    const ticket = await assignedTicket('refer-1');
    const me = actorFor(officeAgent);
    await transitionTicket(system.ctx, me, ticket._id.toString(), { action: 'start' });
    const loadBefore = (await system.ctx.live.load(officeAgent._id.toString())).email;
    const referred = await referTicket(system.ctx, me, ticket._id.toString(), { unitCode: 'SGLP', reason: 'Recojo de desmonte corresponde a Limpieza Pública' });
    expect(referred.status).to.equal('derivado');
    expect(referred.unitCode).to.equal('SGLP');
    expect(referred.assigneeId).to.equal(undefined);
    expect(referred.referral).to.deep.include({ fromUnit: 'GDVAC', toUnit: 'SGLP' });
    expect((await system.ctx.live.load(officeAgent._id.toString())).email).to.equal(loadBefore - 1);

    // The office still sees the case it referred; another unit does not.
    expect((await visibleTicket(system.ctx, actorFor(officeColleague), ticket._id.toString()))._id.toString()).to.equal(ticket._id.toString());
    expect((await failure(visibleTicket(system.ctx, actorFor(rentasAgent), ticket._id.toString()))).code).to.equal('NOT_FOUND');

    const resolved = await transitionTicket(system.ctx, actorFor(cleaningStaff), ticket._id.toString(), { action: 'resolve', resolution: 'Se recogió el desmonte el 24/11.' });
    expect(resolved.status).to.equal('resuelto');
    expect(resolved.referral?.reportedBackAt).to.be.instanceOf(Date);
    const notes = await system.ctx.store.models.Notification.find({ ticketId: ticket._id, kind: 'report_back' }).lean();
    expect(notes.map((n) => n.recipientId.toString()).sort()).to.deep.equal([officeAgent._id.toString(), officeColleague._id.toString()].sort());
    expect(notes[0]?.message).to.contain(ticket.trackingCode);

    const acked = await acknowledgeReportBack(system.ctx, actorFor(officeColleague), ticket._id.toString());
    expect(acked.referral?.acknowledgedBy).to.equal(officeColleague._id.toString());
    const closed = await transitionTicket(system.ctx, actorFor(officeColleague), ticket._id.toString(), { action: 'close' });
    expect(closed.status).to.equal('cerrado');
    const events = await system.ctx.store.ticketEvents.list(ticket._id.toString());
    expect(events.map((e) => e.type)).to.include.members(['referred', 'reported_back', 'report_back_acknowledged']);
  });

  it('hides a ticket of another unit behind NOT_FOUND, for reads and for actions', async () => {
    const ticket = await assignedTicket('rbac-1');
    const outsider = actorFor(rentasAgent);
    expect((await failure(getTicketDetail(system.ctx, outsider, ticket._id.toString()))).code).to.equal('NOT_FOUND');
    expect((await failure(transitionTicket(system.ctx, outsider, ticket._id.toString(), { action: 'start' }))).code).to.equal('NOT_FOUND');
    expect((await failure(getTicketDetail(system.ctx, outsider, 'not-an-id'))).code).to.equal('NOT_FOUND');
  });

  it('lets a colleague see but not work a ticket assigned to someone else', async () => {
    const ticket = await assignedTicket('colleague-1');
    const colleague = actorFor(officeColleague);
    expect((await getTicketDetail(system.ctx, colleague, ticket._id.toString())).ticket._id.toString()).to.equal(ticket._id.toString());
    expect((await failure(transitionTicket(system.ctx, colleague, ticket._id.toString(), { action: 'start' }))).code).to.equal('FORBIDDEN');
  });

  it('returns an offline agent\'s open tickets to the queue, keeping their place', async () => {
    const ticket = await assignedTicket('offline-1');
    await setPresence(system.ctx, actorFor(officeAgent), officeAgent._id.toString(), 'offline');
    const back = await system.ctx.store.tickets.get(ticket._id.toString());
    expect(back?.status).to.equal('en_cola');
    expect(back?.assigneeId).to.equal(undefined);
    expect(back?.enqueuedAt?.getTime()).to.equal(ticket.enqueuedAt?.getTime());
    const owned = (await system.ctx.store.tickets.page('all', { assigneeId: officeAgent._id.toString(), status: ['asignado', 'en_atencion', 'esperando_vecino'] }, undefined, 200)).items;
    expect((await system.ctx.live.load(officeAgent._id.toString())).email).to.equal(owned.filter((t) => t.channel === 'email').length);
    await setPresence(system.ctx, actorFor(officeAgent), officeAgent._id.toString(), 'available');
  });
});
