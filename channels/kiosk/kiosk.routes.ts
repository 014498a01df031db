import { z } from 'zod';
import { PREFERENTIAL_REASONS } from '../../src/domain/counter-turns.js';
import { deviceRoute, publicRoute, staffRoute, type RouteGroup } from '../../src/http/route-table.js';
import { text } from '../../src/http/schemas.js';
import type { KioskChannelDeps } from './kiosk.port.js';
import { deviceView, issuedTurnView, kioskServicesView, publicTurnStatusView } from './kiosk.schemas.js';

/*
 * The kiosk's endpoints: the services offered at the counters, taking a turn (device key), the public status of a
 * turn (its printed QR code), and the admin's device keys. Transport only: each hands its parsed input to a
 * use-case of the core, given at the composition root.
 */

function codeEnum(codes: readonly string[]) {
  const [first, ...rest] = codes;
  if (first === undefined) throw new Error('the kiosk catalogue has no service');
  return z.enum([first, ...rest], { error: 'must be a service code of the kiosk' });
}

/** `/api/v1/kiosk` (services, turns, devices) and `/api/v1/turns` (a turn's public status). */
export function kioskRouteGroups(apiPrefix: string, deps: KioskChannelDeps): RouteGroup[] {
  const turnBody = z.strictObject({
    requestId: z
      .string()
      .min(8)
      .max(100)
      .regex(/^[\w.:-]+$/, 'letters, digits, ".", ":", "_" or "-"')
      .meta({ description: "The kiosk's id of this request: a retry with the same id answers the same turn (200) instead of issuing another." }),
    service: codeEnum(deps.serviceCodes),
    dni: z.string().max(20).optional().meta({ description: '8 digits, optionally with the check character of the card, which must then be right (a wrong one is refused with a Spanish message to retype it).' }),
    preferentialReason: z.enum(PREFERENTIAL_REASONS).optional().meta({ description: 'Ley 28683 preferential attention, declared for this visit: served before everyone else.' }),
  });
  const kiosk = [
    publicRoute({
      method: 'get',
      path: '/services',
      summary: 'The services offered at the counters, grouped by unit, each open now or not',
      responses: { 200: { description: 'Services', schema: kioskServicesView } },
      handle: async () => ({ status: 200, body: await deps.inbound.services(deps.now()) }),
    }),
    deviceRoute(
      {
        method: 'post',
        path: '/turns',
        summary: 'Take a turn for a service (kiosk device key)',
        description:
          'Issues the day\'s next number of the service\'s prefix (Lima time) as a ticket of channel `kiosk`. 409 CLOSED when the service gives no turns now (office hours, holidays, its last turn); ' +
          '400 VALIDATION_FAILED on `dni` when its check character is wrong. Rate-limited per device (429 with Retry-After).',
        body: turnBody,
        errors: [409],
        responses: {
          201: { description: 'Issued', schema: z.object({ created: z.literal(true), turn: issuedTurnView }) },
          200: { description: 'This request id issued it before: the same turn', schema: z.object({ created: z.literal(false), turn: issuedTurnView }) },
        },
        handle: async ({ device, body }) => {
          const result = await deps.inbound.takeTurn(device, body, deps.now());
          return { status: result.created ? 201 : 200, body: result };
        },
      },
      deps.inbound.authenticate,
    ),
    staffRoute({
      method: 'post',
      path: '/devices',
      summary: 'Issue a kiosk its device key (admin); the key is in this answer only',
      roles: ['admin'],
      body: z.strictObject({ name: text(120) }),
      responses: { 201: { description: 'Issued', schema: z.object({ device: deviceView, key: z.string().meta({ description: 'Shown once: set it in the kiosk (header X-Kiosk-Key).' }) }) } },
      handle: async ({ actor, body }) => ({ status: 201, body: await deps.inbound.issueDevice(actor, body.name) }),
    }),
    staffRoute({
      method: 'get',
      path: '/devices',
      summary: 'The kiosk devices (admin)',
      roles: ['admin'],
      responses: { 200: { description: 'Devices, newest first', schema: z.object({ items: z.array(deviceView) }) } },
      handle: async ({ actor }) => ({ status: 200, body: { items: await deps.inbound.listDevices(actor) } }),
    }),
    staffRoute({
      method: 'post',
      path: '/devices/:id/revoke',
      summary: "Revoke a kiosk's device key (admin): refused from its next request",
      roles: ['admin'],
      params: z.strictObject({ id: z.string().regex(/^[a-f0-9]{24}$/, 'must be a device id') }),
      responses: { 200: { description: 'Revoked', schema: z.object({ device: deviceView }) } },
      handle: async ({ actor, params }) => ({ status: 200, body: { device: await deps.inbound.revokeDevice(actor, params.id) } }),
    }),
  ];
  const turns = [
    publicRoute({
      method: 'get',
      path: '/:token',
      summary: "A turn's state and place, for the citizen's phone (the printed QR code); nothing personal",
      params: z.strictObject({ token: z.string().regex(/^[a-f0-9]{24}\.[A-Za-z0-9_-]{22}$/, 'must be a turn token') }),
      responses: { 200: { description: 'The turn', schema: publicTurnStatusView } },
      handle: async ({ params }) => ({ status: 200, body: await deps.inbound.turnStatus(params.token) }),
    }),
  ];
  return [
    { prefix: `${apiPrefix}/kiosk`, tag: 'kiosk', routes: kiosk },
    { prefix: `${apiPrefix}/turns`, tag: 'turns', routes: turns },
  ];
}
