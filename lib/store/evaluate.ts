import type { AlertRules } from '../config/alert-rules.js'
import { inMaintenance, type Window } from '../maintenance.js'
import type { ChangeKind, HealthStatus, SweepState, SweepTrigger } from '../status.js'

/*
 * The monitor's rules as one pure function: what a finished sweep does to the record — camera
 * states, kept changes, uptime, alert events — from what was there before. No database, no
 * clock: HistoryStore reads `before`, calls `evaluate`, writes what it returns in the sweep's
 * transaction. test/record-model.test.ts checks the store against a small reference model.
 */

/** One camera's result in a sweep, as the health sweep reports it (lib/ops/health-rows.ts). */
export interface CameraResult {
  cctv_ID: number | string
  cctv_name: string | null
  inference_id: string | null
  server: number | null
  status: HealthStatus
  flapping: boolean
  error: string | null
  probe_ms: number
  reconnects_today: number
  /** Its district (address L2, L3): what incidents group by besides the server. */
  L2?: string | null
  L3?: string | null
}

export type { AlertRules }

/** One line of an alert: what happened to a camera (or the region). */
export interface AlertChange {
  kind: 'down' | 'up' | 'still_down' | 'flapping' | 'steady' | 'region_down' | 'region_up'
  cctv_id: string | null
  name: string | null
  server: number | null
  status: string | null
  /** Since when it has been in this state (ms). */
  since: number
  error: string | null
  /** The incident the camera is in (lib/store/incident-rules.ts): its line is told with the incident's others. */
  incident?: number
}

/** What the record holds for a camera between sweeps. */
export interface CameraRecord {
  status: HealthStatus
  /** Only an online camera flaps: false whenever status is not online. */
  flapping: boolean
  /** When the status last changed (ms). */
  since: number
  /** Consecutive counted scheduled sweeps down / up (the alert rules). */
  downStreak: number
  upStreak: number
  /** When its down alert was sent (null: none outstanding). */
  alertedAt: number | null
}

/** The region's own alert state: failing scheduled sweeps, and whether the monitor has started. */
export interface RegionRecord {
  failingSince: number | null
  alerted: boolean
  /** When the monitor's first counted sweep was (null: none yet — the next one starts it). */
  startedAt: number | null
}

export interface SweepFacts {
  trigger: SweepTrigger
  state: SweepState
  /** It looked at pictures (black/frozen/moved/blurred) instead of probing. */
  picture: boolean
  /** Why it failed (a region alert says it). */
  failure?: string | null
}

export interface EvaluateInput {
  at: number
  sweep: SweepFacts
  /** The region's monitor watches pictures: an operator's sweep must too, to move the record. */
  monitorPicture: boolean
  before: ReadonlyMap<string, CameraRecord>
  region: RegionRecord
  results: readonly CameraResult[]
  /** The alert rules and every window that may be open (none: the region does not alert). */
  alerting?: { rules: AlertRules, windows: readonly Window[] }
}

export interface KeptChange { cctv_id: string, kind: ChangeKind, from_status: HealthStatus | null, to_status: HealthStatus }

export interface Evaluation {
  /** Camera states move (and changes are kept): a complete scheduled sweep, or an operator's with at least the monitor's checks. */
  moves: boolean
  /** Its results count towards uptime: complete scheduled sweeps only. */
  counts: boolean
  /** Each covered camera's record after the sweep (only when `moves`). */
  states: Map<string, CameraRecord>
  changes: KeptChange[]
  /** Results that count towards uptime (outside maintenance), by camera: up or not. */
  uptime: Map<string, boolean>
  events: AlertChange[]
  region: RegionRecord
  /** The monitor's first counted sweep: one summary per channel instead of an alert per camera. */
  started?: { byStatus: Partial<Record<HealthStatus, number>>, cameras: number }
}

/** Whether a sweep moves the record: see Evaluation.moves. */
export function movesRecord (sweep: SweepFacts, monitorPicture: boolean): boolean {
  if (sweep.state !== 'done') return false
  return sweep.trigger === 'scheduled' || sweep.picture || !monitorPicture
}

/** The kind of change from `from` (undefined: never seen) to `to`; undefined when the status did not change. */
export function changeKind (from: HealthStatus | undefined, to: HealthStatus): ChangeKind | undefined {
  if (from === undefined) return 'first_seen'
  if (from === to) return undefined
  if (to === 'online') return 'up'
  return from === 'online' ? 'down' : 'status'
}

export function evaluate (input: EvaluateInput): Evaluation {
  const { at, sweep, before, results, alerting } = input
  const moves = movesRecord(sweep, input.monitorPicture)
  const scheduled = sweep.trigger === 'scheduled'
  const counts = moves && scheduled
  const out: Evaluation = { moves, counts, states: new Map(), changes: [], uptime: new Map(), events: [], region: input.region }
  // The region's alert: scheduled sweeps that ended (done or failed) only.
  if (scheduled && alerting !== undefined && (sweep.state === 'done' || sweep.state === 'failed')) {
    const r = regionAlert(input.region, sweep.state === 'failed', at, inMaintenance(alerting.windows, at))
    out.region = r.next
    if (r.event !== undefined) out.events.push({ ...r.event, error: sweep.failure ?? null })
  }
  if (!moves) return out
  const first = counts && input.region.startedAt === null && results.length > 0
  if (first) {
    out.region = { ...out.region, startedAt: at }
    const byStatus: Partial<Record<HealthStatus, number>> = {}
    for (const r of results) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1
    if (alerting !== undefined) out.started = { byStatus, cameras: results.length }
  }
  for (const r of results) {
    const cctv = String(r.cctv_ID)
    const prev = before.get(cctv)
    const online = r.status === 'online'
    const flapping = online && r.flapping
    const kind = changeKind(prev?.status, r.status)
    if (kind !== undefined) out.changes.push({ cctv_id: cctv, kind, from_status: prev?.status ?? null, to_status: r.status })
    // Flapping is told between online states only: a death or a return is down / up, whatever it did before.
    const flapTurn = prev !== undefined && prev.status === 'online' && online && prev.flapping !== flapping
    if (flapTurn) out.changes.push({ cctv_id: cctv, kind: flapping ? 'flapping' : 'steady', from_status: 'online', to_status: 'online' })
    const since = prev === undefined || kind !== undefined ? at : prev.since
    const next: CameraRecord = { status: r.status, flapping, since, downStreak: prev?.downStreak ?? 0, upStreak: prev?.upStreak ?? 0, alertedAt: prev?.alertedAt ?? null }
    const quiet = alerting !== undefined && inMaintenance(alerting.windows, at, cctv, r.server)
    if (counts && !quiet) out.uptime.set(cctv, online)
    if (counts && alerting !== undefined) {
      next.downStreak = online ? 0 : next.downStreak + 1
      next.upStreak = online ? next.upStreak + 1 : 0
      const { rules } = alerting
      const line = (k: AlertChange['kind']): AlertChange => ({ kind: k, cctv_id: cctv, name: r.cctv_name, server: r.server, status: r.status, since, error: r.error })
      if (first) {
        // Told in the "monitoring started" summary: it is known down, and its return is news.
        if (!online) next.alertedAt = at
      } else if (!quiet) {
        if (!online && next.alertedAt === null && next.downStreak >= rules.downSweeps) { out.events.push(line('down')); next.alertedAt = at } else if (!online && next.alertedAt !== null && rules.repeatEveryMs !== null && at - next.alertedAt >= rules.repeatEveryMs) { out.events.push(line('still_down')); next.alertedAt = at } else if (online && next.alertedAt !== null && next.upStreak >= rules.upSweeps) { out.events.push(line('up')); next.alertedAt = null }
        if (rules.flapping && flapTurn) out.events.push(line(flapping ? 'flapping' : 'steady'))
      }
      // Back up before anyone was told: nothing to recover from.
      if (online && next.alertedAt === null) next.downStreak = 0
    }
    out.states.set(cctv, next)
  }
  return out
}

/** A whole region failing is one alert (not one per camera), and one when it is back. */
function regionAlert (prev: RegionRecord, failed: boolean, at: number, quiet: boolean): { next: RegionRecord, event?: Omit<AlertChange, 'error'> } {
  let failingSince = prev.failingSince
  let alerted = prev.alerted
  let event: Omit<AlertChange, 'error'> | undefined
  const line = (kind: AlertChange['kind'], since: number): Omit<AlertChange, 'error'> => ({ kind, cctv_id: null, name: null, server: null, status: failed ? 'failed' : 'ok', since })
  if (failed) {
    failingSince ??= at
    if (!alerted && !quiet) { event = line('region_down', failingSince); alerted = true }
  } else if (failingSince !== null) {
    if (alerted && !quiet) event = line('region_up', at)
    if (!alerted || !quiet) { failingSince = null; alerted = false }
  }
  return { next: { ...prev, failingSince, alerted }, event }
}
