import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { createRedis } from '../../src/queues/redis-client.js';
import { CATCH_UP_PER_ROOM, CLOCK_ALLOWANCE_MS, createCatchUpLog, type CatchUpLog } from '../../src/realtime/catch-up.js';
import type { TicketEventPayload } from '../../src/realtime/events.js';
import { testLog, testServices, uniqueName } from '../support/services.js';

/*
 * A reconnecting client's catch-up comes from the rooms' logs in Redis (real Redis): what the client's rooms received
 * after the instant it gives, each event once, and `complete: false` when a room no longer holds all of it.
 */

let serial = 0;
function event(at: Date, unitCode = 'GDVAC'): TicketEventPayload {
  serial += 1;
  return {
    eventId: `e${String(serial).padStart(6, '0')}`,
    kind: 'routed',
    at: at.toISOString(),
    ticket: { ticketId: `t${String(serial)}`, trackingCode: `PL-2026-${String(serial).padStart(6, '0')}`, status: 'en_cola', channel: 'email', type: 'consulta', unitCode, queue: 'general', priorityClass: 'normal', slaAtRisk: false, version: 1 },
  };
}

describe('catch-up log of the Socket.IO rooms (real Redis)', () => {
  let redis: Redis;
  let log: CatchUpLog;

  before(async () => {
    redis = createRedis((await testServices()).redisUrl, 'queue', testLog);
    log = createCatchUpLog(redis, uniqueName(import.meta.filename));
  });

  after(() => {
    redis.disconnect();
  });

  it('gives what the rooms received after the instant, oldest first, an event pushed to two of them once', async () => {
    const t0 = Date.now();
    const before = event(new Date(t0 - 2_000));
    const both = event(new Date(t0 + 1));
    const other = event(new Date(t0 + 2), 'GAT');
    const mine = event(new Date(t0 + 3));
    await log.append(['unit:GDVAC', 'admins'], before);
    await log.append(['unit:GDVAC', 'user:u1', 'admins'], both);
    await log.append(['unit:GAT', 'admins'], other);
    await log.append(['unit:GDVAC', 'admins'], mine);
    const office = await log.since(['user:u1', 'unit:GDVAC'], new Date(t0), 100);
    expect(office).to.deep.equal({ events: [both, mine], complete: true });
    const admin = await log.since(['admins'], new Date(t0), 100);
    expect(admin.events.map((e) => e.eventId)).to.deep.equal([both, other, mine].map((e) => e.eventId));
    const capped = await log.since(['admins'], new Date(t0), 2);
    expect(capped).to.deep.include({ complete: false });
    expect(capped.events).to.have.length(2);
    expect(await log.since(['unit:SGLP'], new Date(t0), 100)).to.deep.equal({ events: [], complete: true });
  });

  it('says when a room no longer holds everything since the instant', async () => {
    const t0 = new Date();
    for (let i = 0; i < CATCH_UP_PER_ROOM + 300; i++) await log.append(['unit:SGF'], event(new Date()));
    const long = await log.since(['unit:SGF'], t0, 5_000);
    expect(long.complete, 'the first 300 are gone').to.equal(false);
    expect(long.events.length).to.be.within(CATCH_UP_PER_ROOM, CATCH_UP_PER_ROOM + 300);
    // Later, a client that left after the room's oldest event it still holds misses nothing.
    await sleep(CLOCK_ALLOWANCE_MS + 200);
    const since = new Date();
    const later = Array.from({ length: 10 }, () => event(new Date(since.getTime() + 1)));
    for (const e of later) await log.append(['unit:SGF'], e);
    expect(await log.since(['unit:SGF'], since, 5_000)).to.deep.equal({ events: later, complete: true });
  });
});
