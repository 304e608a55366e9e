import type { AlertBody, AlertChange } from '../store/history.js'
import { PICTURE_STATUSES } from '../status.js'
import { frameLink, FRAME_LINK_DAYS, type FrameRef } from './frame-links.js'

/*
 * What an alert about a picture shows (issue 24): for a camera that went black, frozen, moved or
 * blurred, the frame the monitor kept with the change and the camera's reference views. Read
 * when the message is sent (the outbox holds the alert, not its images): an email carries them
 * inline, a chat message or webhook links them (signed, expiring) when PUBLIC_BASE_URL is set.
 */

/** A message carries the frames of this many cameras at most (an email stays a few hundred KB). */
export const FRAMES_MAX = 10

/** Where the frames are: the history's kept frames and the reference views. */
export interface FrameSource {
  thumbnail: (region: string, cctvId: string, at: number) => Promise<Buffer | undefined>
  references: (region: string, cctvId: string) => Promise<Array<{ id: number, jpeg: Buffer }>>
}

export interface ChangeFrames {
  /** The frame kept with the change (at the change's `since`), when one was. */
  frame?: { at: number, jpeg: Buffer }
  references: Array<{ id: number, jpeg: Buffer }>
}

/** Signed links for a change's frames (absent: no public base to link to). */
export interface FrameLinks { frame?: string, references: string[] }

/** A change a person should see the picture of: a camera alert whose status is about the picture. */
export function showsPicture (c: AlertChange): boolean {
  return c.cctv_id !== null && (c.kind === 'down' || c.kind === 'still_down') && c.status !== null && PICTURE_STATUSES.has(c.status)
}

/** Per change (by its index in the body): its frames, for the first FRAMES_MAX picture changes. */
export async function alertFrames (body: AlertBody, source: FrameSource): Promise<Map<number, ChangeFrames>> {
  const out = new Map<number, ChangeFrames>()
  // A "monitoring started" summary counts cameras; it shows no one's picture.
  if (body.started !== undefined || body.test === true) return out
  for (const [i, c] of body.changes.entries()) {
    if (out.size >= FRAMES_MAX) break
    if (!showsPicture(c)) continue
    const id = c.cctv_id!
    const jpeg = await source.thumbnail(body.region, id, c.since)
    const references = await source.references(body.region, id)
    if (jpeg === undefined && references.length === 0) continue
    out.set(i, { ...(jpeg === undefined ? {} : { frame: { at: c.since, jpeg } }), references })
  }
  return out
}

/** The frames' links, valid FRAME_LINK_DAYS from `nowMs`; none without a public base. */
export function frameLinks (body: AlertBody, frames: ReadonlyMap<number, ChangeFrames>, publicBase: string, key: Buffer, nowMs: number): Map<number, FrameLinks> {
  const out = new Map<number, FrameLinks>()
  if (publicBase === '') return out
  const exp = Math.floor(nowMs / 1000) + FRAME_LINK_DAYS * 86_400
  for (const [i, f] of frames) {
    const id = body.changes[i].cctv_id!
    const link = (what: FrameRef): string => frameLink(publicBase, key, body.region, id, what, exp)
    out.set(i, { ...(f.frame === undefined ? {} : { frame: link({ kind: 'frame', at: f.frame.at }) }), references: f.references.map(r => link({ kind: 'reference', id: r.id })) })
  }
  return out
}
