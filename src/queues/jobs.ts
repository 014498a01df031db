import { z } from 'zod';
import { SMS_REASONS } from '../domain/citizen-sms.js';
import { queuedContactSchema } from '../domain/contact.js';

const objectId = z.string().regex(/^[a-f0-9]{24}$/, 'must be a 24-hex-digit id');
const callSid = z.string().regex(/^CA[0-9a-f]{32}$/, 'must be a Twilio CallSid');

/** BullMQ queue names. One worker per queue; a queue may carry several job names. */
export const QUEUE_NAMES = ['system', 'channel', 'route', 'assign', 'sla', 'realtime'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/**
 * Every job the system runs: its queue and the schema of its payload. Payloads carry ids and small values,
 * never whole documents. Workers refuse a payload that does not match (permanently: retrying cannot fix it).
 */
export const JOBS = {
  /**
   * The worker that runs it records that it is alive (`worker-heartbeats.ts`), for operators; nothing in the system
   * reads it yet. One shared schedule, so each run records the one worker that took it. Repeats every 30 s.
   */
  'system.heartbeat': {
    queue: 'system',
    payload: z.object({}).strict(),
  },
  /** Housekeeping FerretDB cannot do with TTL indexes: delete expired refresh tokens. Repeats hourly. */
  'system.maintenance': {
    queue: 'system',
    payload: z.object({}).strict(),
  },
  /**
   * Recompute a unit's live queue figures and push them to its supervisors. jobId = `stats-<unit>-<second>`:
   * however many tickets change in one second, the unit's supervisors get one update for it.
   */
  'realtime.stats': {
    queue: 'realtime',
    payload: z.object({ unitCode: z.string().min(1).max(40) }).strict(),
  },
  /**
   * A contact of a channel whose intake is queued (`CHANNEL_INTAKE`), to become a ticket off the channel's request: a
   * webhook answers at once and the store work happens here. The payload is the contact contract itself.
   * jobId = {@link intakeJobId}, so a contact delivered twice is taken in once (and intake is idempotent on the
   * channel key besides).
   */
  'channel.intake': {
    queue: 'channel',
    payload: z.object({ contact: queuedContactSchema }).strict(),
  },
  /**
   * A phone ticket was assigned: its caller, waiting in Twilio's queue, is put through to the agent's softphone.
   * jobId = `connect-<ticketId>-<version>`: one connect per assignment.
   */
  'channel.connect': {
    queue: 'channel',
    payload: z.object({ ticketId: objectId, staffId: objectId }).strict(),
  },
  /**
   * How ringing an agent for a phone ticket ended, at `endedAt`. `answered`: who answered, the wait and the talk
   * time (`talkSeconds`) go on the timeline. `missed` (no answer, busy, failed): the agent is set away and the caller
   * goes back to the queue, keeping their place. jobId = `dial-<ticketId>-<staffId>-<DialCallSid>`.
   */
  'channel.dial-result': {
    queue: 'channel',
    payload: z
      .object({
        ticketId: objectId,
        staffId: objectId,
        outcome: z.enum(['answered', 'missed']),
        endedAt: z.iso.datetime(),
        talkSeconds: z.number().int().min(0).optional(),
      })
      .strict(),
  },
  /**
   * A caller rated the attention after the agent hung up (1 to 5): stored against the ticket and the agent.
   * jobId = `survey-<CallSid>`; the stored answer's id derives from the CallSid too, so a call is rated once.
   */
  'channel.survey': {
    queue: 'channel',
    payload: z.object({ ticketId: objectId, staffId: objectId, callSid, score: z.number().int().min(1).max(5), at: z.iso.datetime() }).strict(),
  },
  /**
   * Twilio has a recording of a call ready (a voicemail, or an agent's call when recording is on), or says none was
   * made: it goes on the ticket's timeline. jobId = `recording-<RecordingSid>`.
   */
  'channel.recording': {
    queue: 'channel',
    payload: z
      .object({
        ticketId: objectId,
        staffId: objectId.optional(),
        recordingSid: z.string().regex(/^RE[0-9a-f]{32}$/),
        status: z.enum(['completed', 'absent', 'failed']),
        url: z.url().optional(),
        seconds: z.number().int().min(0).optional(),
      })
      .strict(),
  },
  /**
   * A waiting caller pressed 1 to be called back instead of waiting: the ticket keeps its place and is marked as a
   * call to return. jobId = `callback-<ticketId>`.
   */
  'channel.callback': {
    queue: 'channel',
    payload: z.object({ ticketId: objectId }).strict(),
  },
  /**
   * An agent called a citizen from their softphone about a ticket: the call goes on its timeline.
   * jobId = `outgoing-<CallSid>`.
   */
  'channel.outgoing': {
    queue: 'channel',
    payload: z.object({ ticketId: objectId, staffId: objectId, to: z.string().max(32), callSid }).strict(),
  },
  /**
   * A call ended (Twilio's call status callback). A caller who hung up while waiting in the queue abandoned it.
   * jobId = `ended-<CallSid>`.
   */
  'channel.call-ended': {
    queue: 'channel',
    payload: z.object({ callSid }).strict(),
  },
  /**
   * Tell a citizen by SMS (src/services/citizen-messages): the tracking code once their call ended (`call`), or a status
   * change they care about (`version`: the ticket's version after it; `unitCode`: the unit a referral went to).
   * jobId = `sms-<ticketId>-<reason>[-<version>]`, which also names the message's record: sent once, whatever repeats.
   */
  'channel.sms': {
    queue: 'channel',
    payload: z
      .object({ ticketId: objectId, reason: z.enum(SMS_REASONS), version: z.number().int().min(0).optional(), unitCode: z.string().min(1).max(40).optional() })
      .strict(),
  },
  /**
   * A mail to a citizen (src/services/citizen-messages): the acknowledgement of a new case, an agent's reply or a legal
   * notice (`interactionId`), or a status change (`version`, `unitCode` as for SMS). `inReplyTo` and `references` thread an
   * acknowledgement under the citizen's own message. jobId = the message's key, `email-<ticketId>-<reason>[-<n>]`.
   */
  'channel.email': {
    queue: 'channel',
    payload: z
      .object({
        ticketId: objectId,
        reason: z.enum(['acknowledgement', 'reply', 'notice', 'referred', 'resolved', 'reopened', 'cancelled']),
        version: z.number().int().min(0).optional(),
        unitCode: z.string().min(1).max(40).optional(),
        interactionId: objectId.optional(),
        to: z.string().max(254).optional(),
        inReplyTo: z.string().max(998).optional(),
        references: z.array(z.string().max(998)).max(50).optional(),
      })
      .strict(),
  },
  /**
   * Twilio reported that an SMS did not reach the phone (its status callback): it goes on the ticket's timeline.
   * jobId = `sms-report-<MessageSid>`.
   */
  'channel.sms-report': {
    queue: 'channel',
    payload: z
      .object({
        messageId: objectId,
        messageSid: z.string().regex(/^(SM|MM)[0-9a-f]{32}$/, 'must be a Twilio Message SID'),
        status: z.enum(['undelivered', 'failed']),
        errorCode: z.number().int().min(0).optional(),
      })
      .strict(),
  },
  /**
   * Queue a new ticket (intake placed it and started its SLA): priority from the citizen's standing, SLA checks
   * scheduled, an agent sought. jobId = ticket id.
   */
  'route.ticket': {
    queue: 'route',
    payload: z.object({ ticketId: objectId }).strict(),
  },
  /** Find the best agent with room for one waiting ticket. */
  'assign.ticket': {
    queue: 'assign',
    payload: z.object({ ticketId: objectId }).strict(),
  },
  /** An agent has room again (available, finished a case, capacity raised): fill it from their queues. */
  'assign.drain-agent': {
    queue: 'assign',
    payload: z.object({ staffId: objectId }).strict(),
  },
  /**
   * Repairs the live routing state against the store (the assignment capability's reconcile). `full: false` only settles stale
   * claims and rebuilds a state Redis lost; `full: true` also compares every open ticket.
   */
  'system.live-reconcile': {
    queue: 'system',
    payload: z.object({ full: z.boolean() }).strict(),
  },
  /**
   * The read index (src/services/read-index): `reconcile` repairs that of the open tickets (a crash between two writes);
   * `rebuild` takes one step of the rebuild from the tickets and queues the next until it is done (a store written by
   * a version before it gets it so on its first start). jobId of a rebuild step = `read-index-<run start>-<processed>`.
   */
  'system.read-index': {
    queue: 'system',
    payload: z.object({ step: z.enum(['reconcile', 'rebuild']) }).strict(),
  },
  /**
   * A delayed SLA check. `dueAt` is the instant the job was scheduled for; when the ticket's due date has
   * moved since, the job is stale and does nothing. jobId = `sla:<ticketId>:<kind>`.
   */
  'sla.check': {
    queue: 'sla',
    payload: z
      .object({ ticketId: objectId, kind: z.enum(['at_risk', 'first_response', 'resolution']), dueAt: z.iso.datetime() })
      .strict(),
  },
  /**
   * Repairs what a crash or a Redis blip between a ticket's status change and its SLA scheduling left behind:
   * re-creates missing or stale `sla.check` jobs of open tickets and starts the SLA of queued tickets that have
   * none. Repeats every {@link SLA_RECONCILE_EVERY_MS}.
   */
  'sla.reconcile': {
    queue: 'sla',
    payload: z.object({}).strict(),
  },
} as const satisfies Record<string, { queue: QueueName; payload: z.ZodType }>;

export type JobName = keyof typeof JOBS;
/** What a handler is given: the payload as its schema reads it. */
export type JobPayload<N extends JobName> = z.output<(typeof JOBS)[N]['payload']>;
/** What a producer queues: the payload as its schema accepts it (the same, but for instants that travel as strings). */
export type JobInput<N extends JobName> = z.input<(typeof JOBS)[N]['payload']>;

/** The `channel.intake` job of the contact that becomes ticket `ticketId`: one per contact. */
export function intakeJobId(ticketId: string): string {
  return `intake-${ticketId}`;
}

/** Retry and retention defaults for every job; a job overrides only with a reason. */
export const DEFAULT_JOB_OPTIONS = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
} as const;

/**
 * SMS jobs outlast a Twilio outage of several minutes (8 attempts, 5 s doubling: about 10 minutes in all), where the
 * default gives up after half a minute. Citizens would rather get their tracking code late than never.
 */
export const SMS_JOB_OPTIONS = { attempts: 8, backoff: { type: 'exponential', delay: 5_000 } } as const;

/**
 * Jobs one worker process runs at once, per queue. Routing and assignment wait on the store and Redis far more
 * than they compute, and claims are atomic in Redis, so they run many at a time; the rest need little.
 */
export const WORKER_CONCURRENCY: Readonly<Record<QueueName, number>> = { system: 2, channel: 16, route: 64, assign: 8, sla: 4, realtime: 4 };

export const HEARTBEAT_EVERY_MS = 30_000;
export const MAINTENANCE_EVERY_MS = 3_600_000;
/** A missed SLA check is found at most this late; one scan reads every open ticket, so not much more often. */
export const SLA_RECONCILE_EVERY_MS = 5 * 60_000;
/** How soon a claim whose worker died is settled, and a live state Redis lost is rebuilt without traffic. */
export const LIVE_RECONCILE_EVERY_MS = 15_000;
/** The full comparison reads every open ticket by `_id`: often enough to bound drift, rarely enough to cost nothing. */
export const LIVE_FULL_RECONCILE_EVERY_MS = 10 * 60_000;
/** The read index's reconcile reads every open ticket by `_id`, as the live state's full one does. */
export const READ_INDEX_RECONCILE_EVERY_MS = 10 * 60_000;
/** Batches of the read index's rebuild one job takes (a few seconds: a stopping worker is not kept waiting). */
export const READ_INDEX_BATCHES_PER_JOB = 10;
