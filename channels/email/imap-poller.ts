import { ImapFlow, type FetchMessageObject, type ImapFlowOptions } from 'imapflow';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAppError } from '../../src/errors.js';
import type { Logger } from '../../src/logging.js';
import type { MailInbound } from './email.port.js';
import { readMail, type FetchedMail } from './mime-parser.js';

/*
 * One IMAP connection per mailbox, kept open: IDLE wakes the poller when mail arrives, and a check every
 * `pollIntervalMs` covers servers and proxies that drop IDLE notifications. Each pass lists the UIDs above the last
 * one taken in and their sizes, fetches them in batches bounded by count and bytes (each fetch is read to its end
 * before any other command: imapflow deadlocks on a command issued while a fetch is still streaming), hands each
 * message to the core in UID order and, only once the core has stored what they became, moves the batch's mail to
 * the processed folder (or marks it read) in one command and records the last UID in one write. A dropped connection
 * is replaced by a new ImapFlow instance (one cannot be reconnected) after a backoff.
 */

/** What the poller needs to know about its mailbox (an entry of `config/mailboxes.json`). */
export interface PolledMailbox {
  id: string;
  address: string;
  aliases: readonly string[];
  login?: string;
  folder: string;
  processedFolder?: string;
}

/** The IMAP server (from the environment, `emailChannelEnv`). */
export interface ImapServer {
  host: string;
  port: number;
  tls: 'tls' | 'starttls' | 'none';
  user: string;
  password: string;
}

export interface MailboxPollerSettings {
  mailbox: PolledMailbox;
  imap: ImapServer;
  /** Check for mail this often when IDLE brought nothing. */
  pollIntervalMs: number;
  /** A message larger than this is read only up to it (the core notes what is missing). */
  maxReadBytes: number;
  /** Backoff between connection attempts: the first delay, doubled up to the last. Default 1 s to 60 s. */
  reconnectDelayMs?: { first: number; max: number };
}


export interface MailboxPoller {
  /** Finishes the mail being taken in, logs out and stops. */
  stop(): Promise<void>;
  /** Asks for a pass now (tests; an operator's "check mail"). */
  checkNow(): void;
}

/** Messages fetched per command, and their bytes: a batch is held whole in memory while it is taken in. */
const BATCH_MESSAGES = 25;
const BATCH_BYTES = 32 * 1_048_576;
/** Pending UIDs whose sizes are asked for in one command. */
const SIZE_LISTING = 1_000;
/** A session that lasted this long was a good one: the next reconnect starts from the first delay again. */
const HEALTHY_SESSION_MS = 30_000;
/** Attempts at a mail whose failure is not a catalogue error before it is set aside. */
const MAX_UNKNOWN_FAILURES = 5;
const LOGOUT_TIMEOUT_MS = 5_000;
/** How often a poller whose mailbox another process reads asks for it again. */
const LEASE_RETRY_MS = 5_000;

/** A pending message and its size on the server. */
export interface Listed {
  uid: number;
  size: number;
}

/**
 * Splits pending mail (in UID order) into fetch batches of at most {@link BATCH_MESSAGES} messages and
 * {@link BATCH_BYTES} bytes, counting each message as what will be read of it (`maxReadBytes` at most). A message
 * larger than the byte bound goes alone.
 */
export function batchesOf(listed: readonly Listed[], maxReadBytes: number): number[][] {
  const batches: number[][] = [];
  let batch: number[] = [];
  let bytes = 0;
  for (const { uid, size } of listed) {
    const read = Math.min(Math.max(0, size), maxReadBytes);
    if (batch.length > 0 && (batch.length >= BATCH_MESSAGES || bytes + read > BATCH_BYTES)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(uid);
    bytes += read;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

class ConnectionLost extends Error {
  override name = 'ConnectionLost';
}

function imapOptions(settings: MailboxPollerSettings): ImapFlowOptions {
  const { imap, mailbox } = settings;
  return {
    host: imap.host,
    port: imap.port,
    secure: imap.tls === 'tls',
    // `starttls` must upgrade or fail; `none` never sends STARTTLS (a server on this machine).
    ...(imap.tls === 'tls' ? {} : { doSTARTTLS: imap.tls === 'starttls' }),
    auth: { user: mailbox.login ?? imap.user, pass: imap.password },
    logger: false,
    // Start IDLE soon after a pass: new mail is announced only while idling. Passes issue commands back to back.
    autoIdleDelay: 1_000,
    connectionTimeout: 30_000,
    clientInfo: { name: 'municipal-contact-center' },
  };
}

/** A wake-up signal that is not lost when it comes before anyone waits for it. */
function wakeSignal(): { wake(): void; wait(ms: number): Promise<void> } {
  let pending = false;
  let resolveWait: (() => void) | undefined;
  return {
    wake() {
      pending = true;
      resolveWait?.();
    },
    async wait(ms) {
      if (!pending) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, ms);
          resolveWait = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        resolveWait = undefined;
      }
      pending = false;
    },
  };
}

/**
 * Starts reading one mailbox until `stop()`. Failures of a mail are decided by the core's error catalogue: a
 * retryable one (the store or Redis unavailable, a lost race) leaves the mail where it is for the next pass; a
 * permanent one (a bug the same mail will meet again) sets it aside, flagged in its folder, after logging it, so one
 * mail cannot stop the mailbox; anything else is retried a few times, then set aside the same way.
 */
export function startMailboxPoller(settings: MailboxPollerSettings, inbound: MailInbound, log: Logger): MailboxPoller {
  const { mailbox } = settings;
  const mlog = log.child({ component: 'email', mailbox: mailbox.id });
  const signal = wakeSignal();
  const failures = new Map<number, number>();
  let stopRequested = false;
  // A function, not the flag itself: it changes in `stop()`, between the awaits of the loops that read it.
  const stopping = (): boolean => stopRequested;
  let client: ImapFlow | undefined;

  /**
   * Marks mail stored by the core as taken in: one MOVE to the processed folder for the whole batch (or one flag
   * command, when there is no such folder or the server refuses the move).
   */
  async function markTakenIn(imap: ImapFlow, uids: readonly number[]): Promise<void> {
    if (uids.length === 0) return;
    const set = uids.join(',');
    if (mailbox.processedFolder !== undefined) {
      const moved = await imap.messageMove(set, mailbox.processedFolder, { uid: true });
      if (moved !== false) return;
      if (!imap.usable) throw new ConnectionLost('connection lost while moving mail');
      mlog.warn({ uids: uids.length, folder: mailbox.processedFolder }, 'could not move mail to the processed folder: marking it read instead');
    }
    await imap.messageFlagsAdd(set, ['\\Seen'], { uid: true });
  }

  /** Sets a mail aside: flagged where it is, so a person looks at it; its UID is passed with the rest of its batch. */
  async function setAside(imap: ImapFlow, uid: number, err: unknown): Promise<void> {
    mlog.error({ err, uid }, 'a mail could not be taken in and was set aside (flagged in the mailbox): look at it and at this error');
    await imap.messageFlagsAdd(String(uid), ['\\Flagged'], { uid: true });
    failures.delete(uid);
  }

  /** The size of each pending message, in UID order: one FETCH of sizes only, read to its end. */
  async function listSizes(imap: ImapFlow, uids: readonly number[]): Promise<Listed[]> {
    const listed: Listed[] = [];
    for await (const message of imap.fetch(uids.join(','), { uid: true, size: true }, { uid: true })) {
      listed.push({ uid: message.uid, size: message.size ?? settings.maxReadBytes });
    }
    return listed.sort((a, b) => a.uid - b.uid);
  }

  /** Fetches a batch, read to the end before anything else is sent on the connection. */
  async function fetchBatch(imap: ImapFlow, uids: readonly number[]): Promise<FetchMessageObject[]> {
    const messages: FetchMessageObject[] = [];
    for await (const message of imap.fetch(uids.join(','), { uid: true, size: true, internalDate: true, source: { maxLength: settings.maxReadBytes } }, { uid: true })) {
      messages.push(message);
    }
    return messages.sort((a, b) => a.uid - b.uid);
  }

  /**
   * Hands one mail to the core. Resolves `stored` once what it became is stored, or `set-aside` when the core refused
   * it for good (it is flagged); throws when it is to be tried again at the next pass.
   */
  async function takeIn(imap: ImapFlow, uidValidity: number, message: FetchMessageObject): Promise<'stored' | 'set-aside'> {
    const source = message.source ?? Buffer.alloc(0);
    const size = message.size ?? source.length;
    const internalDate = message.internalDate instanceof Date ? message.internalDate : message.internalDate !== undefined ? new Date(message.internalDate) : undefined;
    const fetched: FetchedMail = {
      mailbox,
      uidValidity,
      uid: message.uid,
      source,
      size,
      ...(internalDate !== undefined && !Number.isNaN(internalDate.getTime()) ? { internalDate } : {}),
      ...(source.length < size ? { readBytes: source.length } : {}),
    };
    try {
      const outcome = await inbound.takeIn(await readMail(fetched));
      mlog.info({ uid: message.uid, ...outcome }, 'mail taken in');
    } catch (err) {
      if (!imap.usable) throw new ConnectionLost('connection lost while a mail was taken in');
      const attempts = (failures.get(message.uid) ?? 0) + 1;
      failures.set(message.uid, attempts);
      const permanent = isAppError(err) ? !err.retryable : attempts >= MAX_UNKNOWN_FAILURES;
      if (!permanent) throw err;
      await setAside(imap, message.uid, err);
      return 'set-aside';
    }
    failures.delete(message.uid);
    return 'stored';
  }

  /**
   * Takes a batch in, in UID order, and then settles it: the mail stored is moved in one command and the reading
   * state records the last UID passed, in one write. A mail the core asks to try again ends the batch there: what
   * came before it is settled, it and what follows are read again at the next pass. Nothing is recorded before it
   * was moved, so a crash anywhere re-reads mail (recognised by its Message-ID) and never skips any.
   */
  async function takeInBatch(imap: ImapFlow, uidValidity: number, uids: readonly number[]): Promise<void> {
    const stored: number[] = [];
    let passed: number | undefined;
    let refusal: { err: unknown } | undefined;
    for (const message of await fetchBatch(imap, uids)) {
      if (stopping()) break;
      try {
        if ((await takeIn(imap, uidValidity, message)) === 'stored') stored.push(message.uid);
        passed = message.uid;
      } catch (err) {
        if (err instanceof ConnectionLost) throw err;
        refusal = { err };
        break;
      }
    }
    await markTakenIn(imap, stored);
    if (passed !== undefined) await inbound.saveState(mailbox.id, uidValidity, passed);
    if (refusal !== undefined) throw refusal.err;
  }

  /** One pass: every mail above the last UID taken in, in UID order, in batches bounded by count and bytes. */
  async function pass(imap: ImapFlow): Promise<void> {
    const opened = imap.mailbox;
    if (opened === false) throw new ConnectionLost('no mailbox selected');
    const uidValidity = Number(opened.uidValidity);
    const state = await inbound.loadState(mailbox.id);
    let lastUid = 0;
    if (state?.uidValidity === uidValidity) lastUid = state.lastUid;
    else if (state) {
      // The server renumbered the folder (a restore, a migration). Every mail in it is read again; what was taken in
      // before is recognised by its Message-ID (or its bytes) and adds nothing.
      mlog.warn({ before: state.uidValidity, now: uidValidity }, 'UIDVALIDITY changed: reading the folder again from its first message');
      await inbound.saveState(mailbox.id, uidValidity, 0);
    }
    // `n:*` always matches the last message, even below n: the UIDs are filtered here.
    const found = await imap.search({ uid: `${String(lastUid + 1)}:*` }, { uid: true });
    const pending = (found || []).filter((uid) => uid > lastUid).sort((a, b) => a - b);
    for (let start = 0; start < pending.length && !stopping(); start += SIZE_LISTING) {
      const listed = await listSizes(imap, pending.slice(start, start + SIZE_LISTING));
      for (const batch of batchesOf(listed, settings.maxReadBytes)) {
        if (stopping()) return;
        await takeInBatch(imap, uidValidity, batch);
      }
    }
  }

  async function session(): Promise<void> {
    const imap = new ImapFlow(imapOptions(settings));
    client = imap;
    // Without a listener an 'error' event would throw; the close that follows it ends the session.
    imap.on('error', (err) => {
      mlog.warn({ err }, 'IMAP connection error');
    });
    imap.on('close', () => {
      signal.wake();
    });
    imap.on('exists', () => {
      signal.wake();
    });
    try {
      await imap.connect();
      if (mailbox.processedFolder !== undefined) {
        // Answered `created: false` when it exists; a server that refuses otherwise leaves mail marked read instead.
        await imap.mailboxCreate(mailbox.processedFolder).catch((err: unknown) => {
          if (!imap.usable) throw err;
          mlog.warn({ err, folder: mailbox.processedFolder }, 'could not create the processed folder');
        });
      }
      await imap.mailboxOpen(mailbox.folder);
      mlog.info({ folder: mailbox.folder }, 'reading mailbox');
      // Read through a function: the connection drops between the awaits below.
      const usable = (): boolean => imap.usable;
      while (!stopping() && usable()) {
        try {
          await pass(imap);
        } catch (err) {
          if (err instanceof ConnectionLost || !usable()) throw err;
          mlog.warn({ err }, 'a pass over the mailbox failed; trying again at the next check');
        }
        if (!stopping() && usable()) await signal.wait(settings.pollIntervalMs);
      }
      if (!stopping()) throw new ConnectionLost('the server closed the connection');
    } finally {
      client = undefined;
      if (imap.usable) {
        await Promise.race([imap.logout().catch(() => undefined), sleep(LOGOUT_TIMEOUT_MS)]);
      }
      imap.close();
    }
  }

  async function run(): Promise<void> {
    const delays = settings.reconnectDelayMs ?? { first: 1_000, max: 60_000 };
    let delay = delays.first;
    while (!stopping()) {
      const lease = inbound.acquireLease
        ? await inbound.acquireLease(mailbox.id, () => {
            mlog.warn('lost the mailbox lease: another process reads it now');
            client?.close();
          }).catch((err: unknown) => {
            mlog.warn({ err }, 'could not ask for the mailbox lease');
            return null;
          })
        : { release: () => Promise.resolve() };
      if (!lease) {
        // Another process reads the mailbox; ask again soon, to take over quickly when it stops.
        await signal.wait(Math.min(settings.pollIntervalMs, LEASE_RETRY_MS));
        continue;
      }
      const startedAt = Date.now();
      try {
        await session();
      } catch (err) {
        if (!stopping()) mlog.warn({ err, retryInMs: delay }, 'IMAP session ended; reconnecting');
      } finally {
        await lease.release();
      }
      if (stopping()) break;
      if (Date.now() - startedAt >= HEALTHY_SESSION_MS) delay = delays.first;
      await signal.wait(delay);
      delay = Math.min(delay * 2, delays.max);
    }
  }

  const running = run().catch((err: unknown) => {
    mlog.error({ err }, 'mailbox poller stopped unexpectedly');
  });

  return {
    async stop() {
      stopRequested = true;
      signal.wake();
      await running;
    },
    checkNow() {
      signal.wake();
    },
  };
}
