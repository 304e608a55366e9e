import type { HealthStatus } from '../status.js'
import type { IncidentRules } from '../config/incident-rules.js'

export { DEFAULT_INCIDENT_RULES, type IncidentRules } from '../config/incident-rules.js'

/*
 * Incidents (issue 25) as one pure function, beside `evaluate` (evaluate.ts): what a sweep that
 * moved the record does to a region's incidents. Changes that share a cause are one incident —
 * the site unreachable (`region`), most of one analysis server's cameras that were up going down
 * in one sweep (`server`), the same for one district, L2/L3 (`district`); otherwise one camera
 * each (`camera`). An incident resolves when all its cameras are back; a cause that fails again
 * soon after reopens its incident instead of opening a new one. No database, no clock: the store
 * reads the open (and recently resolved) incidents, calls `applyIncidents`, writes what it
 * returns in the sweep's transaction. test/incident-rules.test.ts checks it against a model.
 */

export type IncidentCause = 'region' | 'server' | 'district' | 'camera'
export const INCIDENT_CAUSES: readonly IncidentCause[] = ['region', 'server', 'district', 'camera']

/** `acknowledged`: someone said they are on it (repeats stop); `resolved`: all back, or closed by hand. */
export type IncidentState = 'open' | 'acknowledged' | 'resolved'


/** A camera in an incident: still down, or back (when). */
export interface IncidentCamera {
  status: HealthStatus
  /** When it went down (this time). */
  downAt: number
  /** When it came back (null: still down). */
  backAt: number | null
}

export interface Incident {
  /** The store's id; a new incident has none until it is written. */
  id: number | null
  cause: IncidentCause
  /** What the cameras share: the server's number, the district ("L2/L3"), the camera's id; null for the region. */
  key: string | null
  state: IncidentState
  openedAt: number
  resolvedAt: number | null
  cameras: Map<string, IncidentCamera>
}

/** One camera's part in a sweep: where it is, what the record said before and what the sweep found. */
export interface SweepCamera {
  cctv_id: string
  server: number | null
  /** "L2/L3" (null: no address). */
  district: string | null
  /** Its status before the sweep (undefined: the monitor had not seen it). */
  before: HealthStatus | undefined
  status: HealthStatus
}

export interface IncidentInput {
  at: number
  /** The sweep failed: the site (server 1) could not be reached or asked. */
  regionFailed: boolean
  /** Every camera the sweep covered (none when it failed). */
  cameras: readonly SweepCamera[]
  /** The region's open and acknowledged incidents, and those resolved within `reopenWithinMs`. */
  incidents: readonly Incident[]
  rules: IncidentRules
}

export type IncidentEventKind = 'opened' | 'grew' | 'reopened' | 'resolved'

/** What changed, for the alerts: an incident opened, took more cameras, reopened or resolved. */
export interface IncidentEvent {
  kind: IncidentEventKind
  /** The incident as it is after the sweep (the same object as in `changed`). */
  incident: Incident
  /** The cameras this event is about (those that went down, or the last ones back). */
  cctv_ids: string[]
}

export interface IncidentOutcome {
  /** Incidents created or changed by the sweep (to write); new ones have `id` null. */
  changed: Incident[]
  events: IncidentEvent[]
}

const down = (s: HealthStatus): boolean => s !== 'online'

function cloneIncident (i: Incident): Incident {
  return { ...i, cameras: new Map([...i.cameras].map(([k, v]) => [k, { ...v }])) }
}

/** Whether `fell` of `wereUp` cameras going down in one sweep share their server's / district's cause. */
export function shared (fell: number, wereUp: number, rules: IncidentRules): boolean {
  if (fell === 0 || wereUp === 0) return false
  if (fell === wereUp && fell >= rules.allAtLeast) return true
  return fell >= rules.handful && fell >= rules.most * wereUp
}

export function applyIncidents (input: IncidentInput): IncidentOutcome {
  const { at, rules } = input
  const all = input.incidents.map(cloneIncident)
  const changed = new Set<Incident>()
  const events: IncidentEvent[] = []
  const active = (i: Incident): boolean => i.state !== 'resolved'
  const event = (kind: IncidentEventKind, incident: Incident, ids: string[]): void => {
    changed.add(incident)
    events.push({ kind, incident, cctv_ids: ids })
  }
  /** The most recently resolved incident within the reopening window that `match` accepts. */
  const recentlyResolved = (match: (i: Incident) => boolean): Incident | undefined => all
    .filter(i => i.state === 'resolved' && i.resolvedAt !== null && at - i.resolvedAt <= rules.reopenWithinMs && match(i))
    .sort((a, b) => b.resolvedAt! - a.resolvedAt!)[0]
  const holder = new Map<string, Incident>()
  /** Puts cameras that went down now in `i` (its holder from now on). */
  const take = (i: Incident, cams: readonly SweepCamera[]): void => {
    for (const c of cams) {
      i.cameras.set(c.cctv_id, { status: c.status, downAt: at, backAt: null })
      holder.set(c.cctv_id, i)
    }
  }
  const reopen = (i: Incident, cams: readonly SweepCamera[]): void => {
    i.state = 'open'
    i.resolvedAt = null
    take(i, cams)
    event('reopened', i, cams.map(c => c.cctv_id))
  }

  // The region: a failed sweep opens (or reopens) its incident; the next sweep that reaches the site resolves it.
  const region = all.find(i => i.cause === 'region' && active(i))
  if (input.regionFailed) {
    if (region === undefined) {
      const recent = recentlyResolved(i => i.cause === 'region')
      if (recent !== undefined) reopen(recent, [])
      else {
        const i: Incident = { id: null, cause: 'region', key: null, state: 'open', openedAt: at, resolvedAt: null, cameras: new Map() }
        all.push(i)
        event('opened', i, [])
      }
    }
    return { changed: [...changed], events }
  }
  if (region !== undefined) {
    region.state = 'resolved'
    region.resolvedAt = at
    event('resolved', region, [])
  }

  // Cameras back, and down ones whose down status changed (offline → black): in their incidents.
  for (const i of all) if (active(i)) for (const [id, c] of i.cameras) if (c.backAt === null) holder.set(id, i)
  const back = new Map<Incident, string[]>()
  for (const c of input.cameras) {
    const i = holder.get(c.cctv_id)
    if (i === undefined) continue
    const cam = i.cameras.get(c.cctv_id)!
    if (!down(c.status)) {
      cam.backAt = at
      holder.delete(c.cctv_id)
      back.set(i, [...(back.get(i) ?? []), c.cctv_id])
    } else if (cam.status !== c.status) {
      cam.status = c.status
      changed.add(i)
    }
  }
  for (const [i, ids] of back) {
    changed.add(i)
    if ([...i.cameras.values()].every(c => c.backAt !== null)) {
      i.state = 'resolved'
      i.resolvedAt = at
      event('resolved', i, ids)
    }
  }

  // Cameras that went down in this sweep (were online, are not) and are in no incident yet. A
  // camera first seen down is no outage the monitor saw begin: the record tells it apart.
  const fell = input.cameras.filter(c => c.before === 'online' && down(c.status) && !holder.has(c.cctv_id))
  if (fell.length === 0) return { changed: [...changed], events }

  const place = (cause: IncidentCause, key: string | null, cams: readonly SweepCamera[]): void => {
    const open = all.find(i => i.cause === cause && i.key === key && active(i))
    if (open !== undefined) { take(open, cams); event('grew', open, cams.map(c => c.cctv_id)); return }
    const recent = recentlyResolved(i => i.cause === cause && i.key === key)
    if (recent !== undefined) { reopen(recent, cams); return }
    const i: Incident = { id: null, cause, key, state: 'open', openedAt: at, resolvedAt: null, cameras: new Map() }
    take(i, cams)
    all.push(i)
    event('opened', i, cams.map(c => c.cctv_id))
  }

  // A camera that falls again soon after its incident resolved reopens that incident (a whole
  // server falling again reopens the server's), whatever else falls with it.
  const again = new Map<Incident, SweepCamera[]>()
  for (const c of fell) {
    const recent = recentlyResolved(i => i.cameras.has(c.cctv_id))
    if (recent !== undefined) again.set(recent, [...(again.get(recent) ?? []), c])
  }
  for (const [i, cams] of again) reopen(i, cams)

  // Shared causes, the widest first: a server, then a district, then each camera alone. An open
  // incident of the camera's server (district) takes it even when it falls alone.
  let rest = fell.filter(c => !holder.has(c.cctv_id))
  for (const [cause, keyOf] of [['server', (c: SweepCamera) => c.server === null ? null : String(c.server)], ['district', (c: SweepCamera) => c.district]] as const) {
    const groups = new Map<string, SweepCamera[]>()
    for (const c of rest) {
      const k = keyOf(c)
      if (k !== null) groups.set(k, [...(groups.get(k) ?? []), c])
    }
    const taken = new Set<string>()
    for (const [k, cams] of groups) {
      const wereUp = input.cameras.filter(c => keyOf(c) === k && c.before === 'online').length
      const openOne = all.some(i => i.cause === cause && i.key === k && active(i))
      if (openOne || shared(cams.length, wereUp, rules)) {
        place(cause, k, cams)
        for (const c of cams) taken.add(c.cctv_id)
      }
    }
    rest = rest.filter(c => !taken.has(c.cctv_id))
  }
  for (const c of rest) place('camera', c.cctv_id, [c])
  return { changed: [...changed], events }
}
