import { Type, type Static } from '@sinclair/typebox'
import { DurationSchema, parseDuration } from './duration.js'

/** The regions file's `incidents` (global, and per region over it): how changes group into incidents (issue 25). */
export const IncidentRulesSchema = Type.Object({
  all_at_least: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000,
    description: 'a server\'s (a district\'s) cameras that were up all going down in one sweep are one incident when they are at least this many (2)' })),
  most: Type.Optional(Type.Number({ minimum: 0.5, maximum: 1, description: '…or at least this share of them (0.8)…' })),
  handful: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: '…and at least this many (5)' })),
  reopen_within: Type.Optional(DurationSchema('a cause that fails again within this long after its incident resolved reopens it (30m)')),
  escalate_after: Type.Optional(Type.Union([DurationSchema('an incident nobody acknowledged this long after it opened goes to escalate_to as well (off)'), Type.Null()])),
  escalate_to: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 20, description: 'channel names (notify) that hear an escalated incident' }))
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
  /** An incident open (not acknowledged) this long is told to `escalateTo` too, once; null: never. */
  escalateAfterMs: number | null
  /** The channels (names) that hear an escalated incident. */
  escalateTo: string[]
}

export const DEFAULT_INCIDENT_RULES: IncidentRules = { allAtLeast: 2, most: 0.8, handful: 5, reopenWithinMs: 30 * 60_000, escalateAfterMs: null, escalateTo: [] }

/** `raw` (schema-checked) over `base`. */
export function incidentRules (raw: Static<typeof IncidentRulesSchema> | undefined, base: IncidentRules): IncidentRules {
  if (raw === undefined) return { ...base }
  return {
    allAtLeast: raw.all_at_least ?? base.allAtLeast,
    most: raw.most ?? base.most,
    handful: raw.handful ?? base.handful,
    reopenWithinMs: raw.reopen_within === undefined ? base.reopenWithinMs : parseDuration(raw.reopen_within)!,
    escalateAfterMs: raw.escalate_after === undefined ? base.escalateAfterMs : raw.escalate_after === null ? null : parseDuration(raw.escalate_after)!,
    escalateTo: raw.escalate_to ?? [...base.escalateTo]
  }
}

/** Every region's escalation channels name channels of the file: a problem's words, or null. */
export function escalationProblem (regions: Iterable<{ name: string, incidents: IncidentRules }>, channels: ReadonlySet<string>): string | null {
  for (const r of regions) {
    for (const c of r.incidents.escalateTo) if (!channels.has(c)) return `region ${r.name}: incidents.escalate_to names no channel ${c} (notify)`
    if (r.incidents.escalateAfterMs !== null && r.incidents.escalateTo.length === 0) return `region ${r.name}: incidents.escalate_after needs escalate_to (the channels to tell)`
  }
  return null
}
