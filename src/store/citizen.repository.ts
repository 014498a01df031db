import { Types } from 'mongoose';
import { parseDni, parseRuc } from '../domain/identity-documents.js';
import { AppError, type FieldProblem } from '../errors.js';
import type { CitizenDoc, CitizenIdentifierKind, FailingEmail } from './citizen.model.js';
import type { DocumentLocks } from './document-lock.js';
import type { Models } from './models.js';
import { isDuplicateKeyError, storeCall } from './store-errors.js';

export interface NewCitizen {
  dni?: string;
  ruc?: string;
  firstNames?: string;
  lastNames?: string;
  emails?: string[];
  phones?: string[];
  preferential?: boolean;
  vpp?: boolean;
}

export type Citizen = CitizenDoc;

function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Keeps digits and a leading +; Peruvian numbers are stored as the caller gives them otherwise. */
function normalisePhone(phone: string): string {
  const trimmed = phone.trim();
  return (trimmed.startsWith('+') ? '+' : '') + trimmed.replace(/\D/g, '');
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function identifiersOf(c: CitizenDoc): { kind: CitizenIdentifierKind; value: string }[] {
  return [
    ...(c.dni ? [{ kind: 'dni' as const, value: c.dni }] : []),
    ...(c.ruc ? [{ kind: 'ruc' as const, value: c.ruc }] : []),
    ...c.emails.map((value) => ({ kind: 'email' as const, value })),
    ...c.phones.map((value) => ({ kind: 'phone' as const, value })),
  ];
}

export function createCitizenRepository(models: Models, locks: DocumentLocks) {
  const { Citizen, CitizenIdentifier } = models;

  function validate(input: NewCitizen): Omit<CitizenDoc, '_id' | 'createdAt' | 'updatedAt'> {
    const fields: FieldProblem[] = [];
    let dni: string | undefined;
    let ruc: string | undefined;
    if (input.dni !== undefined) {
      const parsed = parseDni(input.dni);
      if (parsed.ok) dni = parsed.value.number;
      else fields.push({ path: 'dni', message: `invalid DNI (${parsed.reason})` });
    }
    if (input.ruc !== undefined) {
      const parsed = parseRuc(input.ruc);
      if (parsed.ok) ruc = parsed.value;
      else fields.push({ path: 'ruc', message: `invalid RUC (${parsed.reason})` });
    }
    const emails = [...new Set((input.emails ?? []).map(normaliseEmail))];
    emails.forEach((email, i) => {
      if (!EMAIL.test(email)) fields.push({ path: `emails.${i}`, message: 'invalid email address' });
    });
    const phones = [...new Set((input.phones ?? []).map(normalisePhone))];
    phones.forEach((phone, i) => {
      if (!/^\+?\d{6,15}$/.test(phone)) fields.push({ path: `phones.${i}`, message: 'invalid phone number' });
    });
    if (fields.length > 0) throw new AppError('VALIDATION_FAILED', 'The citizen data is not valid.', { fields });
    return {
      ...(dni ? { dni } : {}),
      ...(ruc ? { ruc } : {}),
      ...(input.firstNames ? { firstNames: input.firstNames } : {}),
      ...(input.lastNames ? { lastNames: input.lastNames } : {}),
      emails,
      phones,
      preferential: input.preferential ?? false,
      vpp: input.vpp ?? false,
    };
  }

  return {
    /**
     * Creates a citizen and claims each of its identifiers. If any identifier already belongs to someone, the
     * partial write is undone and DUPLICATE is thrown with the kind that clashed: no transaction needed.
     */
    async create(input: NewCitizen): Promise<Citizen> {
      const data = validate(input);
      const citizen = await storeCall('citizen', () => Citizen.create(data));
      const doc = citizen.toObject();
      const ids = identifiersOf(doc).map(({ kind, value }) => ({ _id: `${kind}:${value}`, kind, value, citizenId: doc._id }));
      try {
        await CitizenIdentifier.insertMany(ids, { ordered: true });
      } catch (err) {
        await CitizenIdentifier.deleteMany({ citizenId: doc._id });
        await Citizen.deleteOne({ _id: doc._id });
        if (isDuplicateKeyError(err)) {
          const clashing = await CitizenIdentifier.find({ _id: { $in: ids.map((i) => i._id) } }).lean();
          throw new AppError('DUPLICATE', 'A citizen with this identifier already exists.', {
            identifiers: clashing.map((c) => c.kind),
          });
        }
        throw err;
      }
      return doc;
    },

    async findByIdentifier(kind: CitizenIdentifierKind, value: string): Promise<Citizen | null> {
      const key =
        kind === 'email' ? normaliseEmail(value) : kind === 'phone' ? normalisePhone(value) : value.trim();
      const identifier = await storeCall('citizen', () => CitizenIdentifier.findById(`${kind}:${key}`).lean());
      if (!identifier) return null;
      return storeCall('citizen', () => Citizen.findById(identifier.citizenId).lean());
    },

    /**
     * Adds identifiers learnt later (a new email from a known DNI) to the citizen as read: those it holds already cost
     * nothing (a citizen writing again is the usual case). One already held by another citizen is left alone:
     * identities are merged by people, not guessed.
     */
    async addIdentifiers(citizen: Pick<Citizen, '_id' | 'emails' | 'phones'>, input: { emails?: string[]; phones?: string[] }): Promise<void> {
      const citizenId = citizen._id;
      const emails = (input.emails ?? []).map(normaliseEmail).filter((e) => EMAIL.test(e) && !citizen.emails.includes(e));
      const phones = (input.phones ?? []).map(normalisePhone).filter((p) => /^\+?\d{6,15}$/.test(p) && !citizen.phones.includes(p));
      for (const [kind, value] of [...emails.map((v) => ['email', v] as const), ...phones.map((v) => ['phone', v] as const)]) {
        try {
          await CitizenIdentifier.create({ _id: `${kind}:${value}`, kind, value, citizenId });
          await locks.withLock(`citizen:${citizenId.toString()}`, () =>
            Citizen.updateOne({ _id: citizenId }, { $addToSet: { [kind === 'email' ? 'emails' : 'phones']: value } }),
          );
        } catch (err) {
          if (!isDuplicateKeyError(err)) throw err;
        }
      }
    },

    async get(id: string): Promise<Citizen | null> {
      if (!Types.ObjectId.isValid(id)) return null;
      return storeCall('citizen', () => Citizen.findById(id).lean());
    },

    /**
     * Marks one of the citizen's addresses as failing (mail to it bounced), replacing an earlier mark of the same
     * address. Read and written by `_id` under the citizen's lock. False when the address is not the citizen's.
     */
    async markEmailFailing(citizenId: Types.ObjectId, failure: FailingEmail): Promise<boolean> {
      const email = normaliseEmail(failure.email);
      return locks.withLock(`citizen:${citizenId.toString()}`, async () => {
        const citizen = await storeCall('citizen', () => Citizen.findById(citizenId).lean());
        if (!citizen?.emails.includes(email)) return false;
        const failingEmails = [...(citizen.failingEmails ?? []).filter((entry) => entry.email !== email), { ...failure, email }];
        await storeCall('citizen', () => Citizen.updateOne({ _id: citizenId }, { $set: { failingEmails } }));
        return true;
      });
    },
  };
}

export type CitizenRepository = ReturnType<typeof createCitizenRepository>;
