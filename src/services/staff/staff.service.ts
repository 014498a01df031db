import type { Presence, StaffRole } from '../../domain/staff.js';
import { AppError, type FieldProblem } from '../../errors.js';
import type { PerChannel } from '../../store/staff.model.js';
import type { Staff, StaffProfilePatch } from '../../store/staff.repository.js';
import { syncAgent } from '../assignment/index.js';
import { isAdmin, type AppContext } from '../context/index.js';
import { checkPassword, startSession, type ClientInfo, type Session, type StaffActor } from './auth.service.js';
import { hashPassword } from './password-hash.js';
import { setCapacity, setPresence } from './presence.service.js';

/**
 * Who may see whom: admins everyone; anyone themselves; supervisors the staff of their units. Everyone else is
 * answered NOT_FOUND, so that ids outside one's scope do not even reveal that the person exists.
 */
export function canSeeStaff(actor: StaffActor, staff: Staff): boolean {
  if (isAdmin(actor) || actor.id === staff._id.toString()) return true;
  return actor.roles.includes('supervisor') && staff.units.some((u) => actor.units.includes(u));
}

const notFound = (): AppError => new AppError('NOT_FOUND', 'No such staff member.');

/** The staff member `id`, if the actor may see them; NOT_FOUND otherwise. */
export async function getVisibleStaff(ctx: AppContext, actor: StaffActor, id: string): Promise<Staff> {
  const staff = await ctx.store.staff.get(id);
  if (staff === null || !canSeeStaff(actor, staff)) throw notFound();
  return withLiveLoad(ctx, staff);
}

/** What a person holds now is the live routing state's to say (the store keeps the record of each ticket). */
async function withLiveLoad(ctx: AppContext, staff: Staff): Promise<Staff> {
  return { ...staff, load: await ctx.live.load(staff._id.toString()) };
}

async function pageWithLiveLoad(ctx: AppContext, page: { items: Staff[]; total: number }): Promise<{ items: Staff[]; total: number }> {
  return { ...page, items: await Promise.all(page.items.map((s) => withLiveLoad(ctx, s))) };
}

function assertAdmin(actor: StaffActor): void {
  if (!isAdmin(actor)) throw new AppError('FORBIDDEN', 'Only an administrator can do this.');
}

/** Every unit code must be in the catalogue; problems are reported at `<field>.<index>`. */
function unknownUnits(ctx: AppContext, units: readonly string[], field: string): FieldProblem[] {
  return units.flatMap((code, i) => (ctx.catalogue.unitByCode(code) ? [] : [{ path: `${field}.${i}`, message: `unknown unit "${code}"` }]));
}

export interface CreateStaffInput {
  username: string;
  displayName: string;
  email?: string;
  password: string;
  roles: StaffRole[];
  units: string[];
  skills: string[];
  capacity?: Partial<PerChannel>;
  autoAssign?: boolean;
}

export async function createStaff(ctx: AppContext, actor: StaffActor, input: CreateStaffInput): Promise<Staff> {
  assertAdmin(actor);
  const fields = unknownUnits(ctx, input.units, 'units');
  if (fields.length > 0) throw new AppError('VALIDATION_FAILED', 'The request body is not valid.', { fields });
  // Checked before hashing so a taken username does not cost a scrypt run; the unique index still decides.
  if ((await ctx.store.staff.findByUsername(input.username)) !== null) {
    throw new AppError('DUPLICATE', 'A staff member with this username already exists.', { key: ['username'] });
  }
  const staff = await ctx.store.staff.create({
    username: input.username,
    displayName: input.displayName,
    ...(input.email !== undefined ? { email: input.email } : {}),
    passwordHash: await hashPassword(input.password),
    roles: input.roles,
    units: input.units,
    skills: input.skills,
    ...(input.capacity !== undefined ? { capacity: input.capacity } : {}),
    ...(input.autoAssign !== undefined ? { autoAssign: input.autoAssign } : {}),
  });
  ctx.log.info({ staffId: staff._id.toString(), by: actor.id, roles: staff.roles }, 'staff member created');
  return staff;
}

export interface ListStaffQuery {
  unit?: string;
  role?: StaffRole;
  limit: number;
  offset: number;
}

/** Admins list everyone; supervisors the staff of their units (asking for another unit is FORBIDDEN). */
export async function listStaff(ctx: AppContext, actor: StaffActor, query: ListStaffQuery): Promise<{ items: Staff[]; total: number }> {
  const filter = { limit: query.limit, offset: query.offset, ...(query.unit ? { unit: query.unit } : {}), ...(query.role ? { role: query.role } : {}) };
  if (isAdmin(actor)) return pageWithLiveLoad(ctx, await ctx.store.staff.list(filter));
  if (!actor.roles.includes('supervisor')) throw new AppError('FORBIDDEN');
  if (query.unit !== undefined && !actor.units.includes(query.unit)) {
    throw new AppError('FORBIDDEN', 'You can only list the staff of your own units.');
  }
  return pageWithLiveLoad(ctx, await ctx.store.staff.list({ ...filter, anyOfUnits: actor.units }));
}

/** Changes roles, units, skills and profile fields (admins only). */
export async function updateStaff(ctx: AppContext, actor: StaffActor, id: string, patch: StaffProfilePatch): Promise<Staff> {
  assertAdmin(actor);
  const fields = patch.units ? unknownUnits(ctx, patch.units, 'units') : [];
  // An administrator who disables or demotes themselves could leave the office with no administrator at all.
  if (actor.id === id) {
    if (patch.disabled === true) fields.push({ path: 'disabled', message: 'you cannot disable your own account' });
    if (patch.roles && !patch.roles.includes('admin')) fields.push({ path: 'roles', message: 'you cannot remove your own admin role' });
  }
  if (fields.length > 0) throw new AppError('VALIDATION_FAILED', 'The request body is not valid.', { fields });
  const updated = await ctx.store.staff.updateProfile(id, patch);
  if (updated === null) throw notFound();
  // A disabled person's open screens close now, not when their token expires.
  if (patch.disabled === true) ctx.realtime.disconnectUser(id);
  // Units, skills, roles, auto-assignment and disabling change who may be routed what, at once.
  await syncAgent(ctx, updated);
  ctx.log.info({ staffId: id, by: actor.id, changed: Object.keys(patch) }, 'staff member updated');
  return updated;
}

export interface ChangePasswordInput {
  currentPassword?: string;
  newPassword: string;
}

/**
 * Sets a new password and ends every session of the person. Changing one's own password needs the current
 * one (under the login throttle, so a stolen access token cannot be used to guess it) and returns a fresh
 * session so the person stays logged in; an admin may set anyone else's and gets null.
 */
export async function changePassword(
  ctx: AppContext,
  actor: StaffActor,
  id: string,
  input: ChangePasswordInput,
  client: ClientInfo,
): Promise<Session | null> {
  const staff = await getVisibleStaff(ctx, actor, id);
  const self = actor.id === staff._id.toString();
  if (self) {
    if (input.currentPassword === undefined) {
      throw new AppError('VALIDATION_FAILED', 'The request body is not valid.', {
        fields: [{ path: 'currentPassword', message: 'is required to change your own password' }],
      });
    }
    if (!(await checkPassword(ctx, staff.username, staff, input.currentPassword, client))) {
      throw new AppError('VALIDATION_FAILED', 'The current password is not correct.', {
        fields: [{ path: 'currentPassword', message: 'is not correct' }],
      });
    }
  } else {
    assertAdmin(actor);
  }
  const updated = await ctx.store.staff.setPasswordHash(id, await hashPassword(input.newPassword));
  if (updated === null) throw notFound();
  await ctx.store.refreshTokens.revokeAllOfStaff(updated._id, ctx.clock());
  ctx.realtime.disconnectUser(id);
  ctx.log.info({ staffId: id, by: actor.id }, 'password changed');
  return self ? startSession(ctx, updated) : null;
}

/**
 * Sets someone's presence: one's own, or, for a supervisor of one of their units or an admin, anyone's. Someone
 * the actor cannot see is NOT_FOUND (presence.service.ts checks both on the document it changes).
 */
export async function setStaffPresence(ctx: AppContext, actor: StaffActor, id: string, presence: Presence): Promise<Staff> {
  return withLiveLoad(ctx, await setPresence(ctx, actor, id, presence));
}

/** Sets someone's capacity per channel: supervisors of one of their units and admins only, never oneself alone. */
export async function setStaffCapacity(ctx: AppContext, actor: StaffActor, id: string, capacity: Partial<PerChannel>): Promise<Staff> {
  return withLiveLoad(ctx, await setCapacity(ctx, actor, id, capacity));
}

/**
 * Every connection of a person was lost and the grace period passed: they go offline (their open tickets go
 * back to the queue). True when this call changed their presence.
 */
export async function goOfflineAfterConnectionLoss(ctx: AppContext, id: string): Promise<boolean> {
  const staff = await ctx.store.staff.get(id);
  if (staff === null || staff.presence === 'offline') return false;
  await setPresence(ctx, { kind: 'system', id: 'socket-grace' }, id, 'offline');
  return true;
}
