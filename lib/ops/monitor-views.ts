/**
 * What the monitor's API answers (routes/api/monitor.ts, built by lib/ops/fleet.ts). No
 * imports: the console (web/src/monitor.ts) shares this file with the gateway.
 */

export interface SweepView {
  id: number
  trigger: string
  started_by: string | null
  state: string
  started_at: string
  finished_at: string | null
  duration_ms: number | null
  total: number
  done: number
  failure: string | null
  /** The gateway that ran it (GATEWAY_ID). */
  gateway: string | null
}

export interface CameraView {
  cctv_id: string
  name: string | null
  inference_id: string | null
  server: number | null
  status: string
  flapping: boolean
  since: string
  last_seen: string
  error: string | null
  reconnects_today: number
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
  by_status: Record<string, number>
  down: number
  flapping: number
  down_now: CameraView[] | null
  changes_24h: Record<string, number>
  uptime_days: DayView[]
}

export interface ChangeView {
  cctv_id: string
  at: string
  kind: string
  from_status: string | null
  to_status: string
  /** Where the frame the monitor kept with a change to black/frozen is (GET, image/jpeg). */
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
