import { loadEnv } from './config/env.js';
import { startEmbedded } from './embedded/index.js';
import { createLogger } from './logging.js';
import { createRedis } from './queues/redis-client.js';
import { readIndexRun, rebuildReadIndexStep } from './services/read-index/index.js';
import { redisDocumentLocks } from './store/document-lock.js';
import { connectStore } from './store/connection.js';

/*
 * `npm run store:reindex [-- --restart]`: rebuilds the read index (the subject search, a referral's unit where an index
 * finds it) from the stored tickets, printing its progress. It goes on from where a run that stopped left off (Ctrl-C
 * stops it after the batch it is on); `--restart` starts over. Without MONGODB_URI and REDIS_URL it starts the
 * embedded store and Redis on DATA_DIR, so run it with the system stopped, or give it the system's URLs
 * (docs/operations.md).
 */

const BATCHES_PER_STEP = 4;

async function reindex(): Promise<void> {
  const env = loadEnv();
  const restart = process.argv.includes('--restart');
  const log = createLogger(env.LOG_LEVEL === 'debug' ? 'debug' : 'warn', { role: 'reindex' });
  const embedded =
    env.MONGODB_URI === undefined || env.REDIS_URL === undefined
      ? await startEmbedded({ dataDir: env.DATA_DIR, mongodb: env.MONGODB_URI === undefined, redis: env.REDIS_URL === undefined, log })
      : undefined;
  const mongodbUri = env.MONGODB_URI ?? embedded?.mongodbUri;
  const redisUrl = env.REDIS_URL ?? embedded?.redisUrl;
  if (mongodbUri === undefined || redisUrl === undefined) throw new Error('no store or Redis URL');
  const redis = createRedis(redisUrl, 'queue', log);
  const store = await connectStore({ uri: mongodbUri, dbName: env.MONGODB_DB, maxPoolSize: 4, log, locks: redisDocumentLocks(redis, { prefix: 'mcc' }) });
  const state = { stopping: false };
  process.on('SIGINT', () => {
    state.stopping = true;
    process.stdout.write('\nstopping after this batch…\n');
  });
  try {
    const ctx = { store, clock: () => new Date() };
    const started = Date.now();
    const saved = await readIndexRun(ctx);
    // A finished run is done again from the start (that is what the command is for); one that stopped goes on.
    const goOn = saved !== null && saved.finishedAt === undefined && !restart;
    process.stdout.write(goOn ? `read index: going on from ${saved.phase} after ${String(saved.processed)} documents\n` : 'read index: building it from the tickets\n');
    const from = goOn ? saved.processed : 0;
    let run = await rebuildReadIndexStep(ctx, { batches: BATCHES_PER_STEP, restart: !goOn });
    for (;;) {
      const seconds = (Date.now() - started) / 1000;
      const changed = Object.entries(run.changed).map(([kind, n]) => `${kind} ${String(n)}`).join(', ') || 'nothing changed';
      process.stdout.write(`  ${run.phase.padEnd(8)} ${String(run.processed).padStart(9)} documents  ${String(Math.round((run.processed - from) / Math.max(seconds, 0.001))).padStart(6)}/s  ${changed}\n`);
      if (run.finishedAt !== undefined || state.stopping) break;
      run = await rebuildReadIndexStep(ctx, { batches: BATCHES_PER_STEP });
    }
    process.stdout.write(run.finishedAt !== undefined ? `done in ${((Date.now() - started) / 1000).toFixed(1)} s\n` : 'stopped: run the command again to go on from here\n');
  } finally {
    await store.close();
    await redis.quit();
    await embedded?.stop();
  }
}

await reindex();
