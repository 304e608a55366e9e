import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

/*
 * Secrets kept at rest by the gateway (issue 26: a region's operator SSH login, held so that
 * people never need it): AES-256-GCM under a key from CREDENTIALS_KEY_FILE. The sealed text
 * names its key, so keys rotate: a new key goes first in the file and seals from then on, the
 * old ones still open what they sealed until it is sealed again (`needsReseal`). The `context`
 * (e.g. "ssh:대구") is authenticated with it: a region's sealed login moved to another region's
 * row does not open.
 */

export interface Keyring {
  /** The key new secrets are sealed with. */
  current: string
  keys: ReadonlyMap<string, Buffer>
}

/** A sealed secret did not open: tampered, moved to another context, or its key is gone. */
export class SealError extends Error {
  override name = 'SealError'
}

const FORMAT = /^v1:([A-Za-z0-9_-]{1,32}):([A-Za-z0-9+/]{16}):([A-Za-z0-9+/=]*):([A-Za-z0-9+/]{22}==)$/

export function seal (ring: Keyring, plaintext: string, context: string): string {
  const key = ring.keys.get(ring.current)
  if (key === undefined) throw new SealError(`no key ${ring.current}`)
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(Buffer.from(context, 'utf8'))
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  return `v1:${ring.current}:${iv.toString('base64')}:${body.toString('base64')}:${cipher.getAuthTag().toString('base64')}`
}

export function open (ring: Keyring, sealed: string, context: string): string {
  const m = FORMAT.exec(sealed)
  if (m === null) throw new SealError('not a sealed secret')
  const key = ring.keys.get(m[1])
  if (key === undefined) throw new SealError(`sealed with key ${m[1]}, which CREDENTIALS_KEY_FILE no longer holds`)
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(m[2], 'base64'))
    decipher.setAAD(Buffer.from(context, 'utf8'))
    decipher.setAuthTag(Buffer.from(m[4], 'base64'))
    return Buffer.concat([decipher.update(Buffer.from(m[3], 'base64')), decipher.final()]).toString('utf8')
  } catch {
    throw new SealError('the sealed secret does not open: changed, or sealed for another place')
  }
}

/** Whether a sealed secret should be sealed again with the current key (after a rotation). */
export function needsReseal (ring: Keyring, sealed: string): boolean {
  return FORMAT.exec(sealed)?.[1] !== ring.current
}

/**
 * A key file's text: one key a line, "<id> <32 bytes in base64>" (`openssl rand -base64 32`),
 * the first the current one; blank lines and # comments aside. Throws with the line that is wrong.
 */
export function parseKeyring (text: string): Keyring {
  const keys = new Map<string, Buffer>()
  let current: string | undefined
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const m = /^([A-Za-z0-9_-]{1,32})\s+([A-Za-z0-9+/]{43}=)$/.exec(line)
    if (m === null) throw new Error(`line ${i + 1}: give "<id> <32 random bytes in base64>", e.g. "k1 $(openssl rand -base64 32)"`)
    if (keys.has(m[1])) throw new Error(`line ${i + 1}: key ${m[1]} twice`)
    keys.set(m[1], Buffer.from(m[2], 'base64'))
    current ??= m[1]
  }
  if (current === undefined) throw new Error('no key in it')
  return { current, keys }
}
