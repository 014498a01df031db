import mongoose, { type Collection, type Connection, type Schema } from 'mongoose';
import type { Logger } from '../logging.js';
import type { DocumentLocks } from './document-lock.js';
import { createStaffPresenceRepository, type StaffPresenceRepository } from './staff-presence.repository.js';
import { createCitizenMessageRepository, type CitizenMessageRepository } from './citizen-message.repository.js';
import { createCitizenRepository, type CitizenRepository } from './citizen.repository.js';
import { createCounterRepository, type CounterRepository } from './counter.repository.js';
import { createCounterSessionRepository, type CounterSessionRepository } from './counter-session.repository.js';
import { createHallStoreRepository, type HallStoreRepository } from './hall-store.repository.js';
import { createKioskDeviceRepository, type KioskDeviceRepository } from './kiosk-device.repository.js';
import { createInteractionRepository, type InteractionRepository } from './interaction.repository.js';
import { createMailThreadRepository, type MailThreadRepository } from './mail-thread.repository.js';
import { createMailboxStateRepository, type MailboxStateRepository } from './mailbox-state.repository.js';
import { registerModels, type Models } from './models.js';
import { createNotificationRepository, type NotificationRepository } from './notification.repository.js';
import { createOpenTicketRepository, type OpenTicketRepository } from './open-ticket.repository.js';
import type { WriteFilters } from './guarded-update.js';
import { createRefreshTokenRepository, type RefreshTokenRepository } from './refresh-token.repository.js';
import { createStaffRepository, type StaffRepository } from './staff.repository.js';
import { createSurveyResponseRepository, type SurveyResponseRepository } from './survey.repository.js';
import { createTicketEventRepository, type TicketEventRepository } from './ticket-event.repository.js';
import { createTicketSlaRepository, type TicketSlaRepository } from './ticket-sla.repository.js';
import { createTicketTermRepository, type TicketTermRepository } from './ticket-term.repository.js';
import { createMaintenanceRunRepository, type MaintenanceRunRepository } from './maintenance-run.repository.js';
import { createTicketRepository, type TicketRepository } from './ticket.repository.js';

export interface StoreOptions {
  uri: string;
  dbName: string;
  log: Logger;
  /** How long an operation waits for a reachable server before failing (ms). */
  serverSelectionTimeoutMS?: number;
  maxPoolSize?: number;
  /** Serialises updates of one document across processes (see document-lock.ts for why). */
  locks: DocumentLocks;
}

export interface Store {
  readonly connection: Connection;
  readonly models: Models;
  readonly citizens: CitizenRepository;
  readonly tickets: TicketRepository;
  readonly ticketEvents: TicketEventRepository;
  /** The words of tickets' subjects, for search. */
  /** The search index of case subjects (postings and words). */
  readonly ticketTerms: TicketTermRepository;
  /** How far long maintenance tasks (the read index's rebuild) went. */
  readonly maintenanceRuns: MaintenanceRunRepository;
  readonly staff: StaffRepository;
  readonly refreshTokens: RefreshTokenRepository;
  readonly interactions: InteractionRepository;
  readonly counters: CounterRepository;
  readonly staffPresence: StaffPresenceRepository;
  readonly ticketSla: TicketSlaRepository;
  readonly notifications: NotificationRepository;
  readonly surveyResponses: SurveyResponseRepository;
  readonly mailThreads: MailThreadRepository;
  readonly mailboxStates: MailboxStateRepository;
  readonly openTickets: OpenTicketRepository;
  /** Messages the office sends citizens (SMS), one record per message and reason. */
  readonly citizenMessages: CitizenMessageRepository;
  /** Kiosks allowed to issue turns (device keys, hashed). */
  readonly kioskDevices: KioskDeviceRepository;
  /** Who is signed in to which counter of the hall. */
  readonly counterSessions: CounterSessionRepository;
  /** The counter hall's ticket writes and turn-number ceilings. */
  readonly hall: HallStoreRepository;
  /** How guarded writes address documents on this server (see guarded-update.ts). */
  readonly filters: WriteFilters;
  /** True when the server answers a ping within `timeoutMs`. */
  ping(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

/** What index creation needs of a model. */
interface IndexedModel {
  readonly collection: Pick<Collection, 'indexes' | 'dropIndex' | 'createIndex'>;
  readonly schema: Pick<Schema, 'indexes'>;
}

/** The name an index is stored under: its declared `name`, or the server's default (`field_1_other_-1`). */
function indexName(fields: Record<string, unknown>, options: { name?: unknown }): string {
  return typeof options.name === 'string' ? options.name : Object.entries(fields).map(([field, direction]) => `${field}_${String(direction)}`).join('_');
}

/**
 * Makes a model's indexes what it declares: any other index (one an earlier version declared, or one declared again
 * under another name) is dropped first, then the missing ones are created, so the step is the same on a new store and
 * on one written by an earlier version, and running it twice changes nothing.
 *
 * On FerretDB the embedded store answers filters and sorts from an index only for unique indexes and those named
 * `q_` (docs/store.md); any other index would only cost SQLite work on every write, so there only those are kept. A
 * real MongoDB gets every declared index.
 */
async function ensureIndexes(model: IndexedModel, filters: WriteFilters): Promise<void> {
  const wanted = new Map<string, { fields: Record<string, 1 | -1>; unique: boolean }>();
  for (const [fields, options] of model.schema.indexes()) {
    const unique = options.unique === true;
    const name = indexName(fields, options);
    if (filters.exactIdOnly && !unique && !name.startsWith('q_')) continue;
    wanted.set(name, { fields: fields as Record<string, 1 | -1>, unique });
  }
  // A collection not created yet has no indexes (the server answers NamespaceNotFound, code 26).
  const existing = await model.collection.indexes().catch((err: unknown) => {
    if (err instanceof Error && 'code' in err && err.code === 26) return [];
    throw err;
  });
  const kept = new Set<string>();
  for (const index of existing) {
    const name = index.name;
    if (name === undefined || name === '_id_') continue;
    const want = wanted.get(name);
    if (want && JSON.stringify(want.fields) === JSON.stringify(index.key) && want.unique === (index.unique === true)) kept.add(name);
    else await model.collection.dropIndex(name);
  }
  for (const [name, { fields, unique }] of wanted) {
    if (!kept.has(name)) await model.collection.createIndex(fields, { name, ...(unique ? { unique: true } : {}) }, undefined);
  }
}

/**
 * Opens a dedicated connection (not mongoose's global one) so that several stores, e.g. one database per test
 * file or two API nodes in one test, can live in one process. Indexes are created before it resolves, so
 * unique keys that guard idempotency exist before the first write.
 */
export async function connectStore(options: StoreOptions): Promise<Store> {
  const connection = mongoose.createConnection(options.uri, {
    dbName: options.dbName,
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 10_000,
    maxPoolSize: options.maxPoolSize ?? 10,
    autoIndex: false,
    autoCreate: true,
  });
  await connection.asPromise();
  const models = registerModels(connection);
  const info = await connection.db?.admin().command({ buildInfo: 1 });
  // FerretDB says so in buildInfo; it answers only exact `_id` filters from an index (see guarded-update.ts).
  const filters: WriteFilters = { exactIdOnly: info !== undefined && 'ferretdbVersion' in info };
  await Promise.all(Object.values(models).map((model) => ensureIndexes(model, filters)));
  options.log.info({ db: options.dbName, exactIdOnly: filters.exactIdOnly }, 'store connected, indexes ensured');

  const ticketTerms = createTicketTermRepository(models);
  return {
    connection,
    models,
    citizens: createCitizenRepository(models, options.locks),
    tickets: createTicketRepository(models, options.locks, filters, ticketTerms),
    ticketEvents: createTicketEventRepository(models),
    ticketTerms,
    maintenanceRuns: createMaintenanceRunRepository(models),
    staff: createStaffRepository(models, options.locks, filters),
    refreshTokens: createRefreshTokenRepository(models),
    interactions: createInteractionRepository(models),
    counters: createCounterRepository(models, options.locks, filters),
    staffPresence: createStaffPresenceRepository(models, options.locks, filters),
    ticketSla: createTicketSlaRepository(models, options.locks, filters),
    openTickets: createOpenTicketRepository(models),
    filters,
    notifications: createNotificationRepository(models),
    surveyResponses: createSurveyResponseRepository(models),
    mailThreads: createMailThreadRepository(models),
    mailboxStates: createMailboxStateRepository(models),
    citizenMessages: createCitizenMessageRepository(models, options.locks, filters),
    kioskDevices: createKioskDeviceRepository(models),
    counterSessions: createCounterSessionRepository(models),
    hall: createHallStoreRepository(models, options.locks, filters),
    async ping(timeoutMs = 1_000) {
      const db = connection.db;
      if (db === undefined || connection.readyState !== mongoose.ConnectionStates.connected) return false;
      let timer: NodeJS.Timeout | undefined;
      try {
        const answer = await Promise.race([
          db.command({ ping: 1 }).then((r) => r.ok === 1),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(() => { resolve(false); }, timeoutMs);
          }),
        ]);
        return answer;
      } catch {
        return false;
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      await connection.close();
    },
  };
}
