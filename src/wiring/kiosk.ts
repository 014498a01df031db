import { counterRouteGroup } from '../../channels/kiosk/counter.routes.js';
import type { KioskInbound } from '../../channels/kiosk/kiosk.port.js';
import { kioskRouteGroups } from '../../channels/kiosk/kiosk.routes.js';
import { API_PREFIX } from '../http/api.router.js';
import type { RouteGroup } from '../http/route-table.js';
import type { AppContext } from '../services/context/index.js';
import {
  authenticateDevice,
  callNext,
  counterView,
  finish,
  issueDeviceKey,
  listCounters,
  listDevices,
  listKioskServices,
  noShow,
  park,
  recall,
  recallParked,
  redirect,
  revokeDevice,
  setPaused,
  signIn,
  signOut,
  start,
  statusUrl,
  takeTurn,
  turnStatus,
} from '../services/counter/index.js';

/** The counter channel's inbound port bound to the counter hall's use cases in this process. */
export function kioskInbound(ctx: AppContext, now: () => Date): KioskInbound {
  return {
    services: (at) => listKioskServices(ctx, at),
    authenticate: (key) => authenticateDevice(ctx, key, now()),
    takeTurn: (device, input, at) => takeTurn(ctx, device, input, at),
    turnStatus: (token) => turnStatus(ctx, token),
    issueDevice: (actor, name) => issueDeviceKey(ctx, actor, name, now()),
    listDevices: (actor) => listDevices(ctx, actor),
    revokeDevice: (actor, id) => revokeDevice(ctx, actor, id, now()),
    listCounters: (at) => listCounters(ctx, at),
    viewCounter: (code, at) => counterView(ctx, code, at),
    signIn: (actor, code, at) => signIn(ctx, actor, code, at),
    signOut: (actor, code, at) => signOut(ctx, actor, code, at),
    setPaused: (actor, code, paused, reason, at) => setPaused(ctx, actor, code, paused, reason, at),
    callNext: (actor, code, at) => callNext(ctx, actor, code, at),
    recall: (actor, code, at) => recall(ctx, actor, code, at),
    noShow: (actor, code, at) => noShow(ctx, actor, code, at),
    start: (actor, code, at) => start(ctx, actor, code, at),
    finish: (actor, code, input, at) => finish(ctx, actor, code, input, at),
    redirect: (actor, code, input, at) => redirect(ctx, actor, code, input, at),
    park: (actor, code, note, at) => park(ctx, actor, code, note, at),
    recallParked: (actor, code, ticketId, at) => recallParked(ctx, actor, code, ticketId, at),
  };
}

/**
 * The counter channel at the composition root: the kiosk's and the counters' endpoints (channels/kiosk, transport
 * only), handed its port bound to this process's context. `now` is the clock turns are numbered and checked against
 * (tests move it across midnight).
 */
export function kioskChannelGroups(ctx: AppContext, now: () => Date): RouteGroup[] {
  const { kiosk } = ctx.catalogue;
  const qr = statusUrl(ctx, 'TOKEN');
  if (qr.startsWith('/')) ctx.log.warn({ turnStatusUrl: qr }, 'counter channel: turns print a relative status link; set TURN_STATUS_URL (or PUBLIC_BASE_URL) so the QR code opens on a phone');
  else ctx.log.info({ services: kiosk.services.length, counters: kiosk.counters.length, turnStatusUrl: qr }, 'counter channel on');
  const deps = {
    inbound: kioskInbound(ctx, now),
    now,
    serviceCodes: kiosk.services.map((s) => s.code),
    counterCodes: kiosk.counters.map((c) => c.code),
    unitCodes: ctx.catalogue.units.map((u) => u.code),
  };
  return [...kioskRouteGroups(API_PREFIX, deps), counterRouteGroup(API_PREFIX, deps)];
}
