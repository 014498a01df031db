import { z } from 'zod';
import type { StaffRole } from '../../src/domain/staff.js';
import { staffRoute, type RouteGroup } from '../../src/http/route-table.js';
import { text } from '../../src/http/schemas.js';
import type { CounterTurnView } from '../../src/services/counter/index.js';
import type { StaffActor } from '../../src/services/staff/index.js';
import type { KioskChannelDeps } from './kiosk.port.js';
import { counterTurnAnswer, counterView } from './kiosk.schemas.js';

/*
 * The counters' endpoints (`/api/v1/counters/:code/...`): staff sign in to a counter and work its turns. Each acts on
 * the counter the caller is signed in to; transport only, every decision is the counter use-case's.
 */

/** Who works at counters: agents and area staff, supervisors covering one; admins to close a counter left open. */
const COUNTER_ROLES: readonly StaffRole[] = ['agent', 'area_staff', 'supervisor', 'admin'];

function oneOf(codes: readonly string[], what: string) {
  const [first, ...rest] = codes;
  if (first === undefined) throw new Error(`no ${what} in the catalogue`);
  return z.enum([first, ...rest], { error: `must be a ${what} of the catalogue` });
}

export function counterRouteGroup(apiPrefix: string, deps: KioskChannelDeps): RouteGroup {
  const params = z.strictObject({ code: oneOf(deps.counterCodes, 'counter code') });
  const counterAnswer = { 200: { description: 'The counter', schema: counterView } } as const;
  const turnAnswer = { 200: { description: 'The turn', schema: counterTurnAnswer } } as const;
  // An action on the counter's current turn: no body, the turn is the one the counter serves.
  const onTurn = (path: string, summary: string, act: (actor: StaffActor, code: string, at: Date) => Promise<CounterTurnView>, description?: string) =>
    staffRoute({
      method: 'post',
      path,
      summary,
      ...(description ? { description } : {}),
      roles: COUNTER_ROLES,
      params,
      errors: [403, 409],
      responses: turnAnswer,
      handle: async ({ actor, params: p }) => ({ status: 200, body: { turn: await act(actor, p.code, deps.now()) } }),
    });
  const routes = [
    staffRoute({
      method: 'get',
      path: '/',
      summary: 'The counters of the hall: who is signed in, the turn each serves, what waits for their services',
      roles: COUNTER_ROLES,
      responses: { 200: { description: 'Counters', schema: z.object({ items: z.array(counterView) }) } },
      handle: async () => ({ status: 200, body: { items: await deps.inbound.listCounters(deps.now()) } }),
    }),
    staffRoute({
      method: 'get',
      path: '/:code',
      summary: 'One counter',
      roles: COUNTER_ROLES,
      params,
      responses: counterAnswer,
      handle: async ({ params: p }) => ({ status: 200, body: await deps.inbound.viewCounter(p.code, deps.now()) }),
    }),
    staffRoute({
      method: 'post',
      path: '/:code/sign-in',
      summary: 'Sign in to the counter (one person per counter, one counter per person)',
      roles: COUNTER_ROLES,
      params,
      errors: [409],
      responses: counterAnswer,
      handle: async ({ actor, params: p }) => ({ status: 200, body: await deps.inbound.signIn(actor, p.code, deps.now()) }),
    }),
    staffRoute({
      method: 'post',
      path: '/:code/sign-out',
      summary: 'Sign out of the counter (or close it: supervisor of the hall, admin); its turns go back to the hall in their place',
      roles: COUNTER_ROLES,
      params,
      errors: [403, 409],
      responses: counterAnswer,
      handle: async ({ actor, params: p }) => ({ status: 200, body: await deps.inbound.signOut(actor, p.code, deps.now()) }),
    }),
    staffRoute({
      method: 'post',
      path: '/:code/pause',
      summary: 'Pause the counter: it calls no turns until resumed',
      roles: COUNTER_ROLES,
      params,
      body: z.strictObject({ reason: text(300).optional() }).default({}),
      errors: [403, 409],
      responses: counterAnswer,
      handle: async ({ actor, params: p, body }) => ({ status: 200, body: await deps.inbound.setPaused(actor, p.code, true, body.reason, deps.now()) }),
    }),
    staffRoute({
      method: 'post',
      path: '/:code/resume',
      summary: 'Resume calling turns',
      roles: COUNTER_ROLES,
      params,
      errors: [403, 409],
      responses: counterAnswer,
      handle: async ({ actor, params: p }) => ({ status: 200, body: await deps.inbound.setPaused(actor, p.code, false, undefined, deps.now()) }),
    }),
    staffRoute({
      method: 'post',
      path: '/:code/call-next',
      summary: "Call the best waiting turn for the counter's services and announce it on the display board",
      description: 'Ley 28683 preferential turns first, then Vecino Puntual, then arrival. Two counters calling at once never get the same turn. 409 ILLEGAL_TRANSITION while the counter holds a turn (`counter_busy`) or is paused.',
      roles: COUNTER_ROLES,
      params,
      errors: [403, 409],
      responses: { ...turnAnswer, 204: { description: 'No turn waits for these services' } },
      handle: async ({ actor, params: p }) => {
        const turn = await deps.inbound.callNext(actor, p.code, deps.now());
        return turn ? { status: 200, body: { turn } } : { status: 204 };
      },
    }),
    onTurn('/:code/recall', 'Announce the current turn again', deps.inbound.recall, 'Up to the hall\'s `recallsBeforeNoShow` times (config/kiosk.json); then 409 `recall_limit`.'),
    onTurn('/:code/no-show', 'Close the current turn as a no-show', deps.inbound.noShow, 'Only once it was recalled `recallsBeforeNoShow` times (409 `recalls_pending` before).'),
    onTurn('/:code/start', 'The citizen is at the counter: attention starts', deps.inbound.start),
    staffRoute({
      method: 'post',
      path: '/:code/finish',
      summary: 'End the attention: resolved at the counter, or left open as a case for a unit',
      roles: COUNTER_ROLES,
      params,
      body: z.strictObject({
        outcome: z.enum(['resolved', 'open_case']),
        notes: text(2_000).optional(),
        unitCode: oneOf(deps.unitCodes, 'unit code').optional().meta({ description: 'With `open_case`: the unit the case goes to (default: the unit of its service).' }),
      }),
      errors: [403, 409],
      responses: turnAnswer,
      handle: async ({ actor, params: p, body }) => ({ status: 200, body: { turn: await deps.inbound.finish(actor, p.code, body, deps.now()) } }),
    }),
    staffRoute({
      method: 'post',
      path: '/:code/redirect',
      summary: 'Send the current turn to another service: it keeps its number and its place by arrival',
      roles: COUNTER_ROLES,
      params,
      body: z.strictObject({ service: oneOf(deps.serviceCodes, 'kiosk service'), notes: text(2_000).optional() }),
      errors: [403, 409],
      responses: turnAnswer,
      handle: async ({ actor, params: p, body }) => ({ status: 200, body: { turn: await deps.inbound.redirect(actor, p.code, body, deps.now()) } }),
    }),
    staffRoute({
      method: 'post',
      path: '/:code/park',
      summary: 'Park the current turn (the citizen fills a form): the counter may call the next one and call this one back later',
      roles: COUNTER_ROLES,
      params,
      body: z.strictObject({ note: text(300).optional() }).default({}),
      errors: [403, 409],
      responses: turnAnswer,
      handle: async ({ actor, params: p, body }) => ({ status: 200, body: { turn: await deps.inbound.park(actor, p.code, body.note, deps.now()) } }),
    }),
    staffRoute({
      method: 'post',
      path: '/:code/parked/:ticketId/recall',
      summary: 'Call a parked turn back to the counter (announced on the board again)',
      roles: COUNTER_ROLES,
      params: params.extend({ ticketId: z.string().regex(/^[a-f0-9]{24}$/, 'must be a ticket id') }),
      errors: [403, 409],
      responses: turnAnswer,
      handle: async ({ actor, params: p }) => ({ status: 200, body: { turn: await deps.inbound.recallParked(actor, p.code, p.ticketId, deps.now()) } }),
    }),
  ];
  return { prefix: `${apiPrefix}/counters`, tag: 'counters', routes };
}
