/** What the monitor's API answers (routes/api/monitor.ts), as the console reads it. */
export interface MonitorCamera {
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
  uptime_24h?: number | null
  uptime_7d?: number | null
  uptime_30d?: number | null
}

export interface RegionOverview {
  region: string
  monitored: boolean
  schedule: string | null
  as_of: string | null
  age_seconds: number | null
  stale: boolean
  last_sweep: { trigger: string, state: string, started_at: string, duration_ms: number | null, failure: string | null } | null
  cameras: number
  by_status: Record<string, number>
  down: number
  flapping: number
  down_now: MonitorCamera[] | null
  changes_24h: Record<string, number>
  uptime_days: Array<{ day: string, up: number, total: number, uptime: number | null }>
}

export interface Change { cctv_id: string, name?: string | null, at: string, kind: string, from_status: string | null, to_status: string }

/** "2026-11-30T09:00:00.000Z" → "11-30 18:00" (Korean time, the sites' clock). */
export function kst (iso: string | null | undefined): string {
  return iso === null || iso === undefined ? '' : new Date(Date.parse(iso) + 9 * 3600_000).toISOString().slice(5, 16).replace('T', ' ')
}

/** 0.9734 → "97.3%"; null → "—". */
export function pct (v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : `${(Math.floor(v * 1000) / 10).toFixed(1)}%`
}

/** A cell's colour class by uptime: what a 30-day strip or bar shows. */
export function uptimeClass (v: number | null | undefined): string {
  if (v === null || v === undefined) return 'u-none'
  if (v >= 0.99) return 'u-good'
  if (v >= 0.9) return 'u-warn'
  return 'u-bad'
}

/** 18:00 yesterday, Korean time, as the datetime-local value "YYYY-MM-DDTHH:mm". */
export function lastEveningLocal (now = Date.now()): string {
  const day = new Date(now + 9 * 3600_000).toISOString().slice(0, 10)
  const y = new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10)
  return `${y}T18:00`
}
