import { silentServer as startSilentServer } from '../../sim/net.js'
import type { Test } from 'tap'

/** A TCP server that accepts and never says a word (a hung sshd, a tarpit), closed after the test. */
export async function silentServer (t: Test, host = '127.0.0.1'): Promise<{ host: string, port: number }> {
  const s = await startSilentServer(host)
  t.teardown(s.close)
  return { host: s.host, port: s.port }
}

/** A loopback port with nothing listening on it. */
export { freePort as closedPort } from '../../sim/net.js'
