/** The day (YYYY-MM-DD) in Korean time: the sites' clock, by which their log files are named. */
export function kstDay (at = new Date()): string {
  return new Date(at.getTime() + 9 * 3600_000).toISOString().slice(0, 10)
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
  const ms = Date.parse(s)
  return Number.isNaN(ms) ? undefined : ms
}

/** 18:00 (Korean time) of the day before `now`'s Korean day: "since last night". */
export function lastEvening (now = Date.now()): number {
  const day = kstDay(new Date(now))
  return Date.parse(`${day}T18:00:00+09:00`) - 86_400_000
}

/**
 * What time it is (ms since the epoch). Everything that keeps or judges the record (the
 * monitor, its store, alerts, the outbox, maintenance) takes one, so tests set the time
 * instead of sleeping through it.
 */
export type Clock = () => number

export const systemClock: Clock = () => Date.now()
