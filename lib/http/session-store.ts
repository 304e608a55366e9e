import { EventEmitter } from 'node:events'
import type { Session } from 'fastify'

type Callback = (err?: unknown) => void

/**
 * In-memory store for @fastify/session that, unlike the plugin's MemoryStore,
 * forgets expired sessions by itself and tells us so: a browser that never comes
 * back must not keep an SSH connection (and a site password in memory) alive.
 *
 * One gateway process holds its sessions in memory by design: they own live SSH
 * connections, which cannot move to another process anyway.
 *
 * Emits 'drop' (session) when a session expires or is destroyed.
 */
export class ExpiringSessionStore extends EventEmitter {
  private readonly sessions = new Map<string, { session: Session, expiresAt: number }>()
  private readonly sweeper: NodeJS.Timeout

  constructor (private readonly ttlMs: number, sweepEveryMs = 60_000) {
    super()
    this.sweeper = setInterval(() => { this.sweep() }, sweepEveryMs).unref()
  }

  get size (): number { return this.sessions.size }

  private expiryOf (session: Session): number {
    const expires = (session as { cookie?: { expires?: Date | null } }).cookie?.expires
    return expires instanceof Date ? expires.getTime() : Date.now() + this.ttlMs
  }

  set (sessionId: string, session: Session, callback: Callback): void {
    this.sessions.set(sessionId, { session, expiresAt: this.expiryOf(session) })
    callback()
  }

  get (sessionId: string, callback: (err: unknown, result?: Session | null) => void): void {
    const entry = this.sessions.get(sessionId)
    if (entry !== undefined && entry.expiresAt <= Date.now()) {
      this.drop(sessionId)
      callback(null, null)
      return
    }
    callback(null, entry?.session ?? null)
  }

  destroy (sessionId: string, callback: Callback): void {
    this.drop(sessionId)
    callback()
  }

  /** Every live session with its id (for ending a person's sessions). */
  entries (): Array<[string, Session]> {
    return [...this.sessions].map(([id, e]) => [id, e.session])
  }

  sweep (): void {
    const now = Date.now()
    for (const [id, entry] of this.sessions) if (entry.expiresAt <= now) this.drop(id)
  }

  private drop (sessionId: string): void {
    const entry = this.sessions.get(sessionId)
    if (entry === undefined) return
    this.sessions.delete(sessionId)
    this.emit('drop', entry.session)
  }

  close (): void {
    clearInterval(this.sweeper)
  }
}

/** The session cookie's name (set by plugins/external/session.ts, cleared at sign-out). */
export const SESSION_COOKIE = 'fwmaint.sid'
