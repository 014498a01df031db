import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { PREFERENTIAL_REASONS, TURN_OUTCOMES, TURN_STAGES, type PreferentialReason, type TurnOutcome, type TurnStage } from '../domain/counter-turns.js';
import { PRIORITY_CLASSES, type PriorityClass } from '../domain/priority.js';
import type { RoutingHint as DomainRoutingHint } from '../domain/routing.js';
import type { SlaExtension } from '../domain/sla-extension.js';
import { TICKET_STATUSES, type TicketStatus } from '../domain/ticket-lifecycle.js';
import { CHANNELS, TICKET_TYPES, type Channel, type TicketType } from '../domain/ticket-types.js';

/** What the channel told us that routing rules match on, plus the ticket type it stated, if any. */
export interface RoutingHint extends DomainRoutingHint {
  /** The type the channel stated (e.g. the Libro de Reclamaciones form); routing never overrides it. */
  ticketType?: TicketType;
}

/** Derivación: the case was referred to another unit; when that unit resolves it, it reports back. */
export interface Referral {
  fromUnit: string;
  toUnit: string;
  referredBy: string;
  referredAt: Date;
  reason: string;
  /** Set when the receiving unit resolved the case; the referring office is notified. */
  reportedBackAt?: Date;
  /** Set when an agent of the referring office has seen the report-back. */
  acknowledgedAt?: Date;
  acknowledgedBy?: string;
}

/** A link between a case and the one a citizen's later mail opened about it (see `src/domain/mail-reply.ts`). */
export interface TicketLink {
  ticketId: Types.ObjectId;
  trackingCode: string;
}

export interface Resolution {
  summary: string;
  resolvedBy: string;
  resolvedAt: Date;
}

/** SLA state of a ticket; due dates are recomputed from `startedAt` and `pauses` whenever they change. */
export interface TicketSla {
  policy: string;
  startedAt: Date;
  firstResponseDueAt?: Date;
  resolutionDueAt?: Date;
  /** When the at-risk warning fires (a share of the resolution time elapsed). */
  atRiskAt?: Date;
  pauses: { from: Date; to?: Date }[];
  firstRespondedAt?: Date;
  atRiskNotifiedAt?: Date;
  firstResponseBreachedAt?: Date;
  breachedAt?: Date;
  /** The prórroga of this cycle, already folded into `resolutionDueAt` and `atRiskAt`. */
  extension?: SlaExtension;
}

/**
 * A turn taken at the kiosk and served at the counters: its number, where it stands, and the counter work the
 * quarterly report reads (waiting and service time, outcome, last counter and agent).
 */
export interface TicketTurn {
  /** `R-042`: the service's prefix and the day's sequence of that prefix. */
  number: string;
  /** The kiosk service (config/kiosk.json) whose queue it waits in; changes when the turn is redirected. */
  service: string;
  /** The Lima day the number belongs to. */
  day: string;
  issuedAt: Date;
  /** The kiosk that issued it. */
  deviceId: string;
  preferentialReason?: PreferentialReason;
  /** The secret part of the public status link (the printed QR code); never shown to staff lists. */
  statusKey: string;
  stage: TurnStage;
  /** Since when it waits in the hall now (issued, redirected, handed back). */
  waitingSince: Date;
  /** Seconds waited in the hall before being called, over every wait. */
  waitSeconds: number;
  /** Seconds at counters (from each call to its end), over every counter it went to. */
  serviceSeconds: number;
  /** The counter and agent that hold it, or held it last. */
  counterCode?: string;
  staffId?: string;
  /** Times it was announced again at its counter since it was called there. */
  recalls: number;
  firstCalledAt?: Date;
  lastCalledAt?: Date;
  /** Since when the counter holding it has been busy with it (its call, or its call back from parked). */
  atCounterSince?: Date;
  startedAt?: Date;
  parkedAt?: Date;
  finishedAt?: Date;
  outcome?: TurnOutcome;
  /** The counter's notes at finish. */
  notes?: string;
  /** The services it was redirected from, oldest first. */
  redirectedFrom: string[];
}

export interface TicketDoc {
  _id: Types.ObjectId;
  /** Human code the citizen quotes, e.g. PL-2026-000123. */
  trackingCode: string;
  channel: Channel;
  /**
   * The channel's own idempotency key (Twilio CallSid, email Message-ID, kiosk request id). Unique: the same
   * contact delivered twice yields one ticket.
   */
  channelKey: string;
  type: TicketType;
  serviceCode?: string;
  unitCode: string;
  /** Queue inside the unit, e.g. "general", "triage", "licencias". */
  queue: string;
  requiredSkills: string[];
  /** The unit that took the case and answers for it (the citizen-attention office, usually). */
  originUnitCode: string;
  status: TicketStatus;
  priorityClass: PriorityClass;
  priorityScore: number;
  slaAtRisk: boolean;
  citizenId?: Types.ObjectId;
  subject: string;
  description?: string;
  routingHint: RoutingHint;
  /** When the ticket last entered the queue; oldest first within a priority class. */
  enqueuedAt?: Date;
  assigneeId?: Types.ObjectId;
  assignedAt?: Date;
  /** A caller asked, while waiting on the phone, to be called back: the agent who gets the ticket calls them. */
  callbackRequestedAt?: Date;
  referral?: Referral;
  /**
   * `referral.fromUnit` at the top level, where the store can answer a filter on it from an index (the office that
   * referred a case lists it). Written with the referral, by the ticket repository.
   */
  referralFromUnit?: string;
  resolution?: Resolution;
  /** The earlier case this one continues: the citizen answered it after it had been resolved too long ago. */
  followUpOf?: TicketLink;
  /** The later case that continues this one; mail that still threads to this case goes there. */
  followedUpBy?: TicketLink;
  sla?: TicketSla;
  /** Present on a ticket that is a turn of the counter hall. */
  turn?: TicketTurn;
  /** Incremented by every guarded update; the guard that makes concurrent changes safe. */
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

const ticketSchema = new Schema<TicketDoc>(
  {
    trackingCode: { type: String, required: true },
    channel: { type: String, enum: CHANNELS, required: true },
    channelKey: { type: String, required: true, maxlength: 512 },
    type: { type: String, enum: TICKET_TYPES, required: true },
    serviceCode: { type: String },
    unitCode: { type: String, required: true },
    queue: { type: String, required: true, default: 'general' },
    requiredSkills: { type: [String], default: [] },
    originUnitCode: { type: String, required: true },
    status: { type: String, enum: TICKET_STATUSES, required: true, default: 'nuevo' },
    priorityClass: { type: String, enum: PRIORITY_CLASSES, required: true, default: 'normal' },
    priorityScore: { type: Number, required: true, default: 0 },
    slaAtRisk: { type: Boolean, required: true, default: false },
    citizenId: { type: Schema.Types.ObjectId },
    subject: { type: String, required: true, trim: true, maxlength: 300 },
    description: { type: String, maxlength: 20_000 },
    routingHint: {
      type: new Schema<RoutingHint>(
        {
          ivrDigits: String,
          kioskService: String,
          emailTo: String,
          serviceCode: String,
          text: { type: String, maxlength: 5_000 },
          ticketType: { type: String, enum: TICKET_TYPES },
        },
        { _id: false },
      ),
      default: {},
    },
    enqueuedAt: { type: Date },
    assigneeId: { type: Schema.Types.ObjectId },
    assignedAt: { type: Date },
    callbackRequestedAt: { type: Date },
    referral: {
      type: new Schema<Referral>(
        {
          fromUnit: { type: String, required: true },
          toUnit: { type: String, required: true },
          referredBy: { type: String, required: true },
          referredAt: { type: Date, required: true },
          reason: { type: String, required: true, maxlength: 2_000 },
          reportedBackAt: Date,
          acknowledgedAt: Date,
          acknowledgedBy: String,
        },
        { _id: false },
      ),
    },
    referralFromUnit: { type: String },
    resolution: {
      type: new Schema<Resolution>(
        { summary: { type: String, required: true, maxlength: 5_000 }, resolvedBy: String, resolvedAt: Date },
        { _id: false },
      ),
    },
    followUpOf: { type: new Schema<TicketLink>({ ticketId: { type: Schema.Types.ObjectId, required: true }, trackingCode: { type: String, required: true } }, { _id: false }) },
    followedUpBy: { type: new Schema<TicketLink>({ ticketId: { type: Schema.Types.ObjectId, required: true }, trackingCode: { type: String, required: true } }, { _id: false }) },
    sla: {
      type: new Schema<TicketSla>(
        {
          policy: { type: String, required: true },
          startedAt: { type: Date, required: true },
          firstResponseDueAt: Date,
          resolutionDueAt: Date,
          atRiskAt: Date,
          pauses: { type: [{ _id: false, from: { type: Date, required: true }, to: Date }], default: [] },
          firstRespondedAt: Date,
          atRiskNotifiedAt: Date,
          firstResponseBreachedAt: Date,
          breachedAt: Date,
          extension: {
            type: new Schema<SlaExtension>(
              {
                businessDays: { type: Number, required: true, min: 1 },
                reason: { type: String, required: true, maxlength: 2_000 },
                by: { type: String, required: true },
                at: { type: Date, required: true },
                previousResolutionDueAt: { type: Date, required: true },
                resolutionDueAt: { type: Date, required: true },
              },
              { _id: false },
            ),
          },
        },
        { _id: false },
      ),
    },
    turn: {
      type: new Schema<TicketTurn>(
        {
          number: { type: String, required: true, maxlength: 16 },
          service: { type: String, required: true, maxlength: 64 },
          day: { type: String, required: true, maxlength: 10 },
          issuedAt: { type: Date, required: true },
          deviceId: { type: String, required: true, maxlength: 64 },
          preferentialReason: { type: String, enum: PREFERENTIAL_REASONS },
          statusKey: { type: String, required: true, maxlength: 64 },
          stage: { type: String, enum: TURN_STAGES, required: true },
          waitingSince: { type: Date, required: true },
          waitSeconds: { type: Number, required: true, min: 0, default: 0 },
          serviceSeconds: { type: Number, required: true, min: 0, default: 0 },
          counterCode: { type: String, maxlength: 16 },
          staffId: { type: String, maxlength: 64 },
          recalls: { type: Number, required: true, min: 0, default: 0 },
          firstCalledAt: Date,
          lastCalledAt: Date,
          atCounterSince: Date,
          startedAt: Date,
          parkedAt: Date,
          finishedAt: Date,
          outcome: { type: String, enum: TURN_OUTCOMES },
          notes: { type: String, maxlength: 2_000 },
          redirectedFrom: { type: [String], default: [] },
        },
        { _id: false },
      ),
    },
    version: { type: Number, required: true, default: 0 },
  },
  // minimize: false keeps an empty routingHint ({}) instead of dropping it.
  { timestamps: true, collection: 'tickets', versionKey: false, strict: 'throw', minimize: false },
);
ticketSchema.index({ trackingCode: 1 }, { unique: true });
// One ticket per contact needs no index of its own: `_id` is derived from the channel and its key (ticketIdFor).
// The reads staff make all day, newest first (see ticket.repository.ts). `q_` names an index whose fields hold one value
// each, which the embedded store answers filters and sorts from (docs/store.md); a real MongoDB uses them as any index.
ticketSchema.index({ unitCode: 1, createdAt: -1, _id: -1 }, { name: 'q_unit_created' });
ticketSchema.index({ unitCode: 1, status: 1, createdAt: -1, _id: -1 }, { name: 'q_unit_status_created' });
ticketSchema.index({ unitCode: 1, type: 1, createdAt: -1, _id: -1 }, { name: 'q_unit_type_created' });
ticketSchema.index({ unitCode: 1, channel: 1, createdAt: -1, _id: -1 }, { name: 'q_unit_channel_created' });
ticketSchema.index({ unitCode: 1, serviceCode: 1, createdAt: -1, _id: -1 }, { name: 'q_unit_service_created' });
ticketSchema.index({ referralFromUnit: 1, createdAt: -1, _id: -1 }, { name: 'q_referrer_created' });
ticketSchema.index({ citizenId: 1, createdAt: -1, _id: -1 }, { name: 'q_citizen_created' });
ticketSchema.index({ assigneeId: 1, createdAt: -1, _id: -1 }, { name: 'q_assignee_created' });
ticketSchema.index({ createdAt: -1, _id: -1 }, { name: 'q_created' });

export function registerTicketModel(connection: Connection): Model<TicketDoc> {
  return connection.model<TicketDoc>('Ticket', ticketSchema);
}
