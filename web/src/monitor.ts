import type { CameraUptimeView, ChangeView, RegionOverview as Overview } from '../../lib/ops/monitor-views'
import { kstLocal, kstMinutes, lastEvening } from '../../lib/clock'

/** The monitor's answers as the console reads them (shapes shared with the gateway). */
export type MonitorCamera = CameraUptimeView
export type RegionOverview = Overview
export type Change = ChangeView & { name?: string | null }

/** "2026-11-30T09:00:00.000Z" → "11-30 18:00" (Korean time, the sites' clock); "" before there is a time. */
export const kst = kstMinutes

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
  return kstLocal(lastEvening(now))!
}
