import http from 'node:http'
import { randomBytes } from 'node:crypto'
import type { Duplex } from 'node:stream'
import type { SshConnection } from '../ssh/connection.js'
import type { ServerConfig } from '../config/regions.js'
import { RemoteError } from '../errors.js'

function noop (): void {}

/**
 * An http.Agent whose "sockets" are direct-tcpip channels of one SSH connection to the
 * HLS server (as seen from the analysis server). keepAlive: playlist and segment requests
 * reuse channels instead of opening one per request.
 */
class SshHttpAgent extends http.Agent {
  readonly channels = new Set<Duplex>()
  /** Most channels open at once (for tests and benches). */
  peak = 0
  constructor (private readonly conn: SshConnection, private readonly host: string, private readonly port: number, maxSockets: number) {
    // Node counts a socket toward maxSockets only once createConnection calls back; ours waits
    // for forwardOut, so a burst would still open one channel per request. HlsTunnel bounds the
    // requests in flight instead (see `slots`); these limits only shape reuse.
    super({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, timeout: 30_000 })
  }

  override createConnection (_options: unknown, cb: (err: Error | null, s?: Duplex) => void): undefined {
    this.conn.forwardOut(this.host, this.port).then(ch => {
      // What http expects of a net.Socket, as ssh2's own HTTPAgent does it.
      const s = ch as unknown as Record<string, unknown>
      s.setKeepAlive = noop; s.setNoDelay = noop; s.setTimeout = noop; s.ref = noop; s.unref = noop
      s.destroySoon = ch.destroy.bind(ch)
      this.channels.add(ch)
      this.peak = Math.max(this.peak, this.channels.size)
      ch.once('close', () => this.channels.delete(ch))
      cb(null, ch)
    }, (err: Error) => { cb(err) })
    return undefined
  }

  override destroy (): void {
    super.destroy()
    for (const ch of this.channels) ch.destroy()
    this.channels.clear()
  }
}

export interface TunnelOptions {
  maxSockets: number
  responseTimeoutMs: number
}

/**
 * One session's live view of one camera: a token that names it in URLs, and the agent that
 * carries its HTTP requests over SSH to the HLS server of the camera's analysis server.
 */
export class HlsTunnel {
  readonly token = randomBytes(24).toString('base64url')
  readonly createdAt = Date.now()
  lastUsed = Date.now()
  closed = false
  /** Upstream path of the playlist, e.g. "/cctv10/index.m3u8". */
  readonly playlistPath: string
  /** Requests may only reach this folder of the HLS server (the camera's own). */
  readonly allowedPrefix: string
  private readonly agent: SshHttpAgent
  /** Requests in flight (until their body is done) and those waiting for a slot. */
  private active = 0
  private readonly waiting: Array<() => void> = []

  /** `host`: where the HLS server listens as the analysis server reaches it (see hlsHost). */
  constructor (readonly conn: SshConnection, readonly server: ServerConfig, readonly cctvId: string, private readonly opts: TunnelOptions, readonly host = '127.0.0.1') {
    this.playlistPath = server.hls.path.replaceAll('{cctv_id}', cctvId)
    this.allowedPrefix = this.playlistPath.slice(0, this.playlistPath.lastIndexOf('/') + 1)
    this.agent = new SshHttpAgent(conn, host, server.hls.port, opts.maxSockets)
  }

  get openChannels (): number { return this.agent.channels.size }
  get peakChannels (): number { return this.agent.peak }

  /** Fails with the cause when nothing answers at the HLS port (checked when the tunnel opens). */
  async check (): Promise<void> {
    let ch
    try {
      ch = await this.conn.forwardOut(this.host, this.server.hls.port)
    } catch (err) {
      const where = this.host === '127.0.0.1' ? `port ${this.server.hls.port}` : `${this.host} port ${this.server.hls.port}`
      throw new RemoteError(`HLS server (server ${this.server.n}, ${where}): ${(err as Error).message}`)
    }
    ch.destroy()
  }

  /** Whether `path` (after the token) may be fetched through this tunnel. */
  allows (path: string): boolean {
    if (!path.startsWith(this.allowedPrefix)) return false
    const rest = path.slice(this.allowedPrefix.length).split('?')[0]
    return rest !== '' && !rest.split('/').some(seg => seg === '..' || seg === '.' || seg === '') && !/%2e|%2f|%5c|\\/i.test(rest)
  }

  /**
   * GET/HEAD `path` on the HLS server; resolves with the response, whose body streams.
   * A kept-alive channel the origin closed just as it was reused fails with "socket hang up"
   * before any response: such a request is sent once more on a new channel (GET/HEAD are
   * idempotent), as Node's docs advise for `request.reusedSocket`.
   */
  async fetch (method: 'GET' | 'HEAD', path: string, headers: Record<string, string>, signal?: AbortSignal): Promise<http.IncomingMessage> {
    this.lastUsed = Date.now()
    await this.acquire(signal)
    let res: http.IncomingMessage
    try {
      try {
        res = await this.fetchOnce(method, path, headers, signal)
      } catch (err) {
        if ((err as { reusedSocket?: boolean }).reusedSocket !== true || signal?.aborted === true) throw err
        res = await this.fetchOnce(method, path, headers, signal)
      }
    } catch (err) {
      this.release()
      throw err
    }
    // The slot is the channel: held until the body has been read or dropped.
    res.once('close', () => { this.release() })
    return res
  }

  /** At most maxSockets requests in flight, so never more channels than that (see the agent). */
  private async acquire (signal?: AbortSignal): Promise<void> {
    if (this.active < this.opts.maxSockets) { this.active++; return }
    await new Promise<void>((resolve, reject) => {
      const go = (): void => { signal?.removeEventListener('abort', onAbort); this.active++; resolve() }
      const onAbort = (): void => {
        const i = this.waiting.indexOf(go)
        if (i !== -1) this.waiting.splice(i, 1)
        reject(new RemoteError('Request aborted'))
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.waiting.push(go)
    })
  }

  private release (): void {
    this.active--
    this.waiting.shift()?.()
  }

  private fetchOnce (method: 'GET' | 'HEAD', path: string, headers: Record<string, string>, signal?: AbortSignal): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = http.request({
        agent: this.agent,
        host: this.host,
        port: this.server.hls.port,
        method,
        path,
        headers: { ...headers, host: `${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.server.hls.port}` },
        signal,
        timeout: this.opts.responseTimeoutMs
      }, res => { this.lastUsed = Date.now(); resolve(res) })
      req.on('timeout', () => { req.destroy(new RemoteError('HLS server: Timeout', { code: 'REMOTE_TIMEOUT' })) })
      req.on('error', (err: Error) => {
        const e = err instanceof RemoteError ? err : new RemoteError(`HLS server: ${err.message.replace(/^\(SSH\) /, '')}`)
        reject(Object.assign(e, { reusedSocket: req.reusedSocket && (err as { code?: string }).code === 'ECONNRESET' }))
      })
      req.end()
    })
  }

  close (): void {
    if (this.closed) return
    this.closed = true
    this.agent.destroy()
  }
}
