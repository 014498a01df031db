/**
 * SLA clocks of tickets in business time: start, pause while the office waits for the citizen, resume, stop,
 * restart on reopen; delayed `sla.check` jobs that warn supervisors when a case is at risk and record breaches.
 *
 * Dates live on the ticket and are always recomputed from the start and the full list of pauses (see
 * `computeDueAt`); jobs only wake the system up. A job whose due date no longer matches the ticket is stale and
 * does nothing, so a job that could not be removed in time cannot record a wrong breach.
 *
 * An extension ("prórroga", see `src/domain/sla-extension.ts`) is part of that state: it is kept on the SLA and
 * its business days are added to the policy's resolution target whenever the dates are recomputed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { priorityScore } from '../domain/priority.js';
import { decideExtension, withExtension, type ExtensionDecision, type ExtensionRefusal, type SlaExtension } from '../domain/sla-extension.js';
import {
  formatLocalDateTime,
  isCheckDue,
  isCheckRecorded,
  pendingSlaChecks,
  planSlaDueDates,
  selectSlaPolicy,
  SLA_CHECK_KINDS,
  type SlaCheckKind,
  type SlaPolicy,
} from '../domain/sla-policy.js';
import { isOpenStatus, isSlaPaused, type TicketStatus } from '../domain/ticket-lifecycle.js';
import { AppError } from '../errors.js';
import { JOBS, type JobPayload } from '../queues/jobs.js';
import type { NotificationKind } from '../store/notification.model.js';
import { onceEventId, type SlaPriority } from '../store/ticket-sla.repository.js';
import type { TicketSla } from '../store/ticket.model.js';
import type { Ticket } from '../store/ticket.repository.js';
import { calendarOf } from './calendar.js';
import { followPriority } from './assignment.service.js';
import type { AppContext } from './context.js';
import { notify } from './notification.service.js';
import { announceTicketEvent } from './realtime.service.js';

// Guarded writes retry on a fresh read when someone else changed the ticket in between; a handful of rounds is
// plenty for humans and workers touching one ticket.
const MAX_ROUNDS = 5;
// A check job that is running cannot be removed; it finishes in milliseconds (one read, one guarded update, a few
// inserts), so waiting for it is simpler and safer than leaving two schedules around.
const ACTIVE_JOB_WAIT_MS = 10_000;
const ACTIVE_JOB_POLL_MS = 50;

const EVENT_TYPE: Readonly<Record<SlaCheckKind, string>> = {
  at_risk: 'sla_at_risk',
  first_response: 'first_response_breached',
  resolution: 'sla_breached',
};

const NOTIFICATION_KIND: Readonly<Record<SlaCheckKind, NotificationKind>> = {
  at_risk: 'sla_at_risk',
  first_response: 'first_response_breached',
  resolution: 'sla_breached',
};

type SlaTicket = Ticket & { sla: TicketSla };

function hasSla(ticket: Ticket | null): ticket is SlaTicket {
  return ticket?.sla !== undefined;
}


/**
 * The policy named `id` if the configuration still has it, else the one the ticket's type and unit select now
 * (a policy renamed or removed between deployments).
 */
function policyFor(ctx: AppContext, ticket: Ticket, id?: string): SlaPolicy {
  const { policies } = ctx.catalogue.sla;
  const named = id === undefined ? undefined : policies.find((policy) => policy.id === id);
  const policy = named ?? selectSlaPolicy(policies, { ticketType: ticket.type, unitCode: ticket.unitCode });
  // The catalogue schema demands exactly one default policy, which matches every ticket.
  if (!policy) throw new Error('config/sla.json has no default policy');
  return policy;
}

// ─── jobs ───────────────────────────────────────────────────────────────────────────────────────────────────────

type WantedChecks = Partial<Record<SlaCheckKind, Date>>;

/** States in which a job will still run (or is running) for the due date it carries. */
const LIVE_STATES: ReadonlySet<string> = new Set(['delayed', 'waiting', 'prioritized', 'active']);

/**
 * Every BullMQ call of the SLA. One job per ticket and kind, id `sla:<ticketId>:<kind>`. BullMQ ignores an `add`
 * whose id exists in any state, so a moved due date means remove, then add; a running job cannot be removed, so
 * removal waits for it to finish.
 */
function slaJobs(ctx: AppContext) {
  const queue = ctx.queues.queue('sla');
  const jobIdOf = (ticketId: string, kind: SlaCheckKind): string => `sla:${ticketId}:${kind}`;

  async function scheduled(jobId: string): Promise<{ dueAt: string | undefined; live: boolean } | undefined> {
    const job = await queue.getJob(jobId);
    if (!job) return undefined;
    const payload = JOBS['sla.check'].payload.safeParse(job.data);
    return { dueAt: payload.success ? payload.data.dueAt : undefined, live: LIVE_STATES.has(await job.getState()) };
  }

  async function remove(jobId: string): Promise<void> {
    const deadline = Date.now() + ACTIVE_JOB_WAIT_MS;
    for (;;) {
      // 1: removed or absent; 0: locked by the worker running it.
      const code = await queue.remove(jobId);
      if (code === 1) return;
      if (code !== 0) throw new Error(`BullMQ refused to remove job ${jobId} (code ${code})`);
      if (Date.now() >= deadline) {
        throw new AppError('SERVICE_UNAVAILABLE', 'An SLA check of this ticket is still running; try again.');
      }
      await sleep(ACTIVE_JOB_POLL_MS);
    }
  }

  return {
    /**
     * Makes the jobs of a ticket exactly `wanted`: missing ones added, moved ones replaced, others removed. Returns
     * how many jobs it added or removed.
     */
    async apply(ticketId: string, wanted: WantedChecks): Promise<number> {
      let changes = 0;
      for (const kind of SLA_CHECK_KINDS) {
        const jobId = jobIdOf(ticketId, kind);
        const due = wanted[kind];
        const current = await scheduled(jobId);
        if (due === undefined) {
          if (current) {
            await remove(jobId);
            changes++;
          }
          continue;
        }
        const dueAt = due.toISOString();
        if (current?.live === true && current.dueAt === dueAt) continue;
        if (current) await remove(jobId);
        changes++;
        await ctx.queues.enqueue(
          'sla.check',
          { ticketId, kind, dueAt },
          // A finished check has nothing to tell, and its key would block the next schedule with the same id.
          { jobId, delay: Math.max(0, due.getTime() - Date.now()), removeOnComplete: true },
        );
      }
      return changes;
    },

    /** Whether Redis holds exactly `wanted` for the ticket (an `add` may have lost a race to another). */
    async matches(ticketId: string, wanted: WantedChecks): Promise<boolean> {
      for (const kind of SLA_CHECK_KINDS) {
        const current = await scheduled(jobIdOf(ticketId, kind));
        const due = wanted[kind];
        if (due === undefined ? current !== undefined : current?.live !== true || current.dueAt !== due.toISOString()) {
          return false;
        }
      }
      return true;
    },
  };
}

function wantedChecks(ticket: Ticket | null): WantedChecks {
  return hasSla(ticket) ? pendingSlaChecks(ticket.sla, ticket.status) : {};
}

function sameChecks(a: WantedChecks, b: WantedChecks): boolean {
  return SLA_CHECK_KINDS.every((kind) => a[kind]?.getTime() === b[kind]?.getTime());
}

/**
 * Brings the ticket's jobs in line with its stored SLA state: a missing check is added, one whose due date moved
 * (or that failed) is replaced, an overdue one runs at once. Reads again after scheduling: if the ticket changed
 * meanwhile, or a concurrent caller's schedule won, it goes round again, so callers converge on the latest state.
 * Returns how many jobs it added or removed.
 */
export async function syncSlaJobs(ctx: AppContext, ticketId: string): Promise<number> {
  const jobs = slaJobs(ctx);
  let changes = 0;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const wanted = wantedChecks(await ctx.store.tickets.get(ticketId));
    changes += await jobs.apply(ticketId, wanted);
    const now = wantedChecks(await ctx.store.tickets.get(ticketId));
    if (sameChecks(wanted, now) && (await jobs.matches(ticketId, now))) return changes;
  }
  throw new AppError('CONFLICT', 'The ticket kept changing while its SLA checks were scheduled; try again.');
}

// ─── clock changes ──────────────────────────────────────────────────────────────────────────────────────────────

interface SlaChange {
  sla: TicketSla;
  priority?: SlaPriority;
}

/**
 * Read, decide, write guarded on the version read; on a lost race, decide again on a fresh read. `decide` returns
 * undefined when there is nothing to change (the change was already made: callers are idempotent).
 */
async function changeSla(
  ctx: AppContext,
  ticketId: string,
  decide: (ticket: SlaTicket) => SlaChange | undefined,
): Promise<{ before: SlaTicket; after: Ticket } | undefined> {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const ticket = await ctx.store.tickets.get(ticketId);
    if (!hasSla(ticket)) return undefined;
    const change = decide(ticket);
    if (!change) return undefined;
    const after = await ctx.store.ticketSla.replace(ticket._id, ticket.version, change.sla, change.priority);
    if (after && change.priority) await followPriority(ctx, after);
    if (after) return { before: ticket, after };
  }
  throw new AppError('CONFLICT', 'The ticket kept changing while its SLA was updated; try again.');
}

function openPause(ticket: SlaTicket, at: Date): SlaChange | undefined {
  const { sla } = ticket;
  if (sla.pauses.some((pause) => pause.to === undefined)) return undefined;
  // While paused the due dates are unknown (they depend on when the citizen answers); leaving them unset also
  // makes any check job still in flight stale.
  const { firstResponseDueAt: _first, resolutionDueAt: _resolution, atRiskAt: _atRisk, ...rest } = sla;
  return { sla: { ...rest, pauses: [...sla.pauses, { from: at }] } };
}

function closePause(ctx: AppContext, ticket: SlaTicket, at: Date): SlaChange | undefined {
  const { sla } = ticket;
  const open = sla.pauses.findIndex((pause) => pause.to === undefined);
  if (open < 0) return undefined;
  const pauses = sla.pauses.map((pause, index) =>
    index === open ? { from: pause.from, to: at.getTime() < pause.from.getTime() ? pause.from : at } : pause,
  );
  const policy = withExtension(policyFor(ctx, ticket, sla.policy), sla.extension);
  const due = planSlaDueDates(calendarOf(ctx), policy, ticket.channel, sla.startedAt, pauses);
  return { sla: { ...sla, pauses, ...due } };
}

/** See {@link slaOnTransition} for the rule. An extension belongs to the cycle it extended and is not carried over. */
function restart(ctx: AppContext, ticket: SlaTicket, at: Date): SlaChange | undefined {
  const { sla } = ticket;
  // Already restarted for this reopen (the hook ran twice).
  if (sla.startedAt.getTime() >= at.getTime()) return undefined;
  // Chosen again: the case may have been referred to a unit with its own policy before it was resolved.
  const policy = policyFor(ctx, ticket);
  const due = planSlaDueDates(calendarOf(ctx), policy, ticket.channel, at, []);
  const firstResponseSettled = sla.firstRespondedAt !== undefined || sla.firstResponseBreachedAt !== undefined;
  return {
    sla: {
      policy: policy.id,
      startedAt: at,
      pauses: [],
      ...(due.resolutionDueAt ? { resolutionDueAt: due.resolutionDueAt } : {}),
      ...(due.atRiskAt ? { atRiskAt: due.atRiskAt } : {}),
      // The first response belongs to the first cycle: it stays as it was and is not asked for again.
      ...(firstResponseSettled && sla.firstResponseDueAt ? { firstResponseDueAt: sla.firstResponseDueAt } : {}),
      ...(sla.firstRespondedAt ? { firstRespondedAt: sla.firstRespondedAt } : {}),
      ...(sla.firstResponseBreachedAt ? { firstResponseBreachedAt: sla.firstResponseBreachedAt } : {}),
    },
    priority: { slaAtRisk: false, priorityScore: priorityScore({ priorityClass: ticket.priorityClass, slaAtRisk: false }) },
  };
}

/**
 * Starts the SLA clock of a routed ticket at `at`: picks the policy for its type and unit, stores the due dates
 * and schedules the checks. Idempotent: a ticket that already has an SLA keeps its dates, and its jobs are
 * brought in line with them (one job per kind, never two).
 *
 * @throws AppError NOT_FOUND when the ticket does not exist
 */
export async function startSla(ctx: AppContext, ticketId: string, at: Date): Promise<void> {
  const ticket = await ctx.store.tickets.get(ticketId);
  if (!ticket) throw new AppError('NOT_FOUND', 'No such ticket.');
  if (ticket.sla === undefined && isOpenStatus(ticket.status)) {
    const policy = policyFor(ctx, ticket);
    const pauses = isSlaPaused(ticket.status) ? [{ from: at }] : [];
    const due = planSlaDueDates(calendarOf(ctx), policy, ticket.channel, at, pauses);
    // null: a concurrent call started it first; scheduling below then follows the dates it stored.
    await ctx.store.ticketSla.start(ticket._id, { policy: policy.id, startedAt: at, pauses, ...due });
  }
  await syncSlaJobs(ctx, ticketId);
}

/**
 * Applies a status change, already stored, to the SLA clock. Call it after the transition's update succeeded.
 * - into `esperando_vecino`: a pause opens, due dates are cleared (unknown until the citizen answers), jobs go.
 * - out of `esperando_vecino`: the pause closes, due dates are recomputed with it, jobs are replaced.
 * - into `resuelto`, `cerrado`, `anulado`: jobs go (the SLA was met, or no longer applies); recorded breaches stay.
 * - reopen (`resuelto`/`cerrado` back to an open status): the resolution clock restarts from `at` with the full
 *   target of the policy the ticket's type and unit select now, because the citizen's disagreement is a new
 *   request the office must answer in full; pauses, warning and breach of the earlier cycle are cleared from the
 *   ticket (an `sla_restarted` event keeps them in the audit trail) and the priority loses its at-risk lift. The
 *   first response is not asked for again.
 * Tickets without an SLA (never routed) are left alone. Calling twice with the same arguments changes nothing.
 */
export async function slaOnTransition(ctx: AppContext, ticketId: string, from: TicketStatus, to: TicketStatus, at: Date): Promise<void> {
  if (from === to) return;
  if (isSlaPaused(to)) {
    await changeSla(ctx, ticketId, (ticket) => openPause(ticket, at));
  } else if (isSlaPaused(from)) {
    await changeSla(ctx, ticketId, (ticket) => closePause(ctx, ticket, at));
  }
  if (!isOpenStatus(from) && isOpenStatus(to)) {
    const restarted = await changeSla(ctx, ticketId, (ticket) => restart(ctx, ticket, at));
    if (restarted) {
      const previous = restarted.before.sla;
      await ctx.store.ticketSla.appendEventOnce(
        {
          ticketId: restarted.after._id,
          type: 'sla_restarted',
          at,
          data: {
            policy: restarted.after.sla?.policy,
            previous: {
              policy: previous.policy,
              startedAt: previous.startedAt.toISOString(),
              resolutionDueAt: previous.resolutionDueAt?.toISOString(),
              atRiskNotifiedAt: previous.atRiskNotifiedAt?.toISOString(),
              breachedAt: previous.breachedAt?.toISOString(),
            },
          },
        },
        `sla_restarted:${ticketId}:${at.toISOString()}`,
        at,
      );
    }
  }
  await syncSlaJobs(ctx, ticketId);
}

/** Records the first answer to the citizen (once; later answers change nothing) and drops its check. */
export async function recordFirstResponse(ctx: AppContext, ticketId: string, at: Date): Promise<void> {
  await ctx.store.ticketSla.recordFirstResponse(ticketId, at);
  // Also when it was recorded before: an earlier call may have stopped before the job was removed.
  await syncSlaJobs(ctx, ticketId);
}

// ─── extension ──────────────────────────────────────────────────────────────────────────────────────────────────

/** An extension as asked for; see {@link storeSlaExtension}. */
export interface SlaExtensionRequest {
  businessDays: number;
  reason: string;
  /** Staff id of who grants it. */
  by: string;
  at: Date;
  /** Whether an earlier cycle of the ticket was extended (its audit trail says so; the SLA keeps only this cycle). */
  extendedBefore: boolean;
}

export type ExtendedTicket = Ticket & { sla: TicketSla & { extension: SlaExtension } };

function isExtended(ticket: Ticket | null): ticket is ExtendedTicket {
  return ticket?.sla?.extension !== undefined;
}

function isSameExtension(extension: SlaExtension | undefined, request: SlaExtensionRequest): boolean {
  return extension?.by === request.by && extension.businessDays === request.businessDays && extension.reason === request.reason;
}

const REFUSAL_MESSAGES = {
  not_extendable: 'Only the term of an open request for public information, with its SLA started, can be extended.',
  clock_paused: 'The SLA clock is paused while the office waits for the citizen; extend it once it runs again.',
  already_extended: 'The term of this request was already extended; the law allows it once.',
  notice_period_over: 'The citizen had to be told of an extension within the first business days after filing; that period is over.',
} as const satisfies Record<ExtensionRefusal, string>;

function refusal(ctx: AppContext, decision: ExtensionDecision & { ok: false }): AppError {
  const deadline = decision.noticeDeadline;
  const ended = decision.reason === 'notice_period_over' && deadline ? ` It ended ${formatLocalDateTime(deadline, ctx.catalogue.calendar.utcOffsetMinutes)} (Lima).` : '';
  return new AppError('ILLEGAL_TRANSITION', `${REFUSAL_MESSAGES[decision.reason]}${ended}`, {
    reason: decision.reason,
    ...(deadline ? { noticeDeadline: deadline.toISOString() } : {}),
  });
}

function extend(ctx: AppContext, ticket: SlaTicket, request: SlaExtensionRequest): SlaChange | undefined {
  const { sla } = ticket;
  // This very request was stored before: a retry, which the caller answers with what is on record.
  if (isSameExtension(sla.extension, request)) return undefined;
  const calendar = calendarOf(ctx);
  const policy = policyFor(ctx, ticket, sla.policy);
  const rule = policy.extension;
  const decision = decideExtension(
    calendar,
    { ticketType: ticket.type, status: ticket.status, sla, ...(rule ? { rule } : {}), extendedBefore: request.extendedBefore },
    request.at,
  );
  if (!decision.ok) throw refusal(ctx, decision);
  if (!rule || !sla.resolutionDueAt) throw refusal(ctx, { ok: false, reason: 'not_extendable' });
  if (request.businessDays > rule.maxBusinessDays) {
    throw new AppError('VALIDATION_FAILED', `This request can be extended by at most ${rule.maxBusinessDays} business days.`, {
      fields: [{ path: 'businessDays', message: `must be at most ${rule.maxBusinessDays}` }],
    });
  }
  const due = planSlaDueDates(calendar, withExtension(policy, request), ticket.channel, sla.startedAt, sla.pauses);
  if (!due.resolutionDueAt) throw refusal(ctx, { ok: false, reason: 'not_extendable' });
  const extension: SlaExtension = {
    businessDays: request.businessDays,
    reason: request.reason,
    by: request.by,
    at: request.at,
    previousResolutionDueAt: sla.resolutionDueAt,
    resolutionDueAt: due.resolutionDueAt,
  };
  const { atRiskNotifiedAt, ...rest } = sla;
  // A warning given for the old date would not be repeated for the new one; the warning and its priority lift
  // go, so supervisors hear again when the new date comes near.
  const rewarn = atRiskNotifiedAt !== undefined && due.atRiskAt !== undefined && due.atRiskAt.getTime() > request.at.getTime();
  return {
    sla: {
      ...(rewarn ? rest : sla),
      extension,
      resolutionDueAt: due.resolutionDueAt,
      ...(due.atRiskAt ? { atRiskAt: due.atRiskAt } : {}),
    },
    ...(rewarn ? { priority: { slaAtRisk: false, priorityScore: priorityScore({ priorityClass: ticket.priorityClass, slaAtRisk: false }) } } : {}),
  };
}

/**
 * Extends the resolution term of the ticket's current SLA cycle if the law and its policy allow it at
 * `request.at` (see `decideExtension`): the extension and the moved resolution and at-risk dates are stored in one
 * guarded update. Jobs are left to {@link syncSlaJobs}, which the caller runs once the notice is recorded.
 * Returns the ticket as stored and whether this call stored the extension: false when this very request (same
 * person, days and reason) was stored before, a retry that must finish what an interrupted attempt left undone.
 *
 * @throws AppError ILLEGAL_TRANSITION with `details.reason` one of `EXTENSION_REFUSALS`; VALIDATION_FAILED when
 *   `businessDays` exceeds the policy's maximum.
 */
export async function storeSlaExtension(ctx: AppContext, ticketId: string, request: SlaExtensionRequest): Promise<{ ticket: ExtendedTicket; stored: boolean }> {
  const changed = await changeSla(ctx, ticketId, (ticket) => extend(ctx, ticket, request));
  if (changed) {
    if (!isExtended(changed.after)) throw new Error(`ticket ${ticketId} lost its extension on write`);
    return { ticket: changed.after, stored: true };
  }
  const ticket = await ctx.store.tickets.get(ticketId);
  if (isExtended(ticket) && isSameExtension(ticket.sla.extension, request)) return { ticket, stored: false };
  // changeSla found no SLA to extend.
  throw refusal(ctx, { ok: false, reason: 'not_extendable' });
}

// ─── checks ─────────────────────────────────────────────────────────────────────────────────────────────────────

async function recordOutcome(ctx: AppContext, ticket: SlaTicket, kind: SlaCheckKind, dueAt: Date, now: Date): Promise<Ticket | null> {
  switch (kind) {
    case 'at_risk': {
      const after = await ctx.store.ticketSla.recordAtRisk(
        ticket._id,
        { atRiskAt: dueAt, priorityClass: ticket.priorityClass },
        now,
        priorityScore({ priorityClass: ticket.priorityClass, slaAtRisk: true }),
      );
      if (after) await followPriority(ctx, after);
      return after;
    }
    case 'first_response':
      return ctx.store.ticketSla.recordFirstResponseBreach(ticket._id, dueAt, now);
    case 'resolution':
      return ctx.store.ticketSla.recordBreach(ticket._id, dueAt, now);
  }
}

function outcomeAt(sla: TicketSla, kind: SlaCheckKind): Date | undefined {
  switch (kind) {
    case 'at_risk':
      return sla.atRiskNotifiedAt;
    case 'first_response':
      return sla.firstResponseBreachedAt;
    case 'resolution':
      return sla.breachedAt;
  }
}

function messageFor(ctx: AppContext, ticket: SlaTicket, kind: SlaCheckKind, dueAt: Date): string {
  const when = (instant: Date): string => formatLocalDateTime(instant, ctx.catalogue.calendar.utcOffsetMinutes);
  switch (kind) {
    case 'at_risk':
      return `El caso ${ticket.trackingCode} está por vencer su plazo (vence el ${when(ticket.sla.resolutionDueAt ?? dueAt)})`;
    case 'first_response':
      return `El caso ${ticket.trackingCode} no recibió primera respuesta dentro del plazo (venció el ${when(dueAt)})`;
    case 'resolution':
      return `El caso ${ticket.trackingCode} venció su plazo de atención el ${when(dueAt)} sin haber sido resuelto`;
  }
}

/**
 * The audit event and the supervisors' notifications of a recorded outcome. Both are written once whatever
 * the number of runs: the event's id and each notification's dedupe key derive from ticket, kind and due date.
 * Supervisors of the unit holding the case get it; a unit without one escalates to the office that took it.
 */
async function escalate(ctx: AppContext, ticket: SlaTicket, kind: SlaCheckKind, dueAt: Date): Promise<void> {
  const ticketId = ticket._id.toString();
  const due = dueAt.toISOString();
  const type = EVENT_TYPE[kind];
  const eventAt = outcomeAt(ticket.sla, kind) ?? new Date();
  const onceKey = `${type}:${ticketId}:${due}`;
  const appended = await ctx.store.ticketSla.appendEventOnce(
    {
      ticketId: ticket._id,
      type,
      at: eventAt,
      data: {
        kind,
        dueAt: due,
        policy: ticket.sla.policy,
        unit: ticket.unitCode,
        ...(ticket.sla.resolutionDueAt ? { resolutionDueAt: ticket.sla.resolutionDueAt.toISOString() } : {}),
      },
    },
    onceKey,
    dueAt,
  );
  const current = appended ? await ctx.store.tickets.get(ticketId) : null;
  if (current) await announceTicketEvent(ctx, current, { id: onceEventId(onceKey, dueAt).toString(), type, at: eventAt });

  let supervisors = await ctx.store.notifications.supervisorsOfUnit(ticket.unitCode);
  if (supervisors.length === 0 && ticket.originUnitCode !== ticket.unitCode) {
    supervisors = await ctx.store.notifications.supervisorsOfUnit(ticket.originUnitCode);
  }
  if (supervisors.length === 0) {
    ctx.log.warn({ ticketId, kind, unit: ticket.unitCode }, 'SLA escalation has no supervisor to go to');
  }
  const notificationKind = NOTIFICATION_KIND[kind];
  const message = messageFor(ctx, ticket, kind, dueAt);
  for (const supervisor of supervisors) {
    await notify(ctx, {
      recipientId: supervisor._id,
      kind: notificationKind,
      ticketId: ticket._id,
      trackingCode: ticket.trackingCode,
      message,
      dedupeKey: `${notificationKind}:${ticketId}:${supervisor._id.toString()}:${due}`,
    });
  }
}

/**
 * Runs one delayed SLA check. A stale job (ticket gone, closed or paused, due date moved, first response given,
 * outcome of a later cycle) returns quietly. Otherwise the outcome is recorded on the ticket by a guarded update
 * (at risk: warning time, at-risk flag and raised priority; breaches: their time), then the event and the
 * notifications are written. A run that finds the outcome already recorded for this very due date finishes the
 * event and notifications an earlier run may not have reached; both are written once.
 */
export async function handleSlaCheck(ctx: AppContext, payload: JobPayload<'sla.check'>): Promise<void> {
  const dueAt = new Date(payload.dueAt);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const ticket = await ctx.store.tickets.get(payload.ticketId);
    if (!hasSla(ticket)) return;
    let recorded: Ticket | null;
    if (isCheckDue(ticket.sla, ticket.status, payload.kind, dueAt)) {
      // null: the ticket changed between the read and the update; look at it again.
      recorded = await recordOutcome(ctx, ticket, payload.kind, dueAt, new Date());
      if (recorded) ctx.log.info({ ticketId: payload.ticketId, kind: payload.kind, dueAt: payload.dueAt }, 'SLA check recorded');
    } else if (isCheckRecorded(ticket.sla, payload.kind, dueAt)) {
      recorded = ticket;
    } else {
      return;
    }
    if (hasSla(recorded)) {
      await escalate(ctx, recorded, payload.kind, dueAt);
      return;
    }
  }
  // A plain error: the worker retries it with backoff, which is what contention calls for.
  throw new Error(`ticket ${payload.ticketId} kept changing while its ${payload.kind} SLA check ran`);
}
