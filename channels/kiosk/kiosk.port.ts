import type { PreferentialReason } from '../../src/domain/counter-turns.js';
import type { CounterTurnView, CounterView, DeviceView, FinishInput, IssuedTurn, KioskCaller, KioskServiceGroup, PublicTurnStatus } from '../../src/services/counter/index.js';
import type { StaffActor } from '../../src/services/staff/index.js';

/**
 * The counter channel's one inbound port: what the kiosks, the counters (ventanillas) and the admin's device keys hand
 * the core. The composition root binds it to the counter hall's use cases (`src/wiring/kiosk.ts`). A turn enters
 * through `takeTurn`, which makes it a ticket through the intake like every contact (the kiosk's intake is inline: the
 * printed turn carries the ticket's number); every `at` is the channel's clock, which tests move.
 */
export interface KioskInbound {
  services: (at: Date) => Promise<{ hallName: string; open: boolean; groups: KioskServiceGroup[] }>;
  /** The kiosk presenting this device key; UNAUTHENTICATED, FORBIDDEN or RATE_LIMITED otherwise. */
  authenticate: (key: string | undefined) => Promise<KioskCaller>;
  takeTurn: (kiosk: KioskCaller, input: { requestId: string; service: string; dni?: string | undefined; preferentialReason?: PreferentialReason | undefined }, at: Date) => Promise<{ created: boolean; turn: IssuedTurn }>;
  turnStatus: (token: string) => Promise<PublicTurnStatus>;
  issueDevice: (actor: StaffActor, name: string) => Promise<{ device: DeviceView; key: string }>;
  listDevices: (actor: StaffActor) => Promise<DeviceView[]>;
  revokeDevice: (actor: StaffActor, deviceId: string) => Promise<DeviceView>;
  listCounters: (at: Date) => Promise<CounterView[]>;
  viewCounter: (code: string, at: Date) => Promise<CounterView>;
  signIn: (actor: StaffActor, code: string, at: Date) => Promise<CounterView>;
  signOut: (actor: StaffActor, code: string, at: Date) => Promise<CounterView>;
  setPaused: (actor: StaffActor, code: string, paused: boolean, reason: string | undefined, at: Date) => Promise<CounterView>;
  callNext: (actor: StaffActor, code: string, at: Date) => Promise<CounterTurnView | null>;
  recall: (actor: StaffActor, code: string, at: Date) => Promise<CounterTurnView>;
  noShow: (actor: StaffActor, code: string, at: Date) => Promise<CounterTurnView>;
  start: (actor: StaffActor, code: string, at: Date) => Promise<CounterTurnView>;
  finish: (actor: StaffActor, code: string, input: FinishInput, at: Date) => Promise<CounterTurnView>;
  redirect: (actor: StaffActor, code: string, input: { service: string; notes?: string | undefined }, at: Date) => Promise<CounterTurnView>;
  park: (actor: StaffActor, code: string, note: string | undefined, at: Date) => Promise<CounterTurnView>;
  recallParked: (actor: StaffActor, code: string, ticketId: string, at: Date) => Promise<CounterTurnView>;
}

/** What the counter channel's endpoints are handed: its port, its clock and the catalogue's codes they accept. */
export interface KioskChannelDeps {
  inbound: KioskInbound;
  /** The clock turns are numbered and checked against (Lima day, business hours); injectable for tests. */
  now: () => Date;
  /** Kiosk service codes (config/kiosk.json), for the document and the parser. */
  serviceCodes: readonly string[];
  counterCodes: readonly string[];
  unitCodes: readonly string[];
}
