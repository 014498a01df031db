import { createServer, type Server as HttpServer } from 'node:http';
import { hostname } from 'node:os';
import { createSmtpEmailGateway } from '../channels/email/smtp-sender.js';
import { createTwilioCallControl } from '../channels/phone/call-control.js';
import { createTwilioSmsGateway } from '../channels/phone/sms-gateway.js';
import type { HandlerRegistry } from '../workers/handler.js';
import { HANDLERS, startWorkers, type WorkerSet } from '../workers/registry.js';
import { loadCatalogue } from './config/catalogue.js';
import { emailChannelEnv, phoneChannelEnv, smtpEnv, type Env } from './config/env.js';
import { startEmbedded, type EmbeddedServices } from './embedded/index.js';
import { createHttpApp } from './http/app.js';
import type { RouteGroup } from './http/route-table.js';
import { attachSocketServer, type SocketServer } from './http/socket-server.js';
import { createLiveState } from './live/index.js';
import { createLogger, type Logger } from './logging.js';
import { HEARTBEAT_EVERY_MS, LIVE_FULL_RECONCILE_EVERY_MS, LIVE_RECONCILE_EVERY_MS, MAINTENANCE_EVERY_MS, READ_INDEX_RECONCILE_EVERY_MS, SLA_RECONCILE_EVERY_MS } from './queues/jobs.js';
import { createQueues } from './queues/producer.js';
import { createRedis, pingRedis } from './queues/redis-client.js';
import { createWorkerHeartbeats } from './queues/worker-heartbeats.js';
import { createRealtimePublisher } from './realtime/publisher.js';
import type { AppContext } from './services/context/index.js';
import { ensureLiveState } from './services/live-state/index.js';
import { ensureReadIndex } from './services/read-index/index.js';
import { ensureBootstrapAdmin } from './services/staff/index.js';
import { connectStore } from './store/connection.js';
import { redisDocumentLocks } from './store/document-lock.js';
import { createLoginThrottleRepository } from './store/login-throttle.repository.js';
import { createMailboxLeases } from './store/mailbox-lease.repository.js';
import { emailIntakeDeps, mailInbound, startEmailPollers } from './wiring/email.js';
import { kioskChannelGroups } from './wiring/kiosk.js';
import { phoneChannelGroups } from './wiring/phone.js';

export interface SystemOptions {
  log?: Logger;
  /** Key prefix of every queue and lock in Redis (tests use a unique one). */
  queuePrefix?: string;
  handlers?: HandlerRegistry;
  /** The system's clock (`ctx.clock`: sessions and tokens); real time unless a test moves it. */
  clock?: () => Date;
  /** The clock of the counter channel (turn numbers per Lima day, opening hours); the system's unless a test moves it apart. */
  counterClock?: () => Date;
}

export interface RunningSystem {
  readonly ctx: AppContext;
  /** Base URL of the HTTP server when this process serves the API. */
  readonly url: string | undefined;
  readonly httpServer: HttpServer | undefined;
  readonly sockets: SocketServer | undefined;
  readonly embedded: EmbeddedServices | undefined;
  stop(): Promise<void>;
}

/**
 * The webhooks of the channels configured in the environment. A channel without its settings is off, and says so
 * once in the log; the rest of the system runs.
 */
function channelRouteGroups(ctx: AppContext): RouteGroup[] {
  const phone = phoneChannelEnv(ctx.env);
  if (phone === undefined) {
    ctx.log.info('phone channel off: set PUBLIC_BASE_URL and every TWILIO_* variable to turn it on (docs/phone.md)');
    return [];
  }
  ctx.log.info({ webhooks: `${phone.publicBaseUrl}/webhooks/twilio/voice/incoming`, smsFrom: phone.smsFrom ?? 'off' }, 'phone channel on');
  return phoneChannelGroups(ctx, phone);
}

/**
 * The composition root. Starts what `env.ROLE` asks for, in dependency order, and stops it in reverse: the mailbox
 * pollers finish the mail they are taking in, workers finish their current jobs, HTTP and Socket.IO stop accepting
 * and close, then connections and embedded services close.
 */
export async function startSystem(env: Env, options: SystemOptions = {}): Promise<RunningSystem> {
  const log = options.log ?? createLogger(env.LOG_LEVEL, { role: env.ROLE });
  const catalogue = await loadCatalogue(env.CONFIG_DIR);
  const cleanups: (() => Promise<unknown>)[] = [];
  const stop = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse().splice(0)) {
      await cleanup().catch((err: unknown) => {
        log.warn({ err }, 'error during shutdown');
      });
    }
  };

  try {
    const needsEmbedded = env.MONGODB_URI === undefined || env.REDIS_URL === undefined;
    const embedded = needsEmbedded
      ? await startEmbedded({ dataDir: env.DATA_DIR, mongodb: env.MONGODB_URI === undefined, redis: env.REDIS_URL === undefined, log })
      : undefined;
    if (embedded) cleanups.push(() => embedded.stop());
    const mongodbUri = env.MONGODB_URI ?? embedded?.mongodbUri;
    const redisUrl = env.REDIS_URL ?? embedded?.redisUrl;
    if (mongodbUri === undefined || redisUrl === undefined) throw new Error('no store or Redis URL');

    const redis = createRedis(redisUrl, 'queue', log);
    cleanups.push(() => redis.quit());
    const prefix = options.queuePrefix ?? 'mcc';
    const store = await connectStore({ uri: mongodbUri, dbName: env.MONGODB_DB, maxPoolSize: env.MONGODB_POOL_SIZE, log, locks: redisDocumentLocks(redis, { prefix }) });
    cleanups.push(() => store.close());
    const queues = createQueues(redis, log, prefix);
    cleanups.push(() => queues.close());
    const realtime = createRealtimePublisher(redis, prefix, log);
    const live = createLiveState(redis, prefix);
    const phone = phoneChannelEnv(env);
    const smtp = smtpEnv(env);
    const email = smtp !== undefined ? createSmtpEmailGateway(smtp) : undefined;
    if (email !== undefined) {
      cleanups.push(() => {
        email.close();
        return Promise.resolve();
      });
    }
    if (smtp === undefined) log.info('outgoing mail off: set SMTP_HOST and EMAIL_FROM to turn it on (docs/email.md)');
    else log.info({ smtp: `${smtp.host}:${String(smtp.port)}`, from: smtp.from.address }, 'outgoing mail on');
    const ctx: AppContext = {
      env,
      log,
      catalogue,
      store,
      queues,
      live,
      loginThrottle: createLoginThrottleRepository(redis, env.MONGODB_DB),
      heartbeats: createWorkerHeartbeats(redis, prefix),
      realtime,
      instanceId: `${hostname()}:${process.pid}`,
      clock: options.clock ?? (() => new Date()),
      ...(phone !== undefined ? { phone: createTwilioCallControl(phone, { ...(phone.apiBaseUrl !== undefined ? { apiBaseUrl: phone.apiBaseUrl } : {}), recordCalls: catalogue.ivr.recording.enabled }) } : {}),
      ...(phone?.smsFrom !== undefined ? { sms: createTwilioSmsGateway(phone, phone.smsFrom) } : {}),
      ...(email !== undefined ? { email } : {}),
    };
    await ensureBootstrapAdmin(ctx);
    const mailboxes = emailChannelEnv(env);
    if (mailboxes === undefined) log.info('email channel off: set IMAP_HOST, IMAP_USER and IMAP_PASSWORD to turn it on (docs/email.md)');
    else if (env.ROLE === 'api') log.info({ mailboxes: catalogue.mailboxes.mailboxes.map((m) => m.id) }, 'email channel on: worker processes read the mailboxes');

    let httpServer: HttpServer | undefined;
    let sockets: SocketServer | undefined;
    let url: string | undefined;
    if (env.ROLE !== 'worker') {
      const probe = createRedis(redisUrl, 'probe', log);
      // The probe fails fast by design, so give it its first connection before /ready can be asked.
      await Promise.race([
        new Promise((resolve) => probe.once('ready', resolve)),
        new Promise((resolve) => setTimeout(resolve, 5_000).unref()),
      ]);
      cleanups.push(() => {
        probe.disconnect();
        return Promise.resolve();
      });
      const app = createHttpApp({
        log,
        ctx,
        readiness: { checks: { store: () => store.ping(), redis: () => pingRedis(probe) } },
        channelGroups: [...channelRouteGroups(ctx), ...kioskChannelGroups(ctx, options.counterClock ?? ctx.clock)],
      });
      const server = createServer(app);
      httpServer = server;
      const socketServer = attachSocketServer(server, ctx, redisUrl, prefix);
      sockets = socketServer;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(env.PORT, env.HOST, () => {
          server.off('error', reject);
          resolve();
        });
      });
      cleanups.push(async () => {
        // Closing Socket.IO also closes the HTTP server and waits for open requests.
        server.closeIdleConnections();
        await socketServer.close();
      });
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : env.PORT;
      url = `http://${env.HOST === '0.0.0.0' ? '127.0.0.1' : env.HOST}:${port}`;
      log.info({ url }, 'API listening');
    }

    if (env.ROLE !== 'api') {
      const blocking = createRedis(redisUrl, 'blocking', log);
      cleanups.push(() => blocking.quit());
      const workers: WorkerSet = startWorkers(ctx, blocking, options.handlers ?? HANDLERS);
      cleanups.push(() => workers.close());
      await queues.queue('system').upsertJobScheduler('system.heartbeat', { every: HEARTBEAT_EVERY_MS }, { name: 'system.heartbeat', data: {} });
      await queues.queue('system').upsertJobScheduler('system.maintenance', { every: MAINTENANCE_EVERY_MS }, { name: 'system.maintenance', data: {} });
      await queues.queue('sla').upsertJobScheduler('sla.reconcile', { every: SLA_RECONCILE_EVERY_MS }, { name: 'sla.reconcile', data: {} });
      await queues.queue('system').upsertJobScheduler('system.live-reconcile', { every: LIVE_RECONCILE_EVERY_MS }, { name: 'system.live-reconcile', data: { full: false } });
      await queues.queue('system').upsertJobScheduler('system.live-reconcile-full', { every: LIVE_FULL_RECONCILE_EVERY_MS }, { name: 'system.live-reconcile', data: { full: true } });
      await queues.queue('system').upsertJobScheduler('system.read-index', { every: READ_INDEX_RECONCILE_EVERY_MS }, { name: 'system.read-index', data: { step: 'reconcile' } });
      // Build the live routing state before taking work if Redis came up empty (first boot, Redis restarted).
      await ensureLiveState(ctx, 120_000);
      // A store written by a version before the read index gets it in the background, a step per job (docs/operations.md).
      if ((await ensureReadIndex(ctx)) === 'building') log.info('read index: building it from the stored tickets in the background (the log says how far)');
      log.info('workers started');
      if (mailboxes !== undefined) {
        // Stopped before the workers and the store close: each poller finishes the mail it is taking in.
        const pollers = startEmailPollers(ctx, mailboxes, mailInbound(ctx, emailIntakeDeps(ctx, mailboxes), createMailboxLeases(redis, { prefix })));
        cleanups.push(() => Promise.all(pollers.map((poller) => poller.stop())));
        log.info({ mailboxes: catalogue.mailboxes.mailboxes.map((m) => m.id), host: mailboxes.imap.host }, 'email channel on');
      }
    }

    return { ctx, url, httpServer, sockets, embedded, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
