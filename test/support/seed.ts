import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CHANNEL_INTAKE, type Contact } from '../../src/domain/contact.js';
import type { StaffRole } from '../../src/domain/staff.js';
import { isOpenStatus } from '../../src/domain/ticket-lifecycle.js';
import type { QueueName } from '../../src/queues/jobs.js';
import type { QueueSet } from '../../src/queues/producer.js';
import type { AppContext } from '../../src/services/context/index.js';
import { receiveContact, takeInQueuedContact, type IntakeOptions, type IntakeResult } from '../../src/services/intake/index.js';
import { hashPassword } from '../../src/services/staff/index.js';
import type { Store } from '../../src/store/connection.js';
import type { PerChannel, StaffDoc } from '../../src/store/staff.model.js';
import type { NewTicket, Ticket } from '../../src/store/ticket.repository.js';

export interface StaffSeed {
  username?: string;
  /** Hashed as the auth service does, so the person can log in; without it the account cannot log in. */
  password?: string;
  roles?: StaffRole[];
  units: string[];
  skills?: string[];
  capacity?: Partial<PerChannel>;
  autoAssign?: boolean;
  disabled?: boolean;
}

/** A staff member created through the repository, as an administrator would, with test defaults. */
export async function seedStaff(store: Store, input: StaffSeed): Promise<StaffDoc> {
  const username = input.username ?? `u${randomUUID().slice(0, 8)}`;
  const created = await store.staff.create({
    username,
    displayName: username,
    passwordHash: input.password === undefined ? 'scrypt$unused' : await hashPassword(input.password),
    roles: input.roles ?? ['agent'],
    units: input.units,
    ...(input.skills ? { skills: input.skills } : {}),
    ...(input.capacity ? { capacity: input.capacity } : {}),
    ...(input.autoAssign !== undefined ? { autoAssign: input.autoAssign } : {}),
  });
  if (!input.disabled) return created;
  const disabled = await store.staff.updateProfile(created._id.toString(), { disabled: true });
  if (!disabled) throw new Error(`staff member ${username} vanished`);
  return disabled;
}

export function contact(overrides: Partial<Contact> = {}): Contact {
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
 * Takes a contact in and answers its ticket now, whatever its channel's intake: an inline channel's through
 * `receiveContact`, a queued channel's (phone) as its `channel.intake` job does once the worker took it out of Redis.
 */
export async function intakeNow(ctx: AppContext, c: Contact, options?: IntakeOptions): Promise<IntakeResult> {
  if (CHANNEL_INTAKE[c.channel] === 'queued') return takeInQueuedContact(ctx, { contact: c });
  const received = await receiveContact(ctx, c, options);
  if (!('ticket' in received)) throw new Error(`a ${c.channel} contact was queued`);
  return received;
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

/** A ticket written straight to the store (no intake, no routing): see {@link ticketInput} for the defaults. */
export async function seedTicket(store: Store, overrides: Partial<NewTicket> = {}): Promise<Ticket> {
  const ticket = await store.tickets.insert(ticketInput(overrides));
  // As intake does: an open ticket is listed in the open-ticket index, which rebuilds and reconciles read.
  if (isOpenStatus(ticket.status)) await store.openTickets.add(ticket._id, ticket.createdAt);
  return ticket;
}
