import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../logging.js';
import { assertPortFree, startOnLoopback, waitUntilListening, type ManagedProcess } from './process.js';

/** How long to wait before restarting a service that exited: doubles per failure, back to `initialMs` once it stayed up. */
export interface Backoff {
  initialMs: number;
  maxMs: number;
  /** A service that ran this long before exiting is restarted after `initialMs` again. */
  stableMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 250, maxMs: 10_000, stableMs: 30_000 };

/**
 * A service kept running on one loopback port: when it exits without being asked to, it is started again on the
 * same port (and the same data, which the spawn function fixes), after a backoff, until `stop()`.
 */
export interface SupervisedService {
  readonly name: string;
  readonly port: number;
  /** Guardian process id of the instance running now; it changes on each restart. */
  readonly pid: number;
  /** How many times the service was restarted after an unexpected exit. */
  readonly restarts: number;
  /**
   * Calls `listener` each time the service is back and listening after an unexpected exit. A restarted Redis is
   * empty, so this is the moment to rebuild what lived in it. Returns a function that removes the listener.
   */
  onRestart(listener: () => void): () => void;
  /** Stops the service and any restart in progress; nothing is restarted afterwards. */
  stop(): Promise<void>;
}

/** What every embedded service is started with. */
export interface EmbeddedServiceOptions {
  /** The service's output goes here. */
  logFile: string;
  /** Where restarts are reported. */
  log: Logger;
  /** 0 or undefined: a free loopback port. */
  port?: number;
  startTimeoutMs?: number;
  backoff?: Backoff;
}

export interface SuperviseOptions {
  log: Logger;
  /** 0 or undefined: a free loopback port, kept for every restart. */
  port: number | undefined;
  startTimeoutMs: number;
  backoff?: Backoff;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Starts `name` on loopback (see `startOnLoopback`) and restarts it with backoff whenever it exits on its own. */
export async function startSupervised(
  name: string,
  options: SuperviseOptions,
  spawnAt: (port: number) => Promise<ManagedProcess>,
): Promise<SupervisedService> {
  const { log, startTimeoutMs } = options;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const { port, proc } = await startOnLoopback(name, options.port, startTimeoutMs, spawnAt);
  let current = proc;
  let upSince = Date.now();
  let delay = backoff.initialMs;
  let restarts = 0;
  let stopping = false;
  const cancelBackoff = new AbortController();
  const listeners = new Set<() => void>();

  /** Resolves true once a new instance listens on `port`, false when `stop()` was called meanwhile. */
  async function restart(): Promise<boolean> {
    for (;;) {
      try {
        await sleep(delay, undefined, { signal: cancelBackoff.signal });
      } catch {
        return false;
      }
      delay = Math.min(delay * 2, backoff.maxMs);
      try {
        await assertPortFree(name, port);
        const next = await spawnAt(port);
        current = next;
        if (stopping) {
          await next.stop();
          return false;
        }
        await waitUntilListening(next, port, startTimeoutMs);
        return true;
      } catch (err) {
        if (stopping) return false;
        log.error({ service: name, port, err: errorText(err), retryInMs: delay }, 'embedded service did not restart; retrying');
      }
    }
  }

  async function supervise(): Promise<void> {
    for (;;) {
      const code = await current.exited;
      if (stopping) return;
      const upMs = Date.now() - upSince;
      if (upMs >= backoff.stableMs) delay = backoff.initialMs;
      log.warn({ service: name, port, code, upMs, restartInMs: delay }, 'embedded service exited unexpectedly; restarting it');
      if (!(await restart())) return;
      upSince = Date.now();
      restarts += 1;
      log.warn({ service: name, port, restarts }, 'embedded service restarted');
      for (const listener of listeners) {
        try {
          listener();
        } catch (err) {
          log.error({ service: name, err: errorText(err) }, 'embedded service restart listener failed');
        }
      }
    }
  }

  const supervising = supervise();
  return {
    name,
    port,
    get pid() {
      return current.pid;
    },
    get restarts() {
      return restarts;
    },
    onRestart(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    async stop() {
      stopping = true;
      cancelBackoff.abort();
      await current.stop();
      await supervising;
      await current.stop();
    },
  };
}
