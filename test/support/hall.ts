import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import type { TurnCalledPayload } from '../../src/realtime/events.js';
import { issueDeviceKey } from '../../src/services/counter/index.js';
import { startSession } from '../../src/services/staff/index.js';
import type { StaffDoc } from '../../src/store/staff.model.js';
import { startSystem, type RunningSystem } from '../../src/system.js';
import { seedStaff } from './seed.js';
import { testEnv, testLog, uniqueName } from './services.js';
import { actorOf, call, type Answer } from './staff-fixtures.js';
import { eventually } from './wait.js';

/*
 * The counter hall under test: a system (API, Socket.IO, workers) whose counter channel runs on a clock the test
 * moves, on a calendar open every day but Sunday from 00:00 to 23:59 Lima time (so midnight can be crossed with the
 * office open) with the shipped holidays; kiosks with device keys; staff signed in to counters; display boards.
 */

/** The instant of a Lima wall-clock time, e.g. `lima('2026-12-01T10:00')`. */
export function lima(local: string): number {
  return Date.parse(`${local}:00-05:00`);
}

const SHIPPED_CONFIG = join(import.meta.dirname, '../../config');

async function openAllDayConfig(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hall-config-'));
  for (const name of await readdir(SHIPPED_CONFIG)) {
    if (name.endsWith('.json')) await copyFile(join(SHIPPED_CONFIG, name), join(dir, name));
  }
  const calendar = JSON.parse(await readFile(join(SHIPPED_CONFIG, 'calendar.json'), 'utf8')) as { businessHours: Record<string, unknown> };
  const allDay = [{ start: '00:00', end: '23:59' }];
  calendar.businessHours = { mon: allDay, tue: allDay, wed: allDay, thu: allDay, fri: allDay, sat: allDay, sun: [] };
  await writeFile(join(dir, 'calendar.json'), JSON.stringify(calendar));
  return dir;
}

export interface Board {
  socket: Socket;
  calls: TurnCalledPayload[];
  recent: TurnCalledPayload[][];
  /** Every payload as it arrived, for checks on what a public screen may receive. */
  raw: unknown[];
}

export interface Hall {
  system: RunningSystem;
  url: string;
  clock: { ms: number };
  /** An admin's access token. */
  adminToken: string;
  /** A kiosk's device key. */
  kiosk(name?: string): Promise<string>;
  /** A staff member who can work at counters, with an access token. */
  clerk(units?: string[]): Promise<{ staff: StaffDoc; token: string }>;
  /** Takes a turn at a kiosk. */
  take(key: string, body: Record<string, unknown>): Promise<Answer>;
  /** A counter action over HTTP (`sign-in`, `call-next`, ...). */
  counter(token: string, code: string, action: string, body?: unknown): Promise<Answer>;
  board(): Promise<Board>;
  stop(): Promise<void>;
}

export async function startHall(testFile: string, env: Record<string, string> = {}, startAt = lima('2026-12-01T10:00')): Promise<Hall> {
  const configDir = await openAllDayConfig();
  const clock = { ms: startAt };
  const system = await startSystem(await testEnv(testFile, { ROLE: 'all', CONFIG_DIR: configDir, ...env }), {
    log: testLog,
    queuePrefix: uniqueName(testFile),
    counterClock: () => new Date(clock.ms),
  });
  const url = system.url ?? '';
  const adminStaff = await seedStaff(system.ctx.store, { roles: ['admin'], units: ['GDVAC'] });
  const admin = actorOf(adminStaff);
  const adminToken = (await startSession(system.ctx, adminStaff)).accessToken;
  const boards: Board[] = [];
  let requests = 0;
  return {
    system,
    url,
    clock,
    adminToken,
    async kiosk(name = 'Kiosco de prueba') {
      return (await issueDeviceKey(system.ctx, admin, name)).key;
    },
    async clerk(units = ['GDVAC']) {
      const staff = await seedStaff(system.ctx.store, { roles: ['agent'], units });
      return { staff, token: (await startSession(system.ctx, staff)).accessToken };
    },
    take(key, body) {
      requests++;
      return call(url, 'POST', '/api/v1/kiosk/turns', { headers: { 'X-Kiosk-Key': key }, json: { requestId: `req-${String(requests)}-${String(Date.now())}`, ...body } });
    },
    counter(token, code, action, body) {
      return call(url, 'POST', `/api/v1/counters/${code}/${action}`, { token, ...(body !== undefined ? { json: body } : {}) });
    },
    async board() {
      const socket = connect(`${url}/display`, { transports: ['websocket'], reconnection: false, forceNew: true });
      const board: Board = { socket, calls: [], recent: [], raw: [] };
      socket.on('turn:called', (payload: TurnCalledPayload) => {
        board.calls.push(payload);
        board.raw.push(payload);
      });
      socket.on('turn:recent', (payload: { calls: TurnCalledPayload[] }) => {
        board.recent.push(payload.calls);
        board.raw.push(payload);
      });
      boards.push(board);
      await eventually(() => socket.connected, 'the display board to connect');
      return board;
    },
    async stop() {
      for (const b of boards) b.socket.disconnect();
      await system.stop();
      await rm(configDir, { recursive: true, force: true });
    },
  };
}

/** The turn an answer of POST /kiosk/turns carries. */
export interface TurnAnswer {
  created: boolean;
  turn: {
    ticketId: string;
    number: string;
    ahead: number;
    trackingCode: string;
    priority: { class: string; note: string };
    estimatedWait: { minutes: number | null; text: string };
    status: { url: string; token: string };
    printout: string[];
  };
}

export function turnOf(answer: Answer): TurnAnswer['turn'] {
  if (answer.status !== 201 && answer.status !== 200) throw new Error(`no turn: ${String(answer.status)} ${JSON.stringify(answer.body)}`);
  return (answer.body as TurnAnswer).turn;
}

/** The turn a counter answer carries (`call-next`, `recall`, ...). */
export function counterTurn(answer: Answer): { ticketId: string; number: string; stage: string; recalls: number; status: string } {
  if (answer.status !== 200) throw new Error(`no turn: ${String(answer.status)} ${JSON.stringify(answer.body)}`);
  return (answer.body as { turn: { ticketId: string; number: string; stage: string; recalls: number; status: string } }).turn;
}
