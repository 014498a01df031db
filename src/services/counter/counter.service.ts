import type { HallCounter, KioskService } from '../../config/catalogue.js';
import { recallRule, RECENT_SERVICE_SAMPLES, secondsBetween, turnAnnouncement, type PreferentialReason, type TurnOutcome, type TurnStage } from '../../domain/counter-turns.js';
import type { PriorityClass } from '../../domain/priority.js';
import { OWNED_STATUSES, WAITING_STATUSES, type TicketStatus } from '../../domain/ticket-lifecycle.js';
import { AppError } from '../../errors.js';
import type { CounterStage, LiveCounter } from '../../live/counter-hall.repository.js';
import type { TicketDoc, TicketTurn } from '../../store/ticket.model.js';
import type { Ticket } from '../../store/ticket.repository.js';
import { queueTicket } from '../assignment/index.js';
import { calendarOf, isSupervisorOf, type Actor, type AppContext } from '../context/index.js';
import { requestQueueStats, serviceQueues } from '../figures/index.js';
import { withLive } from '../live-state/index.js';
import { placeContact } from '../routing/index.js';
import type { StaffActor } from '../staff/index.js';
import { applyTransition } from '../tickets/index.js';
import { recordEvent, recordEvents } from '../timeline/index.js';

/*
 * The counters (ventanillas) of the hall. A staff member signs in to a counter and calls the next turn: the live
 * hall's Lua claim picks the best turn waiting for the counter's services (Ley 28683 preferential first, then VPP,
 * then arrival) so two counters calling at once never get the same one; the store write that follows is by `_id`,
 * guarded on the turn still waiting. Every call is pushed to the display board. The counter then recalls, marks a
 * no-show (only after the recalls the hall's rules require), starts, finishes (resolved, or left open as a case for
 * a unit), redirects to another service (keeping the turn's arrival), parks it while the citizen fills a form and
 * calls it back later, and pauses. The ticket records the counter's work: waits, service time, outcome, counter,
 * agent.
 */

// ─── views ─────────────────────────────────────────────────────────────────────────────────────────────────────

/** A turn as the counter's screen shows it. */
export interface CounterTurnView {
  ticketId: string;
  number: string;
  service: { code: string; name: string };
  /** Where it stands: at the counter (called, serving, parked), waiting again (redirected), or done. */
  stage: TurnStage;
  status: TicketStatus;
  priorityClass: PriorityClass;
  preferentialReason?: PreferentialReason;
  recalls: number;
  /** Recalls the hall requires before a no-show. */
  recallsBeforeNoShow: number;
  calledAt?: Date;
  trackingCode: string;
  subject: string;
  citizenId?: string;
}

export interface CounterView {
  code: string;
  name: string;
  services: { code: string; name: string; waiting: number; longestWaitSeconds: number }[];
  state: LiveCounter['state'];
  staffId?: string;
  current?: CounterTurnView;
  parked: CounterTurnView[];
}

function serviceOf(ctx: AppContext, code: string): KioskService {
  const service = ctx.catalogue.kiosk.serviceByCode(code);
  if (!service) throw new AppError('INTERNAL', `kiosk service ${code} is not in the catalogue`);
  return service;
}

function stageOf(ticket: Ticket, live: LiveCounter): CounterStage {
  if (live.parked.includes(ticket._id.toString()) || ticket.turn?.stage === 'parked') return 'parked';
  return ticket.turn?.stage === 'serving' ? 'serving' : 'called';
}

function turnView(ctx: AppContext, ticket: Ticket, turn: TicketTurn, stage: TurnStage): CounterTurnView {
  return {
    ticketId: ticket._id.toString(),
    number: turn.number,
    service: { code: turn.service, name: serviceOf(ctx, turn.service).name },
    stage,
    status: ticket.status,
    priorityClass: ticket.priorityClass,
    ...(turn.preferentialReason ? { preferentialReason: turn.preferentialReason } : {}),
    recalls: turn.recalls,
    recallsBeforeNoShow: ctx.catalogue.kiosk.hall.recallsBeforeNoShow,
    ...(turn.lastCalledAt ? { calledAt: turn.lastCalledAt } : {}),
    trackingCode: ticket.trackingCode,
    subject: ticket.subject,
    ...(ticket.citizenId ? { citizenId: ticket.citizenId.toString() } : {}),
  };
}


/** A counter with its staff member, its current and parked turns, and the turns waiting for its services. */
export async function counterView(ctx: AppContext, code: string, now = new Date()): Promise<CounterView> {
  const counter = counterOf(ctx, code);
  const [live] = await ctx.live.hall.counters([counter.code]);
  if (!live) throw new AppError('INTERNAL', 'the live hall answered no counter');
  const held = await Promise.all([live.current, ...live.parked].filter((id): id is string => id !== undefined).map((id) => ctx.store.tickets.get(id)));
  const views = held.filter((t): t is Ticket & { turn: TicketTurn } => t?.turn !== undefined).map((t) => turnView(ctx, t, t.turn, stageOf(t, live)));
  const current = views.find((v) => v.ticketId === live.current);
  return {
    code: counter.code,
    name: counter.name,
    services: await serviceQueues(ctx, counter.services, now),
    state: live.state,
    ...(live.staffId ? { staffId: live.staffId } : {}),
    ...(current ? { current } : {}),
    parked: views.filter((v) => v.ticketId !== live.current),
  };
}

/** Every counter of the hall, as `counterView`. */
export async function listCounters(ctx: AppContext, now = new Date()): Promise<CounterView[]> {
  return Promise.all(ctx.catalogue.kiosk.counters.map((c) => counterView(ctx, c.code, now)));
}


// ─── the counter and its turn ──────────────────────────────────────────────────────────────────────────────────

function counterOf(ctx: AppContext, code: string): HallCounter {
  const counter = ctx.catalogue.kiosk.counterByCode(code);
  if (!counter) throw new AppError('NOT_FOUND', 'No such counter.');
  return counter;
}

/** The counter the actor is signed in to, as the live hall has it. */
async function ownCounter(ctx: AppContext, actor: StaffActor, code: string): Promise<{ counter: HallCounter; live: LiveCounter }> {
  const counter = counterOf(ctx, code);
  const [live] = await ctx.live.hall.counters([counter.code]);
  if (!live?.staffId) throw new AppError('not_signed_in');
  if (live.staffId !== actor.id) throw new AppError('counter_of_another');
  return { counter, live };
}

type HeldTurn = { counter: HallCounter; live: LiveCounter; ticket: Ticket; turn: TicketTurn };

/** The turn the actor's counter serves now. */
async function currentTurn(ctx: AppContext, actor: StaffActor, code: string): Promise<HeldTurn> {
  const { counter, live } = await ownCounter(ctx, actor, code);
  const ticket = live.current === undefined ? null : await ctx.store.tickets.get(live.current);
  if (!ticket?.turn || ticket.assigneeId?.toString() !== actor.id || !OWNED_STATUSES.includes(ticket.status)) {
    throw new AppError('no_current_turn');
  }
  return { counter, live, ticket, turn: ticket.turn };
}

/** Shows and reads out the call on every display board, and keeps it for boards that connect later. */
async function announce(ctx: AppContext, counter: HallCounter, number: string, at: Date): Promise<void> {
  const call = { turn: number, counter: counter.name, announcement: turnAnnouncement(number, counter.name), at: at.toISOString() };
  ctx.realtime.turnCalled(call);
  await ctx.live.hall.pushCall(call, ctx.catalogue.kiosk.hall.displayHistory);
}

/** Time the counter has spent on the turn since it was called (or called back), added to its service time. */
function servedUntil(turn: TicketTurn, now: Date): number {
  return turn.serviceSeconds + (turn.atCounterSince ? secondsBetween(turn.atCounterSince, now) : 0);
}

/** The turn with `patch` applied and the counter's running stretch closed. */
function leaveCounter(turn: TicketTurn, now: Date, patch: Partial<TicketTurn>): TicketTurn {
  const { atCounterSince: _since, ...rest } = turn;
  return { ...rest, serviceSeconds: servedUntil(turn, now), ...patch };
}

/** The counter acting on a turn where the state machine allows only the system (a no-show, a hand-back). */
function counterActor(counter: HallCounter, actor: StaffActor): Actor {
  return { kind: 'system', id: `counter:${counter.code}:${actor.id}` };
}

async function changeTurn(ctx: AppContext, ticket: Ticket, actor: StaffActor, change: (turn: TicketTurn) => TicketTurn): Promise<Ticket> {
  const { after } = await ctx.store.hall.stepTicket(ticket._id, (current) =>
    current.version === ticket.version && current.turn && current.assigneeId?.toString() === actor.id ? { set: { turn: change(current.turn) } } : null,
  );
  if (!after) throw new AppError('CONFLICT', 'The turn changed meanwhile; reload the counter.');
  return after;
}

// ─── signing in and out, pausing ───────────────────────────────────────────────────────────────────────────────

/** A staff member signs in to a counter; signing in again where one already is changes nothing. */
export async function signIn(ctx: AppContext, actor: StaffActor, code: string, now = new Date()): Promise<CounterView> {
  const counter = counterOf(ctx, code);
  const seat = await ctx.live.hall.seat(counter.code, actor.id, counter.services, false);
  if (seat === 'taken') throw new AppError('counter_taken');
  if (seat === 'seated_elsewhere') throw new AppError('signed_in_elsewhere', undefined, { counter: await ctx.live.hall.seatOf(actor.id) });
  const session = await ctx.store.counterSessions.get(counter.code);
  if (session?.staffId !== actor.id) await ctx.store.counterSessions.save({ _id: counter.code, staffId: actor.id, signedInAt: now, paused: false });
  ctx.log.info({ counter: counter.code, staffId: actor.id }, 'signed in to a counter');
  await requestQueueStats(ctx, ctx.catalogue.attentionOffice.code);
  return counterView(ctx, counter.code, now);
}

/**
 * The staff member leaves the counter (or a supervisor of the hall, or an admin, closes it). Its current and parked
 * turns go back to the hall, in their place by arrival, for another counter to call.
 */
export async function signOut(ctx: AppContext, actor: StaffActor, code: string, now = new Date()): Promise<CounterView> {
  const counter = counterOf(ctx, code);
  const [live] = await ctx.live.hall.counters([counter.code]);
  if (!live?.staffId) return counterView(ctx, counter.code, now);
  if (live.staffId !== actor.id && !isSupervisorOf(actor, ctx.catalogue.attentionOffice.code)) throw new AppError('counter_of_another');
  const seated = live.staffId;
  for (const id of [live.current, ...live.parked].filter((t): t is string => t !== undefined)) {
    const ticket = await ctx.store.tickets.get(id);
    if (!ticket?.turn || ticket.assigneeId?.toString() !== seated || !OWNED_STATUSES.includes(ticket.status)) continue;
    const back = leaveCounter(ticket.turn, now, { stage: 'waiting', waitingSince: now, recalls: 0 });
    await applyTransition(ctx, counterActor(counter, actor), ticket, 'unassign', { reason: 'counter_closed', change: { set: { turn: back } } });
  }
  const unseated = await ctx.live.hall.unseat(counter.code, seated);
  if (unseated === 'busy') throw new AppError('counter_changed', 'The counter took a turn meanwhile; sign out again.');
  await ctx.store.counterSessions.remove(counter.code);
  ctx.log.info({ counter: counter.code, staffId: seated, by: actor.id }, 'signed out of a counter');
  await requestQueueStats(ctx, ctx.catalogue.attentionOffice.code);
  return counterView(ctx, counter.code, now);
}

/** The counter stops calling turns (a break) or calls them again; the turn it serves is not affected. */
export async function setPaused(ctx: AppContext, actor: StaffActor, code: string, paused: boolean, reason?: string, now = new Date()): Promise<CounterView> {
  const { counter } = await ownCounter(ctx, actor, code);
  if ((await ctx.live.hall.pause(counter.code, actor.id, paused)) !== 'ok') throw new AppError('counter_changed', 'You were signed out of this counter meanwhile.');
  const session = await ctx.store.counterSessions.get(counter.code);
  await ctx.store.counterSessions.save({
    _id: counter.code,
    staffId: actor.id,
    signedInAt: session?.signedInAt ?? now,
    paused,
    ...(paused ? { pausedAt: now, ...(reason ? { pauseReason: reason } : {}) } : {}),
  });
  await requestQueueStats(ctx, ctx.catalogue.attentionOffice.code);
  return counterView(ctx, counter.code, now);
}

// ─── calling ───────────────────────────────────────────────────────────────────────────────────────────────────

/** The store does not take a call (the turn was cancelled or taken meanwhile): the live hall lets it go. */
async function giveBackCall(ctx: AppContext, ticketId: string, stored: Ticket | null): Promise<void> {
  await ctx.live.hall.remove(ticketId);
  if (stored && WAITING_STATUSES.includes(stored.status)) await queueTicket(ctx, stored);
}

/**
 * The counter calls its next turn: the best waiting for its services (atomic claim in the live hall), written to
 * the ticket by `_id`, announced on the display board. Null when nothing waits. A claim the store refuses (the
 * turn was cancelled meanwhile) is let go and the next one is called.
 */
export async function callNext(ctx: AppContext, actor: StaffActor, code: string, now = new Date()): Promise<CounterTurnView | null> {
  const counter = counterOf(ctx, code);
  const day = calendarOf(ctx).toLocalDate(now);
  for (let attempt = 0; attempt < 5; attempt++) {
    // The claim is stamped with the real time (the reconcile settles claims by it); `now` numbers the day.
    const claim = await withLive(ctx, () => ctx.live.hall.call(counter.code, actor.id, new Date(), day));
    if (claim === 'empty') return null;
    if (claim === 'not_seated') {
      await ownCounter(ctx, actor, counter.code);
      throw new AppError('counter_changed', 'You were signed out of this counter meanwhile.');
    }
    if (claim === 'paused') throw new AppError('counter_paused');
    if (claim === 'busy') throw new AppError('counter_busy');
    const called = (turn: TicketTurn): TicketTurn => ({
      ...turn,
      stage: 'called',
      counterCode: counter.code,
      staffId: actor.id,
      recalls: 0,
      firstCalledAt: turn.firstCalledAt ?? now,
      lastCalledAt: now,
      atCounterSince: now,
      waitSeconds: turn.waitSeconds + secondsBetween(turn.waitingSince, now),
    });
    const { before, after } = await ctx.store.hall.assignTurn(claim.ticketId, actor.id, now, called);
    if (!after) {
      // A repeat of a call already written (a retried request) is confirmed; any other refusal let go.
      if (before?.turn && before.assigneeId?.toString() === actor.id && OWNED_STATUSES.includes(before.status)) {
        await ctx.live.confirm(claim.ticketId, actor.id);
        return turnView(ctx, before, before.turn, 'called');
      }
      await giveBackCall(ctx, claim.ticketId, before);
      continue;
    }
    await ctx.live.confirm(claim.ticketId, actor.id);
    const turn = after.turn ?? called(before?.turn ?? ({} as TicketTurn));
    await recordEvents(ctx, after, actor, [
      { type: 'assigned', from: before?.status ?? 'en_cola', to: 'asignado', data: { assigneeId: actor.id, counter: counter.code } },
      { type: 'turn_called', data: { turn: turn.number, service: turn.service, counter: counter.code, staffId: actor.id, waitSeconds: turn.waitSeconds } },
    ]);
    await announce(ctx, counter, turn.number, now);
    await requestQueueStats(ctx, ctx.catalogue.attentionOffice.code);
    return turnView(ctx, after, turn, 'called');
  }
  throw new AppError('hall_busy');
}

/** The citizen called has not come: the board announces the turn again, up to the hall's number of recalls. */
export async function recall(ctx: AppContext, actor: StaffActor, code: string, now = new Date()): Promise<CounterTurnView> {
  const { counter, ticket, turn } = await currentTurn(ctx, actor, code);
  if (turn.stage !== 'called') throw new AppError('already_serving');
  const max = ctx.catalogue.kiosk.hall.recallsBeforeNoShow;
  if (!recallRule(turn.recalls, max).mayRecall) {
    throw new AppError('recall_limit', `Announced ${String(max + 1)} times: close it as a no-show.`, { recalls: turn.recalls, recallsBeforeNoShow: max });
  }
  const after = await changeTurn(ctx, ticket, actor, (t) => ({ ...t, recalls: t.recalls + 1, lastCalledAt: now }));
  const recalled = after.turn ?? turn;
  await recordEvent(ctx, after, actor, 'turn_recalled', { data: { turn: recalled.number, counter: counter.code, recall: recalled.recalls } });
  await announce(ctx, counter, recalled.number, now);
  return turnView(ctx, after, recalled, 'called');
}

/** The citizen did not come after the recalls the hall requires: the turn closes as a no-show. */
export async function noShow(ctx: AppContext, actor: StaffActor, code: string, now = new Date()): Promise<CounterTurnView> {
  const { counter, ticket, turn } = await currentTurn(ctx, actor, code);
  if (turn.stage !== 'called') throw new AppError('already_serving', 'The citizen is being served: finish the turn instead.');
  const required = ctx.catalogue.kiosk.hall.recallsBeforeNoShow;
  if (!recallRule(turn.recalls, required).mayMarkNoShow) {
    throw new AppError('recalls_pending', `Announce the turn again first (${String(turn.recalls)} of ${String(required)} recalls).`, { recalls: turn.recalls, recallsBeforeNoShow: required });
  }
  const done = leaveCounter(turn, now, { stage: 'done', outcome: 'no_show', finishedAt: now, serviceSeconds: turn.serviceSeconds });
  const after = await applyTransition(ctx, counterActor(counter, actor), ticket, 'cancel', { reason: 'no_show', change: { set: { turn: done } } });
  await recordEvent(ctx, after, actor, 'turn_no_show', { data: { turn: turn.number, counter: counter.code, recalls: turn.recalls } });
  return turnView(ctx, after, after.turn ?? done, 'done');
}

/** The citizen is at the counter: attention starts (the ticket's first response). */
export async function start(ctx: AppContext, actor: StaffActor, code: string, now = new Date()): Promise<CounterTurnView> {
  const held = await currentTurn(ctx, actor, code);
  const after = await startTurn(ctx, actor, held, now);
  return turnView(ctx, after, after.turn ?? held.turn, 'serving');
}

async function startTurn(ctx: AppContext, actor: StaffActor, held: HeldTurn, now: Date): Promise<Ticket> {
  const { counter, ticket, turn } = held;
  const serving: TicketTurn = { ...turn, stage: 'serving', startedAt: turn.startedAt ?? now };
  const after =
    ticket.status === 'asignado'
      ? await applyTransition(ctx, actor, ticket, 'start', { change: { set: { turn: serving } } })
      : await changeTurn(ctx, ticket, actor, (t) => ({ ...t, stage: 'serving', startedAt: t.startedAt ?? now }));
  if ((await ctx.live.hall.stage(counter.code, actor.id, ticket._id.toString(), 'serving')) !== 'ok') {
    throw new AppError('counter_changed');
  }
  return after;
}

export interface FinishInput {
  /** `resolved`: settled at the counter; `open_case`: left open as a case for a unit (`unitCode`, else its own). */
  outcome: Extract<TurnOutcome, 'resolved' | 'open_case'>;
  notes?: string | undefined;
  unitCode?: string | undefined;
}

/** The attention ends: the ticket is resolved, or left open as a case for a unit's agents. */
export async function finish(ctx: AppContext, actor: StaffActor, code: string, input: FinishInput, now = new Date()): Promise<CounterTurnView> {
  const held = await currentTurn(ctx, actor, code);
  const { counter } = held;
  const ticket = held.ticket.status === 'asignado' ? await startTurn(ctx, actor, held, now) : held.ticket;
  const turn = ticket.turn ?? held.turn;
  const done = leaveCounter(turn, now, { stage: 'done', outcome: input.outcome, finishedAt: now, ...(input.notes ? { notes: input.notes } : {}) });
  const summary = input.notes ?? `Atendido en ${counter.name} (turno ${turn.number}).`;
  let after: Ticket;
  if (input.outcome === 'resolved') {
    after = await applyTransition(ctx, actor, ticket, 'resolve', { change: { set: { turn: done, resolution: { summary, resolvedBy: actor.id, resolvedAt: now } } } });
  } else {
    after = await leaveOpen(ctx, actor, ticket, done, input.unitCode ?? ticket.unitCode, summary, now);
  }
  if (input.notes) {
    await ctx.store.interactions.add({ ticketId: after._id, kind: 'note', direction: 'internal', channel: 'kiosk', authorKind: 'staff', authorId: actor.id, body: input.notes });
  }
  await ctx.live.hall.recordServiceTime(turn.service, done.serviceSeconds, RECENT_SERVICE_SAMPLES);
  await recordEvent(ctx, after, actor, 'turn_finished', {
    data: { turn: turn.number, counter: counter.code, outcome: input.outcome, waitSeconds: done.waitSeconds, serviceSeconds: done.serviceSeconds, ...(after.unitCode !== held.ticket.unitCode ? { unit: after.unitCode } : {}) },
  });
  return turnView(ctx, after, after.turn ?? done, 'done');
}

/** Leaves the attended turn open as a case: referred to another unit, or back in its own unit's queue for its agents. */
async function leaveOpen(ctx: AppContext, actor: StaffActor, ticket: Ticket, done: TicketTurn, unitCode: string, reason: string, now: Date): Promise<Ticket> {
  if (unitCode === ticket.unitCode) {
    // Its unit's agents take it from their queue like any case, as a case that arrived now.
    return applyTransition(ctx, actor, ticket, 'unassign', { reason: 'open_case', change: { set: { turn: done, enqueuedAt: now } } });
  }
  const unit = ctx.catalogue.unitByCode(unitCode);
  if (!unit) throw new AppError('VALIDATION_FAILED', 'Unknown unit.', { fields: [{ path: 'unitCode', message: `unknown unit "${unitCode}"` }] });
  const queue = ctx.catalogue.routing.queues.find((q) => q.unit === unit.code)?.code ?? 'general';
  const referral: NonNullable<TicketDoc['referral']> = { fromUnit: ticket.unitCode, toUnit: unit.code, referredBy: actor.id, referredAt: now, reason };
  return applyTransition(ctx, actor, ticket, 'refer', { reason, change: { set: { unitCode: unit.code, queue, requiredSkills: [], referral, turn: done } } });
}

/**
 * The citizen needs another service: the turn waits in that service's queue, keeping its number and its original
 * arrival (so it is not sent to the back of the hall).
 */
export async function redirect(ctx: AppContext, actor: StaffActor, code: string, input: { service: string; notes?: string | undefined }, now = new Date()): Promise<CounterTurnView> {
  const { counter, ticket, turn } = await currentTurn(ctx, actor, code);
  const target = ctx.catalogue.kiosk.serviceByCode(input.service);
  if (!target) throw new AppError('VALIDATION_FAILED', 'Unknown kiosk service.', { fields: [{ path: 'service', message: `unknown kiosk service "${input.service}"` }] });
  if (target.code === turn.service) throw new AppError('VALIDATION_FAILED', 'The turn already waits for that service.', { fields: [{ path: 'service', message: 'same as the current service' }] });
  const { fields } = placeContact(ctx, 'kiosk', { kioskService: target.routingHint }, ticket.type);
  const moved = leaveCounter(turn, now, { service: target.code, stage: 'waiting', waitingSince: now, recalls: 0, redirectedFrom: [...turn.redirectedFrom, turn.service] });
  const after = await applyTransition(ctx, actor, ticket, 'unassign', {
    reason: 'redirected',
    change: {
      set: {
        unitCode: fields.unitCode,
        queue: fields.queue,
        requiredSkills: fields.requiredSkills,
        ...(fields.serviceCode ? { serviceCode: fields.serviceCode } : {}),
        routingHint: { ...ticket.routingHint, kioskService: target.routingHint },
        turn: moved,
      },
    },
  });
  if (input.notes) {
    await ctx.store.interactions.add({ ticketId: after._id, kind: 'note', direction: 'internal', channel: 'kiosk', authorKind: 'staff', authorId: actor.id, body: input.notes });
  }
  await recordEvent(ctx, after, actor, 'turn_redirected', { data: { turn: turn.number, counter: counter.code, from: turn.service, to: target.code } });
  await requestQueueStats(ctx, ctx.catalogue.attentionOffice.code);
  return turnView(ctx, after, after.turn ?? moved, 'waiting');
}

/** The citizen steps aside (fills a form): the counter is free to call the next turn, and calls this one back later. */
export async function park(ctx: AppContext, actor: StaffActor, code: string, note?: string, now = new Date()): Promise<CounterTurnView> {
  const { counter, ticket, turn } = await currentTurn(ctx, actor, code);
  if ((await ctx.live.hall.stage(counter.code, actor.id, ticket._id.toString(), 'parked')) !== 'ok') throw new AppError('counter_changed');
  const after = await changeTurn(ctx, ticket, actor, (t) => leaveCounter(t, now, { stage: 'parked', parkedAt: now }));
  await recordEvent(ctx, after, actor, 'turn_parked', { data: { turn: turn.number, counter: counter.code, ...(note ? { note } : {}) } });
  return turnView(ctx, after, after.turn ?? turn, 'parked');
}

/** A parked turn is called back to its counter (announced again on the board). */
export async function recallParked(ctx: AppContext, actor: StaffActor, code: string, ticketId: string, now = new Date()): Promise<CounterTurnView> {
  const { counter, live } = await ownCounter(ctx, actor, code);
  if (!live.parked.includes(ticketId)) throw new AppError('NOT_FOUND', 'No such turn parked at this counter.');
  const ticket = await ctx.store.tickets.get(ticketId);
  if (!ticket?.turn || ticket.assigneeId?.toString() !== actor.id) throw new AppError('NOT_FOUND', 'No such turn parked at this counter.');
  const staged = await ctx.live.hall.stage(counter.code, actor.id, ticketId, 'called');
  if (staged === 'busy') throw new AppError('counter_busy', 'Finish, redirect or park the turn at the counter first.');
  if (staged !== 'ok') throw new AppError('counter_changed');
  const after = await changeTurn(ctx, ticket, actor, (t) => ({ ...t, stage: 'called', recalls: 0, lastCalledAt: now, atCounterSince: now }));
  const turn = after.turn ?? ticket.turn;
  await recordEvent(ctx, after, actor, 'turn_called', { data: { turn: turn.number, service: turn.service, counter: counter.code, staffId: actor.id, fromParked: true } });
  await announce(ctx, counter, turn.number, now);
  return turnView(ctx, after, turn, 'called');
}
