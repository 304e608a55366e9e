import argon2 from 'argon2'

/*
 * People's passwords (issue 26): Argon2id with OWASP's recommended minimum (19 MiB of memory,
 * two passes, one lane — the Password Storage Cheat Sheet's first configuration). The hash
 * string carries its parameters, so a later, stronger setting verifies old hashes and can
 * rehash them at the next sign-in (`needsRehash`).
 */

export const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const

/** The shortest password a person may set (OWASP: at least 8; here 10, as the sites' own accounts). */
export const PASSWORD_MIN = 10
/** Longer than this is refused before hashing: a megabyte "password" is a denial of service. */
export const PASSWORD_MAX = 256

export async function hashPassword (password: string): Promise<string> {
  return await argon2.hash(password, ARGON2_OPTIONS)
}

/** Whether `password` matches `hash`; a malformed hash is a mismatch, not an error. */
export async function verifyPassword (hash: string, password: string): Promise<boolean> {
  try { return await argon2.verify(hash, password) } catch { return false }
}

export function needsRehash (hash: string): boolean {
  return argon2.needsRehash(hash, ARGON2_OPTIONS)
}

/** Why a new password cannot be used, or undefined when it can. */
export function passwordProblem (password: string): string | undefined {
  if (password.length < PASSWORD_MIN) return `a password needs at least ${PASSWORD_MIN} characters`
  if (password.length > PASSWORD_MAX) return `a password has at most ${PASSWORD_MAX} characters`
  if ([...password].some(ch => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)) return 'a password cannot hold control characters'
  return undefined
}
