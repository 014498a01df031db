import { expect } from 'chai';
import { join } from 'node:path';
import { startRedis, type RunningRedis } from '../../src/embedded/redis.js';
import { startSystem, type RunningSystem } from '../../src/system.js';
import { testEnv, testServices, testLog } from '../support/services.js';
import { eventually } from '../support/wait.js';

describe('HTTP health, readiness and error mapping', () => {
  // A Redis of this file's own, so stopping it does not disturb other tests.
  let redis: RunningRedis;
  let system: RunningSystem;
  let url: string;

  before(async () => {
    const { dataDir } = await testServices();
    redis = await startRedis({ workDir: join(dataDir, 'readiness-redis'), logFile: join(dataDir, 'readiness-redis.log'), log: testLog });
    system = await startSystem(await testEnv(import.meta.filename, { ROLE: 'api', REDIS_URL: redis.url }), { log: testLog });
    url = system.url ?? '';
  });

  after(async () => {
    await system.stop();
    await redis.stop();
  });

  it('GET /health answers 200 while the process is up', async () => {
    const res = await fetch(`${url}/health`);
    expect(res.status).to.equal(200);
    expect(await res.json()).to.include({ status: 'ok' });
  });

  it('GET /ready goes 503 when Redis stops and back to 200 when it returns', async () => {
    const ready = await fetch(`${url}/ready`);
    expect(ready.status).to.equal(200);
    expect(await ready.json()).to.deep.equal({ status: 'ready', checks: { store: 'ok', redis: 'ok' } });

    await redis.stop();
    const down = await eventually(async () => {
      const res = await fetch(`${url}/ready`);
      return res.status === 503 ? ((await res.json())) : undefined;
    }, '/ready to report 503');
    expect(down).to.deep.equal({
      error: { code: 'SERVICE_UNAVAILABLE', message: 'A service the system depends on is not answering.', details: { checks: { store: 'ok', redis: 'down' } } },
    });

    const { dataDir } = await testServices();
    redis = await startRedis({ port: redis.port, workDir: join(dataDir, 'readiness-redis'), logFile: join(dataDir, 'readiness-redis.log'), log: testLog });
    await eventually(async () => (await fetch(`${url}/ready`)).status === 200, '/ready to recover');
  });

  it('answers an unknown endpoint with 404 ROUTE_NOT_FOUND', async () => {
    const res = await fetch(`${url}/api/v1/nothing-here`);
    expect(res.status).to.equal(404);
    expect(await res.json()).to.deep.equal({ error: { code: 'ROUTE_NOT_FOUND', message: 'No endpoint GET /api/v1/nothing-here.' } });
  });

  it('answers malformed JSON with 400 MALFORMED_JSON, not 500', async () => {
    const res = await fetch(`${url}/api/v1/tickets`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"subject": "hola",' });
    expect(res.status).to.equal(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).to.equal('MALFORMED_JSON');
  });

  it('answers an oversized body with 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await fetch(`${url}/health`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ blob: 'x'.repeat(300 * 1024) }),
    });
    expect(res.status).to.equal(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).to.equal('PAYLOAD_TOO_LARGE');
  });

  it('returns a request id on every answer', async () => {
    const res = await fetch(`${url}/health`, { headers: { 'x-request-id': 'abc-123' } });
    expect(res.headers.get('x-request-id')).to.equal('abc-123');
  });
});
