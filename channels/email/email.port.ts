import type { InboundEmail } from '../../src/domain/inbound-email.js';

/**
 * The email channel's one inbound port: what the mailbox poller hands the core and asks of it. The composition root
 * binds it to the core (`src/wiring/email.ts`). Each mail goes in as an {@link InboundEmail}; the core decides what it
 * becomes (a mail that opens a case enters through the intake like every contact, inline: the poller marks a mail
 * taken in only once what it became is stored). Where reading stands per mailbox, and who reads it, are kept by the
 * core too.
 */
export interface MailInbound {
  /** Takes a mail in; resolves once what it became is stored. Its errors decide whether the mail is read again (`imap-poller.ts`). */
  takeIn(mail: InboundEmail): Promise<{ kind: string; ticketId?: string; trackingCode?: string; reason?: string }>;
  loadState(mailboxId: string): Promise<{ uidValidity: number; lastUid: number } | null>;
  saveState(mailboxId: string, uidValidity: number, lastUid: number): Promise<void>;
  /** One process at a time reads a mailbox: null when another holds it. Without it, this process always reads. */
  acquireLease?(mailboxId: string, onLost: () => void): Promise<{ release(): Promise<void> } | null>;
}
