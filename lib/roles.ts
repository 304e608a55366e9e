/*
 * What a person may do, per region (issue 26): viewer ⊂ operator ⊂ admin. `*` stands for
 * every region; a role named for a region overrides `*` there. One home for the rule; routes
 * ask `roleIn` and `allows`.
 */

export type Role = 'viewer' | 'operator' | 'admin'
export const ROLES: readonly Role[] = ['viewer', 'operator', 'admin']

export const isRole = (s: unknown): s is Role => typeof s === 'string' && (ROLES as readonly string[]).includes(s)

/** A person's roles: region name (or '*') → role. */
export type Roles = ReadonlyMap<string, Role>

/** "대구=operator" or "*=viewer" → [region, role]; undefined when it is not one. */
export function parseRoleGrant (text: string): [string, Role] | undefined {
  const i = text.lastIndexOf('=')
  if (i <= 0) return undefined
  const region = text.slice(0, i).trim()
  const role = text.slice(i + 1).trim()
  if (region === '' || region.length > 64 || !isRole(role)) return undefined
  return [region, role]
}

/** The person's role in `region`: the region's own grant, else '*', else none. */
export function roleIn (roles: Roles, region: string): Role | undefined {
  return roles.get(region) ?? roles.get('*')
}

/** Whether `role` reaches `needed` (an admin can do what an operator can, and so on). */
export function allows (role: Role | undefined, needed: Role): boolean {
  return role !== undefined && ROLES.indexOf(role) >= ROLES.indexOf(needed)
}
