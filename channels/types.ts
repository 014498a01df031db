import type { RoutingHint } from '../src/domain/routing.js';
import type { Channel, TicketType } from '../src/domain/ticket-types.js';

/**
 * The channel contract. An adapter is transport only: it turns vendor input (a Twilio webhook, an IMAP
 * message, a kiosk request) into a {@link NormalizedContact} and hands it to the core's intake, and turns an
 * {@link OutboundMessage} into a vendor call. It never touches the store, queues or sockets itself; the
 * services it needs are passed to its constructor at the composition root, with its typed config.
 */
export interface NormalizedContact {
  channel: Channel;
  /**
   * The channel's own idempotency key: Twilio `CallSid` (+ event), email `Message-ID` (or
   * `UIDVALIDITY/UID` when absent), kiosk request id. The same key twice yields one ticket.
   */
  externalId: string;
  /** When the contact reached the channel (not when we processed it). */
  receivedAt: Date;
  citizen: ContactCitizen;
  /** One line for lists and the agent's screen. */
  subject: string;
  body?: string;
  /** What routing rules match on. */
  hint: ContactHint;
  /** When the channel already knows (Libro de Reclamaciones form, kiosk service). */
  ticketType?: TicketType;
  /**
   * Files that came with the contact. `sha256` names bytes already kept in the attachment store (email); a file
   * listed without it was not kept (too large) or lives with the vendor (a recording URL).
   */
  attachments?: { filename: string; contentType: string; size: number; sha256?: string; inline?: boolean }[];
  /** The vendor payload, kept with the first interaction for audit. */
  raw?: unknown;
}

export interface ContactCitizen {
  dni?: string;
  ruc?: string;
  email?: string;
  phone?: string;
  firstNames?: string;
  lastNames?: string;
  /** Declared at the kiosk or by the agent: Ley 28683 preferential attention. */
  preferential?: boolean;
}

/** What routing rules match on: IVR digits, kiosk service, mailbox, explicit service code, free text. */
export type ContactHint = RoutingHint;

/** A message to a citizen on their channel (reply, notification, survey). */
export interface OutboundMessage {
  channel: Channel;
  ticketId: string;
  interactionId: string;
  to: { email?: string; phone?: string };
  subject?: string;
  body: string;
  /** Threading: the Message-ID this replies to, for email. */
  inReplyTo?: string;
}
