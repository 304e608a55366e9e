import type { FastifyBaseLogger } from 'fastify'
import type { RegionConfig } from './regions.js'
import type { SshConnection } from './ssh-connection.js'

type Cleanup = () => void | Promise<void>

/**
 * What one browser session holds on a site: its SSH connection to server 1 and
 * everything opened through it later (hops, tunnels), all closed together.
 */
export class SiteSession {
  readonly connectedAt = Date.now()
  readonly expiresAt: number
  private readonly cleanups: Cleanup[] = []
  private closed = false

  constructor (
    readonly id: string,
    readonly region: RegionConfig,
    readonly conn: SshConnection,
    ttlMs: number
  ) {
    this.expiresAt = this.connectedAt + ttlMs
  }

  /** Set by the live-view feature while this session has an HLS tunnel open. */
  tunnelOpen: () => boolean = () => false

  hasTunnel (): boolean { return this.alive && this.tunnelOpen() }

  get alive (): boolean {
    return !this.closed && this.conn.alive && Date.now() < this.expiresAt
  }

  /** Registers something to close with this session (a hop, a tunnel, a timer). */
  onClose (fn: Cleanup): void {
    if (this.closed) { void fn(); return }
    this.cleanups.push(fn)
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    // Newest first: tunnels ride on hops, hops ride on server 1.
    for (const fn of this.cleanups.reverse()) {
      try { await fn() } catch { /* closing is best effort; the connection goes next anyway */ }
    }
    this.conn.close()
  }
}

export interface RegistryOptions {
  ttlMs: number
  log: FastifyBaseLogger
}

/**
 * All live site sessions of this gateway, keyed by an id that only the owning
 * browser session knows (it is kept in the server-side session data, never sent).
 */
export class SiteSessionRegistry {
  private readonly sessions = new Map<string, SiteSession>()
  private readonly timers = new Map<string, NodeJS.Timeout>()
  /** Connects in flight: a second concurrent connect of the same session is "already connected". */
  readonly connecting = new Set<string>()

  constructor (private readonly opts: RegistryOptions) {}

  get size (): number { return this.sessions.size }

  /** Every live site session (for shutdown, metrics and tests). */
  all (): SiteSession[] { return [...this.sessions.values()] }

  /** The live session for `id`; a dead or expired one is closed and forgotten here. */
  get (id: string | undefined): SiteSession | undefined {
    if (id === undefined) return undefined
    const s = this.sessions.get(id)
    if (s === undefined) return undefined
    if (!s.alive) { void this.close(id, s.conn.alive ? 'ttl expired' : `link lost: ${s.conn.closeReason ?? 'unknown'}`); return undefined }
    return s
  }

  add (s: SiteSession): void {
    this.sessions.set(s.id, s)
    const ttl = Math.max(0, s.expiresAt - Date.now())
    this.timers.set(s.id, setTimeout(() => { void this.close(s.id, 'ttl expired') }, ttl).unref())
    s.conn.once('closed', (reason: string) => {
      // The link died under us (server gone, keepalive timeout): drop it now so status says so.
      if (this.sessions.get(s.id) === s) void this.close(s.id, `link lost: ${reason}`)
    })
  }

  async close (id: string, reason: string): Promise<boolean> {
    const s = this.sessions.get(id)
    if (s === undefined) return false
    this.sessions.delete(id)
    clearTimeout(this.timers.get(id))
    this.timers.delete(id)
    this.opts.log.info({ site: id.slice(0, 8), region: s.region.name, host: s.conn.host, reason }, 'ssh session closed')
    await s.close()
    return true
  }

  async closeAll (reason: string): Promise<void> {
    await Promise.all([...this.sessions.keys()].map(async id => await this.close(id, reason)))
  }
}
