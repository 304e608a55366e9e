import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { RegionConfig, ServerConfig } from '../config/regions.js'
import { SshConnection, type ExecOptions, type ExecResult, type SshOptions } from '../ssh/connection.js'
import { AlreadyConnectedError, ApiError, RemoteError } from '../errors.js'
import { buildCommand, stdinFor, type RemoteCommand } from '../ssh/remote-command.js'
import { HostKeyMismatchError, type KnownHosts } from '../ssh/known-hosts.js'
import { auditCommand, type AuditRecord } from '../audit.js'
import type { ContainerInfo } from './containers.js'

type Cleanup = () => void | Promise<void>

/** Where a session's remote commands and closing are recorded. */
export type AuditSink = (rec: Omit<AuditRecord, 'ts'>) => void

/**
 * What one browser session holds on a site: its SSH connection to server 1 and
 * everything opened through it later (hops, tunnels), all closed together by one path
 * (`onClose`, newest first). Each remote operation keeps what it owns for the session in its
 * own typed member, declared next to the operation (lib/ops/*: `declare module` adds it here,
 * as Fastify plugins add decorators), so this layer knows none of them.
 */
export class SiteSession {
  readonly connectedAt = Date.now()
  readonly expiresAt: number
  private readonly cleanups: Cleanup[] = []
  private closed = false
  /** Connections to servers 2, 3, … carried inside `conn`, opened on first use. */
  private readonly hops = new Map<number, Promise<SshConnection>>()
  /** Each server's last `docker ps` in this session (lib/site/containers.ts), for discovery. */
  readonly containerListings = new Map<number, ContainerInfo[]>()

  constructor (
    readonly id: string,
    readonly region: RegionConfig,
    readonly conn: SshConnection,
    ttlMs: number,
    private readonly sshOptions: SshOptions & { knownHosts?: KnownHosts },
    /** Where this session's remote commands and closing are recorded. */
    readonly audit: AuditSink = () => {},
    /** The person acting through it (accounts mode); undefined: the SSH login is the identity. */
    readonly person?: string
  ) {
    this.expiresAt = this.connectedAt + ttlMs
    this.onClose(async () => {
      const hops = await Promise.allSettled([...this.hops.values()])
      for (const h of hops) if (h.status === 'fulfilled') h.value.close()
      this.hops.clear()
    })
  }

  /** Who acts through this session, as the record names them: the person, else the SSH login. */
  get actor (): string {
    return this.person ?? this.conn.username
  }

  /** The password `sudo -S` needs on `server`: its own if configured, else the session's. */
  passwordFor (server: ServerConfig): string {
    return server.password ?? this.conn.password
  }

  /**
   * The SSH connection to analysis server `server`: server 1 is the session's own; the
   * others are SSH connections carried over a direct-tcpip channel of server 1 (ssh2
   * forwardOut + sock), reused by later requests and closed with the session.
   */
  async connection (server: ServerConfig): Promise<SshConnection> {
    if (server.host === undefined) return this.conn
    const n = server.n
    const cached = this.hops.get(n)
    if (cached !== undefined) {
      const c = await cached.catch(() => undefined)
      if (c?.alive === true) return c
      if (this.hops.get(n) === cached) this.hops.delete(n)
    }
    const host = server.host
    const attempt = (async () => {
      let sock
      try {
        sock = await this.conn.forwardOut(host, server.port)
      } catch (err) {
        throw hopError(n, err)
      }
      try {
        const { knownHosts, ...options } = this.sshOptions
        return await SshConnection.connect(
          { host, port: server.port, username: server.id ?? this.conn.username, password: this.passwordFor(server) },
          {
            ...options,
            sock,
            // A hop's address is as seen from server 1: the same name in two regions is two machines.
            identity: knownHosts === undefined ? undefined : { knownHosts, hostId: `${this.region.name}/svr${n} ${host}:${server.port}`, pinned: server.fingerprint }
          }
        )
      } catch (err) {
        sock.destroy()
        throw hopError(n, err)
      }
    })()
    this.hops.set(n, attempt)
    try {
      const c = await attempt
      c.once('closed', () => { if (this.hops.get(n) === attempt) this.hops.delete(n) })
      if (this.closed) c.close()
      return c
    } catch (err) {
      if (this.hops.get(n) === attempt) this.hops.delete(n)
      throw err
    }
  }

  /** Runs one remote command on `server` (sudo password on stdin when the command asks for it). */
  async run (server: ServerConfig, cmd: RemoteCommand, opts: Omit<ExecOptions, 'stdin' | 'timeoutMs'> & { timeoutMs?: number } = {}): Promise<ExecResult> {
    const started = Date.now()
    const record = (outcome: 'ok' | 'error', exit: number | null | undefined, detail?: string): void => {
      this.audit({ event: 'exec', region: this.region.name, server: server.n, command: auditCommand(cmd.argv), outcome, exit, ms: Date.now() - started, detail })
    }
    try {
      const conn = await this.connection(server)
      const r = await conn.exec(buildCommand(cmd), {
        ...opts,
        stdin: stdinFor(cmd, this.passwordFor(server)),
        // The remote `timeout` fires first; the local limit is the backstop for a silent link.
        timeoutMs: opts.timeoutMs ?? cmd.timeoutSec * 1000 + 3000
      })
      record('ok', r.code)
      return r
    } catch (err) {
      record('error', undefined, (err as Error).message)
      throw nameServer(server, err)
    }
  }

  /** Runs `fn` (work on `server`); a 500 it ends in names the server when it is a hop. */
  async onServer<T> (server: ServerConfig, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      throw nameServer(server, err)
    }
  }

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

/** On a hop, a 500 says which server failed ("server 2: …"), once. */
function nameServer (server: ServerConfig, err: unknown): unknown {
  if (server.n === 1 || !(err instanceof RemoteError) || err.statusCode !== 500 || err.message.startsWith(`server ${server.n}: `)) return err
  return new RemoteError(`server ${server.n}: ${err.message}`, { code: err.code })
}

/** A hop's failure names the server; "Authentication failed" stays exact (the contract's 401). */
function hopError (n: number, err: unknown): Error {
  if (err instanceof ApiError && err.statusCode === 401) return err
  if (err instanceof HostKeyMismatchError) return err
  const msg = err instanceof Error ? err.message : String(err)
  return new RemoteError(`server ${n}: ${msg.replace(/^\(SSH\) /, '')}`, { code: err instanceof ApiError ? err.code : 'SITE_UNREACHABLE' })
}

export interface RegistryOptions {
  ttlMs: number
  log: FastifyBaseLogger
  /** Connection options for server 1 and every hop. */
  ssh: SshOptions
  /** Host identities seen (trust on first use). */
  knownHosts?: KnownHosts
  /** Where every session's records go; each record is signed with who opened the session. */
  audit: AuditSink
}

/** Who opens a site session, as the audit log names them: the SSH login (`user`) and, in accounts mode, the person. */
export interface Opener { session?: string, user: string, person?: string, client: string }

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

  /**
   * Logs in to `region`'s server 1 and keeps the new session under a fresh id. `key` names the
   * browser session: a second connect of it while the first is in flight is "already connected".
   */
  async open (key: string, region: RegionConfig, login: { username: string, password: string }, who: Opener): Promise<SiteSession> {
    if (this.connecting.has(key)) throw new AlreadyConnectedError()
    this.connecting.add(key)
    try {
      const site = await this.connect(region, login, who)
      this.add(site)
      return site
    } finally {
      this.connecting.delete(key)
    }
  }

  /**
   * A site session that no browser owns (the monitor's): connected like any other, audited as
   * `who`, but not kept here — its owner closes it when its work is done.
   */
  async connect (region: RegionConfig, login: { username: string, password: string }, who: Opener): Promise<SiteSession> {
    const { host, port, fingerprint } = region.ssh
    const { ssh, knownHosts } = this.opts
    const conn = await SshConnection.connect({ host, port, ...login }, {
      ...ssh,
      identity: knownHosts === undefined ? undefined : { knownHosts, hostId: `${host}:${port}`, pinned: fingerprint }
    })
    return new SiteSession(randomUUID(), region, conn, this.opts.ttlMs, { ...ssh, knownHosts }, rec => { this.opts.audit({ ...who, ...rec }) }, who.person)
  }

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
    s.audit({ event: 'ssh_close', region: s.region.name, server: 1, outcome: 'ok', ms: Date.now() - s.connectedAt, detail: reason })
    await s.close()
    return true
  }

  async closeAll (reason: string): Promise<void> {
    await Promise.all([...this.sessions.keys()].map(async id => await this.close(id, reason)))
  }
}
