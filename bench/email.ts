import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MailInbound } from '../channels/email/email.port.js';
import { loadCatalogue } from '../src/config/catalogue.js';
import type { EmailChannelEnv } from '../src/config/env.js';
import { ourMessageId } from '../src/domain/citizen-email.js';
import type { AppContext } from '../src/services/context/index.js';
import type { TicketDoc } from '../src/store/ticket.model.js';
import { ticketIdFor } from '../src/store/ticket.repository.js';
import { emailIntakeDeps, mailInbound, startEmailPoller } from '../src/wiring/email.js';
import { startDovecot } from '../test/support/dovecot.js';
import { MAIL_PASSWORD } from '../test/support/email-channel.js';
import { startSmtpSink, type SmtpSink } from '../test/support/smtp-sink.js';
import { CpuMeter, type CpuShare } from './cpu.js';
import { closedCasesFor, compareOutcomes, planMailbox, renderMail, threadHeaders, type ClosedCase, type EarlierCase, type MailKind, type MailShape, type OfficeAddresses } from './email-mail.js';
import { insertClosedMailCases, reserveCodes } from './history.js';
import { pause, TooSlow, type PhaseContext, type PhaseReturn } from './phase.js';
import { settle } from './pipeline.js';
import { profiled, type ProfileSummary } from './profile.js';
import { nowMs, perSecond, summarize, type LatencySummary } from './stats.js';
import { watchStoreOperations, type StoreOperations } from './store-operations.js';
import { REPO_ROOT, type SystemUnderTest, type WarningSource } from './system-under-test.js';
import { clearWaiting } from './take-next.js';

/*
 * The email channel's intake at scale: a real Dovecot mailbox holding a day's worth of varied mail, read by the
 * system's own poller (the production composition: `startEmailPoller` with `mailInbound` and `emailIntakeDeps`),
 * timed from the poller's start until the mailbox's reading state records the last UID. Outgoing mail is on, into the
 * SMTP sink of the tests: acknowledgements are jobs that run meanwhile, as in production, and what they send is what
 * replies in the mailbox cite.
 */

/** The SMTP sink the system under test sends its mail to, and the settings that point it there. */
export interface EmailHarness {
  readonly env: Record<string, string>;
  readonly sink: SmtpSink;
  /** The office's address (`EMAIL_FROM`): the first mailbox of `mailboxes.json`. */
  readonly fromAddress: string;
  close(): Promise<void>;
}

export async function startEmailHarness(configDir: string): Promise<EmailHarness> {
  const catalogue = await loadCatalogue(configDir);
  const fromAddress = catalogue.mailboxes.mailboxes[0]?.address ?? 'atencion@bench.example';
  const sink = await startSmtpSink();
  return {
    env: { SMTP_HOST: sink.host, SMTP_PORT: String(sink.port), SMTP_TLS: 'none', EMAIL_FROM: `Municipalidad (bench) <${fromAddress}>` },
    sink,
    fromAddress,
    close: () => sink.stop(),
  };
}

export interface EmailPlan {
  /** Messages in the measured mailbox. */
  messages: number;
  /** Where the CPU profile of the ingest goes (`--profile`). */
  profileFile?: string;
}

/** How one stretch of reading went. */
interface Ingest {
  /** The mailbox's reading state reached the last UID. */
  complete: boolean;
  /** UIDs recorded in the reading state (mail taken in, or set aside). */
  recorded: number;
  /** Writes of the reading state: one per batch the poller settled. */
  batches: number;
  ms: number;
  /** Between the core's answers to two consecutive mails (the first from the poller's start): everything one message costs, its batch's fetch and settling included. */
  intervals: number[];
  /** Each message taken in, step by step: see {@link EmailStages}. */
  stages: Record<keyof EmailStages, number[]>;
  /** What each mail became, by Message-ID. */
  outcomes: Map<string, { kind: string; ticketId?: string; trackingCode?: string }>;
  /** Attempts the core refused (retried at the next pass), by message. */
  refused: Record<string, number>;
  /** Mail set aside after the core refused it for good. */
  setAside: number;
}

/** Where the time goes, in the poller's order (ms): per message for the first two, per batch for the last two. */
export interface EmailStages {
  /** The previous answer or batch settled (or the poller's start) → the mail handed to the core: parsing, and the batch's FETCH for its first mail. */
  read: LatencySummary;
  /** `takeInEmail`: threading, the ticket or interaction stored, the acknowledgement requested. */
  useCase: LatencySummary;
  /** Per batch: the core's last answer → the batch's mail moved to the processed folder (one IMAP MOVE). */
  move: LatencySummary;
  /** Per batch: the mailbox's reading state written (its last UID). */
  record: LatencySummary;
}

export interface EmailResult {
  mailbox: string;
  /** Messages in the measured mailbox, by kind and, for new cases, by shape; and their size in total. */
  messages: number;
  mix: Partial<Record<MailKind, number>>;
  shapes: Partial<Record<MailShape, number>>;
  mailboxBytes: number;
  /** Writing the mailbox into Dovecot's Maildir (not measured as intake). */
  delivery: { seconds: number; perSecond: number };
  /** The mail acknowledged before: read the same way, on a cold poller, to have cases to answer. */
  earlier: { messages: number; seconds: number; perSecond: number; acknowledged: number };
  /** Cases closed before, which some of the mail answers (written straight into the store, thread keys remembered). */
  closedCases: number;
  /** Messages whose UID the reading state recorded before the deadline; `complete` when all of them. */
  takenIn: number;
  /** Batches the poller settled (one MOVE and one reading-state write each). */
  batches: number;
  complete: boolean;
  /** Poller started → last UID recorded. */
  seconds: number;
  perSecond: number;
  perMessage: LatencySummary;
  stages: EmailStages;
  /** What the mail became, by `EmailOutcome['kind']`. */
  outcomes: Record<string, number>;
  /** Mail that became what its kind should (a reply that opened a new case would not). */
  asPlanned: number;
  mismatches: Record<string, number>;
  refused: Record<string, number>;
  setAside: number;
  /** Acknowledgements the new cases asked for, and those the SMTP sink had received when the ingest ended and later. */
  acknowledgements: { expected: number; atEnd: number; sent: number; drainSeconds: number | null };
  /** Tickets the outcomes name that were read back by `_id` afterwards. */
  ticketsFound: number;
  cpu: CpuShare;
  store: StoreOperations;
  storeOperationsPerMessage: number | null;
  warnings: Record<string, number>;
  profile?: ProfileSummary;
}

function countBy<T extends string>(values: readonly T[]): Partial<Record<T, number>> {
  const counts: Partial<Record<T, number>> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

/** How long the harness waits for the acknowledgements of the mail taken in, after the ingest. */
const ACK_WAIT_MS = 20_000;
/** Kept from the phase's deadline for stopping the poller, the acknowledgements and the clean-up. */
const WRAP_UP_MS = 20_000;

/**
 * Starts the system's poller on `mailboxId` and waits until the reading state records `lastUid` (or `until`, epoch
 * ms). The poller is still running when this resolves: `stop` it.
 */
async function ingest(
  ctx: AppContext,
  email: EmailChannelEnv,
  mailboxId: string,
  core: MailInbound,
  uids: { first: number; last: number },
  until: number,
  p: PhaseContext,
  label: string,
  touched: TicketDoc['_id'][],
): Promise<Ingest & { stop: () => Promise<void> }> {
  const result: Ingest = { complete: false, recorded: 0, batches: 0, ms: 0, intervals: [], stages: { read: [], useCase: [], move: [], record: [] }, outcomes: new Map(), refused: {}, setAside: 0 };
  let answeredAt: number | undefined;
  const refusedUids = new Set<number>();
  // The last event: a mail answered, or a batch settled.
  let last = performance.now();
  let lastAnswer = last;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    done = () => {
      result.complete = true;
      resolve();
    };
  });
  const deps: MailInbound = {
    ...core,
    async takeIn(mail) {
      const at = performance.now();
      result.stages.read.push(at - last);
      try {
        // The ticket the mail opens, or would have (intake keys a mail's case by its Message-ID): removed at the end.
        touched.push(ticketIdFor('email', mail.contact.externalId));
        const outcome = await core.takeIn(mail);
        result.outcomes.set(mail.messageId ?? mail.contact.externalId, outcome);
        refusedUids.delete(mail.record.uid);
        return outcome;
      } catch (err) {
        refusedUids.add(mail.record.uid);
        const reason = err instanceof Error ? err.message.slice(0, 120) : String(err);
        result.refused[reason] = (result.refused[reason] ?? 0) + 1;
        throw err;
      } finally {
        answeredAt = performance.now();
        result.stages.useCase.push(answeredAt - at);
        result.intervals.push(answeredAt - lastAnswer);
        last = lastAnswer = answeredAt;
      }
    },
    async saveState(id, uidValidity, uid) {
      const at = performance.now();
      if (answeredAt !== undefined) result.stages.move.push(at - answeredAt);
      answeredAt = undefined;
      await core.saveState(id, uidValidity, uid);
      last = performance.now();
      result.stages.record.push(last - at);
      result.batches++;
      result.recorded = Math.max(result.recorded, Math.min(uid, uids.last) - uids.first + 1);
      // A refused mail whose UID is recorded was not followed by success: the poller set it aside.
      for (const refused of refusedUids) {
        if (refused > uid) continue;
        refusedUids.delete(refused);
        result.setAside++;
      }
      if (uid >= uids.last) done();
    },
  };
  const started = performance.now();
  last = started;
  const poller = startEmailPoller(ctx, email, mailboxId, deps, { reconnectDelayMs: { first: 200, max: 2_000 } });
  const report = setInterval(() => {
    p.progress.status(`${label}: ${result.recorded.toLocaleString('en-US')} taken in`);
  }, 500);
  await Promise.race([finished, pause(until - nowMs(), p.signal)]);
  clearInterval(report);
  result.ms = (result.complete ? last : performance.now()) - started;
  return { ...result, stop: () => poller.stop() };
}

/** The acknowledgements received by the sink since `from`, waiting until there are `count` (or `withinMs` passed). */
async function awaitAcknowledgements(sink: SmtpSink, from: number, count: number, withinMs: number, signal: AbortSignal): Promise<number> {
  const until = nowMs() + withinMs;
  while (sink.messages.length - from < count && nowMs() < until && !signal.aborted) await pause(50, signal);
  return sink.messages.length - from;
}

/** The closed cases some mail answers: resolved 3 days ago (reopened) or 40 days ago (followed up). */
async function prepareClosedCases(ctx: AppContext, messages: number, fromAddress: string, signal: AbortSignal): Promise<{ cases: ClosedCase[]; ids: TicketDoc['_id'][] }> {
  const { recent, old } = closedCasesFor(messages);
  if (recent + old === 0) return { cases: [], ids: [] };
  const codes = await reserveCodes(ctx, recent + old);
  const docs = await insertClosedMailCases(ctx, codes, [...Array.from({ length: recent }, () => 3), ...Array.from({ length: old }, () => 40)], signal);
  const cases = await Promise.all(
    docs.map(async (doc, i): Promise<ClosedCase> => {
      // What outgoing mail remembered when it acknowledged the case (as the email inbound spec's `remembered` does).
      const ackId = ourMessageId(`email-${doc._id.toString()}-acknowledgement`, fromAddress);
      await ctx.store.mailThreads.remember(
        doc._id,
        [
          { kind: 'tracking_code', value: doc.trackingCode, direction: 'out' },
          { kind: 'message_id', value: ackId, direction: 'out' },
        ],
        doc.createdAt,
      );
      return { code: doc.trackingCode, ackId, from: `vecino.cerrado${String(i)}@gmail.com`, subject: doc.subject, recent: i < recent };
    }),
  );
  return { cases, ids: docs.map((doc) => doc._id) };
}

/**
 * The email phase: cases closed before and mail acknowledged before (read first, untimed), then a mailbox of
 * `plan.messages` varied messages, and the system's poller timed until it has taken in the last of them. The tickets
 * still waiting are removed at the end, whatever happened, so later phases see the history only.
 */
export async function measureEmail(
  sut: SystemUnderTest,
  harness: EmailHarness,
  services: { cpu: CpuMeter; tally: WarningSource },
  plan: EmailPlan,
  p: PhaseContext,
): Promise<PhaseReturn<EmailResult>> {
  const ctx = sut.system.ctx;
  const mailbox = ctx.catalogue.mailboxes.mailboxes[0];
  if (!mailbox) throw new Error('mailboxes.json has no mailbox');
  const user = mailbox.login ?? mailbox.address;
  const office: OfficeAddresses = { address: mailbox.address, aliases: mailbox.aliases };
  const dovecot = await startDovecot({ users: [{ user, password: MAIL_PASSWORD }] });
  const attachmentsDir = await mkdtemp(join(tmpdir(), 'mcc-bench-attachments-'));
  const touched: TicketDoc['_id'][] = [];
  // Pollers still running when the phase ends early (an error, the deadline): stopped in the clean-up.
  const running = new Set<() => Promise<void>>();
  const track = <T extends { stop: () => Promise<void> }>(run: T): T => {
    const stop = run.stop;
    const once = (): Promise<void> => {
      running.delete(once);
      return stop();
    };
    running.add(once);
    return { ...run, stop: once };
  };
  try {
    const email: EmailChannelEnv = { imap: { host: dovecot.host, port: dovecot.port, tls: 'none', user, password: MAIL_PASSWORD }, pollIntervalMs: 1_000, attachmentsDir };
    const core = mailInbound(ctx, emailIntakeDeps(ctx, email));
    const closed = await prepareClosedCases(ctx, plan.messages, harness.fromAddress, p.signal);
    touched.push(...closed.ids);

    // The mail acknowledged before: new cases a tenth the size of the mailbox, read on a cold poller.
    const earlierPlan = planMailbox(Math.max(10, Math.round(plan.messages / 10)), { seed: 7, prefix: 'antes', office, earlier: [], closed: [], newOnly: true });
    const sentBefore = harness.sink.messages.length;
    const earlierUids = await dovecot.deliverMany(user, earlierPlan.map((mail) => renderMail(mail, new Date(Date.now() - 86_400_000))));
    const first = track(await ingest(ctx, email, mailbox.id, core, earlierUids, p.deadline - WRAP_UP_MS, p, 'email: earlier mail', touched));
    await first.stop();
    if (!first.complete) throw new TooSlow(`the earlier mail was not taken in before the deadline (${String(first.recorded)} of ${String(earlierPlan.length)})`);
    const acknowledged = await awaitAcknowledgements(harness.sink, sentBefore, earlierPlan.length, ACK_WAIT_MS, p.signal);
    const acks = new Map(harness.sink.messages.slice(sentBefore).map((m) => threadHeaders(m.raw)).flatMap((h) => (h.inReplyTo !== undefined && h.messageId !== undefined ? [[h.inReplyTo, h.messageId] as const] : [])));
    const earlier: EarlierCase[] = earlierPlan.flatMap((mail) => {
      const code = first.outcomes.get(mail.messageId)?.trackingCode;
      const ackId = acks.get(mail.messageId);
      return code === undefined ? [] : [{ messageId: mail.messageId, from: mail.from.address, subject: mail.subject, code, ...(ackId !== undefined ? { ackId } : {}) }];
    });

    // The mailbox measured.
    const mails = planMailbox(plan.messages, { seed: plan.messages, prefix: 'buzon', office, earlier, closed: closed.cases });
    // In a function of its own: the messages' bytes (100 MB for 2,000) are not held while the mail is taken in.
    const { uids, mailboxBytes, deliveryMs } = await (async () => {
      const raws = mails.map((mail) => renderMail(mail, new Date()));
      const deliveredAt = nowMs();
      return { uids: await dovecot.deliverMany(user, raws), mailboxBytes: raws.reduce((sum, raw) => sum + raw.length, 0), deliveryMs: nowMs() - deliveredAt };
    })();
    // The earlier mail's routing and acknowledgements are done: the ingest starts on a quiet system.
    await settle(sut, Math.min(15_000, Math.max(0, p.deadline - nowMs() - WRAP_UP_MS)), p.signal, ['channel', 'route', 'assign']);

    services.tally.take();
    const sentAtStart = harness.sink.messages.length;
    const cpuFrom = await services.cpu.snapshot();
    const watch = watchStoreOperations(ctx.store.connection, REPO_ROOT);
    const measure = async (): Promise<Ingest & { stop: () => Promise<void> }> => {
      return track(await ingest(ctx, email, mailbox.id, core, uids, p.deadline - WRAP_UP_MS, p, `email: ${String(plan.messages)} messages`, touched));
    };
    let profile: ProfileSummary | undefined;
    let run: Ingest & { stop: () => Promise<void> };
    if (plan.profileFile === undefined) run = await measure();
    else ({ value: run, profile } = await profiled(plan.profileFile, measure));
    const store = await watch.stop();
    const cpuTo = await services.cpu.snapshot();
    const atEnd = harness.sink.messages.length - sentAtStart;
    await run.stop();

    const { asPlanned, mismatches } = compareOutcomes(mails, run.outcomes);
    const asksAck = new Set<MailKind>(['new', 'forward', 'reply_old']);
    const expectedAcks = mails.filter((mail) => asksAck.has(mail.kind) && ['created', 'follow_up'].includes(run.outcomes.get(mail.messageId)?.kind ?? '')).length;
    const drainFrom = nowMs();
    const sent = await awaitAcknowledgements(harness.sink, sentAtStart, expectedAcks, Math.min(ACK_WAIT_MS, Math.max(0, p.deadline - nowMs() - 5_000)), p.signal);
    const drainSeconds = sent >= expectedAcks ? Math.round((nowMs() - drainFrom) / 100) / 10 : null;
    const ids = [...new Set([...run.outcomes.values()].flatMap((o) => (o.ticketId !== undefined ? [o.ticketId] : [])))];
    const found = (await Promise.all(ids.map((id) => ctx.store.tickets.get(id)))).filter((t) => t !== null).length;
    const outcomes: Record<string, number> = {};
    for (const { kind } of run.outcomes.values()) outcomes[kind] = (outcomes[kind] ?? 0) + 1;
    const result: EmailResult = {
      mailbox: mailbox.id,
      messages: mails.length,
      mix: countBy(mails.map((m) => m.kind)),
      shapes: countBy(mails.filter((m) => m.kind === 'new').map((m) => m.shape)),
      mailboxBytes,
      delivery: { seconds: Math.round(deliveryMs / 100) / 10, perSecond: perSecond(mails.length, deliveryMs) },
      earlier: { messages: earlierPlan.length, seconds: Math.round(first.ms / 100) / 10, perSecond: perSecond(first.recorded, first.ms), acknowledged },
      closedCases: closed.cases.length,
      takenIn: run.recorded,
      batches: run.batches,
      complete: run.complete,
      seconds: Math.round(run.ms / 100) / 10,
      perSecond: perSecond(run.recorded, run.ms),
      perMessage: summarize(run.intervals, mails.length - run.recorded),
      stages: { read: summarize(run.stages.read), useCase: summarize(run.stages.useCase), move: summarize(run.stages.move), record: summarize(run.stages.record) },
      outcomes,
      asPlanned,
      mismatches,
      refused: run.refused,
      setAside: run.setAside,
      acknowledgements: { expected: expectedAcks, atEnd, sent, drainSeconds },
      ticketsFound: found,
      cpu: CpuMeter.share(cpuFrom, cpuTo),
      store,
      storeOperationsPerMessage: run.recorded > 0 ? Math.round((store.total / run.recorded) * 10) / 10 : null,
      warnings: services.tally.take(),
      ...(profile ? { profile } : {}),
    };
    return { result, timedOut: !run.complete, ...(run.complete ? {} : { note: `took in ${String(run.recorded)} of ${String(mails.length)} messages before the deadline` }) };
  } finally {
    await Promise.race([Promise.all([...running].map((stop) => stop())), pause(10_000)]);
    // Bounded: a system this slow is reported by the phase; the harness does not wait on it.
    await Promise.race([clearWaiting(ctx, touched).catch(() => undefined), pause(30_000)]);
    await Promise.race([dovecot.stop(), pause(10_000)]);
    await rm(attachmentsDir, { recursive: true, force: true });
  }
}
