import net from 'node:net'
import type { SshConnection } from './connection.js'

/**
 * A loopback listener on the gateway whose every connection is carried to host:port as
 * seen from the site server (ssh2 forwardOut). Lets ordinary clients (the MongoDB
 * driver) talk to a service that only the site can reach. Listens on 127.0.0.1 only.
 */
export interface ListenOptions {
  /** Address to listen on; loopback unless a feature (HLS port mode) says otherwise. */
  bindHost?: string
  /** Try these ports in order (first free one wins); default: any free port. */
  ports?: number[]
}

export class SshTunnel {
  private readonly server: net.Server
  private readonly sockets = new Set<net.Socket>()
  port = 0
  /** Time of the last connection carried (for idle expiry). */
  lastUsed = Date.now()

  private constructor (private readonly conn: SshConnection, private readonly host: string, private readonly remotePort: number) {
    this.server = net.createServer(sock => { this.carry(sock) })
  }

  static async open (conn: SshConnection, host: string, port: number, opts: ListenOptions = {}): Promise<SshTunnel> {
    const t = new SshTunnel(conn, host, port)
    const bindHost = opts.bindHost ?? '127.0.0.1'
    let lastErr: Error | undefined
    for (const p of opts.ports ?? [0]) {
      try {
        await new Promise<void>((resolve, reject) => {
          t.server.once('error', reject)
          t.server.listen(p, bindHost, () => { t.server.off('error', reject); resolve() })
        })
        t.port = (t.server.address() as net.AddressInfo).port
        return t
      } catch (err) {
        lastErr = err as Error
        if ((err as { code?: string }).code !== 'EADDRINUSE') break
      }
    }
    throw new Error(`no port free to listen on (${lastErr?.message ?? 'none given'})`)
  }

  get openSockets (): number { return this.sockets.size }

  private carry (sock: net.Socket): void {
    this.lastUsed = Date.now()
    this.sockets.add(sock)
    sock.on('close', () => this.sockets.delete(sock))
    sock.on('error', () => {})
    sock.pause()
    this.conn.forwardOut(this.host, this.remotePort).then(ch => {
      if (sock.destroyed) { ch.destroy(); return }
      ch.on('error', () => { sock.destroy() })
      sock.on('close', () => { ch.destroy() })
      ch.on('close', () => { sock.destroy() })
      sock.pipe(ch).pipe(sock)
      sock.resume()
    }, () => { sock.destroy() })
  }

  async close (): Promise<void> {
    for (const s of this.sockets) s.destroy()
    await new Promise<void>(resolve => { this.server.close(() => { resolve() }) })
  }
}
