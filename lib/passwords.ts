import { Algorithm, hash, verify } from '@node-rs/argon2'

/*
 * People's passwords (issue 26): Argon2id with OWASP's recommended minimum (19 MiB of memory,
 * two passes, one lane — the Password Storage Cheat Sheet's first configuration). The hash
 * string carries its parameters, so a later, stronger setting verifies old hashes and can
 * rehash them at the next sign-in (`needsRehash`). @node-rs/argon2, not the `argon2` package:
 * the latter's prebuilt binary crashed (SIGSEGV) on this machine's first hash in a fresh clone,
 * and building it needs a C++ toolchain; @node-rs/argon2 ships a tested binary per platform.
 */

export const ARGON2_OPTIONS = { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const
const PARAMS = `m=${ARGON2_OPTIONS.memoryCost},t=${ARGON2_OPTIONS.timeCost},p=${ARGON2_OPTIONS.parallelism}`

/** The shortest password a person may set (OWASP: at least 8; here 10, as the sites' own accounts). */
export const PASSWORD_MIN = 10
/** Longer than this is refused before hashing: a megabyte "password" is a denial of service. */
export const PASSWORD_MAX = 256

export async function hashPassword (password: string): Promise<string> {
  return await hash(password, ARGON2_OPTIONS)
}

/** Whether `password` matches `hash`; a malformed hash is a mismatch, not an error. */
export async function verifyPassword (hashed: string, password: string): Promise<boolean> {
  try { return await verify(hashed, password) } catch { return false }
}

/** Whether a hash was made with other parameters than today's (or is not Argon2id). */
export function needsRehash (hashed: string): boolean {
  return !hashed.startsWith(`$argon2id$v=19$${PARAMS}$`)
}

/** Why a new password cannot be used, or undefined when it can. */
export function passwordProblem (password: string): string | undefined {
  if (password.length < PASSWORD_MIN) return `a password needs at least ${PASSWORD_MIN} characters`
  if (password.length > PASSWORD_MAX) return `a password has at most ${PASSWORD_MAX} characters`
  if ([...password].some(ch => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)) return 'a password cannot hold control characters'
  return undefined
}
