import type { StaffRole } from '../../domain/staff.js';

/** Who is acting: recorded on every ticket event and used for access checks. */
export type Actor =
  | { kind: 'staff'; id: string; roles: readonly StaffRole[]; units: readonly string[] }
  | { kind: 'system'; id?: string }
  | { kind: 'citizen'; id?: string };

export function isAdmin(actor: Actor): boolean {
  return actor.kind === 'staff' && actor.roles.includes('admin');
}

export function isSupervisorOf(actor: Actor, unitCode: string): boolean {
  return actor.kind === 'staff' && (actor.roles.includes('admin') || (actor.roles.includes('supervisor') && actor.units.includes(unitCode)));
}

/**
 * Whether the actor may see a ticket of these units. Staff see tickets of their units; a referred ticket is
 * visible to both the unit it was referred to and the office that referred it (it must see the report-back).
 */
export function canSeeUnits(actor: Actor, unitCodes: readonly string[]): boolean {
  if (actor.kind !== 'staff') return actor.kind === 'system';
  if (actor.roles.includes('admin')) return true;
  return unitCodes.some((u) => actor.units.includes(u));
}
