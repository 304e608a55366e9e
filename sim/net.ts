import net from 'node:net'

/** A loopback port that was free a moment ago (bound, then released): nothing listens there now. */
export async function freePort (host = '127.0.0.1'): Promise<number> {
  const s = net.createServer()
  await new Promise<void>(resolve => s.listen(0, host, resolve))
  const port = (s.address() as net.AddressInfo).port
  await new Promise<void>(resolve => s.close(() => { resolve() }))
  return port
}

/** A TCP server that accepts and never says a word (a hung sshd, a camera that hangs). */
export async function silentServer (host = '127.0.0.1'): Promise<{ host: string, port: number, close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>()
  const srv = net.createServer(s => { sockets.add(s); s.on('error', () => {}); s.on('close', () => sockets.delete(s)) })
  await new Promise<void>(resolve => srv.listen(0, host, resolve))
  return {
    host,
    port: (srv.address() as net.AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>(resolve => srv.close(() => { resolve() }))
    }
  }
}
