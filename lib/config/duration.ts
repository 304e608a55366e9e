import { Type } from '@sinclair/typebox'

/*
 * One duration syntax for the whole configuration and the API: a whole number and a unit,
 * s, m, h or d ("30s", "15m", "4h", "1d"). The regions file (monitor.every, alerts.repeat_every,
 * maintenance durations) and POST /api/maintenance read it with this parser only.
 */

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const
const DURATION = /^([1-9][0-9]{0,5})(s|m|h|d)$/

/** The schema of a duration field (the days unit allowed unless `days` is false). */
export function DurationSchema (description: string, days = true): ReturnType<typeof Type.String> {
  return Type.String({ pattern: days ? '^[1-9][0-9]{0,5}(s|m|h|d)$' : '^[1-9][0-9]{0,5}(s|m|h)$', description })
}

/** "15m" → 900000; undefined when `text` is not a duration. */
export function parseDuration (text: string): number | undefined {
  const m = DURATION.exec(text)
  return m === null ? undefined : Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]
}

/** What a bad duration is told. */
export const DURATION_HINT = 'must be like 30m, 2h or 1d'
