/**
 * SLA clocks of tickets in business time: start, pause while the office waits for the citizen, resume, stop,
 * restart on reopen, and the delayed checks that follow the dates (scheduled in `src/queues/sla-jobs.ts`, run by
 * `sla-escalation.service.ts`).
 *
 * Dates live on the ticket and are always recomputed from the start and the full list of pauses (see
 * `computeDueAt`); jobs only wake the system up. A job whose due date no longer matches the ticket is stale and
 * does nothing, so a job that could not be removed in time cannot record a wrong breach.
 *
 * An extension ("prórroga", see `src/domain/sla-extension.ts` and `sla-extension.service.ts`) is part of that
 * state: it is kept on the SLA and its business days are added to the policy's resolution target whenever the
 * dates are recomputed.
 */
import { priorityScore } from '../../domain/priority.js';
import { withExtension } from '../../domain/sla-extension.js';
import { pendingSlaChecks, planSlaDueDates, selectSlaPolicy, SLA_CHECK_KINDS, type SlaPolicy } from '../../domain/sla-policy.js';
import { isOpenStatus, isSlaPaused, type TicketStatus } from '../../domain/ticket-lifecycle.js';
import { AppError } from '../../errors.js';
import { createSlaJobs, type WantedChecks } from '../../queues/sla-jobs.js';
import type { SlaPriority } from '../../store/ticket-sla.repository.js';
import type { TicketSla } from '../../store/ticket.model.js';
import type { Ticket } from '../../store/ticket.repository.js';
import { calendarOf, type AppContext } from '../context/index.js';
import { followPriority } from '../live-state/index.js';

// Guarded writes retry on a fresh read when someone else changed the ticket in between; a handful of rounds is
// plenty for humans and workers touching one ticket.
export const MAX_ROUNDS = 5;

export type SlaTicket = Ticket & { sla: TicketSla };

export function hasSla(ticket: Ticket | null): ticket is SlaTicket {
  return ticket?.sla !== undefined;
}

/**
 * The policy named `id` if the configuration still has it, else the one the ticket's type and unit select now
 * (a policy renamed or removed between deployments).
 */
export function policyFor(ctx: AppContext, ticket: Pick<Ticket, 'type' | 'unitCode'>, id?: string): SlaPolicy {
  const { policies } = ctx.catalogue.sla;
  const named = id === undefined ? undefined : policies.find((policy) => policy.id === id);
  const policy = named ?? selectSlaPolicy(policies, { ticketType: ticket.type, unitCode: ticket.unitCode });
  // The catalogue schema demands exactly one default policy, which matches every ticket.
  if (!policy) throw new Error('config/sla.json has no default policy');
  return policy;
}

// ─── jobs ───────────────────────────────────────────────────────────────────────────────────────────────────────

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
  const jobs = createSlaJobs(ctx.queues);
  let changes = 0;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const wanted = wantedChecks(await ctx.store.tickets.get(ticketId));
    changes += await jobs.apply(ticketId, wanted);
    const now = wantedChecks(await ctx.store.tickets.get(ticketId));
    if (sameChecks(wanted, now) && (await jobs.matches(ticketId, now))) return changes;
  }
  throw new AppError('CONFLICT', 'The ticket kept changing while its SLA checks were scheduled; try again.');
}

/**
 * Schedules the checks of a ticket whose clock intake started and which has no jobs yet (the route job), from the
 * ticket as the caller read it: one add per check, no reads. A change of the SLA meanwhile runs
 * {@link syncSlaJobs} itself, whose schedule an add here never replaces (same job ids); at worst a check that
 * change removed is added back, and a check decides from the ticket when it runs, so it then records nothing.
 */
export async function scheduleNewSlaChecks(ctx: AppContext, ticket: Ticket): Promise<void> {
  await createSlaJobs(ctx.queues).addNew(ticket._id.toString(), wantedChecks(ticket));
}

// ─── clock changes ──────────────────────────────────────────────────────────────────────────────────────────────

/** A new SLA state for a ticket, with the priority fields that change with it. */
export interface SlaChange {
  sla: TicketSla;
  priority?: SlaPriority;
}

/**
 * Read, decide, write guarded on the version read; on a lost race, decide again on a fresh read. `decide` returns
 * undefined when there is nothing to change (the change was already made: callers are idempotent).
 */
export async function changeSla(
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
 * The SLA state of a ticket whose clock starts at `at`: the policy its type and unit select, no pauses unless it
 * is waiting for the citizen, and the due dates that follow. Pure; {@link startSla} stores it, and intake stores it
 * on the new ticket so that its answer already states the terms.
 */
export function initialSla(ctx: AppContext, ticket: Pick<Ticket, 'type' | 'unitCode' | 'channel' | 'status'>, at: Date): TicketSla {
  const policy = policyFor(ctx, ticket);
  const pauses = isSlaPaused(ticket.status) ? [{ from: at }] : [];
  return { policy: policy.id, startedAt: at, pauses, ...planSlaDueDates(calendarOf(ctx), policy, ticket.channel, at, pauses) };
}

/**
 * Starts the SLA clock of a ticket at `at`, unless it runs already: stores {@link initialSla} and schedules the
 * checks. Idempotent: a ticket that already has an SLA (intake started it, or an earlier call) keeps its dates, and
 * its jobs are brought in line with them (one job per kind, never two).
 *
 * @throws AppError NOT_FOUND when the ticket does not exist
 */
export async function startSla(ctx: AppContext, ticketId: string, at: Date): Promise<Ticket> {
  const ticket = await ctx.store.tickets.get(ticketId);
  if (!ticket) throw new AppError('NOT_FOUND', 'No such ticket.');
  // null: a concurrent call started it first; scheduling below then follows the dates it stored.
  const started = ticket.sla === undefined && isOpenStatus(ticket.status) ? await ctx.store.ticketSla.start(ticket._id, initialSla(ctx, ticket, at)) : null;
  await syncSlaJobs(ctx, ticketId);
  return started ?? ticket;
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
export async function slaOnTransition(ctx: AppContext, ticketId: string, from: TicketStatus, to: TicketStatus, at: Date): Promise<Ticket | undefined> {
  if (from === to) return undefined;
  let written: Ticket | undefined;
  if (isSlaPaused(to)) {
    written = (await changeSla(ctx, ticketId, (ticket) => openPause(ticket, at)))?.after;
  } else if (isSlaPaused(from)) {
    written = (await changeSla(ctx, ticketId, (ticket) => closePause(ctx, ticket, at)))?.after;
  }
  if (!isOpenStatus(from) && isOpenStatus(to)) {
    const restarted = await changeSla(ctx, ticketId, (ticket) => restart(ctx, ticket, at));
    if (restarted) {
      written = restarted.after;
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
  return written;
}

/** Records the first answer to the citizen (once; later answers change nothing) and drops its check. */
export async function recordFirstResponse(ctx: AppContext, ticketId: string, at: Date): Promise<Ticket | null> {
  const written = await ctx.store.ticketSla.recordFirstResponse(ticketId, at);
  // Also when it was recorded before: an earlier call may have stopped before the job was removed.
  await syncSlaJobs(ctx, ticketId);
  return written;
}
