import type { ServerConfig } from '../config/regions.js'
import type { SiteSession } from '../site/session.js'
import { HlsTunnel } from './hls-tunnel.js'
import { SshTunnel } from '../ssh/tunnel.js'
import { RemoteError } from '../errors.js'
import { knownContainers, publisherOf } from '../site/containers.js'

/**
 * Where `server` reaches its HLS server: the configured `hls.host`, else the address of the
 * container that publishes `hls.port` (this session's docker ps of that server, listed once),
 * else 127.0.0.1. A failed listing is not fatal: the HLS server may run outside docker.
 */
export async function hlsHost (site: SiteSession, server: ServerConfig, timeoutSec: number): Promise<string> {
  if (server.hls.host !== undefined) return server.hls.host
  try {
    return publisherOf(await knownContainers(site, server, timeoutSec), server.hls.port) ?? '127.0.0.1'
  } catch {
    return '127.0.0.1'
  }
}

export interface LiveViewOptions {
  mode: 'gateway' | 'port'
  idleMs: number
  maxSockets: number
  responseTimeoutMs: number
  bindHost: string
  portRange: [number, number]
  /** Limit of the one `docker ps` that finds where the server's HLS server listens. */
  commandTimeoutSec: number
}

/** What a session's live view is: a token served by the gateway, or a listening port. */
export type LiveTunnel =
  | { kind: 'gateway', tunnel: HlsTunnel, createdAt: number, close: () => void }
  | { kind: 'port', tunnel: SshTunnel, playlistPath: string, createdAt: number, close: () => void }

declare module '../site/session.js' {
  interface SiteSession {
    /** The session's live view; null once one was open (its closer is registered), undefined before. */
    liveView?: LiveTunnel | null
  }
}

export function currentTunnel (site: SiteSession): LiveTunnel | undefined {
  return site.liveView ?? undefined
}

function lastUsed (t: LiveTunnel): number {
  return t.tunnel.lastUsed
}

function forget (site: SiteSession, t: LiveTunnel, why: string): void {
  site.audit({ event: 'hls_close', region: site.region.name, outcome: 'ok', ms: Date.now() - t.createdAt, detail: why })
  t.close()
  if (site.liveView === t) site.liveView = null
}

/**
 * Opens this session's live view of `cctvId` on `server`, replacing its previous one.
 * It closes by itself after `idleMs` without a request, and with the session.
 */
export async function openLiveView (site: SiteSession, server: ServerConfig, cctvId: string, opts: LiveViewOptions): Promise<LiveTunnel> {
  const conn = await site.connection(server)
  const host = await hlsHost(site, server, opts.commandTimeoutSec)
  let live: LiveTunnel
  if (opts.mode === 'gateway') {
    const tunnel = new HlsTunnel(conn, server, cctvId, { maxSockets: opts.maxSockets, responseTimeoutMs: opts.responseTimeoutMs }, host)
    await tunnel.check()
    live = { kind: 'gateway', tunnel, createdAt: tunnel.createdAt, close: () => { tunnel.close() } }
  } else {
    const [from, to] = opts.portRange
    const ports = Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i)
    let tunnel: SshTunnel
    try {
      tunnel = await SshTunnel.open(conn, host, server.hls.port, { bindHost: opts.bindHost, ports })
    } catch (err) {
      throw new RemoteError(`HLS port mode: ${(err as Error).message}`)
    }
    const playlistPath = server.hls.path.replaceAll('{cctv_id}', cctvId)
    live = { kind: 'port', tunnel, playlistPath, createdAt: Date.now(), close: () => { void tunnel.close() } }
  }
  if (site.liveView === undefined) {
    // Once per session, not per tunnel: a session may switch cameras hundreds of times.
    site.onClose(() => { const t = currentTunnel(site); if (t !== undefined) forget(site, t, 'session closed') })
  }
  const previous = currentTunnel(site)
  if (previous !== undefined) forget(site, previous, 'replaced')
  site.liveView = live
  const idle = setInterval(() => {
    if (currentTunnel(site) !== live) { clearInterval(idle); return }
    if (Date.now() - lastUsed(live) > opts.idleMs) { clearInterval(idle); forget(site, live, 'idle') }
  }, Math.min(5000, Math.max(50, Math.floor(opts.idleMs / 4)))).unref()
  return live
}

/**
 * Closes the session's live view unless it was opened less than `graceMs` before this stop
 * arrived: the client fires stop and the next open 1 ms apart, in either order, and a stop
 * must never close a tunnel opened after it was sent. With `token`, only that tunnel closes.
 * Returns whether one was closed.
 */
export function stopLiveView (site: SiteSession, arrivedAt: number, graceMs: number, token?: string): boolean {
  const t = currentTunnel(site)
  if (t === undefined) return false
  // A stop that names its tunnel (our console's, on leaving or reloading the page) cannot
  // race a newer one: it closes exactly that tunnel, however young, and nothing else.
  if (token !== undefined) {
    if (t.kind !== 'gateway' || t.tunnel.token !== token) return false
  } else if (t.createdAt > arrivedAt - graceMs) {
    return false
  }
  forget(site, t, 'stopped')
  return true
}
