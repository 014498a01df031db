import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RELEASE, RENEW } from './document-lock.js';

/**
 * Which process reads a mailbox. Every worker process starts a poller for every mailbox; the lease lets one of them
 * at a time hold the IMAP connection, so the city's server sees one session per mailbox however many workers run,
 * and two processes never take in the same mail side by side. (Both would be harmless, since intake is idempotent
 * on the Message-ID, but would double every IMAP command.) A holder that dies frees the mailbox within `ttlMs`.
 */
export interface MailboxLeases {
  /** Takes the mailbox's lease, or answers null when another process holds it. */
  acquire(mailboxId: string, onLost: () => void): Promise<MailboxLease | null>;
}

export interface MailboxLease {
  /** Gives the mailbox up (another process may take it at once). */
  release(): Promise<void>;
}

export function createMailboxLeases(redis: Redis, options: { prefix: string; ttlMs?: number }): MailboxLeases {
  const ttlMs = options.ttlMs ?? 30_000;
  return {
    async acquire(mailboxId, onLost) {
      const key = `${options.prefix}:mailbox-lease:${mailboxId}`;
      const token = randomBytes(12).toString('base64url');
      if ((await redis.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') return null;
      let held = true;
      const renewal = setInterval(() => {
        redis.eval(RENEW, 1, key, token, ttlMs).then(
          (renewed) => {
            if (renewed === 0 && held) {
              held = false;
              clearInterval(renewal);
              onLost();
            }
          },
          // Redis unreachable for a moment: the next renewal tries again; the TTL decides if it was too long.
          () => undefined,
        );
      }, Math.max(100, Math.floor(ttlMs / 3)));
      renewal.unref();
      return {
        async release() {
          held = false;
          clearInterval(renewal);
          await redis.eval(RELEASE, 1, key, token).catch(() => undefined);
        },
      };
    },
  };
}
