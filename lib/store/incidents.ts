import { sql } from 'kysely'
import type { HealthStatus } from '../status.js'
import { IncidentAcknowledgedError, IncidentNotFoundError, IncidentResolvedError } from '../errors.js'
import type { Database, Dialect, Tx } from './db.js'
import { insertAlert } from './alerts.js'
import type { AlertBody, IncidentSummary } from './history.js'
import type { Incident, IncidentCamera, IncidentCause, IncidentOutcome, IncidentState } from './incident-rules.js'

/**
 * Incidents as the store keeps them (issue 25): the rows lib/store/incident-rules.ts rules on,
 * their timeline, and the people's actions on them. The monitor's part runs inside a sweep's
 * transaction (HistoryStore.recordSweep); a person's action takes the same region lock, so an
 * acknowledgement and a sweep never write over each other.
 */

/** One keep per region at a time (see HistoryStore.recordSweep): PostgreSQL by a lock, SQLite by taking the one writer now. */
export async function lockRegion (tx: Tx, dialect: Dialect, region: string): Promise<void> {
  if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(hashtext(${`fwmaint keep ${region}`}))`.execute(tx)
  else await tx.deleteFrom('incidents').where('id', '=', -1).execute()
}

export type IncidentEventKind = 'opened' | 'grew' | 'reopened' | 'resolved' | 'escalated' | 'acknowledged' | 'note' | 'closed'

export interface IncidentTimelineEvent {
  at: number
  kind: IncidentEventKind
  /** The person; null for the monitor. */
  by: string | null
  text: string | null
  cctv_ids: string[]
}

export interface IncidentCameraRow { cctv_id: string, status: HealthStatus, down_at: number, back_at: number | null }

export interface IncidentRow {
  id: number
  region: string
  cause: IncidentCause
  key: string | null
  state: IncidentState
  opened_at: number
  acknowledged_at: number | null
  acknowledged_by: string | null
  resolved_at: number | null
  resolved_by: string | null
  /** Cameras in it, and of them still down, and down per status. */
  cameras: number
  down: number
  by_status: Partial<Record<HealthStatus, number>>
  /** The cameras still down, by id (the Fleet screen groups its down list by these). */
  down_ids: string[]
}

export interface IncidentDetail extends IncidentRow {
  camera_list: IncidentCameraRow[]
  events: IncidentTimelineEvent[]
}

export interface IncidentQuery {
  /** Only these regions (a session's own); undefined: all. */
  regions?: string[]
  /** Only these incidents. */
  ids?: number[]
  state?: IncidentState | 'active'
  /** Opened, or still active, at or after this time (ms). */
  since?: number
  limit: number
}

interface ActionRow { state: string, acknowledged_by: string | null, acknowledged_at: number | null }

export interface CameraNote { id: number, at: number, by: string, text: string }

export class IncidentStore {
  constructor (private readonly database: Database) {}

  private get db (): Database['db'] { return this.database.db }

  /** The region's active incidents and those resolved within `reopenWithinMs` of `at`, as the rules read them. */
  async forRules (tx: Tx, region: string, at: number, reopenWithinMs: number): Promise<Incident[]> {
    const rows = await tx.selectFrom('incidents').selectAll().where('region', '=', region)
      .where(eb => eb.or([eb('state', '!=', 'resolved'), eb('resolved_at', '>=', at - reopenWithinMs)])).execute()
    if (rows.length === 0) return []
    const cams = await tx.selectFrom('incident_cameras').selectAll().where('incident_id', 'in', rows.map(r => Number(r.id))).execute()
    const byIncident = new Map<number, Map<string, IncidentCamera>>()
    for (const c of cams) {
      const m = byIncident.get(Number(c.incident_id)) ?? new Map<string, IncidentCamera>()
      m.set(c.cctv_id, { status: c.status as HealthStatus, downAt: Number(c.down_at), backAt: c.back_at === null ? null : Number(c.back_at) })
      byIncident.set(Number(c.incident_id), m)
    }
    return rows.map(r => ({
      id: Number(r.id),
      cause: r.cause as IncidentCause,
      key: r.key,
      state: r.state as IncidentState,
      openedAt: Number(r.opened_at),
      resolvedAt: r.resolved_at === null ? null : Number(r.resolved_at),
      cameras: byIncident.get(Number(r.id)) ?? new Map()
    }))
  }

  /** Writes what the rules decided: incidents (new ones get their id), their cameras, their events. */
  async write (tx: Tx, region: string, sweepId: number, at: number, before: readonly Incident[], outcome: IncidentOutcome): Promise<void> {
    const was = new Map(before.map(i => [i.id, i]))
    for (const i of outcome.changed) {
      if (i.id === null) {
        const { id } = await tx.insertInto('incidents').values({ region, cause: i.cause, key: i.key, state: i.state, opened_at: i.openedAt,
          acknowledged_at: null, acknowledged_by: null, resolved_at: i.resolvedAt, resolved_by: null }).returning('id').executeTakeFirstOrThrow()
        i.id = Number(id)
      } else {
        const old = was.get(i.id)
        // Reopened: news again, so no longer acknowledged (the timeline keeps who did).
        const reopened = old?.state === 'resolved' && i.state !== 'resolved'
        await tx.updateTable('incidents').set({
          state: i.state,
          resolved_at: i.resolvedAt,
          ...(reopened ? { acknowledged_at: null, acknowledged_by: null, resolved_by: null, escalated_at: null } : {})
        }).where('id', '=', i.id).execute()
      }
      const rows = [...i.cameras].map(([cctv, c]) => ({ incident_id: i.id!, cctv_id: cctv, status: c.status, down_at: c.downAt, back_at: c.backAt }))
      for (let k = 0; k < rows.length; k += 200) {
        await tx.insertInto('incident_cameras').values(rows.slice(k, k + 200))
          .onConflict(oc => oc.columns(['incident_id', 'cctv_id']).doUpdateSet(eb => ({
            status: eb.ref('excluded.status'),
            down_at: eb.ref('excluded.down_at'),
            back_at: eb.ref('excluded.back_at')
          }))).execute()
      }
    }
    if (outcome.events.length === 0) return
    await tx.insertInto('incident_events').values(outcome.events.map(e => ({
      incident_id: e.incident.id!, at, kind: e.kind, by: null, text: null, cctv_ids: JSON.stringify(e.cctv_ids), sweep_id: sweepId
    }))).execute()
  }

  async list (q: IncidentQuery): Promise<IncidentRow[]> {
    if (q.regions !== undefined && q.regions.length === 0) return []
    let query = this.db.selectFrom('incidents').selectAll()
    if (q.regions !== undefined) query = query.where('region', 'in', q.regions)
    if (q.ids !== undefined) query = q.ids.length === 0 ? query.where('id', '=', -1) : query.where('id', 'in', q.ids)
    if (q.state === 'active') query = query.where('state', '!=', 'resolved')
    else if (q.state !== undefined) query = query.where('state', '=', q.state)
    if (q.since !== undefined) {
      const since = q.since
      query = query.where(eb => eb.or([eb('opened_at', '>=', since), eb('resolved_at', 'is', null), eb('resolved_at', '>=', since)]))
    }
    const rows = await query.orderBy('opened_at', 'desc').orderBy('id', 'desc').limit(q.limit).execute()
    return await this.withCounts(rows)
  }

  /** One incident with its cameras and timeline; undefined when there is none of that id. */
  async get (id: number): Promise<IncidentDetail | undefined> {
    const r = await this.db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst()
    if (r === undefined) return undefined
    const [row] = await this.withCounts([r])
    const cams = await this.db.selectFrom('incident_cameras').select(['cctv_id', 'status', 'down_at', 'back_at']).where('incident_id', '=', id).execute()
    const events = await this.db.selectFrom('incident_events').selectAll().where('incident_id', '=', id).orderBy('at').orderBy('id').execute()
    return {
      ...row,
      camera_list: cams.map(c => ({ cctv_id: c.cctv_id, status: c.status as HealthStatus, down_at: Number(c.down_at), back_at: c.back_at === null ? null : Number(c.back_at) }))
        .sort((a, b) => (a.back_at === null ? 0 : 1) - (b.back_at === null ? 0 : 1) || Number(a.cctv_id) - Number(b.cctv_id) || a.cctv_id.localeCompare(b.cctv_id)),
      events: events.map(e => ({
        at: Number(e.at), kind: e.kind as IncidentEventKind, by: e.by, text: e.text, cctv_ids: e.cctv_ids === null ? [] : JSON.parse(e.cctv_ids) as string[]
      }))
    }
  }

  /** The region an incident belongs to (access is decided on it), or undefined. */
  async regionOf (id: number): Promise<string | undefined> {
    return (await this.db.selectFrom('incidents').select('region').where('id', '=', id).executeTakeFirst())?.region
  }

  /**
   * Someone is on it: repeats stop, and the region's `channels` hear who (an outbox message in the
   * same transaction). 409 when it is resolved or someone acknowledged it already.
   */
  async acknowledge (id: number, by: string, at: number, note: string | null, channels: readonly string[] = []): Promise<void> {
    await this.act(id, async (tx, r) => {
      if (r.state === 'resolved') throw new IncidentResolvedError()
      if (r.state === 'acknowledged') throw new IncidentAcknowledgedError(r.acknowledged_by ?? '', Number(r.acknowledged_at))
      await tx.updateTable('incidents').set({ state: 'acknowledged', acknowledged_at: at, acknowledged_by: by }).where('id', '=', id).execute()
      await this.event(tx, id, at, 'acknowledged', by, note)
      await this.tell(tx, id, at, { kind: 'acknowledged', incident: id, by, note }, channels)
    })
  }

  /** A note in the incident's timeline, whatever its state. */
  async note (id: number, by: string, at: number, text: string): Promise<void> {
    await this.act(id, async tx => { await this.event(tx, id, at, 'note', by, text) })
  }

  /** Closed by hand, with a note (the `channels` hear it): its cameras still down stay so in the record, outside any incident. */
  async resolve (id: number, by: string, at: number, note: string, channels: readonly string[] = []): Promise<void> {
    await this.act(id, async (tx, r) => {
      if (r.state === 'resolved') throw new IncidentResolvedError()
      await tx.updateTable('incidents').set({ state: 'resolved', resolved_at: at, resolved_by: by }).where('id', '=', id).execute()
      await this.event(tx, id, at, 'closed', by, note)
      await this.tell(tx, id, at, { kind: 'closed', incident: id, by, note }, channels)
    })
  }

  /** Nobody acknowledged it since `since`: its timeline says so, and the escalation `channels` hear it (in the sweep's transaction). */
  async escalate (tx: Tx, id: number, at: number, since: number, channels: readonly string[]): Promise<void> {
    await tx.updateTable('incidents').set({ escalated_at: at }).where('id', '=', id).execute()
    await tx.insertInto('incident_events').values({ incident_id: id, at, kind: 'escalated', by: null, text: channels.join(', '), cctv_ids: null, sweep_id: null }).execute()
    await this.tell(tx, id, at, { kind: 'escalated', incident: id, by: null, note: null, since }, channels)
  }

  /** A person's action (or an escalation) as an alert: the incident as it is now, every camera in it. */
  private async tell (tx: Tx, id: number, at: number, action: NonNullable<AlertBody['action']>, channels: readonly string[]): Promise<void> {
    if (channels.length === 0) return
    const r = await tx.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
    const cams = await tx.selectFrom('incident_cameras').select(['cctv_id', 'back_at']).where('incident_id', '=', id).execute()
    const summary: IncidentSummary = { id, cause: r.cause as IncidentCause, key: r.key, state: r.state as IncidentState,
      cctv_ids: cams.map(c => c.cctv_id).sort((a, b) => Number(a) - Number(b) || a.localeCompare(b)), down: cams.filter(c => c.back_at === null).length }
    await insertAlert(tx, r.region, null, 'incident', { region: r.region, sweep: null, at, changes: [], incidents: [summary], action }, channels, at)
  }

  async cameraNotes (region: string, cctvId: string): Promise<CameraNote[]> {
    const rows = await this.db.selectFrom('camera_notes').select(['id', 'at', 'by', 'text']).where('region', '=', region).where('cctv_id', '=', cctvId)
      .orderBy('at', 'desc').orderBy('id', 'desc').limit(100).execute()
    return rows.map(r => ({ ...r, id: Number(r.id), at: Number(r.at) }))
  }

  async addCameraNote (region: string, cctvId: string, by: string, at: number, text: string): Promise<CameraNote> {
    const { id } = await this.db.insertInto('camera_notes').values({ region, cctv_id: cctvId, at, by, text }).returning('id').executeTakeFirstOrThrow()
    return { id: Number(id), at, by, text }
  }

  /** A person's action on one incident, under its region's keep lock. */
  private async act (id: number, fn: (tx: Tx, r: ActionRow) => Promise<void>): Promise<void> {
    const region = await this.regionOf(id)
    if (region === undefined) throw new IncidentNotFoundError()
    await this.db.transaction().execute(async tx => {
      await lockRegion(tx, this.database.dialect, region)
      const r = await tx.selectFrom('incidents').select(['state', 'acknowledged_by', 'acknowledged_at']).where('id', '=', id).executeTakeFirst()
      if (r === undefined) throw new IncidentNotFoundError()
      await fn(tx, { ...r, acknowledged_at: r.acknowledged_at === null ? null : Number(r.acknowledged_at) })
    })
  }

  private async event (tx: Tx, id: number, at: number, kind: IncidentEventKind, by: string, text: string | null): Promise<void> {
    await tx.insertInto('incident_events').values({ incident_id: id, at, kind, by, text, cctv_ids: null, sweep_id: null }).execute()
  }

  private async withCounts (rows: Array<{ id: number, region: string, cause: string, key: string | null, state: string, opened_at: number, acknowledged_at: number | null,
    acknowledged_by: string | null, resolved_at: number | null, resolved_by: string | null }>): Promise<IncidentRow[]> {
    if (rows.length === 0) return []
    const counts = await this.db.selectFrom('incident_cameras')
      .select(eb => ['incident_id', 'status', eb.fn.countAll<number>().as('n'), eb.fn.count<number>('back_at').as('back')])
      .where('incident_id', 'in', rows.map(r => Number(r.id))).groupBy(['incident_id', 'status']).execute()
    const of = new Map<number, { cameras: number, down: number, by_status: Partial<Record<HealthStatus, number>>, down_ids: string[] }>()
    for (const c of counts) {
      const o = of.get(Number(c.incident_id)) ?? { cameras: 0, down: 0, by_status: {}, down_ids: [] }
      const n = Number(c.n); const back = Number(c.back)
      o.cameras += n
      o.down += n - back
      if (n - back > 0) o.by_status[c.status as HealthStatus] = (o.by_status[c.status as HealthStatus] ?? 0) + n - back
      of.set(Number(c.incident_id), o)
    }
    const down = await this.db.selectFrom('incident_cameras').select(['incident_id', 'cctv_id'])
      .where('incident_id', 'in', rows.map(r => Number(r.id))).where('back_at', 'is', null).execute()
    for (const d of down) of.get(Number(d.incident_id))?.down_ids.push(d.cctv_id)
    for (const o of of.values()) o.down_ids.sort((a, b) => Number(a) - Number(b) || a.localeCompare(b))
    return rows.map(r => ({
      id: Number(r.id),
      region: r.region,
      cause: r.cause as IncidentCause,
      key: r.key,
      state: r.state as IncidentState,
      opened_at: Number(r.opened_at),
      acknowledged_at: r.acknowledged_at === null ? null : Number(r.acknowledged_at),
      acknowledged_by: r.acknowledged_by,
      resolved_at: r.resolved_at === null ? null : Number(r.resolved_at),
      resolved_by: r.resolved_by,
      ...(of.get(Number(r.id)) ?? { cameras: 0, down: 0, by_status: {}, down_ids: [] })
    }))
  }
}
