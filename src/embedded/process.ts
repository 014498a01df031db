import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { open, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Runs a service under a small `sh` guardian so that it never outlives this process: the guardian forwards
 * TERM/INT/HUP to the service and, should this process die without cleaning up (SIGKILL, crash), notices
 * within half a second that its parent is gone and stops the service itself.
 */
const GUARDIAN = [
  'parent=$1; shift',
  '"$@" & child=$!',
  'trap \'kill -TERM "$child" 2>/dev/null\' TERM INT HUP',
  '( while kill -0 "$parent" 2>/dev/null; do sleep 0.5; done; kill -TERM "$child" 2>/dev/null ) & watcher=$!',
  'status=0',
  'while kill -0 "$child" 2>/dev/null; do wait "$child"; status=$?; done',
  'kill "$watcher" 2>/dev/null',
  'exit "$status"',
].join('\n');

export class EmbeddedServiceError extends Error {
  constructor(
    readonly service: string,
    message: string,
  ) {
    super(`${service}: ${message}`);
    this.name = 'EmbeddedServiceError';
  }
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves once the process has exited; sends TERM first and KILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  readonly exited: Promise<number | null>;
}

export async function spawnManaged(
  name: string,
  command: string,
  args: readonly string[],
  logFile: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ManagedProcess> {
  const log = await open(logFile, 'a');
  const child: ChildProcess = spawn('sh', ['-c', GUARDIAN, 'guardian', String(process.pid), command, ...args], {
    stdio: ['ignore', log.fd, log.fd],
    env,
  });
  await log.close();
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      resolve(code);
    });
    child.once('error', () => {
      resolve(null);
    });
  });
  if (child.pid === undefined) throw new EmbeddedServiceError(name, `could not spawn ${command}`);
  const pid = child.pid;
  let stopping: Promise<void> | undefined;
  return {
    name,
    pid,
    logFile,
    exited,
    stop(graceMs = 10_000) {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const timedOut = await Promise.race([exited.then(() => false), sleep(graceMs).then(() => true)]);
        if (timedOut) {
          child.kill('SIGKILL');
          await exited;
        }
      })();
      return stopping;
    },
  };
}

/** A port the OS reports free on loopback now. A service may still lose it to a race: callers retry. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

/**
 * Refuses a port someone else holds. Without this a clash could go unnoticed: the readiness probe would
 * connect to the other program's listener before our service gave up.
 */
export async function assertPortFree(service: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(new EmbeddedServiceError(service, `port ${port} on 127.0.0.1 is already in use (${err.code ?? err.message}); free it or choose another port`));
    });
    server.listen(port, '127.0.0.1', () => {
      server.close(() => {
        resolve();
      });
    });
  });
}

function tcpAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}

export async function logTail(file: string, lines = 15): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * Waits until the service accepts TCP connections on `port`. Fails early, with the end of its log, if the
 * process exits first (a port clash, a bad flag) or if it is not up by `timeoutMs`.
 */
export async function waitUntilListening(proc: ManagedProcess, port: number, timeoutMs: number): Promise<void> {
  let exitCode: number | null | undefined;
  void proc.exited.then((code) => {
    exitCode = code;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new EmbeddedServiceError(
        proc.name,
        `exited with code ${String(exitCode)} before listening on port ${port}. Last log lines (${proc.logFile}):\n${await logTail(proc.logFile)}`,
      );
    }
    if (await tcpAccepts(port)) return;
    await sleep(50);
  }
  await proc.stop();
  throw new EmbeddedServiceError(
    proc.name,
    `did not listen on port ${port} within ${timeoutMs} ms. Last log lines (${proc.logFile}):\n${await logTail(proc.logFile)}`,
  );
}

/**
 * Starts a service on a loopback port and waits until it listens. With no port requested it picks a free one
 * and retries twice, since another program can take a free port between the check and the bind.
 */
export async function startOnLoopback(
  service: string,
  requestedPort: number | undefined,
  timeoutMs: number,
  spawnAt: (port: number) => Promise<ManagedProcess>,
): Promise<{ port: number; proc: ManagedProcess }> {
  const attempts = requestedPort ? 1 : 3;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = requestedPort ?? (await freePort());
    if (requestedPort) await assertPortFree(service, port);
    const proc = await spawnAt(port);
    try {
      await waitUntilListening(proc, port, timeoutMs);
      return { port, proc };
    } catch (err) {
      lastError = err;
      await proc.stop();
    }
  }
  throw lastError;
}
