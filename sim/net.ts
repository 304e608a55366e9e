import net from 'node:net'

/** A loopback port that was free a moment ago (bound, then released): nothing listens there now. */
export async function freePort (host = '127.0.0.1'): Promise<number> {
  const s = net.createServer()
  await new Promise<void>(resolve => s.listen(0, host, resolve))
  const port = (s.address() as net.AddressInfo).port
  await new Promise<void>(resolve => s.close(() => { resolve() }))
  return port
}
