import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerError, type SMTPServerSession } from 'smtp-server';

/** One message the sink accepted, as it came over the wire (after SMTP dot-unstuffing). */
export interface SinkMessage {
  /** MAIL FROM; an empty string for the null sender `<>`. */
  envelopeFrom: string;
  /** RCPT TO addresses the sink accepted, in order. */
  envelopeTo: string[];
  raw: Buffer;
  /** The user that authenticated, when the sink asks for AUTH. */
  user: string | undefined;
  receivedAt: Date;
}

/** An SMTP error reply: 4xx is temporary (the sender should retry), 5xx permanent. */
export interface SmtpReply {
  code: number;
  /** Text after the code; smtp-server adds the enhanced status code (e.g. `5.1.1`) itself. */
  message: string;
}

export interface SmtpSinkOptions {
  /** Require AUTH PLAIN or LOGIN with these credentials (over plain TCP: it is loopback). Without it, no AUTH. */
  auth?: { user: string; pass: string };
}

/** A real SMTP server on loopback that records what it is sent, standing in for the municipality's relay. */
export interface SmtpSink {
  readonly host: string;
  readonly port: number;
  readonly messages: readonly SinkMessage[];
  /** Answers RCPT TO for `address` (case-insensitive) with `reply` until `reset()`. */
  rejectRecipient(address: string, reply: SmtpReply): void;
  /** Answers every DATA with `reply` (the message is not recorded) until `reset()`; `undefined` accepts again. */
  rejectData(reply: SmtpReply | undefined): void;
  /** Forgets recorded messages and every rejection rule. */
  reset(): void;
  /** Resolves once at least `count` messages were recorded; the timeout only bounds a test that would hang. */
  waitForMessages(count: number, timeoutMs?: number): Promise<readonly SinkMessage[]>;
  /** nodemailer `createTransport` options for this sink (no TLS; the sink's credentials if it has any). */
  transportOptions(): SMTPTransport.Options;
  stop(): Promise<void>;
}

function smtpError(reply: SmtpReply): SMTPServerError {
  if (!Number.isInteger(reply.code) || reply.code < 400 || reply.code > 599) throw new RangeError(`an SMTP rejection needs a 4xx or 5xx code, not ${reply.code}`);
  return Object.assign(new Error(reply.message), { responseCode: reply.code });
}

function readAll(stream: SMTPServerDataStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('error', reject);
    stream.once('end', () => {
      resolve(Buffer.concat(chunks));
    });
  });
}

export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const messages: SinkMessage[] = [];
  const rejectedRecipients = new Map<string, SmtpReply>();
  let dataRejection: SmtpReply | undefined;
  const events = new EventEmitter();
  const users = new Map<string, string>();
  const { auth } = options;

  const server = new SMTPServer({
    name: 'smtp-sink.test',
    banner: 'test SMTP sink',
    logger: false,
    disableReverseLookup: true,
    // Plain TCP on loopback: no STARTTLS offered, so nodemailer never negotiates TLS with a self-signed certificate.
    disabledCommands: auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: !auth,
    allowInsecureAuth: true,
    closeTimeout: 1_000,
    onAuth(credentials, session, callback) {
      if (auth && credentials.username === auth.user && credentials.password === auth.pass) {
        users.set(session.id, auth.user);
        callback(null, { user: auth.user });
        return;
      }
      callback(smtpError({ code: 535, message: 'Authentication credentials invalid' }));
    },
    onRcptTo(address, _session, callback) {
      const reply = rejectedRecipients.get(address.address.toLowerCase());
      callback(reply ? smtpError(reply) : null);
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      readAll(stream).then(
        (raw) => {
          if (dataRejection) {
            callback(smtpError(dataRejection));
            return;
          }
          const { mailFrom, rcptTo } = session.envelope;
          const message: SinkMessage = {
            envelopeFrom: mailFrom === false ? '' : mailFrom.address,
            envelopeTo: rcptTo.map((rcpt) => rcpt.address),
            raw,
            user: users.get(session.id),
            receivedAt: new Date(),
          };
          messages.push(message);
          events.emit('message');
          callback(null, `Ok: queued as sink-${messages.length}`);
        },
        (err: unknown) => {
          callback(err instanceof Error ? err : new Error(String(err)));
        },
      );
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const port = (server.server.address() as AddressInfo).port;

  let stopping: Promise<void> | undefined;
  return {
    host: '127.0.0.1',
    port,
    messages,
    rejectRecipient(address, reply) {
      smtpError(reply);
      rejectedRecipients.set(address.toLowerCase(), reply);
    },
    rejectData(reply) {
      if (reply) smtpError(reply);
      dataRejection = reply;
    },
    reset() {
      messages.length = 0;
      rejectedRecipients.clear();
      dataRejection = undefined;
    },
    waitForMessages(count, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (messages.length < count) return;
          clearTimeout(timer);
          events.off('message', check);
          resolve(messages.slice());
        };
        const timer = setTimeout(() => {
          events.off('message', check);
          reject(new Error(`SMTP sink: ${messages.length} of ${count} messages after ${timeoutMs} ms`));
        }, timeoutMs);
        events.on('message', check);
        check();
      });
    },
    transportOptions() {
      return { host: '127.0.0.1', port, secure: false, ignoreTLS: true, ...(auth ? { auth: { user: auth.user, pass: auth.pass } } : {}) };
    },
    stop() {
      stopping ??= new Promise((resolve) => {
        server.close(() => {
          resolve();
        });
      });
      return stopping;
    },
  };
}
