/**
 * What the email channel hands the core for each message it reads (`channels/email/`): the {@link Contact} the mail
 * makes, and the evidence threading, loop protection and the attachment store need besides. Deciding what the mail
 * becomes (a new case, an answer to one, a bounce, nothing) is the core's.
 */
import type { Contact } from './contact.js';

/** A file of an inbound mail, with its bytes as received. */
export interface InboundAttachment {
  filename: string;
  contentType: string;
  content: Uint8Array;
  /** Shown inside the message (an image the HTML refers to by Content-ID). */
  inline: boolean;
}

/** One recipient's entry of a delivery status notification (RFC 3464). */
export interface DeliveryReport {
  recipient: string;
  /** `failed`, `delayed`, `delivered`, `relayed`, `expanded`. */
  action?: string;
  /** `5.1.1` and the like. */
  status?: string;
  diagnostic?: string;
}

/** What the channel keeps of the message itself for audit, beside the contact (interaction `raw.email`). */
export interface InboundEmailRecord {
  mailboxId: string;
  uidValidity: number;
  uid: number;
  messageId?: string;
  from?: { name: string; address: string };
  to: string[];
  cc: string[];
  /** The Date header as written. */
  date?: string;
  inReplyTo?: string;
  references?: string;
  /** Every header, unfolded, in order (up to a size limit). Objects, not pairs: FerretDB stores no nested arrays. */
  headers: { name: string; value: string }[];
  /** The HTML body as received (never rendered unsanitised: whatever shows it must sanitise it). */
  html?: string;
  htmlTruncated?: boolean;
}

/**
 * An email as the channel read it: the contact it makes, and what threading, loop protection and the attachment store
 * need besides.
 */
export interface InboundEmail {
  /**
   * The contact as the channel maps it: `externalId` = the Message-ID (or the mailbox and the SHA-256 of the message
   * when it has none), `receivedAt` = when it reached the mailbox, `citizen.email` = From, the subject as written, the
   * readable text as body (within the contract's limits), `hint.emailTo` = the mailbox address it was written to.
   * Without attachments: the core keeps what fits and lists it.
   */
  contact: Contact;
  /** The whole readable text, when it is longer than `contact.body` may be. */
  fullText?: string;
  /** Message-ID without brackets. */
  messageId?: string;
  inReplyTo?: string;
  references?: string;
  /** From, lower case. */
  from?: string;
  /** Delivered-To, X-Original-To, To and Cc addresses, lower case, in that order. */
  recipients: string[];
  /** Header name (lower case) → values as received. */
  headers: ReadonlyMap<string, readonly string[]>;
  /** The top-level Content-Type with its parameters. */
  contentType?: string;
  attachments: InboundAttachment[];
  /** For a delivery status notification: the Message-IDs of the message that bounced, and each recipient's fate. */
  bounce?: { messageIds: string[]; reports: DeliveryReport[] };
  /** Why the message could not be read whole; `source` then carries it as received. */
  problem?: string;
  source?: Uint8Array;
  /** The message's size on the server, and the bytes read when it was larger than the channel reads whole. */
  size: number;
  readBytes?: number;
  record: InboundEmailRecord;
}
