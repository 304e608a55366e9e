import type { CameraView, ChangeView, RegionOverview as Overview } from '../../lib/ops/monitor-views'

/** The monitor's answers as the console reads them (shapes shared with the gateway). */
export type MonitorCamera = CameraView & { uptime_24h?: number | null, uptime_7d?: number | null, uptime_30d?: number | null }
export type RegionOverview = Overview
export type Change = ChangeView & { name?: string | null }

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
