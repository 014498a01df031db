import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadCatalogue, type Catalogue } from '../../src/config/catalogue.js';
import { loadEnv, type Env } from '../../src/config/env.js';
import { startEmbedded, type EmbeddedServices } from '../../src/embedded/index.js';
import { createLogger, type Logger } from '../../src/logging.js';
import type { Redis } from 'ioredis';
import { createRedis } from '../../src/queues/redis-client.js';
import { connectStore, type Store } from '../../src/store/connection.js';
import { redisDocumentLocks, type DocumentLocks } from '../../src/store/document-lock.js';

/**
 * The real services every integration test runs against, started once per mocha run: FerretDB and Redis from
 * `src/embedded/` in a temp dir, unless MONGODB_URI / REDIS_URL point at servers started elsewhere.
 */
export interface TestServices {
  mongodbUri: string;
  redisUrl: string;
  dataDir: string;
}

let started: Promise<{ services: TestServices; embedded: EmbeddedServices; dataDir: string }> | undefined;

export const testLog: Logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');

export async function testServices(): Promise<TestServices> {
  started ??= (async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'mcc-test-'));
    const embedded = await startEmbedded({
      dataDir,
      mongodb: process.env.MONGODB_URI === undefined,
      redis: process.env.REDIS_URL === undefined,
      log: testLog,
    });
    const mongodbUri = process.env.MONGODB_URI ?? embedded.mongodbUri;
    const redisUrl = process.env.REDIS_URL ?? embedded.redisUrl;
    if (!mongodbUri || !redisUrl) throw new Error('test services did not start');
    return { services: { mongodbUri, redisUrl, dataDir }, embedded, dataDir };
  })();
  return (await started).services;
}

/** Called by the root hook once the whole run is over. */
export async function stopTestServices(): Promise<void> {
  if (!started) return;
  const { embedded, dataDir } = await started;
  started = undefined;
  lockRedis?.disconnect();
  lockRedis = undefined;
  await embedded.stop();
  await rm(dataDir, { recursive: true, force: true });
}

/** A name unique to this test file and run, usable as a database name or a queue prefix. */
export function uniqueName(testFile: string): string {
  const stem = basename(testFile).replace(/\.spec\.ts$/, '').replace(/[^A-Za-z0-9]/g, '_').slice(0, 40);
  return `t_${stem}_${randomBytes(4).toString('hex')}`;
}

let lockRedis: Redis | undefined;

/** The document locks of the store on database `dbName`: the same lock names, so they exclude each other. */
export async function testLocks(dbName: string): Promise<DocumentLocks> {
  const { redisUrl } = await testServices();
  lockRedis ??= createRedis(redisUrl, 'queue', testLog);
  return redisDocumentLocks(lockRedis, { prefix: dbName });
}

/** A store on its own database, so test files never see each other's data (or on `dbName`, to open one again). */
export async function testStore(testFile: string, dbName?: string): Promise<Store> {
  const { mongodbUri } = await testServices();
  const name = dbName ?? uniqueName(testFile);
  return connectStore({ uri: mongodbUri, dbName: name, log: testLog, locks: await testLocks(name) });
}

let catalogue: Promise<Catalogue> | undefined;
export function testCatalogue(): Promise<Catalogue> {
  catalogue ??= loadCatalogue(join(import.meta.dirname, '../../config'));
  return catalogue;
}

/** A validated env for a system under test, pointing at the shared services and a fresh database. */
export async function testEnv(testFile: string, overrides: Record<string, string> = {}): Promise<Env> {
  const { mongodbUri, redisUrl } = await testServices();
  return loadEnv({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    MONGODB_URI: mongodbUri,
    MONGODB_DB: uniqueName(testFile),
    REDIS_URL: redisUrl,
    CONFIG_DIR: join(import.meta.dirname, '../../config'),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    // Few connections: the embedded FerretDB serialises writes, so more only queue inside it (measured).
    MONGODB_POOL_SIZE: '4',
    ...overrides,
  });
}
