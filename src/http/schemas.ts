import { z } from 'zod';
import { PREFERENTIAL_REASONS, TURN_OUTCOMES, TURN_STAGES } from '../domain/counter-turns.js';
import { PRIORITY_CLASSES } from '../domain/priority.js';
import { PRESENCES, STAFF_ROLES, type Presence } from '../domain/staff.js';
import { TICKET_STATUSES } from '../domain/ticket-lifecycle.js';
import { CHANNELS, TICKET_TYPES, type Channel } from '../domain/ticket-types.js';
import { ERROR_CATALOGUE, ERROR_REASONS, type ErrorCode, type ErrorReason } from '../errors.js';
import { DELIVERY_STATUSES, DIRECTIONS, INTERACTION_KINDS } from '../store/interaction.model.js';
import { NOTIFICATION_KINDS } from '../store/notification.model.js';
import { ACTOR_KINDS } from '../store/ticket-event.model.js';
import { cursorFromText, cursorToText, type PageCursor } from '../store/pages.js';

/*
 * Schemas shared by the route tables: request building blocks, and the answers as they travel (ids and dates
 * as strings). The OpenAPI document is generated from these, and tests validate real answers against it.
 */

// ---------------------------------------------------------------------------------------------- requests

export const OBJECT_ID = /^[a-f0-9]{24}$/;

/** A store id (24 lowercase hex digits). */
export const objectId = (what: string) => z.string().regex(OBJECT_ID, `must be a ${what} id`);

/** `{ id }` path parameter of a resource addressed by store id. */
export const idParams = (what: string) => z.strictObject({ id: objectId(what) });

/** A required piece of text: surrounding blanks are dropped, and something must remain. */
export const text = (max: number) => z.string().trim().max(max).regex(/\S/, 'must not be blank');

/**
 * Drops surrounding blanks before `schema` looks at the value. The document states `schema`, so a value that
 * matches the document is accepted as it is.
 */
export function trimmed<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (typeof value === 'string' ? value.trim() : value), schema);
}

export const emailAddress = (max: number) => trimmed(z.email('must be an email address').max(max));

/** As the citizen store accepts it: 6 to 15 digits, an optional leading `+`, blanks and hyphens between. */
export const phoneNumber = trimmed(
  z
    .string()
    .max(30)
    .regex(/^\+?[\s-]*(?:\d[\s-]*){6,15}$/, 'must be a phone number: 6 to 15 digits, optionally + first'),
);

export const dni = trimmed(
  z
    .string()
    .regex(/^\d{8}(?:\s*-?\s*[0-9A-Ka-k])?$/, 'must be a DNI: 8 digits, optionally its check character')
    .meta({ description: "8 digits; the card's check character may follow (after a hyphen or not), and then must be RENIEC's." }),
);

export const ruc = trimmed(
  z
    .string()
    .regex(/^(?:10|15|16|17|20)\d{9}$/, 'must be a RUC: 11 digits starting 10, 15, 16, 17 or 20')
    .meta({ description: "11 digits starting 10, 15, 16, 17 or 20; the last one is SUNAT's mod-11 check digit." }),
);

/**
 * A query parameter holding a list: `a,b` (as documented: form style, not exploded) or the parameter repeated,
 * `x=a&x=b`; both parse to the same list.
 */
export function queryList<T extends z.ZodType>(item: T, maxItems: number) {
  return z.preprocess(
    (value) => {
      if (typeof value === 'string') return value.split(',');
      if (Array.isArray(value)) return value.flatMap((v: unknown) => (typeof v === 'string' ? v.split(',') : [v]));
      return value;
    },
    z.array(item).min(1).max(maxItems),
  );
}

/** A unit code of the catalogue (the document lists them). */
export function unitCodeOf(units: readonly { code: string }[]) {
  const [first, ...rest] = units.map((u) => u.code);
  if (first === undefined) throw new Error('the catalogue has no unit');
  return z.enum([first, ...rest], { error: 'must be a unit code of the catalogue' });
}

/** A query parameter that is an integer (query values are text; the parser converts). */
export const queryInteger = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const CURSOR_TEXT = /^\d{1,15}_[a-f0-9]{24}:?$/;

/** A cursor as clients hold it: opaque text (base64url of the last item's instant and id). */
export function cursorText(cursor: PageCursor | undefined): string | undefined {
  return cursor === undefined ? undefined : Buffer.from(cursorToText(cursor)).toString('base64url');
}

/** The `cursor` query parameter: the `next` of the page before, as given. */
export const pageCursor = z
  .string()
  .max(120)
  .transform((text, ctx): PageCursor => {
    const plain = /^[\w-]*$/.test(text) ? Buffer.from(text, 'base64url').toString('latin1') : '';
    const cursor = CURSOR_TEXT.test(plain) ? cursorFromText(plain) : undefined;
    if (cursor === undefined) {
      ctx.addIssue({ code: 'custom', message: 'must be the `next` of a page, as given' });
      return z.NEVER;
    }
    return cursor;
  })
  .meta({ description: 'Where to go on: the `next` of the page before, as given.' });

/** `next` of a page. */
export const nextCursor = z.string().optional().meta({ description: 'Pass as `cursor` to read the next page; absent on the last page.' });

// ---------------------------------------------------------------------------------------------- answers

const id = z.string().regex(OBJECT_ID);
/** A Date as JSON carries it. */
const instant = z.iso.datetime();
const perChannelValue = z.int().min(0).max(100);
const perChannel = z.strictObject({
  phone: perChannelValue,
  email: perChannelValue,
  kiosk: perChannelValue,
  manual: perChannelValue,
} satisfies Record<Channel, z.ZodInt>);

export const ticketView = z
  .object({
    _id: id,
    trackingCode: z.string().meta({ examples: ['PL-2026-000123'] }),
    channel: z.enum(CHANNELS),
    channelKey: z.string().meta({ description: "The channel's own id of the contact (CallSid, Message-ID, ...)." }),
    type: z.enum(TICKET_TYPES),
    serviceCode: z.string().optional(),
    unitCode: z.string(),
    queue: z.string(),
    requiredSkills: z.array(z.string()),
    originUnitCode: z.string(),
    status: z.enum(TICKET_STATUSES),
    priorityClass: z.enum(PRIORITY_CLASSES),
    priorityScore: z.number(),
    slaAtRisk: z.boolean(),
    citizenId: id.optional(),
    subject: z.string(),
    description: z.string().optional(),
    routingHint: z.object({
      ivrDigits: z.string().optional(),
      kioskService: z.string().optional(),
      emailTo: z.string().optional(),
      serviceCode: z.string().optional(),
      text: z.string().optional(),
      ticketType: z.enum(TICKET_TYPES).optional(),
    }),
    enqueuedAt: instant.optional(),
    assigneeId: id.optional(),
    assignedAt: instant.optional(),
    callbackRequestedAt: instant.optional(),
    referral: z
      .object({
        fromUnit: z.string(),
        toUnit: z.string(),
        referredBy: z.string(),
        referredAt: instant,
        reason: z.string(),
        reportedBackAt: instant.optional(),
        acknowledgedAt: instant.optional(),
        acknowledgedBy: z.string().optional(),
      })
      .optional(),
    referralFromUnit: z.string().optional().meta({ description: '`referral.fromUnit` again, where the store finds a referring office’s tickets by it.' }),
    resolution: z.object({ summary: z.string(), resolvedBy: z.string(), resolvedAt: instant }).optional(),
    followUpOf: z.object({ ticketId: id, trackingCode: z.string() }).optional().meta({ description: 'The earlier case this one continues (the citizen wrote again after it was resolved).' }),
    followedUpBy: z.object({ ticketId: id, trackingCode: z.string() }).optional().meta({ description: 'The later case that continues this one.' }),
    sla: z
      .object({
        policy: z.string(),
        startedAt: instant,
        firstResponseDueAt: instant.optional(),
        resolutionDueAt: instant.optional(),
        atRiskAt: instant.optional(),
        pauses: z.array(z.object({ from: instant, to: instant.optional() })),
        firstRespondedAt: instant.optional(),
        atRiskNotifiedAt: instant.optional(),
        firstResponseBreachedAt: instant.optional(),
        breachedAt: instant.optional(),
        extension: z
          .object({
            businessDays: z.int(),
            reason: z.string(),
            by: z.string(),
            at: instant,
            previousResolutionDueAt: instant,
            resolutionDueAt: instant,
          })
          .optional(),
      })
      .optional(),
    turn: z
      .object({
        number: z.string().meta({ examples: ['R-042'] }),
        service: z.string(),
        day: z.iso.date(),
        issuedAt: instant,
        deviceId: z.string(),
        preferentialReason: z.enum(PREFERENTIAL_REASONS).optional(),
        statusKey: z.string().meta({ description: 'Secret part of the public status link printed as a QR code (to print it again).' }),
        stage: z.enum(TURN_STAGES),
        waitingSince: instant,
        waitSeconds: z.number(),
        serviceSeconds: z.number(),
        counterCode: z.string().optional(),
        staffId: z.string().optional(),
        recalls: z.int(),
        firstCalledAt: instant.optional(),
        lastCalledAt: instant.optional(),
        atCounterSince: instant.optional(),
        startedAt: instant.optional(),
        parkedAt: instant.optional(),
        finishedAt: instant.optional(),
        outcome: z.enum(TURN_OUTCOMES).optional(),
        notes: z.string().optional(),
        redirectedFrom: z.array(z.string()),
      })
      .optional()
      .meta({ description: 'Present when the ticket is a turn of the counter hall (kiosk).' }),
    version: z.int().meta({ description: 'Send it back as `expectedVersion` to act only on what you saw.' }),
    createdAt: instant,
    updatedAt: instant,
  })
  .meta({ id: 'Ticket' });

export const interactionView = z
  .object({
    _id: id,
    ticketId: id,
    kind: z.enum(INTERACTION_KINDS),
    direction: z.enum(DIRECTIONS),
    channel: z.enum(CHANNELS),
    authorKind: z.enum(ACTOR_KINDS),
    authorId: z.string().optional(),
    subject: z.string().optional(),
    body: z.string(),
    externalId: z.string().optional(),
    attachments: z.array(
      z.object({
        filename: z.string(),
        contentType: z.string(),
        size: z.int(),
        sha256: z.string().optional().meta({ description: 'SHA-256 of the kept bytes (email attachments); absent when they were not kept.' }),
        inline: z.boolean().optional().meta({ description: 'Shown inside the message (an image the HTML refers to), not a file the sender attached.' }),
      }),
    ),
    deliveryStatus: z.enum(DELIVERY_STATUSES).optional(),
    dedupeKey: z.string(),
    raw: z.unknown().optional().meta({ description: "The vendor's original payload." }),
    at: instant,
  })
  .meta({ id: 'Interaction' });

export const ticketEventView = z
  .object({
    _id: id,
    ticketId: id,
    type: z.string(),
    actorKind: z.enum(ACTOR_KINDS),
    actorId: z.string().optional(),
    fromStatus: z.enum(TICKET_STATUSES).optional(),
    toStatus: z.enum(TICKET_STATUSES).optional(),
    reason: z.string().optional(),
    data: z.record(z.string(), z.unknown()).optional(),
    at: instant,
  })
  .meta({ id: 'TicketEvent' });

export const citizenView = z
  .object({
    _id: id,
    dni: z.string().optional(),
    ruc: z.string().optional(),
    firstNames: z.string().optional(),
    lastNames: z.string().optional(),
    emails: z.array(z.string()),
    phones: z.array(z.string()),
    preferential: z.boolean(),
    vpp: z.boolean(),
    failingEmails: z
      .array(z.object({ email: z.string(), at: instant, status: z.string().optional(), diagnostic: z.string().optional(), ticketId: id.optional() }))
      .optional()
      .meta({ description: 'Addresses of the citizen that mail did not reach (a bounce came back), the latest report of each.' }),
    createdAt: instant,
    updatedAt: instant,
  })
  .meta({ id: 'Citizen' });

export const staffView = z
  .object({
    id,
    username: z.string(),
    displayName: z.string(),
    email: z.string().optional(),
    roles: z.array(z.enum(STAFF_ROLES)),
    units: z.array(z.string()),
    skills: z.array(z.string()),
    presence: z.enum(PRESENCES),
    presenceChangedAt: instant,
    capacity: perChannel,
    load: perChannel,
    autoAssign: z.boolean(),
    lastAssignedAt: instant.optional(),
    disabled: z.boolean(),
    version: z.int(),
    createdAt: instant,
    updatedAt: instant,
  })
  .meta({ id: 'Staff' });

export const sessionView = z
  .object({
    accessToken: z.string().meta({ description: 'JWT for `Authorization: Bearer`.' }),
    tokenType: z.literal('Bearer'),
    expiresIn: z.int().meta({ description: 'Seconds until the access token expires.' }),
    refreshToken: z.string().meta({ description: 'Single use: exchange it at `/auth/refresh` for a new session.' }),
    refreshExpiresIn: z.int(),
    staff: staffView,
  })
  .meta({ id: 'Session' });

export const notificationView = z
  .object({
    _id: id,
    recipientId: id,
    kind: z.enum(NOTIFICATION_KINDS),
    ticketId: id,
    trackingCode: z.string(),
    message: z.string(),
    dedupeKey: z.string(),
    createdAt: instant,
    readAt: instant.optional(),
  })
  .meta({ id: 'Notification' });

const hallServiceFigures = z.object({ code: z.string(), name: z.string(), waiting: z.int(), longestWaitSeconds: z.number() });

/** The counter hall's live figures. */
export const hallFiguresView = z
  .object({
    waiting: z.int(),
    longestWaitSeconds: z.number(),
    services: z.array(hallServiceFigures),
    counters: z.object({ open: z.int(), paused: z.int(), closed: z.int() }),
  })
  .meta({ id: 'HallFigures' });

export const queueStatsView = z
  .object({
    unitCode: z.string(),
    queues: z.array(
      z.object({
        queue: z.string().meta({ description: '`*` is the whole unit.' }),
        waiting: z.int(),
        longestWaitSeconds: z.number(),
        averageWaitTodaySeconds: z.number(),
        atRisk: z.int(),
        answeredToday: z.int(),
        abandonedToday: z.int(),
      }),
    ),
    agents: z.strictObject({ available: z.int(), busy: z.int(), away: z.int(), offline: z.int() } satisfies Record<Presence, z.ZodInt>),
    hall: hallFiguresView.optional().meta({ description: 'The counter hall, in the figures of the office that runs it.' }),
    at: instant,
  })
  .meta({ id: 'QueueStats' });

/** The catalogue codes a status (or `5XX`, every server error) stands for. */
export function codesOf(status: number | '5XX'): ErrorCode[] {
  // Object.keys widens to string; the keys are the catalogue's codes.
  return (Object.keys(ERROR_CATALOGUE) as ErrorCode[]).filter((code) => {
    const answered: number = ERROR_CATALOGUE[code].status;
    return status === '5XX' ? answered >= 500 : answered === status;
  });
}

// One schema per status: an id may name one schema only.
const errorViews = new Map<string, z.ZodType>();

/** The one error shape, `{ error: { code, message, details? } }`, with `code` narrowed to the codes of `status`. */
export function errorView(status: number | '5XX'): z.ZodType {
  const key = String(status);
  const known = errorViews.get(key);
  if (known) return known;
  const codes = codesOf(status);
  const [first, ...rest] = codes;
  if (first === undefined) throw new Error(`no catalogue code answers ${key}`);
  // Object.keys widens to string; the keys are the catalogue's reasons.
  const [firstReason, ...otherReasons] = (Object.keys(ERROR_REASONS) as ErrorReason[]).filter((reason) => codes.includes(ERROR_REASONS[reason].code));
  const details =
    firstReason === undefined
      ? z.record(z.string(), z.unknown())
      : z.looseObject({ reason: z.enum([firstReason, ...otherReasons]).optional().meta({ description: 'What a client can act on, from the error catalogue (src/errors.ts).' }) });
  const schema = z
    .object({
      error: z.object({
        code: z.enum([first, ...rest]),
        message: z.string(),
        details: details.optional().meta({ description: '`fields: [{path, message}]` for VALIDATION_FAILED; `reason` where the catalogue names one; other codes say what they carry.' }),
      }),
    })
    .meta({ id: `Error${key}` });
  errorViews.set(key, schema);
  return schema;
}
