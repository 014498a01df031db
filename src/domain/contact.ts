/**
 * The channel contract: what a channel hands the core. A channel adapter (`channels/`) is transport only: it turns
 * vendor input (a Twilio webhook, an IMAP message, a kiosk request) into a {@link Contact} and hands it to the core
 * through its channel's one inbound port, which the composition root binds to the core's use cases; the core's
 * answers go back out through the outbound ports (`outbound.ts`) the channels implement. An adapter never touches
 * the store, queues or sockets itself.
 *
 * Every contact enters the core one way: the intake's `receiveContact`, which validates it once against
 * {@link contactSchema} and then takes it in the way its channel declares ({@link CHANNEL_INTAKE}). The email channel
 * hands over an {@link InboundEmail} (`inbound-email.ts`): its contact, and the evidence threading and loop protection
 * need besides; a mail that opens a case enters through the same `receiveContact`.
 */
import { z } from 'zod';
import { CHANNELS, TICKET_TYPES, type Channel } from './ticket-types.js';

const text = (max: number) => z.string().trim().max(max);

/** Who the contact says the citizen is; every identifier is optional (a caller with a withheld number has none). */
export const contactCitizenSchema = z
  .object({
    dni: text(20).optional(),
    ruc: text(20).optional(),
    email: text(254).optional(),
    phone: text(30).optional(),
    firstNames: text(120).optional(),
    lastNames: text(120).optional(),
    /** Declared at the kiosk or by the agent: Ley 28683 preferential attention. */
    preferential: z.boolean().optional(),
  })
  .strict();

/** What routing rules match on: IVR digits, kiosk service, mailbox, explicit service code, free text. */
export const contactHintSchema = z
  .object({
    ivrDigits: text(20).optional(),
    kioskService: text(100).optional(),
    emailTo: text(254).optional(),
    serviceCode: text(100).optional(),
    text: text(5_000).optional(),
  })
  .strict();

/** A file that came with the contact. */
export const contactAttachmentSchema = z.object({
  filename: text(255),
  contentType: text(255),
  size: z.number().int().nonnegative(),
  /** Names bytes already kept in the attachment store (email); absent: not kept (too large) or with the vendor. */
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  inline: z.boolean().optional(),
});

const contactFields = {
  channel: z.enum(CHANNELS),
  /**
   * The channel's own idempotency key: Twilio `CallSid` (+ event), email `Message-ID` (or the mailbox and the message's
   * hash when it has none), kiosk request id. The same key twice yields one ticket.
   */
  externalId: text(512).min(1),
  /** When the contact reached the channel (not when we processed it). */
  receivedAt: z.date(),
  citizen: contactCitizenSchema,
  /** One line for lists and the agent's screen. */
  subject: text(300).min(1),
  body: text(20_000).optional(),
  hint: contactHintSchema,
  /** When the channel already knows (Libro de Reclamaciones form, kiosk service). */
  ticketType: z.enum(TICKET_TYPES).optional(),
  attachments: z.array(contactAttachmentSchema).max(50).optional(),
  /** The vendor payload, kept with the first interaction for audit. */
  raw: z.unknown().optional(),
};

/** A contact as the core accepts it: adapters are trusted to be transport, not to be right. */
export const contactSchema = z.object(contactFields);

/** A contact as a channel hands it to the core. */
export type Contact = z.infer<typeof contactSchema>;
export type ContactCitizen = Contact['citizen'];
export type ContactHint = Contact['hint'];

/**
 * The same contact as a queued job carries it (`channel.intake`): the job is stored as JSON, so its instant goes in a
 * Date, travels as an ISO string and comes back a Date. Checked by the worker when it takes the job out of Redis, as
 * every job's payload is.
 */
export const queuedContactSchema = z.object({ ...contactFields, receivedAt: z.union([z.date(), z.iso.datetime().transform((at) => new Date(at))]) });

/**
 * How each channel's contacts are taken in: a declared property of the channel, not a choice each caller makes.
 * - `queued`: the contact is checked, then queued as one `channel.intake` job that makes the ticket; the channel's
 *   request costs one Redis write. The phone channel: a Twilio webhook must answer within seconds whatever the store
 *   is doing, and the caller is put in Twilio's queue by the TwiML whether or not the ticket exists yet.
 * - `inline`: the ticket is made before the call returns, and the channel uses it. Email: the poller moves a mail to
 *   the processed folder only once its ticket is stored. Kiosk: the printed turn carries the ticket's tracking code.
 *   Manual: the staff member sees the ticket they registered.
 */
export const CHANNEL_INTAKE = {
  phone: 'queued',
  email: 'inline',
  kiosk: 'inline',
  manual: 'inline',
} as const satisfies Record<Channel, 'queued' | 'inline'>;

export type IntakeMode = (typeof CHANNEL_INTAKE)[Channel];
/** Channels whose contacts are queued, and those whose contacts are taken in at once. */
export type QueuedChannel = { [C in Channel]: (typeof CHANNEL_INTAKE)[C] extends 'queued' ? C : never }[Channel];
export type InlineChannel = Exclude<Channel, QueuedChannel>;
