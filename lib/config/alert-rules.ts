import { Type, type Static } from '@sinclair/typebox'
import { DurationSchema, parseDuration } from './duration.js'

export const AlertRulesSchema = Type.Object({
  down_sweeps: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'consecutive scheduled sweeps down before a camera alerts (2)' })),
  up_sweeps: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'consecutive scheduled sweeps up before the recovery notice (1)' })),
  flapping: Type.Optional(Type.Boolean({ description: 'alert when a camera starts or stops flapping (true)' })),
  repeat_every: Type.Optional(Type.Union([DurationSchema('repeat a camera that stays down this often (off)'), Type.Null()]))
}, { additionalProperties: false })

/** When a camera (or a region) alerts: the global rules with the region's overrides. */
export interface AlertRules {
  downSweeps: number
  upSweeps: number
  flapping: boolean
  /** Repeat a camera that stays down this often; null: never. */
  repeatEveryMs: number | null
}

export const DEFAULT_ALERT_RULES: AlertRules = { downSweeps: 2, upSweeps: 1, flapping: true, repeatEveryMs: null }

/** `raw` (schema-checked) over `base`. */
export function alertRules (raw: Static<typeof AlertRulesSchema> | undefined, base: AlertRules): AlertRules {
  if (raw === undefined) return { ...base }
  return {
    downSweeps: raw.down_sweeps ?? base.downSweeps,
    upSweeps: raw.up_sweeps ?? base.upSweeps,
    flapping: raw.flapping ?? base.flapping,
    repeatEveryMs: raw.repeat_every === undefined ? base.repeatEveryMs : raw.repeat_every === null ? null : parseDuration(raw.repeat_every)!
  }
}
