import { kstLocal } from '../clock.js'
import type { IncidentCause } from './incident-rules.js'

/*
 * A region's month as a team sends it to its client (issue 25, 6): uptime per camera and per
 * day, counted from the monitor's scheduled sweeps outside maintenance (the daily running sums,
 * lib/store/aggregates.ts), the ten worst cameras, and the incidents opened in the month with
 * how long people took to acknowledge and to resolve them. Pure: the store reads the rows
 * (lib/store/reports.ts), these functions make the report and its tables.
 */

export interface CameraMonth { cctv_id: string, name: string | null, server: number | null, up: number, judged: number }
export interface DayMonth { day: string, up: number, judged: number }
export interface IncidentMonth {
  id: number
  cause: IncidentCause
  key: string | null
  state: 'open' | 'acknowledged' | 'resolved'
  opened_at: number
  /** The first acknowledgement in its timeline (kept when a reopening cleared it from the row). */
  first_ack_at: number | null
  first_ack_by: string | null
  resolved_at: number | null
  resolved_by: string | null
  cameras: number
}

export interface MonthlyInput {
  region: string
  month: string
  from: number
  to: number
  days: string[]
  cameras: CameraMonth[]
  daily: DayMonth[]
  incidents: IncidentMonth[]
}

/** Minutes' summary of durations: how many, the median and the 90th percentile (nearest rank). */
export interface Spread { count: number, median_minutes: number | null, p90_minutes: number | null }

export interface MonthlyReport {
  region: string
  month: string
  from: string
  to: string
  /** The fleet's uptime over the month: up of judged (null: nothing judged). */
  uptime: { percent: number | null, up: number, judged: number }
  cameras: Array<CameraMonth & { percent: number | null, incidents: number }>
  /** The ten cameras with the lowest uptime (judged ones only; ties: the longer judged first). */
  worst: Array<CameraMonth & { percent: number }>
  daily: Array<DayMonth & { percent: number | null }>
  incidents: {
    total: number
    by_cause: Record<IncidentCause, number>
    still_open: number
    time_to_acknowledge: Spread
    time_to_resolve: Spread
    list: Array<IncidentMonth & { minutes_to_acknowledge: number | null, minutes_to_resolve: number | null }>
  }
}

export const WORST = 10

/** Percent with two decimals (99.87), null for nothing judged. */
export function percent (up: number, judged: number): number | null {
  return judged === 0 ? null : Math.round(up / judged * 10_000) / 100
}

/**
 * The p-quantile of numbers by the nearest-rank method (the value at rank ⌈p·n⌉ of the sorted
 * list): always a value that occurred, the convention of service-level reports. null for none.
 */
export function quantile (values: readonly number[], p: number): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length))) - 1]
}

function spread (ms: number[]): Spread {
  const minutes = ms.map(x => Math.round(x / 60_000 * 10) / 10)
  return { count: minutes.length, median_minutes: quantile(minutes, 0.5), p90_minutes: quantile(minutes, 0.9) }
}

const byId = (a: { cctv_id: string }, b: { cctv_id: string }): number => Number(a.cctv_id) - Number(b.cctv_id) || a.cctv_id.localeCompare(b.cctv_id)

export function monthlyReport (input: MonthlyInput, incidentCameras: ReadonlyMap<string, number> = new Map()): MonthlyReport {
  const up = input.cameras.reduce((n, c) => n + c.up, 0)
  const judged = input.cameras.reduce((n, c) => n + c.judged, 0)
  const cameras = [...input.cameras].sort(byId).map(c => ({ ...c, percent: percent(c.up, c.judged), incidents: incidentCameras.get(c.cctv_id) ?? 0 }))
  const worst = cameras.filter(c => c.judged > 0)
    .map(({ percent: p, incidents: _n, ...c }) => ({ ...c, percent: p! }))
    .sort((a, b) => a.percent - b.percent || b.judged - a.judged || byId(a, b)).slice(0, WORST)
  const dayRows = new Map(input.daily.map(d => [d.day, d]))
  const daily = input.days.map(day => {
    const d = dayRows.get(day) ?? { day, up: 0, judged: 0 }
    return { day, up: d.up, judged: d.judged, percent: percent(d.up, d.judged) }
  })
  const list = [...input.incidents].sort((a, b) => a.opened_at - b.opened_at || a.id - b.id).map(i => ({
    ...i,
    minutes_to_acknowledge: i.first_ack_at === null ? null : Math.round((i.first_ack_at - i.opened_at) / 60_000 * 10) / 10,
    minutes_to_resolve: i.state === 'resolved' && i.resolved_at !== null ? Math.round((i.resolved_at - i.opened_at) / 60_000 * 10) / 10 : null
  }))
  const by_cause: Record<IncidentCause, number> = { region: 0, server: 0, district: 0, camera: 0 }
  for (const i of list) by_cause[i.cause]++
  return {
    region: input.region,
    month: input.month,
    from: new Date(input.from).toISOString(),
    to: new Date(input.to).toISOString(),
    uptime: { percent: percent(up, judged), up, judged },
    cameras,
    worst,
    daily,
    incidents: {
      total: list.length,
      by_cause,
      still_open: list.filter(i => i.state !== 'resolved').length,
      time_to_acknowledge: spread(list.filter(i => i.first_ack_at !== null).map(i => i.first_ack_at! - i.opened_at)),
      time_to_resolve: spread(list.filter(i => i.state === 'resolved' && i.resolved_at !== null).map(i => i.resolved_at! - i.opened_at)),
      list
    }
  }
}

export type ReportTable = 'cameras' | 'daily' | 'incidents'

const HEADERS: Record<ReportTable, Record<'ko' | 'en', string[]>> = {
  cameras: {
    ko: ['카메라 ID', '이름', '서버', '가동률(%)', '정상 점검 수', '점검 수', '장애 수'],
    en: ['cctv_id', 'name', 'server', 'uptime_percent', 'up_sweeps', 'judged_sweeps', 'incidents']
  },
  daily: { ko: ['날짜', '가동률(%)', '정상', '점검'], en: ['day', 'uptime_percent', 'up', 'judged'] },
  incidents: {
    ko: ['장애 ID', '원인', '대상', '상태', '발생(KST)', '카메라 수', '확인(KST)', '확인자', '확인까지(분)', '해결(KST)', '해결까지(분)', '수동 종료자'],
    en: ['id', 'cause', 'key', 'state', 'opened_kst', 'cameras', 'acknowledged_kst', 'acknowledged_by', 'minutes_to_acknowledge', 'resolved_kst', 'minutes_to_resolve', 'closed_by']
  }
}

const kst = (ms: number | null): string => kstLocal(ms)?.replace('T', ' ') ?? ''
const num = (n: number | null): string | number => n ?? ''

/** One of the report's tables as rows (the header first), for CSV. */
export function reportTable (r: MonthlyReport, table: ReportTable, lang: 'ko' | 'en'): Array<Array<string | number>> {
  const head = HEADERS[table][lang]
  switch (table) {
    case 'cameras': return [head, ...r.cameras.map(c => [c.cctv_id, c.name ?? '', num(c.server), num(c.percent), c.up, c.judged, c.incidents])]
    case 'daily': return [head, ...r.daily.map(d => [d.day, num(d.percent), d.up, d.judged])]
    case 'incidents': return [head, ...r.incidents.list.map(i => [i.id, i.cause, i.key ?? '', i.state, kst(i.opened_at), i.cameras, kst(i.first_ack_at), i.first_ack_by ?? '',
      num(i.minutes_to_acknowledge), kst(i.resolved_at), num(i.minutes_to_resolve), i.resolved_by ?? ''])]
  }
}
