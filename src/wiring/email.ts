import type { MailInbound } from '../../channels/email/email.port.js';
import { startMailboxPoller, type MailboxPoller } from '../../channels/email/imap-poller.js';
import type { EmailChannelEnv } from '../config/env.js';
import type { AppContext } from '../services/context/index.js';
import { acknowledgeMail, outcomeSummary, takeInEmail, type EmailIntakeDeps } from '../services/email/index.js';
import { createAttachmentFiles } from '../store/attachment-file.repository.js';
import type { MailboxLeases } from '../store/mailbox-lease.repository.js';

/** What the email use case is handed in this process: the attachment store of the environment and the acknowledgement. */
export function emailIntakeDeps(ctx: AppContext, email: EmailChannelEnv): EmailIntakeDeps {
  return {
    attachments: createAttachmentFiles(email.attachmentsDir),
    acknowledge: (ticket, mail) => acknowledgeMail(ctx, ticket, mail),
  };
}

/** The email channel's inbound port bound to the core in this process: the use case, reading state, leases. */
export function mailInbound(ctx: AppContext, intakeDeps: EmailIntakeDeps, leases?: MailboxLeases): MailInbound {
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
export function startEmailPoller(ctx: AppContext, email: EmailChannelEnv, mailboxId: string, inbound: MailInbound, options: EmailPollerOptions = {}): MailboxPoller {
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
    inbound,
    ctx.log,
  );
}

/** One poller per mailbox of `config/mailboxes.json`. */
export function startEmailPollers(ctx: AppContext, email: EmailChannelEnv, inbound: MailInbound, options: EmailPollerOptions = {}): MailboxPoller[] {
  return ctx.catalogue.mailboxes.mailboxes.map((mailbox) => startEmailPoller(ctx, email, mailbox.id, inbound, options));
}
