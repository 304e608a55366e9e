import { sql, type Selectable } from 'kysely'
import { kstDay } from '../clock.js'
import type { Database, Tx } from './db.js'
import type { SweepsTable } from './schema.js'
import type { Window } from '../maintenance.js'
import { PICTURE_STATUSES, type ChangeKind, type HealthStatus, type SweepState, type SweepTrigger } from '../status.js'
import { evaluate, type AlertChange, type AlertRules, type CameraRecord, type CameraResult, type Evaluation, type RegionRecord } from './evaluate.js'
import { Leases } from './leases.js'
import { Aggregates } from './aggregates.js'
import { ReportStore } from './reports.js'
import { IncidentStore, lockRegion } from './incidents.js'
import { insertAlert } from './alerts.js'
import { applyIncidents, DEFAULT_INCIDENT_RULES, type Incident, type IncidentCause, type IncidentRules, type IncidentState, type SweepCamera } from './incident-rules.js'

export type { AlertChange, AlertRules, CameraResult } from './evaluate.js'

/** A sweep to keep: when, by whom, how it ended, and what each camera said. */
export interface SweepRecord {
  region: string
  trigger: SweepTrigger
  startedBy: string | null
  startedAt: number
  finishedAt: number
  state: SweepState
  failure: string | null
  total: number
  results: CameraResult[]
  /** The gateway that ran it (GATEWAY_ID). */
  gateway?: string
  /** It looked at pictures (black/frozen/moved/blurred) instead of probing. */
  picture?: boolean
  /** The region's monitor watches pictures: an operator's sweep without them moves nothing. */
  monitorPicture?: boolean
  /** A scheduled sweep's lease (lib/store/leases.ts): recorded as done only while still held with this token. */
  lease?: { key: string, token: string }
  /** A scheduled sweep's alert rules, the region's channels and its configured windows (issue 16). */
  alerting?: Alerting
  /** Frames of black/frozen/moved/blurred cameras by cctv_ID: kept with the change when the camera changed to that status. */
  thumbnails?: ReadonlyMap<string, Buffer>
  /** How changes group into incidents (DEFAULT_INCIDENT_RULES when not given). */
  incidentRules?: IncidentRules
}

export interface Alerting {
  rules: AlertRules
  /** The channels (names) that get this region's alerts. */
  channels: string[]
  /** Maintenance windows from the regions file (the API's are read from the store). */
  windows: Window[]
}

export interface AlertBody {
  region: string
  sweep: { id: number, started_at: number, finished_at: number } | null
  at: number
  changes: AlertChange[]
  test?: boolean
  /** The monitor's first sweep of the region: cameras per status, instead of a line per camera. */
  started?: { cameras: number, by_status: Partial<Record<HealthStatus, number>> }
  /** The incidents the changes' cameras are in (a change's `incident`), as they are after the sweep. */
  incidents?: IncidentSummary[]
  /**
   * A person's action on an incident, or its escalation (nobody acknowledged it since `since`):
   * then `changes` is empty and `incidents` holds that one.
   */
  action?: { kind: 'acknowledged' | 'closed' | 'escalated', incident: number, by: string | null, note: string | null, since?: number }
}

/** An incident as an alert tells it: what it is, and every camera in it. */
export interface IncidentSummary {
  id: number
  cause: IncidentCause
  key: string | null
  state: IncidentState
  /** Every camera in it, and those of them still down. */
  cctv_ids: string[]
  down: number
}

export interface CameraState { cctv_id: string, name: string | null, inference_id: string | null, server: number | null, status: HealthStatus, flapping: boolean,
  since: number, last_seen: number, error: string | null, reconnects_today: number }

export interface SweepRow { id: number, trigger: SweepTrigger, started_by: string | null, started_at: number, finished_at: number | null, state: SweepState,
  total: number, done: number, online: number, down: number, flapping: number, failure: string | null, gateway: string | null, picture: boolean }

export interface RegionSummary {
  byStatus: Record<string, number>
  flapping: number
  /** The latest sweep that ran (skipped ticks are not sweeps). */
  lastSweep: SweepRow | null
  /** When the latest complete sweep ended: what the camera states are as of. */
  lastDoneAt: number | null
}

export type { Judged } from './aggregates.js'

export interface Change { cctv_id: string, at: number, kind: string, from_status: string | null, to_status: string, trigger: string, started_by: string | null,
  thumbnail?: boolean }

/** Whether a change is the one a kept frame belongs to: to black, frozen, moved or blurred (not a flapping change at the same time). */
function takesFrame (c: { kind: string, to_status: string }): boolean {
  return PICTURE_STATUSES.has(c.to_status) && (c.kind as ChangeKind) !== 'flapping' && (c.kind as ChangeKind) !== 'steady'
}

/** Rows per multi-row INSERT: well under SQLite's and PostgreSQL's bound-parameter limits. */
const CHUNK = 500
const DAY_MS = 86_400_000


/** A maintenance row as a window. */
export function windowOf (m: { from_at: number | null, to_at: number | null, cron: string | null, duration_ms: number | null, server: number | null,
  cctv_ids: string | null }): Window {
  return {
    from: m.from_at ?? undefined,
    to: m.to_at ?? undefined,
    cron: m.cron ?? undefined,
    durationMs: m.duration_ms ?? undefined,
    server: m.server,
    cctvIds: m.cctv_ids === null ? null : JSON.parse(m.cctv_ids) as string[]
  }
}

/**
 * The monitor's memory: sweeps, each camera's latest state and when it changed, raw results
 * for a few days and daily uptime for a year, on SQLite or PostgreSQL (lib/store/db.ts). Every
 * query is built by Kysely with bound parameters; a sweep is written in one transaction.
 */
export class HistoryStore {
  /** Tick claims and leases of the gateways that share this database. */
  readonly leases: Leases
  /** Uptime per camera per hour and day, per region per day: what the monitor's answers read. */
  readonly aggregates: Aggregates

  /** Changes that share a cause (issue 25): written with the sweeps, acted on by people. */
  readonly incidents: IncidentStore
  /** Monthly reports (issue 25). */
  readonly reports: ReportStore

  constructor (readonly database: Database) {
    this.leases = new Leases(database)
    this.aggregates = new Aggregates(database)
    this.incidents = new IncidentStore(database)
    this.reports = new ReportStore(database)
  }

  private get db (): Database['db'] { return this.database.db }

  /**
   * Keeps a sweep in one transaction: its row and raw results always; camera states, changes
   * and alert events as lib/store/evaluate.ts rules; uptime aggregates for what counts.
   * A scheduled sweep whose lease was taken over is kept as `lost_lease` and moves nothing.
   */
  async recordSweep (s: SweepRecord): Promise<{ id: number, state: SweepState }> {
    const at = s.finishedAt
    const online = s.results.filter(r => r.status === 'online').length
    return await this.db.transaction().execute(async tx => {
      // One keep per region at a time: each reads the region's record, rules on it and writes it
      // back, so two at once (a skip kept while a sweep is, or two gateways) would each write what
      // it read and undo the other (a monitor's start written back to "not started" was told
      // twice). On SQLite the first statement writes, and the transaction holds the one writer
      // from there on; PostgreSQL takes a lock per region for the transaction.
      await lockRegion(tx, this.database.dialect, s.region)
      const { id } = await tx.insertInto('sweeps').values({
        region: s.region,
        trigger: s.trigger,
        started_by: s.startedBy,
        started_at: s.startedAt,
        finished_at: s.finishedAt,
        state: s.state,
        total: s.total,
        done: s.results.length,
        online,
        down: s.results.length - online,
        flapping: s.results.filter(r => r.flapping && r.status === 'online').length,
        failure: s.failure,
        gateway: s.gateway ?? null,
        picture: s.picture === true ? 1 : 0
      }).returning('id').executeTakeFirstOrThrow()
      const sweepId = Number(id)
      if (s.lease !== undefined && s.state !== 'skipped' && !await Leases.holds(tx, this.database.dialect, s.lease.key, s.lease.token)) {
        await tx.updateTable('sweeps').set({ state: 'lost_lease' }).where('id', '=', sweepId).execute()
        return { id: sweepId, state: 'lost_lease' as const }
      }
      const results = s.results.map(r => ({ sweep_id: sweepId, region: s.region, cctv_id: String(r.cctv_ID), at, status: r.status, flapping: r.flapping ? 1 : 0,
        probe_ms: Math.round(r.probe_ms), error: r.error }))
      for (let i = 0; i < results.length; i += CHUNK) await tx.insertInto('results').values(results.slice(i, i + CHUNK)).execute()

      const alerting = s.trigger === 'scheduled' ? s.alerting : undefined
      const windows = alerting === undefined ? [] : [...alerting.windows, ...await this.windowsIn(tx, s.region, at)]
      const before = await this.records(tx, s.region)
      const ev = evaluate({
        at,
        sweep: { trigger: s.trigger, state: s.state, picture: s.picture === true, failure: s.failure },
        monitorPicture: s.monitorPicture === true,
        before,
        region: await this.regionRecord(tx, s.region),
        results: s.results,
        alerting: alerting === undefined ? undefined : { rules: alerting.rules, windows }
      })
      await this.write(tx, s, sweepId, ev)
      const incidents = await this.keepIncidents(tx, s, sweepId, before, ev)
      if (alerting !== undefined) {
        await this.enqueue(tx, s, sweepId, alerting, ev, incidents)
        await this.escalate(tx, s.region, s.finishedAt, s.incidentRules ?? DEFAULT_INCIDENT_RULES)
      }
      return { id: sweepId, state: s.state }
    })
  }

  /**
   * Incidents (lib/store/incident-rules.ts) follow the record: a scheduled sweep that could not
   * reach the site opens the region's; a sweep that moved the record groups the cameras it saw
   * fall and resolves those back. Other sweeps (cancelled, an operator's that moves nothing) leave them.
   */
  private async keepIncidents (tx: Tx, s: SweepRecord, sweepId: number, before: ReadonlyMap<string, CameraRecord>, ev: Evaluation): Promise<Map<string, Incident>> {
    const regionFailed = s.trigger === 'scheduled' && s.state === 'failed'
    if (!regionFailed && !ev.moves) return new Map()
    const rules = s.incidentRules ?? DEFAULT_INCIDENT_RULES
    const at = s.finishedAt
    const incidents = await this.incidents.forRules(tx, s.region, at, rules.reopenWithinMs)
    const cameras: SweepCamera[] = regionFailed
      ? []
      : s.results.map(r => ({
        cctv_id: String(r.cctv_ID),
        server: r.server,
        district: district(r.L2, r.L3),
        before: before.get(String(r.cctv_ID))?.status,
        status: r.status
      }))
    const outcome = applyIncidents({ at, regionFailed, cameras, incidents, rules })
    await this.incidents.write(tx, s.region, sweepId, at, incidents, outcome)
    // Each camera's incident after the sweep: the active one it is down in, else an active one
    // it came back in, else the one this sweep resolved.
    const after = new Map(incidents.map(i => [i.id, i]))
    for (const i of outcome.changed) after.set(i.id, i)
    const rank = (i: Incident, id: string): number => i.state === 'resolved' ? 1 : i.cameras.get(id)!.backAt === null ? 3 : 2
    const of = new Map<string, Incident>()
    for (const i of after.values()) {
      if (i.state === 'resolved' && i.resolvedAt !== at) continue
      for (const id of i.cameras.keys()) {
        const held = of.get(id)
        if (held === undefined || rank(i, id) > rank(held, id)) of.set(id, i)
      }
    }
    return of
  }

  /**
   * Incidents open (nobody acknowledged them) `escalateAfterMs` since they opened or reopened are
   * told to the escalation channels, once each; on the monitor's scheduled sweeps, so within a
   * sweep's period of the limit.
   */
  private async escalate (tx: Tx, region: string, at: number, rules: IncidentRules): Promise<void> {
    if (rules.escalateAfterMs === null || rules.escalateTo.length === 0) return
    const open = await tx.selectFrom('incidents').select(['id', 'opened_at']).where('region', '=', region).where('state', '=', 'open')
      .where('escalated_at', 'is', null).where('opened_at', '<=', at - rules.escalateAfterMs).execute()
    if (open.length === 0) return
    const reopened = new Map((await tx.selectFrom('incident_events').select(eb => ['incident_id', eb.fn.max('at').as('at')])
      .where('kind', '=', 'reopened').where('incident_id', 'in', open.map(i => Number(i.id))).groupBy('incident_id').execute())
      .map(r => [Number(r.incident_id), Number(r.at)]))
    for (const i of open) {
      const since = Math.max(Number(i.opened_at), reopened.get(Number(i.id)) ?? 0)
      if (at - since >= rules.escalateAfterMs) await this.incidents.escalate(tx, Number(i.id), at, since, rules.escalateTo)
    }
  }

  /** The region's camera records, as the rules read them. */
  private async records (tx: Tx, region: string): Promise<Map<string, CameraRecord>> {
    const rows = await tx.selectFrom('camera_state').select(['cctv_id', 'status', 'flapping', 'since', 'down_streak', 'up_streak', 'alerted_at']).where('region', '=', region).execute()
    return new Map(rows.map(r => [r.cctv_id, { status: r.status as HealthStatus, flapping: r.flapping === 1, since: r.since, downStreak: r.down_streak,
      upStreak: r.up_streak, alertedAt: r.alerted_at }]))
  }

  private async regionRecord (tx: Tx, region: string): Promise<RegionRecord> {
    const r = await tx.selectFrom('region_alert').selectAll().where('region', '=', region).executeTakeFirst()
    return { failingSince: r?.failing_since ?? null, alerted: r?.alerted === 1, startedAt: r?.started_at ?? null }
  }

  /** What the rules decided, written: states, changes (with their frames), aggregates, the region's record. */
  private async write (tx: Tx, s: SweepRecord, sweepId: number, ev: Evaluation): Promise<void> {
    const at = s.finishedAt
    const r = ev.region
    await tx.insertInto('region_alert').values({ region: s.region, failing_since: r.failingSince, alerted: r.alerted ? 1 : 0, started_at: r.startedAt })
      .onConflict(oc => oc.column('region').doUpdateSet({ failing_since: r.failingSince, alerted: r.alerted ? 1 : 0, started_at: r.startedAt })).execute()
    if (!ev.moves) return
    const byId = new Map(s.results.map(x => [String(x.cctv_ID), x]))
    const states = [...ev.states].map(([cctv, c]) => {
      const x = byId.get(cctv)!
      return {
        region: s.region,
        cctv_id: cctv,
        name: x.cctv_name,
        inference_id: x.inference_id,
        server: x.server,
        status: c.status,
        flapping: c.flapping ? 1 : 0,
        since: c.since,
        last_seen: at,
        last_sweep_id: sweepId,
        error: x.error,
        reconnects_today: x.reconnects_today,
        down_streak: c.downStreak,
        up_streak: c.upStreak,
        alerted_at: c.alertedAt
      }
    })
    for (let i = 0; i < states.length; i += CHUNK) {
      await tx.insertInto('camera_state').values(states.slice(i, i + CHUNK))
        .onConflict(oc => oc.columns(['region', 'cctv_id']).doUpdateSet(eb => ({
          name: eb.ref('excluded.name'),
          inference_id: eb.ref('excluded.inference_id'),
          server: eb.ref('excluded.server'),
          status: eb.ref('excluded.status'),
          flapping: eb.ref('excluded.flapping'),
          since: eb.ref('excluded.since'),
          last_seen: eb.ref('excluded.last_seen'),
          last_sweep_id: eb.ref('excluded.last_sweep_id'),
          error: eb.ref('excluded.error'),
          reconnects_today: eb.ref('excluded.reconnects_today'),
          down_streak: eb.ref('excluded.down_streak'),
          up_streak: eb.ref('excluded.up_streak'),
          alerted_at: eb.ref('excluded.alerted_at')
        }))).execute()
    }
    const changes = ev.changes.map(c => ({ region: s.region, cctv_id: c.cctv_id, at, sweep_id: sweepId, kind: c.kind, from_status: c.from_status, to_status: c.to_status, trigger: s.trigger, started_by: s.trigger === 'manual' ? s.startedBy : null }))
    for (let i = 0; i < changes.length; i += CHUNK) await tx.insertInto('changes').values(changes.slice(i, i + CHUNK)).execute()
    for (const c of ev.changes) {
      const jpeg = s.thumbnails?.get(c.cctv_id)
      if (jpeg !== undefined && takesFrame(c)) {
        await tx.insertInto('thumbnails').values({ region: s.region, cctv_id: c.cctv_id, at, jpeg }).onConflict(oc => oc.doNothing()).execute()
      }
    }
    if (ev.counts) await this.aggregates.add(tx, s.region, at, [...ev.uptime].map(([cctv, up]) => ({ cctv, up, reconnects: byId.get(cctv)!.reconnects_today })))
  }

  /** The region's maintenance windows created through the API that may be open at `at`. */
  private async windowsIn (tx: Tx, region: string, at: number): Promise<Window[]> {
    const rows = await tx.selectFrom('maintenance').selectAll().where('region', '=', region)
      .where(eb => eb.or([eb('ended_at', 'is', null), eb('ended_at', '>', at)])).execute()
    // A window ended through the API is gone from the moment it ended (the where clause).
    return rows.map(windowOf)
  }

  /** One outbox message per region per sweep, with one delivery per channel (same transaction as the sweep). */
  private async enqueue (tx: Tx, s: SweepRecord, sweepId: number, alerting: Alerting, ev: Evaluation, incidents: ReadonlyMap<string, Incident>): Promise<void> {
    const sweep = { id: sweepId, started_at: s.startedAt, finished_at: s.finishedAt }
    if (ev.started !== undefined) {
      const body: AlertBody = { region: s.region, sweep, at: s.finishedAt, changes: ev.events, started: { cameras: ev.started.cameras, by_status: ev.started.byStatus } }
      await insertAlert(tx, s.region, sweepId, 'started', body, alerting.channels, s.finishedAt)
      return
    }
    // A camera's line names its incident; a camera that stays down is not repeated once someone acknowledged its incident.
    const changes = ev.events
      .filter(c => !(c.kind === 'still_down' && c.cctv_id !== null && incidents.get(c.cctv_id)?.state === 'acknowledged'))
      .map(c => {
        const i = c.cctv_id === null ? undefined : incidents.get(c.cctv_id)
        return i?.id == null ? c : { ...c, incident: i.id }
      })
    if (changes.length === 0) return
    const told = [...new Set(changes.map(c => c.incident).filter((id): id is number => id !== undefined))]
    const incidentOf = new Map([...incidents.values()].map(i => [i.id, i]))
    const summaries: IncidentSummary[] = told.map(id => {
      const i = incidentOf.get(id)!
      return { id, cause: i.cause, key: i.key, state: i.state, cctv_ids: [...i.cameras.keys()].sort(byId), down: [...i.cameras.values()].filter(c => c.backAt === null).length }
    })
    const body: AlertBody = { region: s.region, sweep, at: s.finishedAt, changes, ...(summaries.length === 0 ? {} : { incidents: summaries }) }
    await insertAlert(tx, s.region, sweepId, 'sweep', body, alerting.channels, s.finishedAt)
  }

  /** A test message to one channel, through the outbox like any alert. */
  async enqueueTest (region: string, channel: string, body: AlertBody): Promise<number> {
    return await this.db.transaction().execute(async tx => await insertAlert(tx, region, null, 'test', body, [channel], body.at))
  }

  /** The region's latest sweeps (started at or after `since`), newest first. */
  async sweeps (region: string, limit = 20, since = 0): Promise<SweepRow[]> {
    const rows = await this.db.selectFrom('sweeps').selectAll().where('region', '=', region).where('started_at', '>=', since)
      .orderBy('started_at', 'desc').orderBy('id', 'desc').limit(limit).execute()
    return rows.map(sweepRow)
  }

  /** Every camera's latest state in the region, by ID. */
  async cameras (region: string): Promise<CameraState[]> {
    const rows = await this.db.selectFrom('camera_state')
      .select(['cctv_id', 'name', 'inference_id', 'server', 'status', 'flapping', 'since', 'last_seen', 'error', 'reconnects_today'])
      .where('region', '=', region).execute()
    return rows.map(cameraState).sort((a, b) => byId(a.cctv_id, b.cctv_id))
  }

  /** What changed in the region since `since` (ms), newest first. */
  async changes (region: string, since: number, limit = 10_000): Promise<Change[]> {
    return await this.db.selectFrom('changes').select(['cctv_id', 'at', 'kind', 'from_status', 'to_status', 'trigger', 'started_by'])
      .where('region', '=', region).where('at', '>=', since)
      .orderBy('at', 'desc').orderBy('id', 'desc').limit(limit).execute()
  }

  /** One camera between `from` and `to` (ms): its changes and its daily uptime. */
  async camera (region: string, cctvId: string, from: number, to: number): Promise<{ changes: Change[], daily: Array<{ day: string, up: number, total: number,
    reconnects: number }> }> {
    const changes = await this.db.selectFrom('changes').select(['cctv_id', 'at', 'kind', 'from_status', 'to_status', 'trigger', 'started_by'])
      .where('region', '=', region).where('cctv_id', '=', cctvId).where('at', '>=', from).where('at', '<=', to)
      .orderBy('at', 'desc').orderBy('id', 'desc').execute()
    const daily = await this.db.selectFrom('daily').select(['day', 'up', 'total', 'reconnects'])
      .where('region', '=', region).where('cctv_id', '=', cctvId).where('day', '>=', kstDay(new Date(from))).where('day', '<=', kstDay(new Date(to)))
      .orderBy('day').execute()
    const kept = new Set((await this.db.selectFrom('thumbnails').select('at')
      .where('region', '=', region).where('cctv_id', '=', cctvId).where('at', '>=', from).where('at', '<=', to).execute()).map(r => Number(r.at)))
    return { changes: changes.map(c => kept.has(Number(c.at)) && takesFrame(c) ? { ...c, thumbnail: true } : c), daily }
  }

  /** The frame kept with a camera's change to black, frozen, moved or blurred at `at` (ms), or undefined. */
  async thumbnail (region: string, cctvId: string, at: number): Promise<Buffer | undefined> {
    const r = await this.db.selectFrom('thumbnails').select('jpeg').where('region', '=', region).where('cctv_id', '=', cctvId).where('at', '=', at).executeTakeFirst()
    return r === undefined ? undefined : Buffer.from(r.jpeg)
  }

  /** One camera's latest state, or undefined when no sweep of the region has seen it. */
  async cameraState (region: string, cctvId: string): Promise<CameraState | undefined> {
    const r = await this.db.selectFrom('camera_state')
      .select(['cctv_id', 'name', 'inference_id', 'server', 'status', 'flapping', 'since', 'last_seen', 'error', 'reconnects_today'])
      .where('region', '=', region).where('cctv_id', '=', cctvId).executeTakeFirst()
    return r === undefined ? undefined : cameraState(r)
  }

  /** A region at a glance: cameras per status, flapping ones, the latest sweep and the last complete one. */
  async regionSummary (region: string): Promise<RegionSummary> {
    const byStatus = await this.db.selectFrom('camera_state').select(['status', sql<number>`count(*)`.as('n')])
      .where('region', '=', region).groupBy('status').execute()
    const { n: flapping } = await this.db.selectFrom('camera_state').select(sql<number>`count(*)`.as('n'))
      .where('region', '=', region).where('flapping', '=', 1).executeTakeFirstOrThrow()
    const last = await this.db.selectFrom('sweeps').selectAll().where('region', '=', region).where('state', '!=', 'skipped')
      .orderBy('started_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst()
    const lastDone = await this.db.selectFrom('sweeps').select(['finished_at']).where('region', '=', region).where('state', '=', 'done')
      .orderBy('started_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst()
    return {
      byStatus: Object.fromEntries(byStatus.map(r => [r.status, Number(r.n)])),
      flapping: Number(flapping),
      lastSweep: last === undefined ? null : sweepRow(last),
      lastDoneAt: lastDone?.finished_at ?? null
    }
  }

  /** Cameras of the region not online now, longest down first (at most `limit`). */
  async downNow (region: string, limit: number): Promise<CameraState[]> {
    const rows = await this.db.selectFrom('camera_state')
      .select(['cctv_id', 'name', 'inference_id', 'server', 'status', 'flapping', 'since', 'last_seen', 'error', 'reconnects_today'])
      .where('region', '=', region).where('status', '!=', 'online')
      .orderBy('since').orderBy('cctv_id').limit(limit).execute()
    return rows.map(cameraState)
  }

  /** How many changes of each kind the region had since `since` (ms). */
  async changeCounts (region: string, since: number): Promise<Record<string, number>> {
    const rows = await this.db.selectFrom('changes').select(['kind', sql<number>`count(*)`.as('n')])
      .where('region', '=', region).where('at', '>=', since).groupBy('kind').execute()
    return Object.fromEntries(rows.map(r => [r.kind, Number(r.n)]))
  }

  /** Regions that have any kept sweep. */
  async regions (): Promise<string[]> {
    const rows = await this.db.selectFrom('sweeps').select('region').distinct().execute()
    return rows.map(r => r.region)
  }

  /** Kept sweeps per region, trigger and state (for /metrics). */
  async sweepCounts (): Promise<Array<{ region: string, trigger: string, state: string, n: number }>> {
    const rows = await this.db.selectFrom('sweeps').select(['region', 'trigger', 'state', sql<number>`count(*)`.as('n')])
      .groupBy(['region', 'trigger', 'state']).execute()
    return rows.map(r => ({ ...r, n: Number(r.n) }))
  }

  /** Every camera's current status, all regions (for /metrics). */
  async allCameraStates (): Promise<Array<{ region: string, cctv_id: string, server: number | null, status: string }>> {
    return await this.db.selectFrom('camera_state').select(['region', 'cctv_id', 'server', 'status']).execute()
  }

  /** Drops raw results and hourly rows older than `rawDays`, daily rows older than `days`. */
  async prune (rawDays: number, days: number, now: number): Promise<{ results: number, hourly: number, daily: number }> {
    const r = await this.db.deleteFrom('results').where('at', '<', now - rawDays * DAY_MS).executeTakeFirst()
    const d = await this.db.deleteFrom('daily').where('day', '<', kstDay(new Date(now - days * DAY_MS))).executeTakeFirst()
    const h = await this.db.deleteFrom('hourly').where('hour', '<', now - rawDays * DAY_MS).executeTakeFirst()
    await this.db.deleteFrom('region_daily').where('day', '<', kstDay(new Date(now - days * DAY_MS))).executeTakeFirst()
    await this.db.deleteFrom('thumbnails').where('at', '<', now - days * DAY_MS).executeTakeFirst()
    await this.db.deleteFrom('monitor_ticks').where('claimed_at', '<', now - rawDays * DAY_MS).executeTakeFirst()
    return { results: Number(r.numDeletedRows), hourly: Number(h.numDeletedRows), daily: Number(d.numDeletedRows) }
  }

  /** Rows per table (for tests and benches). */
  async counts (): Promise<Record<string, number>> {
    const out: Record<string, number> = {}
    for (const t of ['sweeps', 'camera_state', 'changes', 'results', 'daily', 'hourly', 'region_daily'] as const) {
      const { n } = await this.db.selectFrom(t).select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow()
      out[t] = Number(n)
    }
    return out
  }
}

/** The database keeps words; these are the ones the record writes (lib/status.ts). */
/** A camera's district as incidents group it: "L2/L3" of its address (null: no address). */
export function district (l2: string | null | undefined, l3: string | null | undefined): string | null {
  const parts = [l2, l3].filter((p): p is string => typeof p === 'string' && p !== '')
  return parts.length === 0 ? null : parts.join('/')
}

function sweepRow (r: Selectable<SweepsTable>): SweepRow {
  const { region: _r, ...rest } = r
  return { ...rest, id: Number(r.id), trigger: r.trigger as SweepTrigger, state: r.state as SweepState, picture: r.picture === 1 }
}

function cameraState (r: Omit<CameraState, 'flapping' | 'status'> & { status: string, flapping: number }): CameraState {
  return { ...r, status: r.status as HealthStatus, flapping: r.flapping === 1 }
}

function byId (a: string, b: string): number {
  const x = Number(a); const y = Number(b)
  return Number.isFinite(x) && Number.isFinite(y) ? x - y : a.localeCompare(b)
}
