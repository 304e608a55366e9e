import { RemoteError } from '../errors.js'
import { maskSecrets } from '../mask.js'

/*
 * How a failed remote command reads to an operator: one place for every remote operation
 * (docker ps, log search, ffprobe), so sudo's refusal and a timeout always say the same.
 */

/** What `sudo -S` prints when it refuses the password (or got none). */
export const SUDO_REFUSED = /Sorry, try again|incorrect password attempt|no password was provided/

/** The first useful line of a failed command's stderr, secrets masked, for the 500 message. */
export function remoteFailure (what: string, stderr: Buffer | string, code: number | null, signal?: string | null): RemoteError {
  const text = stderr.toString().trim()
  if (SUDO_REFUSED.test(text)) {
    return new RemoteError(`${what}: sudo refused the session password`, { code: 'SUDO_REFUSED' })
  }
  if (code === 124 || code === 137) return new RemoteError(`${what}: Timeout`, { code: 'REMOTE_TIMEOUT' })
  const line = text.split('\n').find(l => l.trim() !== '') ?? (code === null && signal ? `ended by signal ${signal}` : `exit status ${String(code)}`)
  return new RemoteError(`${what}: ${maskSecrets(line).slice(0, 500)}`)
}
