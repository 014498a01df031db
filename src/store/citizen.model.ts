import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { isValidDni, isValidRuc } from '../domain/identity-documents.js';

/**
 * An address of the citizen that mail does not reach: a delivery status notification came back for a message we
 * sent to it. Agents see it on the citizen, and replies by email cannot be expected to arrive there.
 */
export interface FailingEmail {
  email: string;
  /** When the bounce was taken in. */
  at: Date;
  /** The DSN status code (`5.1.1`) and the remote server's words, when the report gave them. */
  status?: string;
  diagnostic?: string;
  /** The case whose message bounced. */
  ticketId?: Types.ObjectId;
}

export interface CitizenDoc {
  _id: Types.ObjectId;
  /** 8-digit DNI without the check character. */
  dni?: string;
  /** 11-digit RUC (taxpayer id), for businesses or taxpayers with one. */
  ruc?: string;
  firstNames?: string;
  lastNames?: string;
  emails: string[];
  phones: string[];
  /** Ley 28683 preferential attention (pregnancy, child, 60+, disability), as declared or verified. */
  preferential: boolean;
  /** Vecino Puntual: filled by the VPP lookup; a plain flag until then. */
  vpp: boolean;
  /** Addresses mail could not be delivered to, one entry per address (the latest report). */
  failingEmails?: FailingEmail[];
  createdAt: Date;
  updatedAt: Date;
}

/** The kinds of identifier that find a citizen again; each value belongs to one citizen only. */
export const CITIZEN_IDENTIFIER_KINDS = ['dni', 'ruc', 'email', 'phone'] as const;
export type CitizenIdentifierKind = (typeof CITIZEN_IDENTIFIER_KINDS)[number];

/**
 * One row per identifier, keyed by `_id = "<kind>:<value>"`. Uniqueness rides on the `_id` index, which every
 * MongoDB-compatible server has, so "one DNI, one citizen" holds without partial or sparse indexes.
 */
export interface CitizenIdentifierDoc {
  _id: string;
  kind: CitizenIdentifierKind;
  value: string;
  citizenId: Types.ObjectId;
  createdAt: Date;
}

const citizenSchema = new Schema<CitizenDoc>(
  {
    dni: { type: String, validate: { validator: (v: string) => isValidDni(v) && /^\d{8}$/.test(v), message: 'invalid DNI' } },
    ruc: { type: String, validate: { validator: (v: string) => isValidRuc(v), message: 'invalid RUC' } },
    firstNames: { type: String, trim: true, maxlength: 120 },
    lastNames: { type: String, trim: true, maxlength: 120 },
    emails: { type: [String], default: [] },
    phones: { type: [String], default: [] },
    preferential: { type: Boolean, default: false },
    vpp: { type: Boolean, default: false },
    failingEmails: {
      type: [
        {
          _id: false,
          email: { type: String, required: true },
          at: { type: Date, required: true },
          status: { type: String, maxlength: 20 },
          diagnostic: { type: String, maxlength: 1_000 },
          ticketId: { type: Schema.Types.ObjectId },
        },
      ],
      default: undefined,
    },
  },
  { timestamps: true, collection: 'citizens', versionKey: false, strict: 'throw' },
);

const citizenIdentifierSchema = new Schema<CitizenIdentifierDoc>(
  {
    _id: { type: String, required: true },
    kind: { type: String, enum: CITIZEN_IDENTIFIER_KINDS, required: true },
    value: { type: String, required: true },
    citizenId: { type: Schema.Types.ObjectId, required: true },
  },
  { timestamps: { createdAt: true, updatedAt: false }, collection: 'citizen_identifiers', versionKey: false },
);
citizenIdentifierSchema.index({ citizenId: 1 });

export function registerCitizenModels(connection: Connection): {
  Citizen: Model<CitizenDoc>;
  CitizenIdentifier: Model<CitizenIdentifierDoc>;
} {
  return {
    Citizen: connection.model<CitizenDoc>('Citizen', citizenSchema),
    CitizenIdentifier: connection.model<CitizenIdentifierDoc>('CitizenIdentifier', citizenIdentifierSchema),
  };
}
