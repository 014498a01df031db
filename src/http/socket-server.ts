import { createAdapter } from '@socket.io/redis-adapter';
import { decodeJwt } from 'jose';
import type { Server as HttpServer } from 'node:http';
import { Server, type Socket } from 'socket.io';
import { z } from 'zod';
import { PRESENCES } from '../domain/staff.js';
import { isAppError } from '../errors.js';
import { createRedis } from '../queues/redis-client.js';
import { DISPLAY_NAMESPACE, rooms, staffRooms, type AckAnswer, type DisplayEvents, type StaffClientEvents, type StaffEvents } from '../realtime/events.js';
import { socketKey } from '../realtime/publisher.js';
import type { AppContext } from '../services/context/index.js';
import { authenticate, goOfflineAfterConnectionLoss, setStaffPresence, type StaffActor } from '../services/staff/index.js';
import { syncSince } from '../services/tickets/index.js';

interface SocketData {
  actor: StaffActor;
}

type StaffSocket = Socket<StaffClientEvents, StaffEvents, Record<string, never>, SocketData>;

export interface SocketServer {
  readonly io: Server<StaffClientEvents, StaffEvents, Record<string, never>, SocketData>;
  close(): Promise<void>;
}

const presenceBody = z.strictObject({ presence: z.enum(PRESENCES) });
const syncBody = z.strictObject({ since: z.iso.datetime() });

function failure(err: unknown): AckAnswer & { ok: false } {
  if (isAppError(err)) return { ok: false, error: { code: err.code, message: err.message } };
  return { ok: false, error: { code: 'INTERNAL', message: 'Something went wrong on our side.' } };
}

/**
 * Socket.IO on the API's HTTP server. Staff authenticate with their access token (`auth: { token }`) and
 * join the rooms of their user, units and, for supervisors, their units' supervisor rooms; a socket is
 * dropped when its token expires or the person is disabled. `/display` is public and read-only: it only
 * ever receives turn numbers, counter names and the announcement made of them. The Redis adapter links several API nodes, and the workers'
 * emitter reaches all of them.
 */
export function attachSocketServer(httpServer: HttpServer, ctx: AppContext, redisUrl: string, prefix: string): SocketServer {
  const pub = createRedis(redisUrl, 'pubsub', ctx.log);
  const sub = pub.duplicate();
  const io = new Server<StaffClientEvents, StaffEvents, Record<string, never>, SocketData>(httpServer, {
    path: '/socket.io',
    serveClient: false,
    adapter: createAdapter(pub, sub, { key: socketKey(prefix) }),
  });
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, work: () => Promise<void> | void): NodeJS.Timeout => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      Promise.resolve()
        .then(work)
        .catch((err: unknown) => {
          ctx.log.warn({ err }, 'socket timer failed');
        });
    }, ms);
    timers.add(timer);
    return timer;
  };

  io.use((socket, next) => {
    const auth: unknown = socket.handshake.auth;
    const token = typeof auth === 'object' && auth !== null && 'token' in auth && typeof auth.token === 'string' ? auth.token : '';
    authenticate(ctx, token)
      .then((actor) => {
        socket.data.actor = actor;
        const exp = decodeJwt(token).exp;
        // The socket lives no longer than its token; the client reconnects with a refreshed one.
        if (exp !== undefined) later(Math.max(0, exp * 1000 - Date.now()), () => {
          socket.disconnect(true);
        });
        next();
      })
      .catch((err: unknown) => {
        const error = new Error(isAppError(err) ? err.message : 'Authentication failed.') as Error & { data: { code: string } };
        error.data = { code: isAppError(err) ? err.code : 'UNAUTHENTICATED' };
        next(error);
      });
  });

  io.on('connection', (socket: StaffSocket) => {
    const actor = socket.data.actor;
    void socket.join(staffRooms(actor));

    socket.on('presence:set', (body, ack) => {
      const parsed = presenceBody.safeParse(body);
      const done = typeof ack === 'function' ? ack : () => undefined;
      if (!parsed.success) {
        done({ ok: false, error: { code: 'VALIDATION_FAILED', message: 'presence must be one of available, busy, away, offline.' } });
        return;
      }
      setStaffPresence(ctx, actor, actor.id, parsed.data.presence).then(
        () => { done({ ok: true }); },
        (err: unknown) => { done(failure(err)); },
      );
    });

    socket.on('sync', (body, ack) => {
      if (typeof ack !== 'function') return;
      const parsed = syncBody.safeParse(body);
      if (!parsed.success) {
        ack({ ok: false, error: { code: 'VALIDATION_FAILED', message: 'since must be an ISO 8601 date-time.' } });
        return;
      }
      syncSince(ctx, actor, new Date(parsed.data.since)).then(
        (answer) => { ack({ ok: true, ...answer }); },
        (err: unknown) => { ack(failure(err)); },
      );
    });

    socket.on('disconnect', () => {
      // A closed browser must not keep tickets: after a grace period without any socket of this person on
      // any node, they are set offline and their open tickets return to the queue.
      later(ctx.env.PRESENCE_GRACE_MS, async () => {
        const remaining = await io.in(rooms.user(actor.id)).fetchSockets();
        if (remaining.length > 0) return;
        if (await goOfflineAfterConnectionLoss(ctx, actor.id)) ctx.log.info({ staffId: actor.id }, 'connection lost: agent set offline');
      });
    });
  });

  // Public screens: no authentication, nothing they send is read.
  const display = io.of(DISPLAY_NAMESPACE) as unknown as Server<Record<string, never>, DisplayEvents>;
  display.on('connection', (socket) => {
    socket.removeAllListeners();
    // A board that connects (or reconnects) shows the last calls at once instead of starting blank.
    ctx.live.hall.recentCalls(ctx.catalogue.kiosk.hall.displayHistory).then(
      (calls) => {
        socket.emit('turn:recent', { calls: calls.map(({ turn, counter, announcement, at }) => ({ turn, counter, announcement, at })) });
      },
      (err: unknown) => {
        ctx.log.warn({ err }, 'display: recent calls not sent');
      },
    );
  });

  return {
    io,
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await new Promise<void>((resolve) => {
        void io.close(() => { resolve(); });
      });
      pub.disconnect();
      sub.disconnect();
    },
  };
}

