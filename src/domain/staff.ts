/** Who works in the office, as routing and access see them. */

export const STAFF_ROLES = ['agent', 'supervisor', 'admin', 'area_staff'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

/** Roles whose holders receive tickets automatically or by "take next", and answer calls on a softphone. */
export const ASSIGNABLE_ROLES = ['agent', 'area_staff'] as const satisfies readonly StaffRole[];

/** Whether someone with these roles takes work. */
export function takesWork(roles: readonly StaffRole[]): boolean {
  return roles.some((role) => (ASSIGNABLE_ROLES as readonly StaffRole[]).includes(role));
}

/** An agent's availability: `available` is handed work, `busy` and `away` take it only on request, `offline` none. */
export const PRESENCES = ['available', 'busy', 'away', 'offline'] as const;
export type Presence = (typeof PRESENCES)[number];
