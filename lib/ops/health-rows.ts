/**
 * A health sweep's rows as the API sends them, and the order operators read them in. It imports
 * only lib/status.ts (no imports either): the console (web/) shares both with the gateway.
 */
import type { HealthStatus } from '../status.js'

export { STATUSES, type HealthStatus } from '../status.js'

/** A probe's outcome (reachable, ffprobe's text) → its status: one classification for the sweeps and the ffprobe dialog. */
export function classify (reachable: boolean, message: string, timedOut = false): HealthStatus {
  if (reachable) return 'online'
  // What the camera answered (the tool's own words) says more than how long it took: a slow
  // 401 is a wrong password. ffmpeg's URLs carry "?timeout=…": only its sentences count.
  if (/Connection refused|No route to host|Network is unreachable/i.test(message)) return 'offline'
  if (/\b(401|403)\b|Unauthorized|Forbidden/i.test(message)) return 'auth_failed'
  if (/\b404\b|Not Found/i.test(message)) return 'not_found'
  // The gateway knows when its own limits ran out: a flag, never its own note read back.
  if (timedOut || /timed out/i.test(message)) return 'timeout'
  return 'offline'
}

export interface CameraHealth {
  cctv_ID: number | string
  cctv_name: string | null
  inference_id: string | null
  server: number | null
  L2: string | null
  L3: string | null
  status: HealthStatus
  /** Up now, but reconnected at least `flapMin` times today. */
  flapping: boolean
  codec: string | null
  width: number | null
  height: number | null
  fps: number | null
  /** ffprobe's (or the gateway's) reason, credentials masked; null when online. */
  error: string | null
  probe_ms: number
  reconnects_today: number
  last_reconnect: string | null
}

export interface SweepFilter {
  servers?: number[]
  l2?: string
  l3?: string
  ids?: Array<number | string>
  /** Look at each picture too: black, frozen, and (against its reference views) moved or blurred. */
  picture?: boolean
}

function rank (r: CameraHealth): number {
  return r.status === 'online' ? (r.flapping ? 1 : 2) : 0
}

/** Down first, then flapping, then the rest; by ID within each. */
export function byUrgency (a: CameraHealth, b: CameraHealth): number {
  return rank(a) - rank(b) || Number(a.cctv_ID) - Number(b.cctv_ID)
}
