import { randomUUID } from 'node:crypto';
import type { NormalizedContact } from '../../channels/types.js';
import type { Store } from '../../src/store/connection.js';
import type { PerChannel, StaffDoc, StaffRole } from '../../src/store/staff.model.js';
import type { NewTicket } from '../../src/store/ticket.repository.js';
import type { QueueName } from '../../src/queues/jobs.js';
import type { QueueSet } from '../../src/queues/producer.js';
import { setTimeout as sleep } from 'node:timers/promises';

/** A staff member written straight to the store (password hashing is not what these tests are about). */
export async function seedStaff(
  store: Store,
  input: { username?: string; roles?: StaffRole[]; units: string[]; skills?: string[]; capacity?: Partial<PerChannel>; autoAssign?: boolean },
): Promise<StaffDoc> {
  const doc = await store.models.Staff.create({
    username: input.username ?? `u${randomUUID().slice(0, 8)}`,
    displayName: 'Agente de prueba',
    passwordHash: 'scrypt$unused',
    roles: input.roles ?? ['agent'],
    units: input.units,
    skills: input.skills ?? [],
    capacity: { phone: 1, email: 5, kiosk: 1, manual: 3, ...input.capacity },
    autoAssign: input.autoAssign ?? true,
  });
  return doc.toObject();
}

export function contact(overrides: Partial<NormalizedContact> = {}): NormalizedContact {
  return {
    channel: 'email',
    externalId: `<${randomUUID()}@vecino.pe>`,
    receivedAt: new Date(),
    citizen: {},
    subject: 'Consulta de prueba',
    hint: {},
    ...overrides,
  };
}

/**
 * Waits until the given queues have had nothing waiting, active or delayed for a few consecutive looks:
 * the system has settled. Bounded, so a stuck queue fails the test instead of hanging it.
 */
export async function settle(queues: QueueSet, names: readonly QueueName[], timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let quiet = 0;
  while (Date.now() < deadline) {
    const counts = await Promise.all(names.map((n) => queues.queue(n).getJobCounts('waiting', 'active', 'delayed', 'prioritized')));
    const busy = counts.some((c) => Object.values(c).some((v) => v > 0));
    quiet = busy ? 0 : quiet + 1;
    if (quiet >= 5) return;
    await sleep(100);
  }
  throw new Error(`queues ${names.join(', ')} did not settle within ${timeoutMs} ms`);
}

let ticketSequence = 0;

/** A complete ticket for writing straight to the store; unique tracking code and channel key each call. */
export function ticketInput(overrides: Partial<NewTicket> = {}): NewTicket {
  ticketSequence += 1;
  return {
    trackingCode: `PL-2026-${String(700_000 + ticketSequence).padStart(6, '0')}`,
    channel: 'email',
    channelKey: `<seed-${ticketSequence}-${randomUUID()}@vecino.pe>`,
    type: 'consulta',
    unitCode: 'GDVAC',
    originUnitCode: 'GDVAC',
    queue: 'general',
    requiredSkills: [],
    slaAtRisk: false,
    routingHint: {},
    priorityClass: 'normal',
    priorityScore: 1,
    subject: 'Caso de prueba',
    ...overrides,
  };
}
