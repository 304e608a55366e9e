/**
 * What the monitor's API answers (routes/api/monitor.ts, built by lib/ops/fleet.ts). It imports
 * only lib/status.ts (no imports either): the console (web/src/monitor.ts) shares both with the gateway.
 */
import type { ChangeKind, HealthStatus, SweepState, SweepTrigger } from '../status.js'

export interface SweepView {
  id: number
  trigger: SweepTrigger
  started_by: string | null
  state: SweepState
  /** It watched pictures as well as probing. */
  picture: boolean
  started_at: string
  finished_at: string | null
  duration_ms: number | null
  total: number
  done: number
  online: number
  down: number
  failure: string | null
  /** The gateway that ran it (GATEWAY_ID). */
  gateway: string | null
}

export interface CameraView {
  cctv_id: string
  name: string | null
  inference_id: string | null
  server: number | null
  status: HealthStatus
  flapping: boolean
  since: string
  last_seen: string
  error: string | null
  reconnects_today: number
}

/**
 * A camera with its uptime: the share of the monitor's complete sweeps outside maintenance
 * that found it online, null when none was judged; `judged_*` counts them.
 */
export interface CameraUptimeView extends CameraView {
  uptime_24h: number | null
  uptime_7d: number | null
  uptime_30d: number | null
  judged_24h: number
  judged_7d: number
  judged_30d: number
}

export interface DayView { day: string, up: number, total: number, uptime: number | null, reconnects?: number }

export interface RegionOverview {
  region: string
  monitored: boolean
  schedule: string | null
  as_of: string | null
  age_seconds: number | null
  stale: boolean
  last_sweep: SweepView | null
  cameras: number
  by_status: Partial<Record<HealthStatus, number>>
  down: number
  flapping: number
  down_now: CameraView[] | null
  changes_24h: Record<ChangeKind, number>
  uptime_days: DayView[]
}

export interface ChangeView {
  cctv_id: string
  at: string
  kind: ChangeKind
  from_status: HealthStatus | null
  to_status: HealthStatus
  /** Which sweep saw it: the monitor's (scheduled) or an operator's (manual, by started_by). */
  trigger: SweepTrigger
  started_by: string | null
  /** Where the frame the monitor kept with a change to black/frozen/moved/blurred is (GET, image/jpeg). */
  thumbnail_url?: string
}

export interface CameraStory {
  region: string
  cctv_id: string
  from: string
  to: string
  camera: CameraView | null
  changes: ChangeView[]
  daily: DayView[]
}

/** The region-wide "make references" action (issue 24) as the API answers it and the console reads it. */
export interface ReferenceJobView {
  state: 'running' | 'done' | 'cancelled' | 'failed'
  missing_only: boolean
  started_by: string
  started_at: string
  finished_at: string | null
  /** Cameras to look at; of them, done so far: taken, skipped (had one, or not online), failed (with why). */
  total: number
  done: number
  taken: number
  skipped: number
  failed: Array<{ cctv_id: string, reason: string }>
  failure: string | null
}
