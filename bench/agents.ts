import { randomBytes } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import type { StaffRole } from '../src/domain/staff.js';
import type { StaffClientEvents, StaffEvents, TicketEventPayload } from '../src/realtime/events.js';
import { hashPassword } from '../src/services/staff/index.js';
import type { PerChannel } from '../src/store/staff.model.js';
import { stringAt } from './http.js';
import { TooSlow } from './phase.js';
import { nowMs } from './stats.js';
import type { SystemUnderTest } from './system-under-test.js';

type StaffSocket = Socket<StaffEvents, StaffClientEvents>;

/** When a stage of a ticket was seen: received by a socket (`recv`) and stamped by the server (`at`), epoch ms. */
export interface Sighting {
  recv: number;
  at: number;
}

export interface TicketSightings {
  /** The `created` event, seen by the office's observer. */
  created?: Sighting;
  /** The `routed` event, first seen by any agent of the unit it was routed to. */
  routed?: Sighting;
  /** The `assigned` event, seen by the socket of the agent it was assigned to. */
  assigned?: Sighting & { staffId: string };
}

/** Every ticket event any harness socket receives, by ticket: the pipeline's clock. */
export class EventTracker {
  private readonly tickets = new Map<string, TicketSightings>();
  /** `assigned` events seen on the assignee's socket, in total. */
  assignedSeen = 0;

  record(receiverId: string, event: TicketEventPayload, recv: number): void {
    const kind = event.kind;
    if (kind !== 'created' && kind !== 'routed' && kind !== 'assigned') return;
    const id = event.ticket.ticketId;
    let entry = this.tickets.get(id);
    if (!entry) {
      entry = {};
      this.tickets.set(id, entry);
    }
    const at = Date.parse(event.at);
    if (kind === 'assigned') {
      if (event.ticket.assigneeId !== receiverId || entry.assigned) return;
      entry.assigned = { recv, at, staffId: receiverId };
      this.assignedSeen++;
    } else {
      entry[kind] ??= { recv, at };
    }
  }

  get(ticketId: string): TicketSightings | undefined {
    return this.tickets.get(ticketId);
  }
}

/** A staff member of the harness, logged in over REST and connected over Socket.IO. */
export interface HarnessAgent {
  readonly staffId: string;
  readonly username: string;
  readonly token: string;
  readonly units: readonly string[];
  readonly capacity: PerChannel;
  readonly socket: StaffSocket;
  /** Tickets assigned to this agent so far (they keep them: the harness never resolves). */
  assigned: number;
  retired: boolean;
}

export interface RecruitSpec {
  units: string[];
  /** What routing requires of the tickets the agent should take (phone queues ask for skills). */
  skills?: string[];
  roles?: StaffRole[];
  autoAssign: boolean;
  capacity: PerChannel;
  /** Presence set over the socket once connected; none: stays offline (observers, posters). */
  presence?: 'available' | 'away';
  /** Abandons the login and the connection (the phase's deadline). */
  signal?: AbortSignal;
}

/** Manual-channel capacity of a pipeline agent: the most the staff schema allows. */
export const AGENT_CAPACITY: PerChannel = { phone: 1, email: 5, kiosk: 1, manual: 100 };

const CONNECT_TIMEOUT_MS = 10_000;

/**
 * The people of the benchmark. Accounts are written through the staff repository with one password hash
 * computed once (hashing is not what is measured); each then logs in over REST (`/api/v1/auth/login`),
 * connects over Socket.IO with its token and sets its presence with `presence:set`, like a browser.
 */
export class AgentPool {
  readonly agents: HarnessAgent[] = [];
  private readonly password = `bench-${randomBytes(12).toString('base64url')}`;
  private hash: Promise<string> | undefined;
  private serial = 0;

  constructor(
    private readonly sut: SystemUnderTest,
    readonly tracker: EventTracker,
  ) {}

  async recruit(spec: RecruitSpec): Promise<HarnessAgent> {
    const hash = (this.hash ??= hashPassword(this.password));
    this.serial += 1;
    const username = `bench.${spec.units[0]?.toLowerCase() ?? 'x'}.${this.serial}`;
    const staff = await this.sut.system.ctx.store.staff.create({
      username,
      displayName: `Agente ${this.serial}`,
      passwordHash: await hash,
      roles: spec.roles ?? ['agent'],
      units: spec.units,
      ...(spec.skills ? { skills: spec.skills } : {}),
      capacity: spec.capacity,
      autoAssign: spec.autoAssign,
    });
    const login = await this.sut.http.request('POST', '/api/v1/auth/login', { json: { username, password: this.password }, ...(spec.signal ? { signal: spec.signal } : {}) });
    const token = stringAt(login.body, 'accessToken');
    if (login.status !== 200 || token === undefined) throw new Error(`login of ${username} answered ${login.status}`);
    const staffId = staff._id.toString();
    const socket: StaffSocket = io(this.sut.url, { path: '/socket.io', auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
    const agent: HarnessAgent = { staffId, username, token, units: spec.units, capacity: spec.capacity, socket, assigned: 0, retired: false };
    this.agents.push(agent);
    socket.on('ticket:event', (event) => {
      const recv = nowMs();
      this.tracker.record(staffId, event, recv);
      if (event.kind === 'assigned' && event.ticket.assigneeId === staffId) agent.assigned++;
    });
    await new Promise<void>((resolve, reject) => {
      const fail = (err: Error): void => {
        clearTimeout(timer);
        spec.signal?.removeEventListener('abort', aborted);
        reject(err);
      };
      const aborted = (): void => {
        fail(new Error(`connection of ${username} abandoned`));
      };
      const timer = setTimeout(() => {
        fail(new TooSlow(`socket of ${username} did not connect within ${CONNECT_TIMEOUT_MS / 1000} s`));
      }, CONNECT_TIMEOUT_MS);
      spec.signal?.addEventListener('abort', aborted, { once: true });
      socket.once('connect', () => {
        clearTimeout(timer);
        spec.signal?.removeEventListener('abort', aborted);
        resolve();
      });
      socket.once('connect_error', fail);
    });
    if (spec.presence) await this.setPresence(agent, spec.presence);
    return agent;
  }

  async setPresence(agent: HarnessAgent, presence: 'available' | 'away'): Promise<void> {
    const answer: unknown = await agent.socket
      .timeout(CONNECT_TIMEOUT_MS)
      .emitWithAck('presence:set', { presence })
      .catch(() => {
        throw new TooSlow(`presence:set ${presence} of ${agent.username} not acknowledged within ${CONNECT_TIMEOUT_MS / 1000} s`);
      });
    if (typeof answer !== 'object' || answer === null || !('ok' in answer) || answer.ok !== true) {
      throw new Error(`presence:set ${presence} of ${agent.username} failed: ${JSON.stringify(answer)}`);
    }
  }

  /**
   * Makes sure the available agents of `units` have room for `expected` more contacts spread evenly over the
   * units (with a margin), so capacity is never what a phase measures. Agents who are full step away and
   * disconnect (their grace period outlasts the run, so they keep their tickets): the sockets still connected
   * are those of people who can take work, as in an office, instead of an ever-growing crowd.
   */
  async ensureRoom(
    units: readonly string[],
    expected: number,
    onProgress: (text: string) => void,
    signal: AbortSignal,
  ): Promise<{ recruited: number; planned: number; retired: number; stalled?: string }> {
    let retired = 0;
    for (const agent of this.active(units).filter((a) => a.assigned >= a.capacity.manual)) {
      await this.retire(agent);
      retired++;
    }
    const perUnit = Math.ceil((expected * 1.25) / units.length) + 10;
    const plan: string[] = [];
    for (const unit of units) {
      const active = this.active([unit]);
      const room = active.reduce((sum, a) => sum + a.capacity.manual - a.assigned, 0);
      const needed = Math.max(2 - active.length, Math.ceil((perUnit - room) / AGENT_CAPACITY.manual));
      for (let i = 0; i < needed; i++) plan.push(unit);
    }
    let recruited = 0;
    const state: { stalled?: string } = {};
    const planned = plan.length;
    // A few logins at a time: each costs a scrypt verification on the server. A system too slow to let one
    // agent in stops the recruiting: the agents already in are what the phase has.
    const aborted = (): boolean => signal.aborted;
    const workers = Array.from({ length: 4 }, async () => {
      for (let unit = plan.shift(); unit !== undefined && !aborted() && state.stalled === undefined; unit = plan.shift()) {
        try {
          await this.recruit({ units: [unit], autoAssign: true, capacity: AGENT_CAPACITY, presence: 'available', signal });
        } catch (err) {
          if (!(err instanceof TooSlow) && !aborted()) throw err;
          state.stalled ??= err instanceof Error ? err.message : String(err);
          return;
        }
        recruited++;
        onProgress(`agents: ${recruited}/${planned} logged in and available`);
      }
    });
    await Promise.all(workers);
    return { recruited, planned, retired, ...(state.stalled !== undefined ? { stalled: state.stalled } : {}) };
  }

  /** The agent steps away and closes the browser, keeping the tickets already assigned (see ensureRoom). */
  async retire(agent: HarnessAgent): Promise<void> {
    if (agent.retired) return;
    agent.retired = true;
    await this.setPresence(agent, 'away');
    agent.socket.disconnect();
  }

  /** Agents of `units` who are connected and available now. */
  active(units: readonly string[]): HarnessAgent[] {
    return this.agents.filter((a) => !a.retired && a.units.some((u) => units.includes(u)));
  }

  closeAll(): void {
    for (const agent of this.agents) agent.socket.disconnect();
  }
}
