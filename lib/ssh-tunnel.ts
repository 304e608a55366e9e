import net from 'node:net'
import type { SshConnection } from './ssh-connection.js'

/**
 * A loopback listener on the gateway whose every connection is carried to host:port as
 * seen from the site server (ssh2 forwardOut). Lets ordinary clients (the MongoDB
 * driver) talk to a service that only the site can reach. Listens on 127.0.0.1 only.
 */
export class SshTunnel {
  private readonly server: net.Server
  private readonly sockets = new Set<net.Socket>()
  port = 0

  private constructor (private readonly conn: SshConnection, private readonly host: string, private readonly remotePort: number) {
    this.server = net.createServer(sock => { this.carry(sock) })
  }

  static async open (conn: SshConnection, host: string, port: number): Promise<SshTunnel> {
    const t = new SshTunnel(conn, host, port)
    await new Promise<void>((resolve, reject) => {
      t.server.once('error', reject)
      t.server.listen(0, '127.0.0.1', () => { resolve() })
    })
    t.port = (t.server.address() as net.AddressInfo).port
    return t
  }

  get openSockets (): number { return this.sockets.size }

  private carry (sock: net.Socket): void {
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
