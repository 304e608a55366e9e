import net from 'node:net'

/**
 * Is an SSH server answering at host:port? A TCP connect plus the first bytes of
 * the identification string ("SSH-"), within `timeoutMs`. Never throws.
 */
export function probeSsh (host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise(resolve => {
    let got = ''
    const sock = net.connect({ host, port })
    const done = (ok: boolean): void => {
      clearTimeout(timer)
      sock.removeAllListeners()
      sock.on('error', () => {})
      sock.destroy()
      resolve(ok)
    }
    const timer = setTimeout(() => { done(false) }, timeoutMs)
    sock.setNoDelay(true)
    sock.on('data', (chunk: Buffer) => {
      got += chunk.toString('latin1')
      // RFC 4253 §4.2: the server may send other lines before the "SSH-" line.
      if (/(^|\n)SSH-/.test(got)) done(true)
      else if (got.length > 4096) done(false)
    })
    sock.on('error', () => { done(false) })
    sock.on('close', () => { done(false) })
  })
}
