import { CatalogueError } from './config/catalogue.js';
import { EnvError, loadEnv } from './config/env.js';
import { createLogger } from './logging.js';
import { startSystem } from './system.js';

/** Process entry point: validate, start, and shut down gracefully on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let env;
  try {
    env = loadEnv();
  } catch (err) {
    if (err instanceof EnvError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(env.LOG_LEVEL, { role: env.ROLE });
  // Signals are handled from the start: a Ctrl-C while the system is still starting stops it once started,
  // instead of killing the process with the embedded services still running.
  const state = { stopping: false };
  let started: Awaited<ReturnType<typeof startSystem>> | undefined;
  const stopNow = (): void => {
    const timer = setTimeout(() => {
      log.error({ timeoutMs: env.SHUTDOWN_TIMEOUT_MS }, 'shutdown took too long: exiting');
      process.exit(1);
    }, env.SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    void started?.stop().then(() => {
      log.info('stopped');
      process.exit(0);
    });
  };
  const shutdown = (signal: NodeJS.Signals): void => {
    if (state.stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    state.stopping = true;
    log.info({ signal }, 'shutting down');
    if (started) stopNow();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  try {
    started = await startSystem(env, { log });
  } catch (err) {
    if (err instanceof CatalogueError) log.fatal(err.message);
    else log.fatal({ err }, 'could not start');
    process.exit(1);
  }
  if (state.stopping) stopNow();
  process.on('unhandledRejection', (reason) => {
    log.error({ err: reason }, 'unhandled rejection');
  });
}

await main();
