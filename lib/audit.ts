import { createHash } from 'node:crypto'
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs'
import path from 'node:path'
import { maskSecrets } from './mask.js'

/** One line of the audit log. Only these fields exist: nothing else (a password) can slip in. */
export interface AuditRecord {
  ts: string
  event: 'api' | 'exec' | 'ssh_close' | 'hls_close' | 'health_sweep'
  /** A hash of the browser session id (the id itself is a credential). */
  session?: string
  /** Accounts mode: the person who acted (signed in as themselves). */
  person?: string
  /** The SSH login used (the site's), or the token's / a login attempt's name. */
  user?: string
  client?: string
  region?: string
  server?: number
  route?: string
  target?: Record<string, string | number>
  command?: string
  outcome: 'ok' | 'error' | 'denied'
  status?: number
  exit?: number | null
  ms?: number
  detail?: string
}

export function sessionTag (sessionId: string | undefined): string | undefined {
  return sessionId === undefined ? undefined : createHash('sha256').update(sessionId).digest('hex').slice(0, 16)
}

const clip = (s: string, n = 300): string => (s.length > n ? s.slice(0, n) + `…(${s.length} chars)` : s)

/** Any string that goes into the audit log: credentials in URLs masked, long values clipped. */
export function auditText (s: string, n?: number): string {
  return clip(maskSecrets(s), n)
}

/** A command line for the audit log: the fixed search script is named, not printed. */
export function auditCommand (argv: readonly string[]): string {
  const shown = argv[0] === 'sh' && argv[1] === '-c' ? argv.slice(3) : argv
  return shown.map(a => auditText(a, 200)).join(' ')
}

/**
 * Append-only JSON-lines audit log (AUDIT_LOG). Who (session, SSH user, client address),
 * where (region, server), what (route, target, command), when, outcome and duration.
 */
export class AuditLog {
  private readonly stream?: WriteStream

  constructor (readonly file: string) {
    if (file === '') return
    mkdirSync(path.dirname(file), { recursive: true })
    this.stream = createWriteStream(file, { flags: 'a', mode: 0o600 })
    this.stream.on('error', () => { /* a full disk must not take the gateway down; the app log says it */ })
  }

  write (rec: Omit<AuditRecord, 'ts'>): void {
    if (this.stream === undefined) return
    const line: AuditRecord = { ts: new Date().toISOString(), ...rec }
    if (line.detail !== undefined) line.detail = auditText(line.detail, 500)
    this.stream.write(JSON.stringify(line) + '\n')
  }

  async close (): Promise<void> {
    if (this.stream === undefined) return
    await new Promise<void>(resolve => { this.stream!.end(() => { resolve() }) })
  }
}
