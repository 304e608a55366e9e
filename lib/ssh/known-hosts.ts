import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { RemoteError } from '../errors.js'

/** OpenSSH's fingerprint format: "SHA256:" + unpadded base64 of the key blob's SHA-256. */
export function fingerprint (key: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(key).digest('base64').replace(/=+$/, '')
}

export class HostKeyMismatchError extends RemoteError {
  constructor (readonly hostId: string, readonly expected: string, readonly offered: string, readonly pinned: boolean) {
    super(pinned
      ? `host key of ${hostId} does not match the fingerprint pinned in the regions file: pinned ${expected}, offered ${offered}. Connection refused.`
      : `host key of ${hostId} has changed: known ${expected}, offered ${offered}. Connection refused. If the server was reinstalled on purpose: npm run known-hosts -- forget '${hostId}'`, { code: 'HOST_KEY_MISMATCH' })
  }
}

interface Entry { fingerprint: string, firstSeen: string }

/**
 * Host identities seen by this gateway (trust on first use), kept on disk so a restart
 * does not forget them. A later mismatch refuses the connection; fingerprints pinned in
 * the regions file are checked instead and never learned.
 */
export class KnownHosts {
  private hosts: Record<string, Entry> = {}

  constructor (readonly file: string) {
    try {
      const doc = JSON.parse(readFileSync(file, 'utf8')) as { hosts?: Record<string, Entry> }
      this.hosts = doc.hosts ?? {}
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT') throw new Error(`known hosts file ${file}: ${(err as Error).message}`, { cause: err })
    }
  }

  list (): Record<string, Entry> { return { ...this.hosts } }

  get (hostId: string): Entry | undefined { return this.hosts[hostId] }

  forget (hostId: string): boolean {
    if (!(hostId in this.hosts)) return false
    delete this.hosts[hostId]
    this.save()
    return true
  }

  private save (): void {
    mkdirSync(path.dirname(this.file), { recursive: true })
    const tmp = `${this.file}.${process.pid}.tmp`
    writeFileSync(tmp, JSON.stringify({ version: 1, hosts: this.hosts }, null, 2) + '\n', { mode: 0o600 })
    renameSync(tmp, this.file)
  }

  /**
   * A verifier for ssh2's `hostVerifier`, and what it saw: on a mismatch `mismatch` is set
   * (the handshake then fails and the caller throws it).
   */
  verifier (hostId: string, pinned?: string): { verify: (key: Buffer) => boolean, result: { mismatch?: HostKeyMismatchError } } {
    const result: { mismatch?: HostKeyMismatchError } = {}
    const verify = (key: Buffer): boolean => {
      const offered = fingerprint(key)
      if (pinned !== undefined) {
        if (offered === pinned) return true
        result.mismatch = new HostKeyMismatchError(hostId, pinned, offered, true)
        return false
      }
      const known = this.hosts[hostId]
      if (known === undefined) {
        this.hosts[hostId] = { fingerprint: offered, firstSeen: new Date().toISOString() }
        this.save()
        return true
      }
      if (known.fingerprint === offered) return true
      result.mismatch = new HostKeyMismatchError(hostId, known.fingerprint, offered, false)
      return false
    }
    return { verify, result }
  }
}
