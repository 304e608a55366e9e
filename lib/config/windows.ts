import { Type, type Static } from '@sinclair/typebox'
import { parseKstTime } from '../clock.js'
import { cronProblem } from '../maintenance.js'
import { DurationSchema, DURATION_HINT, parseDuration } from './duration.js'
import { ConfigProblem } from './problem.js'

/*
 * Maintenance windows as they are written — in the regions file or in POST /api/maintenance —
 * checked by one validator: the same rules and the same words for both.
 */

const Time = Type.String({ minLength: 1, maxLength: 40, description: 'ISO 8601; without an offset it is Korean time' })

export const MaintenanceSchema = Type.Object({
  from: Type.Optional(Time),
  to: Type.Optional(Time),
  cron: Type.Optional(Type.String({ minLength: 9, maxLength: 120, description: 'recurring: when each window starts (Asia/Seoul, the sites\' clock)' })),
  duration: Type.Optional(DurationSchema('recurring: how long each window lasts, e.g. 30m, 2h, 1d')),
  server: Type.Optional(Type.Integer({ minimum: 1, maximum: 999 })),
  cctv_ids: Type.Optional(Type.Array(Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: '^[0-9]{1,9}$' })]), { minItems: 1, maxItems: 10_000 })),
  reason: Type.Optional(Type.String({ maxLength: 500 }))
}, { additionalProperties: false })

export type MaintenanceInput = Static<typeof MaintenanceSchema>

/** A maintenance window: one-off (from, to) or recurring (cron + duration); region-wide, one server, or some cameras. */
export interface WindowConfig {
  from?: number
  to?: number
  cron?: string
  durationMs?: number
  server?: number
  cctvIds?: string[]
  reason?: string
}

/**
 * Checks a window as written; throws ConfigProblem naming the field. `servers`: the region's
 * servers (a window for another is refused); `now`: a window that has already ended is refused
 * (the API's; the regions file may keep old ones).
 */
export function checkWindow (w: MaintenanceInput, ctx: { servers: ReadonlySet<number>, now?: number }): WindowConfig {
  const oneOff = w.from !== undefined || w.to !== undefined
  const recurring = w.cron !== undefined || w.duration !== undefined
  if (oneOff === recurring) throw new ConfigProblem('from', 'give from and to (one-off), or cron and duration (recurring)', 'whole')
  if (w.server !== undefined && !ctx.servers.has(w.server)) throw new ConfigProblem('server', `the region has no server ${w.server}`)
  if (w.server !== undefined && w.cctv_ids !== undefined) throw new ConfigProblem('server', 'give server or cctv_ids, not both', 'whole')
  const out: WindowConfig = { server: w.server, cctvIds: w.cctv_ids?.map(id => String(Number(id))), reason: w.reason }
  if (oneOff) {
    if (w.from === undefined || w.to === undefined) throw new ConfigProblem(w.from === undefined ? 'from' : 'to', 'a one-off window needs both from and to', 'whole')
    const time = (field: 'from' | 'to', text: string): number => {
      const at = parseKstTime(text)
      if (at === undefined) throw new ConfigProblem(field, 'is not a time: use ISO 8601, e.g. 2026-12-01T09:00+09:00 (no offset: Korean time)', 'predicate')
      return at
    }
    out.from = time('from', w.from)
    out.to = time('to', w.to)
    if (out.to <= out.from) throw new ConfigProblem('to', 'ends before it starts', 'predicate')
    if (ctx.now !== undefined && out.to <= ctx.now) throw new ConfigProblem('to', 'is in the past', 'predicate')
  } else {
    if (w.cron === undefined || w.duration === undefined) throw new ConfigProblem(w.cron === undefined ? 'cron' : 'duration', 'a recurring window needs both cron and duration', 'whole')
    const ms = parseDuration(w.duration)
    if (ms === undefined) throw new ConfigProblem('duration', DURATION_HINT, 'predicate')
    // Checked here: a bad expression would otherwise fail inside a sweep's transaction.
    const problem = cronProblem(w.cron)
    if (problem !== undefined) throw new ConfigProblem('cron', problem)
    out.cron = w.cron
    out.durationMs = ms
  }
  return out
}
