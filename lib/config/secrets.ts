import { readFileSync, statSync } from 'node:fs'
import { ConfigProblem } from './problem.js'

/** A secret from a private file (mode 600, one trailing newline dropped) or an environment variable. */
export function readSecret (file: string | undefined, envName: string | undefined, field: string): string {
  if (file !== undefined) {
    let mode: number
    let secret: string
    try {
      mode = statSync(file).mode
      secret = readFileSync(file, 'utf8').replace(/\r?\n$/, '')
    } catch (err) {
      throw new ConfigProblem(`${field}_file`, `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`)
    }
    // Like ssh with a private key: a secret others can read is refused, not used.
    if ((mode & 0o077) !== 0) throw new ConfigProblem(`${field}_file`, `${file} is readable by group or others (mode ${(mode & 0o777).toString(8)}); chmod 600 it`)
    return secret
  }
  const v = process.env[envName!]
  if (v === undefined || v === '') throw new ConfigProblem(`${field}_env`, `environment variable ${envName!} is not set`)
  return v
}
