import { createServer, type Server as HttpServer } from 'node:http';
import { hostname } from 'node:os';
import { createSmtpEmailGateway } from '../channels/email/smtp-sender.js';
import { startMailboxPoller, type MailboxPoller, type MailboxPollerDeps } from '../channels/email/imap-poller.js';
import { createTwilioCallControl } from '../channels/phone/call-control.js';
import { phoneApiGroup, phoneWebhookGroup, type PhoneWebhookDeps } from '../channels/phone/phone.routes.js';
import { createTwilioSmsGateway } from '../channels/phone/sms-gateway.js';
import { smsWebhookGroup } from '../channels/phone/sms.routes.js';
import { twilioSignatureCheck } from '../channels/phone/twilio-signature.js';
import { HANDLERS, startWorkers, type HandlerRegistry, type WorkerSet } from '../workers/registry.js';
import { loadCatalogue } from './config/catalogue.js';
import { createRoutingStateRepository } from './live/routing-state.repository.js';
import { emailChannelEnv, phoneChannelEnv, smtpEnv, type EmailChannelEnv, type Env, type PhoneChannelEnv } from './config/env.js';
import { startEmbedded, type EmbeddedServices } from './embedded/index.js';
import { API_PREFIX } from './http/api.router.js';
import { createHttpApp } from './http/app.js';
import type { RouteGroup } from './http/route-table.js';
import { createLogger, type Logger } from './logging.js';
import { HEARTBEAT_EVERY_MS, LIVE_FULL_RECONCILE_EVERY_MS, LIVE_RECONCILE_EVERY_MS, MAINTENANCE_EVERY_MS, SLA_RECONCILE_EVERY_MS } from './queues/jobs.js';
import { createQueues } from './queues/producer.js';
import { createRedis, pingRedis } from './queues/redis-client.js';
import { createWorkerHeartbeats } from './queues/worker-heartbeats.js';
import { createRealtimePublisher } from './realtime/publisher.js';
import { attachSocketServer, type SocketServer } from './realtime/socket-server.js';
import { ensureBootstrapAdmin } from './services/bootstrap-admin.service.js';
import { acknowledgeMail, outcomeSummary, takeInEmail, type EmailIntakeDeps } from './services/email-intake.service.js';
import { calendarOf } from './services/calendar.js';
import { callWaitAnnouncement, requestCallback, submitCallEnded, submitDialResult, submitOutgoingCall, submitRecording, submitSurveyAnswer } from './services/phone-call.service.js';
import { submitContact } from './services/channel-intake.service.js';
import { submitSmsReport } from './services/citizen-sms.service.js';
import { WEBHOOK_DEADLINE_MS, withinDeadline } from './services/deadline.js';
import { ensureLiveState } from './services/live-state.service.js';
import { kioskChannelGroups } from './kiosk-channel.js';
import type { AppContext } from './services/context.js';
import { createAttachmentFiles } from './store/attachment-file.repository.js';
import { connectStore } from './store/connection.js';
import { createMailboxLeases, type MailboxLeases } from './store/mailbox-lease.repository.js';
import { redisDocumentLocks } from './store/document-lock.js';
import { createLoginThrottleRepository } from './store/login-throttle.repository.js';

export interface SystemOptions {
  log?: Logger;
  /** Key prefix of every queue and lock in Redis (tests use a unique one). */
  queuePrefix?: string;
  handlers?: HandlerRegistry;
  /** The clock of the counter channel (turn numbers per Lima day, opening hours); tests move it. */
  clock?: () => Date;
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
 * What the phone channel's webhooks are handed: the core's use-cases, bound to this process's context, each answering
 * within the webhook deadline (SERVICE_UNAVAILABLE → 503 otherwise, and Twilio tries the fallback URL).
 */
export function phoneWebhookDeps(ctx: AppContext, phone: PhoneChannelEnv): PhoneWebhookDeps {
  const calendar = calendarOf(ctx);
  const promptly =
    <A extends unknown[], R>(what: string, work: (ctx: AppContext, ...args: A) => Promise<R>) =>
    (...args: A): Promise<R> =>
      withinDeadline(WEBHOOK_DEADLINE_MS, what, () => work(ctx, ...args));
  return {
    ivr: ctx.catalogue.ivr,
    isOpen: (at) => calendar.isOpen(at),
    now: () => new Date(),
    submit: (contact) => submitContact(ctx, contact),
    dialResult: promptly('The dial result', submitDialResult),
    callEnded: promptly('The end of the call', submitCallEnded),
    waitAnnouncement: promptly('The wait announcement', callWaitAnnouncement),
    requestCallback: promptly('The call back', requestCallback),
    callerId: phone.callerId,
    outgoingCall: promptly('The outgoing call', submitOutgoingCall),
    surveyAnswer: promptly('The rating', submitSurveyAnswer),
    recording: promptly('The recording', submitRecording),
    verify: twilioSignatureCheck(phone.authToken, phone.publicBaseUrl),
  };
}

/**
 * The webhooks of the channels configured in the environment. A channel without its settings is off, and says so
 * once in the log; the rest of the system runs.
 */
function channelRouteGroups(ctx: AppContext): RouteGroup[] {
  const phone = phoneChannelEnv(ctx.env);
  if (phone === undefined) {
    ctx.log.info('phone channel off: set PUBLIC_BASE_URL and every TWILIO_* variable to turn it on (README, "Phone channel")');
    return [];
  }
  ctx.log.info({ webhooks: `${phone.publicBaseUrl}/webhooks/twilio/voice/incoming`, smsFrom: phone.smsFrom ?? 'off' }, 'phone channel on');
  return [
    phoneWebhookGroup(phoneWebhookDeps(ctx, phone)),
    phoneApiGroup(API_PREFIX, phone),
    smsWebhookGroup({ report: (report) => submitSmsReport(ctx, report), verify: twilioSignatureCheck(phone.authToken, phone.publicBaseUrl) }),
  ];
}

/** What the email use-case is handed in this process: the attachment store of the environment and the outbound seam. */
export function emailIntakeDeps(ctx: AppContext, email: EmailChannelEnv): EmailIntakeDeps {
  return {
    attachments: createAttachmentFiles(email.attachmentsDir),
    acknowledge: (ticket, mail) => acknowledgeMail(ctx, ticket, mail),
  };
}

/** What a mailbox poller is handed: the core's use-case and reading state, bound to this process's context. */
export function emailPollerDeps(ctx: AppContext, intakeDeps: EmailIntakeDeps, leases?: MailboxLeases): MailboxPollerDeps {
  return {
    takeIn: async (mail) => outcomeSummary(await takeInEmail(ctx, intakeDeps, mail)),
    loadState: (mailboxId) => ctx.store.mailboxStates.get(mailboxId),
    saveState: (mailboxId, uidValidity, lastUid) => ctx.store.mailboxStates.save(mailboxId, uidValidity, lastUid),
    ...(leases ? { acquireLease: (mailboxId, onLost) => leases.acquire(mailboxId, onLost) } : {}),
  };
}

export interface EmailPollerOptions {
  reconnectDelayMs?: { first: number; max: number };
}

/**
 * The poller of one mailbox of `config/mailboxes.json`. A message is read whole up to what the attachment limits
 * could keep (base64 makes attachments a third larger on the wire) plus room for its text; a larger one that far.
 */
export function startEmailPoller(ctx: AppContext, email: EmailChannelEnv, mailboxId: string, deps: MailboxPollerDeps, options: EmailPollerOptions = {}): MailboxPoller {
  const { mailboxes, attachments } = ctx.catalogue.mailboxes;
  const mailbox = mailboxes.find((candidate) => candidate.id === mailboxId);
  if (!mailbox) throw new Error(`no mailbox "${mailboxId}" in mailboxes.json`);
  return startMailboxPoller(
    {
      mailbox: { ...mailbox, aliases: [...mailbox.aliases] },
      imap: email.imap,
      pollIntervalMs: email.pollIntervalMs,
      maxReadBytes: Math.ceil(attachments.maxMessageBytes * 1.4) + 1_048_576,
      ...(options.reconnectDelayMs ? { reconnectDelayMs: options.reconnectDelayMs } : {}),
    },
    deps,
    ctx.log,
  );
}

/** One poller per mailbox of `config/mailboxes.json`. */
export function startEmailPollers(ctx: AppContext, email: EmailChannelEnv, deps: MailboxPollerDeps, options: EmailPollerOptions = {}): MailboxPoller[] {
  return ctx.catalogue.mailboxes.mailboxes.map((mailbox) => startEmailPoller(ctx, email, mailbox.id, deps, options));
}

/**
 * The composition root. Starts what `env.ROLE` asks for, in dependency order, and stops it in reverse:
 * HTTP stops accepting first, workers finish their current jobs, then connections and embedded services close.
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
    const live = createRoutingStateRepository(redis, prefix);
    const phone = phoneChannelEnv(env);
    const smtp = smtpEnv(env);
    const email = smtp !== undefined ? createSmtpEmailGateway(smtp) : undefined;
    if (email !== undefined) {
      cleanups.push(() => {
        email.close();
        return Promise.resolve();
      });
    }
    if (smtp === undefined) log.info('outgoing mail off: set SMTP_HOST and EMAIL_FROM to turn it on (README, "Email channel")');
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
      ...(phone !== undefined ? { phone: createTwilioCallControl(phone, { ...(phone.apiBaseUrl !== undefined ? { apiBaseUrl: phone.apiBaseUrl } : {}), recordCalls: catalogue.ivr.recording.enabled }) } : {}),
      ...(phone?.smsFrom !== undefined ? { sms: createTwilioSmsGateway(phone, phone.smsFrom) } : {}),
      ...(email !== undefined ? { email } : {}),
    };
    await ensureBootstrapAdmin(ctx);
    const mailboxes = emailChannelEnv(env);
    if (mailboxes === undefined) log.info('email channel off: set IMAP_HOST, IMAP_USER and IMAP_PASSWORD to turn it on (README, "Email channel")');
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
        channelGroups: [...channelRouteGroups(ctx), ...kioskChannelGroups(ctx, options.clock ?? (() => new Date()))],
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
      // Build the live routing state before taking work if Redis came up empty (first boot, Redis restarted).
      await ensureLiveState(ctx, 120_000);
      log.info('workers started');
      if (mailboxes !== undefined) {
        // Stopped before the workers and the store close: each poller finishes the mail it is taking in.
        const pollers = startEmailPollers(ctx, mailboxes, emailPollerDeps(ctx, emailIntakeDeps(ctx, mailboxes), createMailboxLeases(redis, { prefix })));
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
