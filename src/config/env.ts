import { join } from 'node:path';
import { z } from 'zod';

/**
 * Signing key used for staff tokens when `AUTH_SECRET` is not set. It is in the source code, so anyone can
 * forge tokens with it: it exists only so development and tests need no setup, and production refuses it.
 */
export const DEV_AUTH_SECRET = 'development-only-auth-secret-do-not-use-in-production';

/** The variables the phone channel needs, all together or none. */
const TWILIO_VARIABLES = ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_API_KEY_SID', 'TWILIO_API_KEY_SECRET', 'TWILIO_TWIML_APP_SID', 'TWILIO_CALLER_ID'] as const;

/** The variables the email channel (inbound, IMAP) needs, all together or none. */
const IMAP_VARIABLES = ['IMAP_HOST', 'IMAP_USER', 'IMAP_PASSWORD'] as const;
/** IMAP settings that have defaults, and mean nothing without the variables above. */
const IMAP_OPTIONAL_VARIABLES = ['IMAP_PORT', 'IMAP_TLS'] as const;
const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '::1'];

/**
 * Every environment variable the system reads. Parsed once at boot by {@link loadEnv}; the rest of the code
 * receives the frozen result and never touches `process.env`.
 */
const envSchema = z
  .object({
    /** `development` (default), `test` or `production`. Production refuses to start embedded services. */
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    /**
     * Which parts run in this process: `all` (default: API, Socket.IO, workers, channels), `api` (HTTP +
     * Socket.IO + channel webhooks) or `worker` (BullMQ workers and pollers). Production runs them apart.
     */
    ROLE: z.enum(['all', 'api', 'worker']).default('all'),
    /** Interface the HTTP server binds to. */
    HOST: z.string().min(1).default('0.0.0.0'),
    /** HTTP port of the API, Socket.IO and webhooks. */
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    /**
     * MongoDB connection string, e.g. `mongodb://db1,db2,db3/contact_center?replicaSet=rs0`. When absent
     * (development and tests only) an embedded FerretDB is started with its data in `DATA_DIR`.
     */
    MONGODB_URI: z
      .string()
      .regex(/^mongodb(\+srv)?:\/\/\S+$/, 'must be a mongodb:// or mongodb+srv:// URI')
      .optional(),
    /**
     * Connections per process to the store. Small is faster on the embedded FerretDB (SQLite serialises
     * writes, so more connections only queue inside it); raise it for a large MongoDB deployment.
     */
    MONGODB_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(10),
    /** Database name used when `MONGODB_URI` names none. */
    MONGODB_DB: z.string().regex(/^[A-Za-z0-9_-]{1,63}$/, 'letters, digits, "_" or "-", at most 63').default('contact_center'),
    /**
     * Redis for BullMQ queues and live updates, e.g. `redis://:password@redis:6379/0`. When absent
     * (development and tests only) an embedded Redis is started.
     */
    REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\/\S+$/, 'must be a redis:// or rediss:// URL')
      .optional(),
    /** Folder for the embedded store's data and the embedded services' logs. */
    DATA_DIR: z.string().min(1).default('./data'),
    /** Folder with the catalogues (units, services, calendar, ...). */
    CONFIG_DIR: z.string().min(1).default('./config'),
    /** pino level: fatal, error, warn, info, debug, trace or silent. */
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Prefix of the tracking codes citizens quote, e.g. `PL` gives `PL-2026-000123`. */
    TRACKING_CODE_PREFIX: z.string().regex(/^[A-Z][A-Z0-9]{0,9}$/, '1-10 capital letters or digits, starting with a letter').default('PL'),
    /**
     * How long an agent whose every connection dropped keeps their presence before being set offline (and
     * their open tickets returned to the queue). Covers page reloads and brief network cuts.
     */
    PRESENCE_GRACE_MS: z.coerce.number().int().min(0).max(3_600_000).default(60_000),
    /** How long a graceful shutdown may take before the process exits anyway. */
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(15_000),
    /**
     * Key that signs staff access tokens (HMAC-SHA256), at least 32 characters; generate one with
     * `openssl rand -base64 48`. Required in production. Development and tests fall back to
     * {@link DEV_AUTH_SECRET}, which is public and therefore refused in production. Changing it logs everyone out.
     */
    AUTH_SECRET: z.string().min(32, 'must be at least 32 characters').max(512).default(DEV_AUTH_SECRET),
    /** Lifetime of a staff access token in seconds (default 900 = 15 min); a refresh token renews it. */
    AUTH_ACCESS_TTL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
    /** Lifetime of a staff refresh token in seconds (default 604800 = 7 days); each refresh issues a new one. */
    AUTH_REFRESH_TTL_SECONDS: z.coerce.number().int().min(60).max(90 * 86_400).default(7 * 86_400),
    /**
     * Password of the `admin` user created when the staff collection is empty (first boot), at least 12
     * characters. Without it, development creates the admin with a random password printed once in the log;
     * production and tests create no one.
     */
    BOOTSTRAP_ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').max(256).optional(),
    /**
     * The URL at which Twilio reaches this server's root, e.g. `https://atencion.munipuebloLibre.gob.pe`, as
     * Twilio sees it (before any proxy): webhook signatures are computed over it. Required with the phone channel.
     */
    PUBLIC_BASE_URL: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .refine((url) => !url.includes('?') && !url.includes('#'), 'must have no query or fragment')
      .transform((url) => url.replace(/\/+$/, ''))
      .optional(),
    /** Twilio account (`AC…`). The phone channel runs when all TWILIO_* variables are set, and is off when none is. */
    TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9a-f]{32}$/, 'must be an account SID (AC + 32 hex digits)').optional(),
    /** Twilio auth token: checks webhook signatures. */
    TWILIO_AUTH_TOKEN: z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 hex digits').optional(),
    /** API key (`SK…`) and its secret: sign the agents' softphone access tokens and call Twilio's REST API. */
    TWILIO_API_KEY_SID: z.string().regex(/^SK[0-9a-f]{32}$/, 'must be an API key SID (SK + 32 hex digits)').optional(),
    TWILIO_API_KEY_SECRET: z.string().min(16, 'must be at least 16 characters').max(256).optional(),
    /** TwiML App (`AP…`) whose voice URL places the agents' outgoing calls. */
    TWILIO_TWIML_APP_SID: z.string().regex(/^AP[0-9a-f]{32}$/, 'must be a TwiML App SID (AP + 32 hex digits)').optional(),
    /**
     * Where Twilio's REST API is reached, when not at https://api.twilio.com: an egress proxy, or the fake Twilio
     * the tests start. Webhook signatures are not affected.
     */
    TWILIO_API_BASE_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).transform((url) => url.replace(/\/+$/, '')).optional(),
    /** The municipality's number, E.164, shown to citizens the office calls back and sending SMS. */
    TWILIO_CALLER_ID: z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +5114630000').optional(),
    /**
     * Who sends the citizens' SMS (tracking code after a call, status changes): a Twilio number able to text Peru's
     * mobiles (E.164), or a Messaging Service (`MG…`) whose sender pool does; `off` sends none. Default: the caller
     * id, which works only when that number is SMS-capable (a Lima landline is not). Only with the phone channel.
     */
    TWILIO_SMS_FROM: z
      .string()
      .regex(/^(off|\+[1-9]\d{6,14}|MG[0-9a-f]{32})$/, 'must be an E.164 number, a Messaging Service SID (MG + 32 hex digits) or "off"')
      .optional(),
    /**
     * The city's SMTP relay, which sends the office's mail to citizens (acknowledgements, agents' replies, status
     * changes). Outgoing mail runs when SMTP_HOST and EMAIL_FROM are set, and is off when neither is.
     */
    SMTP_HOST: z.string().trim().min(1).max(255).optional(),
    /** 587 (submission, STARTTLS) unless told otherwise; 465 with SMTP_TLS=implicit. */
    SMTP_PORT: z.coerce.number().int().min(1).max(65_535).default(587),
    /**
     * `starttls` (the default: plain connection upgraded, and refused if the server cannot), `implicit` (TLS from the
     * first byte, port 465), or `none` (a relay on a trusted network only).
     */
    SMTP_TLS: z.enum(['starttls', 'implicit', 'none']).default('starttls'),
    /** Credentials of the SMTP relay, both or neither (a relay that trusts this server's address needs none). */
    SMTP_USER: z.string().min(1).max(255).optional(),
    SMTP_PASSWORD: z.string().min(1).max(1_024).optional(),
    /**
     * Who the office's mail comes from, as citizens see it: `Municipalidad de Pueblo Libre <atencionalvecino@...>`
     * or a bare address. Its domain names our Message-IDs. It should be the mailbox citizens' replies reach.
     */
    EMAIL_FROM: z
      .string()
      .trim()
      .regex(/^(?:[^<>@]{1,120}<[^<>\s@]{1,64}@[^<>\s@]{1,253}>|[^<>\s@]{1,64}@[^<>\s@]{1,253})$/, 'must be an address, or a name then <address>')
      .optional(),
    /**
     * The municipality's IMAP server, e.g. `mail.muniplibre.gob.pe`. The email channel reads the mailboxes of
     * `config/mailboxes.json` when IMAP_HOST, IMAP_USER and IMAP_PASSWORD are all set, and is off when none is.
     */
    IMAP_HOST: z.string().regex(/^[A-Za-z0-9.:-]{1,253}$/, 'must be a host name or an IP address').optional(),
    /** IMAP port: 993 with `IMAP_TLS=tls` (default), 143 with `starttls` or `none`. */
    IMAP_PORT: z.coerce.number().int().min(1).max(65535).optional(),
    /**
     * How the connection is protected: `tls` (default; implicit TLS, port 993), `starttls` (port 143, upgraded before
     * logging in, refused if the server does not offer it) or `none` (only to a server on this machine: the password
     * would cross the network in clear; refused in production for any other host).
     */
    IMAP_TLS: z.enum(['tls', 'starttls', 'none']).optional(),
    /** The IMAP account; a mailbox of `mailboxes.json` may log in under another name (`login`) with the same password. */
    IMAP_USER: z.string().min(1).max(320).optional(),
    IMAP_PASSWORD: z.string().min(1).max(1_024).optional(),
    /**
     * Seconds between two checks of a mailbox when IMAP IDLE brought no news (default 60): the backstop for servers or
     * proxies that drop IDLE notifications.
     */
    IMAP_POLL_SECONDS: z.coerce.number().min(0.2).max(3_600).default(60),
    /**
     * Folder where email attachments are kept, named by the SHA-256 of their bytes (default `<DATA_DIR>/attachments`).
     * With several worker or API machines it must be shared storage (NFS, a mounted volume): see docs/email.md, "Attachments".
     */
    EMAIL_ATTACHMENTS_DIR: z.string().min(1).optional(),
    /**
     * The link printed as a QR code on each turn, for following it from a phone; `{token}` is replaced by the turn's
     * token. Point it at the public turn page, e.g. `https://atencion.muniplibre.gob.pe/turno/{token}`, which reads
     * `GET /api/v1/turns/{token}`. Default: that endpoint under PUBLIC_BASE_URL, or a relative path without it.
     */
    TURN_STATUS_URL: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .refine((url) => url.includes('{token}'), 'must contain {token}')
      .optional(),
    /** Requests a kiosk (one device key) may make per minute; more are refused with 429 until the minute ends. */
    KIOSK_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(30),
  })
  .superRefine((env, ctx) => {
    if ((env.SMTP_HOST === undefined) !== (env.EMAIL_FROM === undefined)) {
      const missing = env.SMTP_HOST === undefined ? 'SMTP_HOST' : 'EMAIL_FROM';
      ctx.addIssue({ code: 'custom', path: [missing], message: `is required with ${missing === 'SMTP_HOST' ? 'EMAIL_FROM' : 'SMTP_HOST'} (outgoing mail needs both, or neither)` });
    }
    if ((env.SMTP_USER === undefined) !== (env.SMTP_PASSWORD === undefined)) {
      ctx.addIssue({ code: 'custom', path: [env.SMTP_USER === undefined ? 'SMTP_USER' : 'SMTP_PASSWORD'], message: 'SMTP_USER and SMTP_PASSWORD go together' });
    }
    const twilio = TWILIO_VARIABLES.filter((key) => env[key] !== undefined);
    if (twilio.length > 0 && twilio.length < TWILIO_VARIABLES.length) {
      for (const key of TWILIO_VARIABLES.filter((k) => env[k] === undefined)) {
        ctx.addIssue({ code: 'custom', path: [key], message: `is required with ${twilio.join(', ')} (the phone channel needs all TWILIO_* variables, or none)` });
      }
    }
    if (twilio.length === 0 && env.TWILIO_SMS_FROM !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['TWILIO_SMS_FROM'], message: 'is used only with the phone channel (set every TWILIO_* variable)' });
    }
    if (twilio.length === TWILIO_VARIABLES.length && env.PUBLIC_BASE_URL === undefined) {
      ctx.addIssue({ code: 'custom', path: ['PUBLIC_BASE_URL'], message: 'is required with the phone channel (Twilio signs webhooks over the public URL)' });
    }
    const imap = IMAP_VARIABLES.filter((key) => env[key] !== undefined);
    if (imap.length > 0 && imap.length < IMAP_VARIABLES.length) {
      for (const key of IMAP_VARIABLES.filter((k) => env[k] === undefined)) {
        ctx.addIssue({ code: 'custom', path: [key], message: `is required with ${imap.join(', ')} (the email channel needs ${IMAP_VARIABLES.join(', ')}, or none)` });
      }
    }
    if (imap.length === 0) {
      for (const key of IMAP_OPTIONAL_VARIABLES.filter((k) => env[k] !== undefined)) {
        ctx.addIssue({ code: 'custom', path: [key], message: `has no effect without ${IMAP_VARIABLES.join(', ')} (the email channel is off)` });
      }
    }
    if (env.NODE_ENV === 'production' && env.IMAP_TLS === 'none' && env.IMAP_HOST !== undefined && !LOOPBACK_HOSTS.includes(env.IMAP_HOST)) {
      ctx.addIssue({ code: 'custom', path: ['IMAP_TLS'], message: 'must be tls or starttls in production unless IMAP_HOST is this machine (the password would cross the network in clear)' });
    }
    if (env.NODE_ENV === 'production') {
      for (const key of ['MONGODB_URI', 'REDIS_URL'] as const) {
        if (env[key] === undefined) {
          ctx.addIssue({ code: 'custom', path: [key], message: 'is required in production (embedded services are for development and tests)' });
        }
      }
      if (env.AUTH_SECRET === DEV_AUTH_SECRET) {
        ctx.addIssue({ code: 'custom', path: ['AUTH_SECRET'], message: 'is required in production (the development default is public)' });
      }
    }
  });

export type Env = Readonly<z.infer<typeof envSchema>>;

/** Who sends SMS: a number, or a Messaging Service that picks one from its sender pool. */
export type SmsFrom = { from: string } | { messagingServiceSid: string };

/** What the phone channel needs from the environment; see {@link phoneChannelEnv}. */
export interface PhoneChannelEnv {
  publicBaseUrl: string;
  accountSid: string;
  authToken: string;
  apiKeySid: string;
  apiKeySecret: string;
  twimlAppSid: string;
  callerId: string;
  /** Twilio's REST API when not the public one (TWILIO_API_BASE_URL). */
  apiBaseUrl?: string;
  /** The sender of the citizens' SMS (TWILIO_SMS_FROM, else the caller id); absent when SMS are off. */
  smsFrom?: SmsFrom;
}

function smsFromOf(setting: string | undefined, callerId: string): SmsFrom | undefined {
  if (setting === 'off') return undefined;
  if (setting?.startsWith('MG') === true) return { messagingServiceSid: setting };
  return { from: setting ?? callerId };
}

/** The phone channel's settings, or undefined when the phone channel is off (no TWILIO_* variable set). */
export function phoneChannelEnv(env: Env): PhoneChannelEnv | undefined {
  const { PUBLIC_BASE_URL, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_API_KEY_SID, TWILIO_API_KEY_SECRET, TWILIO_TWIML_APP_SID, TWILIO_CALLER_ID } = env;
  if (
    PUBLIC_BASE_URL === undefined ||
    TWILIO_ACCOUNT_SID === undefined ||
    TWILIO_AUTH_TOKEN === undefined ||
    TWILIO_API_KEY_SID === undefined ||
    TWILIO_API_KEY_SECRET === undefined ||
    TWILIO_TWIML_APP_SID === undefined ||
    TWILIO_CALLER_ID === undefined
  ) {
    return undefined;
  }
  const smsFrom = smsFromOf(env.TWILIO_SMS_FROM, TWILIO_CALLER_ID);
  return {
    publicBaseUrl: PUBLIC_BASE_URL,
    accountSid: TWILIO_ACCOUNT_SID,
    authToken: TWILIO_AUTH_TOKEN,
    apiKeySid: TWILIO_API_KEY_SID,
    apiKeySecret: TWILIO_API_KEY_SECRET,
    twimlAppSid: TWILIO_TWIML_APP_SID,
    callerId: TWILIO_CALLER_ID,
    ...(env.TWILIO_API_BASE_URL !== undefined ? { apiBaseUrl: env.TWILIO_API_BASE_URL } : {}),
    ...(smsFrom !== undefined ? { smsFrom } : {}),
  };
}

/** What the email channel (inbound) needs from the environment; see {@link emailChannelEnv}. */
export interface EmailChannelEnv {
  imap: {
    host: string;
    port: number;
    tls: 'tls' | 'starttls' | 'none';
    user: string;
    password: string;
  };
  /** Backstop poll when IDLE brings nothing (IMAP_POLL_SECONDS). */
  pollIntervalMs: number;
  /** Where attachments are kept (EMAIL_ATTACHMENTS_DIR, or `attachments` in DATA_DIR). */
  attachmentsDir: string;
}

/** The email channel's settings, or undefined when the channel is off (no IMAP_* variable set). */
export function emailChannelEnv(env: Env): EmailChannelEnv | undefined {
  const { IMAP_HOST, IMAP_USER, IMAP_PASSWORD } = env;
  if (IMAP_HOST === undefined || IMAP_USER === undefined || IMAP_PASSWORD === undefined) return undefined;
  const tls = env.IMAP_TLS ?? 'tls';
  return {
    imap: { host: IMAP_HOST, port: env.IMAP_PORT ?? (tls === 'tls' ? 993 : 143), tls, user: IMAP_USER, password: IMAP_PASSWORD },
    pollIntervalMs: Math.round(env.IMAP_POLL_SECONDS * 1_000),
    attachmentsDir: env.EMAIL_ATTACHMENTS_DIR ?? join(env.DATA_DIR, 'attachments'),
  };
}

export class EnvError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid environment:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'EnvError';
  }
}

/** Validates the environment once; every problem is listed in the one error thrown. */
export function loadEnv(source: Readonly<Record<string, string | undefined>> = process.env): Env {
  const input = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== ''));
  const result = envSchema.safeParse(input);
  if (!result.success) {
    throw new EnvError(result.error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`));
  }
  return Object.freeze(result.data);
}

/** What outgoing mail needs from the environment; see {@link smtpEnv}. */
export interface SmtpEnv {
  host: string;
  port: number;
  tls: 'starttls' | 'implicit' | 'none';
  auth?: { user: string; pass: string };
  from: { name?: string; address: string };
}

/** Outgoing mail's settings, or undefined when it is off (no SMTP_HOST). */
export function smtpEnv(env: Env): SmtpEnv | undefined {
  if (env.SMTP_HOST === undefined || env.EMAIL_FROM === undefined) return undefined;
  const named = /^(.*?)\s*<([^<>]+)>$/.exec(env.EMAIL_FROM);
  const name = named?.[1]?.trim().replace(/^"(.*)"$/, '$1');
  const address = (named?.[2] ?? env.EMAIL_FROM).trim();
  return {
    host: env.SMTP_HOST,
    port: env.SMTP_PORT,
    tls: env.SMTP_TLS,
    ...(env.SMTP_USER !== undefined && env.SMTP_PASSWORD !== undefined ? { auth: { user: env.SMTP_USER, pass: env.SMTP_PASSWORD } } : {}),
    from: { ...(name ? { name } : {}), address },
  };
}
