import { Cron } from 'croner'
import { SITE_ZONE } from './clock.js'

/**
 * Maintenance windows (issue 16): one-off (from, to) or recurring (a cron expression for each
 * start, plus a duration); region-wide, one server, or some cameras. A window suppresses alerts,
 * never sweeps or history. Pure: the regions file's windows and the API's are the same shape.
 */
export interface Window {
  from?: number
  to?: number
  cron?: string
  durationMs?: number
  server?: number | null
  cctvIds?: string[] | null
}

/** Why `expr` is not a cron expression croner accepts, or undefined when it is one. */
export function cronProblem (expr: string): string | undefined {
  try {
    new Cron(expr, { paused: true }).stop()
    return undefined
  } catch (err) {
    return (err as Error).message
  }
}


/** Whether `w` is open at `at` (ms). A recurring window is open for `durationMs` after each start. */
export function windowOpen (w: Window, at: number): boolean {
  if (w.from !== undefined && w.to !== undefined) return at >= w.from && at < w.to
  if (w.cron === undefined || w.durationMs === undefined) return false
  // The latest start at or before `at` within one duration: the next start after (at - duration).
  const next = new Cron(w.cron, { timezone: SITE_ZONE, paused: true }).nextRun(new Date(at - w.durationMs))
  return next !== null && next.getTime() <= at
}

/** Whether a window covers this camera (or, with cctvId undefined, the whole region). */
export function windowCovers (w: Window, cctvId: string | undefined, server: number | null | undefined): boolean {
  if (cctvId === undefined) return (w.server ?? null) === null && (w.cctvIds ?? null) === null
  if (w.cctvIds !== undefined && w.cctvIds !== null) return w.cctvIds.includes(cctvId)
  if (w.server !== undefined && w.server !== null) return server === w.server
  return true
}

/** Whether any of `windows` suppresses alerts for this camera (or the whole region) at `at`. */
export function inMaintenance (windows: readonly Window[], at: number, cctvId?: string, server?: number | null): boolean {
  return windows.some(w => windowCovers(w, cctvId, server) && windowOpen(w, at))
}
