import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { isValidDni, isValidRuc } from '../domain/identity-documents.js';

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
