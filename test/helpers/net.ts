import net from 'node:net'
import type { Test } from 'tap'

/** A TCP server that accepts and never says a word (a hung sshd, a tarpit). */
export async function silentServer (t: Test, host = '127.0.0.1'): Promise<{ host: string, port: number }> {
  const socks = new Set<net.Socket>()
  const srv = net.createServer(s => { socks.add(s); s.on('error', () => {}); s.on('close', () => socks.delete(s)) })
  await new Promise<void>(resolve => srv.listen(0, host, resolve))
  t.teardown(async () => {
    for (const s of socks) s.destroy()
    await new Promise<void>(resolve => srv.close(() => resolve()))
  })
  return { host, port: (srv.address() as net.AddressInfo).port }
}

/** A loopback port with nothing listening on it. */
export { freePort as closedPort } from '../../sim/net.js'
