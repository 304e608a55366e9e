/*
 * Korean time — the sites' clock, by which their log files are named and operators read
 * times — and the record's clock. One home for both: no imports, so the console (web/)
 * shares this file with the gateway. The zone is fixed, never read from the environment:
 * schedules (cron), maintenance windows, days and "since last night" all mean Asia/Seoul.
 */

/** The sites' zone, for croner (schedules and recurring maintenance windows). */
export const SITE_ZONE = 'Asia/Seoul'
/** Korea keeps no daylight saving time: UTC+9 all year. */
export const SITE_OFFSET_MS = 9 * 3_600_000
const DAY_MS = 86_400_000

/** A time as ms, or NaN when it is not one (an ISO string, a Date or ms). */
function ms (at: number | string | Date | null | undefined): number {
  if (at === null || at === undefined || at === '') return Number.NaN
  return typeof at === 'number' ? at : typeof at === 'string' ? Date.parse(at) : at.getTime()
}

/** The day (YYYY-MM-DD) in Korean time: the sites' clock, by which their log files are named. */
export function kstDay (at: number | Date = new Date()): string {
  return new Date(ms(at) + SITE_OFFSET_MS).toISOString().slice(0, 10)
}

/** "2026-11-30T09:00:00.000Z" → "11-30 18:00" (Korean time); "" for no time or not a time. */
export function kstMinutes (at: number | string | Date | null | undefined): string {
  const t = ms(at)
  return Number.isNaN(t) ? '' : new Date(t + SITE_OFFSET_MS).toISOString().slice(5, 16).replace('T', ' ')
}

/** A time as a datetime-local value in Korean time ("YYYY-MM-DDTHH:mm"); undefined when it is not a time. */
export function kstLocal (at: number | string | Date | null | undefined): string | undefined {
  const t = ms(at)
  return Number.isNaN(t) ? undefined : new Date(t + SITE_OFFSET_MS).toISOString().slice(0, 16)
}

/** The `n` Korean days up to `now`'s, oldest first. */
export function kstDays (n: number, now: number): string[] {
  const today = Date.parse(`${kstDay(now)}T00:00:00Z`)
  return Array.from({ length: n }, (_, i) => new Date(today - (n - 1 - i) * DAY_MS).toISOString().slice(0, 10))
}

/**
 * A Korean month "YYYY-MM": its first instant, the first of the next, and its days; undefined
 * when `month` is not one (a month out of 01-12, or before 2000 or after 2999).
 */
export function kstMonth (month: string): { from: number, to: number, days: string[] } | undefined {
  const m = /^(2\d{3})-(0[1-9]|1[0-2])$/.exec(month)
  if (m === null) return undefined
  const y = Number(m[1]); const mo = Number(m[2])
  const first = Date.UTC(y, mo - 1, 1)
  const next = Date.UTC(y, mo, 1)
  const days = Array.from({ length: Math.round((next - first) / DAY_MS) }, (_, i) => new Date(first + i * DAY_MS).toISOString().slice(0, 10))
  return { from: first - SITE_OFFSET_MS, to: next - SITE_OFFSET_MS, days }
}

/** The Korean month (YYYY-MM) of `at`, and the one before it: a report's defaults. */
export function kstMonthOf (at: number | Date): string {
  return kstDay(at).slice(0, 7)
}

export function kstLastMonth (at: number | Date): string {
  const [y, m] = kstMonthOf(at).split('-').map(Number)
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`
}

const ISO_TIME = /^\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d{1,9})?)?)?(Z|[+-]\d\d:?\d\d)?$/

/**
 * An ISO 8601 time as operators type it: a time without an offset, or a bare date (its
 * midnight), is Korean time — the sites' clock. Undefined when `text` is not such a time.
 */
export function parseKstTime (text: string): number | undefined {
  const m = ISO_TIME.exec(text.trim())
  if (m === null) return undefined
  let s = text.trim().replace(' ', 'T')
  if (!s.includes('T')) s += 'T00:00'
  if (m[1] === undefined) s += '+09:00'
  const t = Date.parse(s)
  return Number.isNaN(t) ? undefined : t
}

/** 18:00 (Korean time) of the day before `now`'s Korean day: "since last night". */
export function lastEvening (now = Date.now()): number {
  return Date.parse(`${kstDay(now)}T18:00:00+09:00`) - DAY_MS
}

/**
 * What time it is (ms since the epoch). Everything that keeps or judges the record (the
 * monitor, its store, alerts, the outbox, maintenance) takes one, so tests set the time
 * instead of sleeping through it.
 */
export type Clock = () => number

export const systemClock: Clock = () => Date.now()
