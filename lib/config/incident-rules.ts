import { Type, type Static } from '@sinclair/typebox'
import { DurationSchema, parseDuration } from './duration.js'

/** The regions file's `incidents` (global, and per region over it): how changes group into incidents (issue 25). */
export const IncidentRulesSchema = Type.Object({
  all_at_least: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000,
    description: 'a server\'s (a district\'s) cameras that were up all going down in one sweep are one incident when they are at least this many (2)' })),
  most: Type.Optional(Type.Number({ minimum: 0.5, maximum: 1, description: '…or at least this share of them (0.8)…' })),
  handful: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: '…and at least this many (5)' })),
  reopen_within: Type.Optional(DurationSchema('a cause that fails again within this long after its incident resolved reopens it (30m)'))
}, { additionalProperties: false })

export interface IncidentRules {
  /** A server's (a district's) cameras going down together are one incident when they are all
   *  of its cameras that were up, and at least this many. */
  allAtLeast: number
  /** …or at least this share of them (0–1)… */
  most: number
  /** …and at least this many (a handful). */
  handful: number
  /** A cause that fails again within this long after its incident resolved reopens it. */
  reopenWithinMs: number
}

export const DEFAULT_INCIDENT_RULES: IncidentRules = { allAtLeast: 2, most: 0.8, handful: 5, reopenWithinMs: 30 * 60_000 }

/** `raw` (schema-checked) over `base`. */
export function incidentRules (raw: Static<typeof IncidentRulesSchema> | undefined, base: IncidentRules): IncidentRules {
  if (raw === undefined) return { ...base }
  return {
    allAtLeast: raw.all_at_least ?? base.allAtLeast,
    most: raw.most ?? base.most,
    handful: raw.handful ?? base.handful,
    reopenWithinMs: raw.reopen_within === undefined ? base.reopenWithinMs : parseDuration(raw.reopen_within)!
  }
}
