import { createHmac, timingSafeEqual } from 'node:crypto'

/*
 * Links to the frames an alert is about (issue 24): the frame the monitor kept with the change
 * and the camera's reference views, opened from a chat message without a console session. A link
 * names one frame and carries its expiry, signed with a key derived from the gateway's session
 * secret (every gateway of a cluster shares it); a link past its expiry, or one changed by a
 * character, opens nothing.
 */

/** How long a link in a message opens its frame. */
export const FRAME_LINK_DAYS = 7

/** One frame: the one kept with a change at `at`, or reference view `id`. */
export type FrameRef = { kind: 'frame', at: number } | { kind: 'reference', id: number }

/** The path segment that names a frame: `f<at>` or `r<id>`. */
export function frameSegment (what: FrameRef): string {
  return what.kind === 'frame' ? `f${what.at}` : `r${what.id}`
}

/** The segment back (undefined: not one). */
export function parseFrameSegment (s: string): FrameRef | undefined {
  const m = /^([fr])([0-9]{1,15})$/.exec(s)
  if (m === null) return undefined
  return m[1] === 'f' ? { kind: 'frame', at: Number(m[2]) } : { kind: 'reference', id: Number(m[2]) }
}

/** The signing key: a key of its own, derived from the session secret (never the secret itself). */
export function frameLinkKey (sessionSecret: string): Buffer {
  return createHmac('sha256', sessionSecret).update('fwmaint alert frame links v1').digest()
}

/** A link's signature over its parts and expiry (one home for every signed link: frames, acknowledgements). */
export function signParts (key: Buffer, parts: readonly string[], exp: number): string {
  return createHmac('sha256', key).update([...parts, String(exp)].join('\n')).digest('base64url')
}

/** Whether `sig` signs `parts` and `exp`, and the link is still valid at `nowMs`. */
export function checkSigned (key: Buffer, parts: readonly string[], exp: number, sig: string, nowMs: number): 'ok' | 'bad' | 'expired' {
  const want = Buffer.from(signParts(key, parts, exp))
  const got = Buffer.from(sig)
  if (got.length !== want.length || !timingSafeEqual(got, want)) return 'bad'
  return exp * 1000 < nowMs ? 'expired' : 'ok'
}

function sign (key: Buffer, region: string, cctvId: string, segment: string, exp: number): string {
  return signParts(key, [region, cctvId, segment], exp)
}

/** The frame's link on the public base, valid until `exp` (seconds since the epoch). */
export function frameLink (publicBase: string, key: Buffer, region: string, cctvId: string, what: FrameRef, exp: number): string {
  const segment = frameSegment(what)
  return `${publicBase.replace(/\/$/, '')}/api/frames/${encodeURIComponent(region)}/${encodeURIComponent(cctvId)}/${segment}?exp=${exp}&sig=${sign(key, region, cctvId, segment, exp)}`
}

/** Whether a link's parts are as signed, and still valid at `nowMs`. */
export function checkFrameLink (key: Buffer, region: string, cctvId: string, segment: string, exp: number, sig: string, nowMs: number): 'ok' | 'bad' | 'expired' {
  return checkSigned(key, [region, cctvId, segment], exp, sig, nowMs)
}
