import { AppError, isAppError } from '../../errors.js';
import type { CitizenMessageDoc } from '../../store/citizen-message.model.js';
import { citizenMessageIdFor, type CitizenMessage, type NewCitizenMessage } from '../../store/citizen-message.repository.js';
import type { Ticket } from '../../store/ticket.repository.js';
import type { Actor, AppContext } from '../context/index.js';
import { recordEventOnce } from '../timeline/index.js';

/*
 * Sending one stored message to a citizen exactly once, whatever the channel (SMS, mail): the record
 * (`citizen_messages`) is stored before any attempt, with the first one claimed; each later attempt is claimed on it,
 * and its end (sent, refused for good, failed after every attempt) is stored and put on the ticket's timeline once.
 * The channel brings how to send and, when its provider can tell, how to find what an attempt whose answer was lost
 * did send.
 */

/**
 * How long an attempt may be under way (twice a provider's 30 s timeout) before another run takes it for lost and
 * looks at what it did.
 */
const ATTEMPT_LEASE_MS = 60_000;

export type MessageError = NonNullable<CitizenMessageDoc['error']>;
export type MessageOutcome = { status: 'sent'; providerId: string } | { status: 'refused' | 'failed'; error: MessageError };

/** What a channel brings to the delivery of its messages. */
export interface MessageTransport {
  /** Who the timeline says acted (`sms`, `email`). */
  actor: Actor;
  /** Sends the message; answers the provider's id of it. Throws the catalogue's errors (retryable or not). */
  send(message: CitizenMessage): Promise<string>;
  /**
   * What an attempt whose answer was lost sent, when the provider can tell (Twilio lists messages; SMTP cannot: the
   * mail is sent again with the same Message-ID, which the citizen's client keeps once).
   */
  findLost?(message: CitizenMessage): Promise<string | null>;
  /** The timeline events' prefix: `sms_sent`, `email_refused`, ... */
  eventPrefix: string;
  /** What the timeline says of the message, whatever its outcome; a sent message adds `sentData`. */
  about(message: CitizenMessage): Record<string, unknown>;
  sentData?(message: CitizenMessage): Record<string, unknown>;
  /** After the outcome is stored, before it goes on the timeline (an agent's reply marks its interaction). */
  settled?(message: CitizenMessage): Promise<void>;
}

function errorOf(err: unknown): MessageError {
  const providerCode = isAppError(err) ? err.details?.providerCode : undefined;
  return {
    code: isAppError(err) ? err.code : 'SERVICE_UNAVAILABLE',
    message: (err instanceof Error ? err.message : String(err)).slice(0, 1_000),
    ...(typeof providerCode === 'number' ? { providerCode } : {}),
  };
}

/**
 * Delivers the message stored under `key`, drafting it first when no run has: `draft` answers what to store, or null
 * when there is nothing to send. A draft is stored with its first attempt claimed, so the run that stored it sends at
 * once; a run that finds the message stored (or loses the race to store it) goes on from where it stands.
 * `final`: the job will not run again, so a failure now is the message's end.
 */
export async function deliverMessage(
  ctx: AppContext,
  ticket: Ticket,
  key: string,
  draft: () => Promise<NewCitizenMessage | null>,
  transport: MessageTransport,
  final: boolean,
): Promise<void> {
  const stored = await ctx.store.citizenMessages.get(citizenMessageIdFor(key));
  if (stored) {
    await resume(ctx, ticket, stored, transport, final);
    return;
  }
  const input = await draft();
  if (input === null) return;
  const { message, created } = await ctx.store.citizenMessages.createClaimed(input, new Date());
  if (created) await attempt(ctx, ticket, message, transport, final);
  else await resume(ctx, ticket, message, transport, final);
}

/**
 * One attempt at a stored message still `sending`; a message already settled only has its outcome recorded. An
 * attempt still under way elsewhere is waited for.
 */
async function resume(ctx: AppContext, ticket: Ticket, message: CitizenMessage, transport: MessageTransport, final: boolean): Promise<void> {
  if (message.status !== 'sending') {
    await recordOutcome(ctx, ticket, message, transport);
    return;
  }
  if (message.attempts > 0) {
    const startedAt = message.attemptStartedAt?.getTime() ?? 0;
    if (message.attemptEndedAt === undefined && Date.now() - startedAt < ATTEMPT_LEASE_MS) {
      throw new AppError('attempt_under_way');
    }
    const found = transport.findLost ? await transport.findLost(message) : null;
    if (found !== null) {
      await settle(ctx, ticket, message, { status: 'sent', providerId: found }, transport);
      return;
    }
  }
  const { after: claimed } = await ctx.store.citizenMessages.step(message._id, (current) =>
    current.status === 'sending' && current.attempts === message.attempts
      ? { set: { attempts: current.attempts + 1, attemptStartedAt: new Date() }, unset: ['attemptEndedAt'] }
      : null,
  );
  if (claimed === null) throw new AppError('attempt_under_way', 'Another run is sending this message.');
  await attempt(ctx, ticket, claimed, transport, final);
}

/** Sends a message whose attempt this run has claimed, and stores how it went. */
async function attempt(ctx: AppContext, ticket: Ticket, claimed: CitizenMessage, transport: MessageTransport, final: boolean): Promise<void> {
  let providerId: string;
  try {
    providerId = await transport.send(claimed);
  } catch (err) {
    const error = errorOf(err);
    if (isAppError(err) && !err.retryable) {
      await settle(ctx, ticket, claimed, { status: 'refused', error }, transport);
      return;
    }
    if (final) await settle(ctx, ticket, claimed, { status: 'failed', error }, transport);
    else await ctx.store.citizenMessages.step(claimed._id, (current) => (current.attempts === claimed.attempts ? { set: { attemptEndedAt: new Date(), error } } : null));
    throw err;
  }
  await settle(ctx, ticket, claimed, { status: 'sent', providerId }, transport);
}

/** Stores how the message ended (unless another run stored it first), then puts it on the timeline. */
async function settle(ctx: AppContext, ticket: Ticket, message: CitizenMessage, outcome: MessageOutcome, transport: MessageTransport): Promise<void> {
  const { before, after } = await ctx.store.citizenMessages.step(message._id, (current) =>
    current.status === 'sending' ? { set: { ...outcome }, unset: ['attemptEndedAt', ...(outcome.status === 'sent' ? ['error'] : [])] } : null,
  );
  const settled = after ?? before;
  if (settled) await recordOutcome(ctx, ticket, settled, transport);
  if (outcome.status !== 'sent') {
    ctx.log.warn({ ticketId: ticket._id.toString(), channel: message.channel, status: outcome.status, error: outcome.error }, 'a message to a citizen was not sent');
  }
}

/**
 * The message's outcome on the ticket's timeline, once: the event is named by the message, so a run that reaches it
 * again (a crash after the outcome was stored, the job run again) finds it recorded.
 */
async function recordOutcome(ctx: AppContext, ticket: Ticket, message: CitizenMessage, transport: MessageTransport): Promise<void> {
  if (message.status === 'sending') return;
  if (transport.settled) await transport.settled(message);
  const about = transport.about(message);
  const key = `citizen-message-outcome\n${message._id.toString()}`;
  if (message.status === 'sent' || message.status === 'undelivered') {
    await recordEventOnce(ctx, ticket, transport.actor, key, `${transport.eventPrefix}_sent`, { data: { ...about, ...transport.sentData?.(message) } });
  } else {
    const error = message.error;
    await recordEventOnce(ctx, ticket, transport.actor, key, `${transport.eventPrefix}_${message.status === 'refused' ? 'refused' : 'failed'}`, {
      ...(error ? { reason: error.message } : {}),
      data: { ...about, ...(error ? { code: error.code, ...(error.providerCode !== undefined ? { providerCode: error.providerCode } : {}) } : {}) },
    });
  }
}
