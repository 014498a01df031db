import { copyFile, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import type Mail from 'nodemailer/lib/mailer/index.js';
import type { EmailChannelEnv } from '../../src/config/env.js';
import type { InboundEmail } from '../../src/domain/inbound-email.js';
import type { Ticket } from '../../src/store/ticket.repository.js';
import type { TestDovecot } from './dovecot.js';

/** The password of every test mailbox (a throw-away server). */
export const MAIL_PASSWORD = 'clave-de-prueba-123';
const SHIPPED_CONFIG = join(import.meta.dirname, '../../config');

/** A mailbox of the test catalogue: one Dovecot user, read by one poller. */
export interface TestMailbox {
  id: string;
  /** The Dovecot user, also the mailbox's address. */
  user: string;
  processedFolder?: string;
}

/**
 * The shipped configuration with a `mailboxes.json` for the test server's users, and a routing rule for each of their
 * addresses (the catalogue refuses a mailbox address no rule names). Small attachment limits, so a test can exceed
 * them with a few kilobytes.
 */
export async function emailConfigDir(mailboxes: readonly TestMailbox[], attachments = { maxFileBytes: 64 * 1_024, maxMessageBytes: 96 * 1_024 }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mcc-email-config-'));
  for (const name of await readdir(SHIPPED_CONFIG)) {
    if (name.endsWith('.json')) await copyFile(join(SHIPPED_CONFIG, name), join(dir, name));
  }
  const routing = JSON.parse(await readFile(join(SHIPPED_CONFIG, 'routing.json'), 'utf8')) as { rules: unknown[] };
  for (const mailbox of mailboxes) {
    routing.rules.push({ id: `email-test-${mailbox.id}`, when: { emailTo: mailbox.user }, then: { service: 'atencion.consulta_general', queue: 'general' } });
  }
  await writeFile(join(dir, 'routing.json'), JSON.stringify(routing, null, 2));
  await writeFile(
    join(dir, 'mailboxes.json'),
    JSON.stringify({
      reopenWindowDays: 15,
      attachments,
      mailboxes: mailboxes.map((mailbox) => ({ id: mailbox.id, address: mailbox.user, login: mailbox.user, folder: 'INBOX', ...(mailbox.processedFolder ? { processedFolder: mailbox.processedFolder } : {}) })),
    }),
  );
  return dir;
}

/** The email channel's settings for the test server; each mailbox logs in as its own user. */
export function testEmailEnv(dovecot: TestDovecot, attachmentsDir: string, pollIntervalMs: number): EmailChannelEnv {
  const [first] = dovecot.users;
  if (!first) throw new Error('the test Dovecot has no user');
  return {
    imap: { host: dovecot.host, port: dovecot.port, tls: 'none', user: first.user, password: MAIL_PASSWORD },
    pollIntervalMs,
    attachmentsDir,
  };
}

/** Records what the acknowledgement seam was asked to send. */
export function acknowledgementRecorder(): {
  calls: { ticket: Ticket; mail: InboundEmail }[];
  acknowledge: (ticket: Ticket, mail: InboundEmail) => Promise<void>;
  sentFor: (ticketId: string) => number;
} {
  const calls: { ticket: Ticket; mail: InboundEmail }[] = [];
  return {
    calls,
    acknowledge: (ticket, mail) => {
      calls.push({ ticket, mail });
      return Promise.resolve();
    },
    sentFor: (ticketId) => calls.filter((call) => call.ticket._id.toString() === ticketId).length,
  };
}

/** A message as a mail client writes it (nodemailer's composer: CRLF, MIME, encoded words), for what no fixture covers. */
export function composeMail(mail: Mail.Options): Promise<Buffer> {
  return new MailComposer({ date: new Date(), ...mail }).compile().build();
}
