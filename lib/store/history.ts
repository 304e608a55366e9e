import { sql } from 'kysely'
import { kstDay } from '../clock.js'
import type { Database } from './db.js'
import { inMaintenance, type Window } from '../maintenance.js'

/** One camera's result in a sweep, as the health sweep reports it (lib/ops/health-rows.ts). */
export interface CameraResult {
  cctv_ID: number | string
  cctv_name: string | null
  inference_id: string | null
  server: number | null
  status: string
  flapping: boolean
  error: string | null
  probe_ms: number
  reconnects_today: number
}

/** A sweep to keep: when, by whom, how it ended, and what each camera said. */
export interface SweepRecord {
  region: string
  trigger: 'scheduled' | 'manual'
  startedBy: string | null
  startedAt: number
  finishedAt: number
  state: 'done' | 'cancelled' | 'failed' | 'skipped'
  failure: string | null
  total: number
  results: CameraResult[]
  /** The gateway that ran it (GATEWAY_ID). */
  gateway?: string
  /** A scheduled sweep's alert rules, the region's channels and its configured windows (issue 16). */
  alerting?: Alerting
  /** Frames of black/frozen cameras by cctv_ID: kept with the change when the camera changed to that status. */
  thumbnails?: ReadonlyMap<string, Buffer>
}

export interface Alerting {
  rules: { downSweeps: number, upSweeps: number, flapping: boolean, repeatEveryMs: number | null }
  /** The channels (names) that get this region's alerts. */
  channels: string[]
  /** Maintenance windows from the regions file (the API's are read from the store). */
  windows: Window[]
}

/** One line of an alert: what happened to a camera (or the region). */
export interface AlertChange {
  kind: 'down' | 'up' | 'still_down' | 'flapping' | 'steady' | 'region_down' | 'region_up'
  cctv_id: string | null
  name: string | null
  server: number | null
  status: string | null
  /** Since when it has been in this state (ms). */
  since: number
  error: string | null
}

export interface AlertBody { region: string, sweep: { id: number, started_at: number, finished_at: number } | null, at: number, changes: AlertChange[], test?: boolean }

export interface CameraState { cctv_id: string, name: string | null, inference_id: string | null, server: number | null, status: string, flapping: boolean, since: number, last_seen: number, error: string | null, reconnects_today: number }

export interface SweepRow { id: number, trigger: string, started_by: string | null, started_at: number, finished_at: number | null, state: string, total: number, done: number, online: number, down: number, flapping: number, failure: string | null, gateway: string | null }

export interface RegionSummary {
  byStatus: Record<string, number>
  flapping: number
  /** The latest sweep that ran (skipped ticks are not sweeps). */
  lastSweep: SweepRow | null
  /** When the latest complete sweep ended: what the camera states are as of. */
  lastDoneAt: number | null
}

export interface Change { cctv_id: string, at: number, kind: string, from_status: string | null, to_status: string, thumbnail?: boolean }

/** Whether a change is the one a kept frame belongs to: to black or frozen (not a flapping change at the same time). */
function takesFrame (c: { kind: string, to_status: string }): boolean {
  return (c.to_status === 'black' || c.to_status === 'frozen') && c.kind !== 'flapping' && c.kind !== 'steady'
}

/** Rows per multi-row INSERT: well under SQLite's and PostgreSQL's bound-parameter limits. */
const CHUNK = 500
const DAY_MS = 86_400_000
const HOUR_MS = 3_600_000

type Tx = Parameters<Parameters<ReturnType<Database['db']['transaction']>['execute']>[0]>[0]

/** A maintenance row as a window. */
export function windowOf (m: { from_at: number | null, to_at: number | null, cron: string | null, duration_ms: number | null, server: number | null, cctv_ids: string | null }): Window {
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
  constructor (readonly database: Database) {}

  private get db (): Database['db'] { return this.database.db }

  /** Keeps a sweep: its row, every result, status changes against the last state, daily uptime. Returns its id. */
  async recordSweep (s: SweepRecord): Promise<number> {
    const at = s.finishedAt
    const day = kstDay(new Date(at))
    const online = s.results.filter(r => r.status === 'online').length
    return await this.db.transaction().execute(async tx => {
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
        flapping: s.results.filter(r => r.flapping).length,
        failure: s.failure,
        gateway: s.gateway ?? null
      }).returning('id').executeTakeFirstOrThrow()
      const sweepId = Number(id)
      // Only whole scheduled sweeps count: a cancelled one (shutdown) says nothing about cameras.
      const alerting = s.trigger === 'scheduled' && (s.state === 'done' || s.state === 'failed') ? s.alerting : undefined
      const events: AlertChange[] = []
      let windows: Window[] = []
      if (alerting !== undefined) {
        windows = [...alerting.windows, ...await this.windowsIn(tx, s.region, at)]
        events.push(...await this.regionAlert(tx, s, at, windows))
      }
      if (s.results.length === 0) {
        await this.enqueue(tx, s, sweepId, alerting, events)
        return sweepId
      }

      const before = new Map((await tx.selectFrom('camera_state').select(['cctv_id', 'status', 'flapping', 'since', 'down_streak', 'up_streak', 'alerted_at']).where('region', '=', s.region).execute()).map(r => [r.cctv_id, r]))
      const changes: Array<{ region: string, cctv_id: string, at: number, sweep_id: number, kind: string, from_status: string | null, to_status: string }> = []
      const states = s.results.map(r => {
        const cctv = String(r.cctv_ID)
        const prev = before.get(cctv)
        const flapping = r.flapping ? 1 : 0
        let since = prev?.since ?? at
        if (prev === undefined) {
          // A camera first seen down is news; first seen up is not.
          if (r.status !== 'online') changes.push({ region: s.region, cctv_id: cctv, at, sweep_id: sweepId, kind: 'down', from_status: null, to_status: r.status })
        } else if (prev.status !== r.status) {
          since = at
          const kind = r.status === 'online' ? 'up' : prev.status === 'online' ? 'down' : 'status'
          changes.push({ region: s.region, cctv_id: cctv, at, sweep_id: sweepId, kind, from_status: prev.status, to_status: r.status })
        }
        if (prev !== undefined && prev.flapping !== flapping) {
          changes.push({ region: s.region, cctv_id: cctv, at, sweep_id: sweepId, kind: flapping === 1 ? 'flapping' : 'steady', from_status: prev.status, to_status: r.status })
        }
        // Alert rules count scheduled sweeps only; an operator's sweep leaves the streaks alone.
        let downStreak = prev?.down_streak ?? 0
        let upStreak = prev?.up_streak ?? 0
        let alertedAt = prev?.alerted_at ?? null
        if (alerting !== undefined) {
          const down = r.status !== 'online'
          downStreak = down ? downStreak + 1 : 0
          upStreak = down ? 0 : upStreak + 1
          const quiet = inMaintenance(windows, at, cctv, r.server)
          const line = (kind: AlertChange['kind']): AlertChange => ({ kind, cctv_id: cctv, name: r.cctv_name, server: r.server, status: r.status, since, error: r.error })
          if (!quiet) {
            if (down && alertedAt === null && downStreak >= alerting.rules.downSweeps) { events.push(line('down')); alertedAt = at } else if (down && alertedAt !== null && alerting.rules.repeatEveryMs !== null && at - alertedAt >= alerting.rules.repeatEveryMs) { events.push(line('still_down')); alertedAt = at } else if (!down && alertedAt !== null && upStreak >= alerting.rules.upSweeps) { events.push(line('up')); alertedAt = null }
            if (alerting.rules.flapping && prev !== undefined && prev.flapping !== flapping) events.push(line(flapping === 1 ? 'flapping' : 'steady'))
          }
          // Back up before anyone was told: nothing to recover from.
          if (!down && alertedAt === null) downStreak = 0
        }
        return {
          region: s.region,
          cctv_id: cctv,
          name: r.cctv_name,
          inference_id: r.inference_id,
          server: r.server,
          status: r.status,
          flapping,
          since,
          last_seen: at,
          last_sweep_id: sweepId,
          error: r.error,
          reconnects_today: r.reconnects_today,
          down_streak: downStreak,
          up_streak: upStreak,
          alerted_at: alertedAt
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
      for (let i = 0; i < changes.length; i += CHUNK) await tx.insertInto('changes').values(changes.slice(i, i + CHUNK)).execute()
      for (const c of changes) {
        const jpeg = s.thumbnails?.get(c.cctv_id)
        if (jpeg !== undefined && takesFrame(c)) {
          await tx.insertInto('thumbnails').values({ region: s.region, cctv_id: c.cctv_id, at: c.at, jpeg }).onConflict(oc => oc.doNothing()).execute()
        }
      }
      const results = s.results.map(r => ({ sweep_id: sweepId, region: s.region, cctv_id: String(r.cctv_ID), at, status: r.status, flapping: r.flapping ? 1 : 0, probe_ms: Math.round(r.probe_ms), error: r.error }))
      for (let i = 0; i < results.length; i += CHUNK) await tx.insertInto('results').values(results.slice(i, i + CHUNK)).execute()
      const daily = s.results.map(r => ({ region: s.region, cctv_id: String(r.cctv_ID), day, up: r.status === 'online' ? 1 : 0, total: 1, reconnects: r.reconnects_today }))
      for (let i = 0; i < daily.length; i += CHUNK) {
        await tx.insertInto('daily').values(daily.slice(i, i + CHUNK))
          .onConflict(oc => oc.columns(['region', 'cctv_id', 'day']).doUpdateSet(eb => ({
            up: eb('daily.up', '+', eb.ref('excluded.up')),
            total: eb('daily.total', '+', eb.ref('excluded.total')),
            // max() of two values is spelled differently on the two engines; CASE is not.
            reconnects: sql<number>`case when excluded.reconnects > daily.reconnects then excluded.reconnects else daily.reconnects end`
          }))).execute()
      }
      const hour = Math.floor(at / HOUR_MS) * HOUR_MS
      const hourly = s.results.map(r => ({ region: s.region, cctv_id: String(r.cctv_ID), hour, up: r.status === 'online' ? 1 : 0, total: 1 }))
      for (let i = 0; i < hourly.length; i += CHUNK) {
        await tx.insertInto('hourly').values(hourly.slice(i, i + CHUNK))
          .onConflict(oc => oc.columns(['region', 'hour', 'cctv_id']).doUpdateSet(eb => ({
            up: eb('hourly.up', '+', eb.ref('excluded.up')),
            total: eb('hourly.total', '+', eb.ref('excluded.total'))
          }))).execute()
      }
      await tx.insertInto('region_daily').values({ region: s.region, day, up: online, total: s.results.length })
        .onConflict(oc => oc.columns(['region', 'day']).doUpdateSet(eb => ({
          up: eb('region_daily.up', '+', eb.ref('excluded.up')),
          total: eb('region_daily.total', '+', eb.ref('excluded.total'))
        }))).execute()
      await this.enqueue(tx, s, sweepId, alerting, events)
      return sweepId
    })
  }

  /** The region's maintenance windows created through the API that may be open at `at`. */
  private async windowsIn (tx: Tx, region: string, at: number): Promise<Window[]> {
    const rows = await tx.selectFrom('maintenance').selectAll().where('region', '=', region)
      .where(eb => eb.or([eb('ended_at', 'is', null), eb('ended_at', '>', at)])).execute()
    // A window ended through the API is gone from the moment it ended (the where clause).
    return rows.map(windowOf)
  }

  /** A whole region failing is one alert (not one per camera), and one when it is back. */
  private async regionAlert (tx: Tx, s: SweepRecord, at: number, windows: Window[]): Promise<AlertChange[]> {
    if (s.state !== 'failed' && s.state !== 'done') return []
    const prev = await tx.selectFrom('region_alert').selectAll().where('region', '=', s.region).executeTakeFirst()
    const quiet = inMaintenance(windows, at)
    const line = (kind: AlertChange['kind'], since: number): AlertChange => ({ kind, cctv_id: null, name: null, server: null, status: s.state === 'failed' ? 'failed' : 'ok', since, error: s.failure })
    let failingSince = prev?.failing_since ?? null
    let alerted = prev?.alerted ?? 0
    const out: AlertChange[] = []
    if (s.state === 'failed') {
      failingSince ??= at
      if (alerted === 0 && !quiet) { out.push(line('region_down', failingSince)); alerted = 1 }
    } else if (failingSince !== null) {
      if (alerted === 1 && !quiet) out.push(line('region_up', at))
      if (alerted === 0 || !quiet) { failingSince = null; alerted = 0 }
    }
    await tx.insertInto('region_alert').values({ region: s.region, failing_since: failingSince, alerted })
      .onConflict(oc => oc.column('region').doUpdateSet({ failing_since: failingSince, alerted })).execute()
    return out
  }

  /** One outbox message per region per sweep, with one delivery per channel (same transaction as the sweep). */
  private async enqueue (tx: Tx, s: SweepRecord, sweepId: number, alerting: Alerting | undefined, events: AlertChange[]): Promise<void> {
    if (alerting === undefined || events.length === 0) return
    const body: AlertBody = { region: s.region, sweep: { id: sweepId, started_at: s.startedAt, finished_at: s.finishedAt }, at: s.finishedAt, changes: events }
    await this.insertAlert(tx, s.region, sweepId, 'sweep', body, alerting.channels, s.finishedAt)
  }

  private async insertAlert (tx: Tx | Database['db'], region: string, sweepId: number | null, kind: string, body: AlertBody, channels: string[], at: number): Promise<number> {
    const { id } = await tx.insertInto('alerts').values({ region, sweep_id: sweepId, at, kind, body: JSON.stringify(body) }).returning('id').executeTakeFirstOrThrow()
    if (channels.length > 0) await tx.insertInto('deliveries').values(channels.map(channel => ({ alert_id: Number(id), channel, state: 'pending', next_at: at, last_error: null, sent_at: null }))).execute()
    return Number(id)
  }

  /** A test message to one channel, through the outbox like any alert. */
  async enqueueTest (region: string, channel: string, body: AlertBody): Promise<number> {
    return await this.db.transaction().execute(async tx => await this.insertAlert(tx, region, null, 'test', body, [channel], body.at))
  }

  /** The region's latest sweeps, newest first. */
  async sweeps (region: string, limit = 20): Promise<SweepRow[]> {
    const rows = await this.db.selectFrom('sweeps').selectAll().where('region', '=', region).orderBy('started_at', 'desc').orderBy('id', 'desc').limit(limit).execute()
    return rows.map(({ region: _r, ...r }) => ({ ...r, id: Number(r.id) }))
  }

  /** Every camera's latest state in the region, by ID. */
  async cameras (region: string): Promise<CameraState[]> {
    const rows = await this.db.selectFrom('camera_state')
      .select(['cctv_id', 'name', 'inference_id', 'server', 'status', 'flapping', 'since', 'last_seen', 'error', 'reconnects_today'])
      .where('region', '=', region).execute()
    return rows.map(r => ({ ...r, flapping: r.flapping === 1 })).sort((a, b) => byId(a.cctv_id, b.cctv_id))
  }

  /** What changed in the region since `since` (ms), newest first. */
  async changes (region: string, since: number, limit = 10_000): Promise<Change[]> {
    return await this.db.selectFrom('changes').select(['cctv_id', 'at', 'kind', 'from_status', 'to_status'])
      .where('region', '=', region).where('at', '>=', since)
      .orderBy('at', 'desc').orderBy('id', 'desc').limit(limit).execute()
  }

  /** One camera between `from` and `to` (ms): its changes and its daily uptime. */
  async camera (region: string, cctvId: string, from: number, to: number): Promise<{ changes: Change[], daily: Array<{ day: string, up: number, total: number, reconnects: number }> }> {
    const changes = await this.db.selectFrom('changes').select(['cctv_id', 'at', 'kind', 'from_status', 'to_status'])
      .where('region', '=', region).where('cctv_id', '=', cctvId).where('at', '>=', from).where('at', '<=', to)
      .orderBy('at', 'desc').orderBy('id', 'desc').execute()
    const daily = await this.db.selectFrom('daily').select(['day', 'up', 'total', 'reconnects'])
      .where('region', '=', region).where('cctv_id', '=', cctvId).where('day', '>=', kstDay(new Date(from))).where('day', '<=', kstDay(new Date(to)))
      .orderBy('day').execute()
    const kept = new Set((await this.db.selectFrom('thumbnails').select('at')
      .where('region', '=', region).where('cctv_id', '=', cctvId).where('at', '>=', from).where('at', '<=', to).execute()).map(r => Number(r.at)))
    return { changes: changes.map(c => kept.has(Number(c.at)) && takesFrame(c) ? { ...c, thumbnail: true } : c), daily }
  }

  /** The frame kept with a camera's change to black or frozen at `at` (ms), or undefined. */
  async thumbnail (region: string, cctvId: string, at: number): Promise<Buffer | undefined> {
    const r = await this.db.selectFrom('thumbnails').select('jpeg').where('region', '=', region).where('cctv_id', '=', cctvId).where('at', '=', at).executeTakeFirst()
    return r === undefined ? undefined : Buffer.from(r.jpeg)
  }

  /** One camera's latest state, or undefined when no sweep of the region has seen it. */
  async cameraState (region: string, cctvId: string): Promise<CameraState | undefined> {
    const r = await this.db.selectFrom('camera_state')
      .select(['cctv_id', 'name', 'inference_id', 'server', 'status', 'flapping', 'since', 'last_seen', 'error', 'reconnects_today'])
      .where('region', '=', region).where('cctv_id', '=', cctvId).executeTakeFirst()
    return r === undefined ? undefined : { ...r, flapping: r.flapping === 1 }
  }

  /** Share of online results per camera of the region over the last `hours` hours (the current one included). */
  async uptimeHours (region: string, hours: number, now = Date.now()): Promise<Map<string, number>> {
    const rows = await this.db.selectFrom('hourly')
      .select(['cctv_id', eb => eb.fn.sum<number>('up').as('up'), eb => eb.fn.sum<number>('total').as('total')])
      .where('region', '=', region).where('hour', '>', Math.floor(now / HOUR_MS) * HOUR_MS - hours * HOUR_MS)
      .groupBy('cctv_id').execute()
    return new Map(rows.map(r => [r.cctv_id, Number(r.total) === 0 ? 0 : Number(r.up) / Number(r.total)]))
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
    const { region: _r, ...lastSweep } = last ?? { region }
    return {
      byStatus: Object.fromEntries(byStatus.map(r => [r.status, Number(r.n)])),
      flapping: Number(flapping),
      lastSweep: last === undefined ? null : { ...(lastSweep as Omit<NonNullable<typeof last>, 'region'>), id: Number(last.id) },
      lastDoneAt: lastDone?.finished_at ?? null
    }
  }

  /** Cameras of the region not online now, longest down first (at most `limit`). */
  async downNow (region: string, limit: number): Promise<CameraState[]> {
    const rows = await this.db.selectFrom('camera_state')
      .select(['cctv_id', 'name', 'inference_id', 'server', 'status', 'flapping', 'since', 'last_seen', 'error', 'reconnects_today'])
      .where('region', '=', region).where('status', '!=', 'online')
      .orderBy('since').orderBy('cctv_id').limit(limit).execute()
    return rows.map(r => ({ ...r, flapping: r.flapping === 1 }))
  }

  /** How many changes of each kind the region had since `since` (ms). */
  async changeCounts (region: string, since: number): Promise<Record<string, number>> {
    const rows = await this.db.selectFrom('changes').select(['kind', sql<number>`count(*)`.as('n')])
      .where('region', '=', region).where('at', '>=', since).groupBy('kind').execute()
    return Object.fromEntries(rows.map(r => [r.kind, Number(r.n)]))
  }

  /** The region's uptime per KST day, from `fromDay` on. */
  async regionDaily (region: string, fromDay: string): Promise<Array<{ day: string, up: number, total: number }>> {
    return await this.db.selectFrom('region_daily').select(['day', 'up', 'total'])
      .where('region', '=', region).where('day', '>=', fromDay).orderBy('day').execute()
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

  /** Share of online results per camera of the region over the last `days` KST days (today included). */
  async uptime (region: string, days: number, now = Date.now()): Promise<Map<string, number>> {
    const rows = await this.db.selectFrom('daily')
      .select(['cctv_id', eb => eb.fn.sum<number>('up').as('up'), eb => eb.fn.sum<number>('total').as('total')])
      .where('region', '=', region).where('day', '>', kstDay(new Date(now - days * DAY_MS)))
      .groupBy('cctv_id').execute()
    return new Map(rows.map(r => [r.cctv_id, Number(r.total) === 0 ? 0 : Number(r.up) / Number(r.total)]))
  }

  /** Drops raw results and hourly rows older than `rawDays`, daily rows older than `days`. */
  async prune (rawDays: number, days: number, now = Date.now()): Promise<{ results: number, hourly: number, daily: number }> {
    const r = await this.db.deleteFrom('results').where('at', '<', now - rawDays * DAY_MS).executeTakeFirst()
    const d = await this.db.deleteFrom('daily').where('day', '<', kstDay(new Date(now - days * DAY_MS))).executeTakeFirst()
    const h = await this.db.deleteFrom('hourly').where('hour', '<', now - rawDays * DAY_MS).executeTakeFirst()
    await this.db.deleteFrom('region_daily').where('day', '<', kstDay(new Date(now - days * DAY_MS))).executeTakeFirst()
    await this.db.deleteFrom('thumbnails').where('at', '<', now - days * DAY_MS).executeTakeFirst()
    await this.db.deleteFrom('monitor_ticks').where('claimed_at', '<', now - rawDays * DAY_MS).executeTakeFirst()
    return { results: Number(r.numDeletedRows), hourly: Number(h.numDeletedRows), daily: Number(d.numDeletedRows) }
  }

  /**
   * Claims a scheduled tick for `gateway`: true for exactly one of the gateways that ask for the
   * same (region, slot), whichever asks first; the others leave it alone.
   */
  async claimTick (region: string, slot: number, gateway: string, now = Date.now()): Promise<boolean> {
    const r = await this.db.insertInto('monitor_ticks').values({ region, slot, gateway, claimed_at: now })
      .onConflict(oc => oc.columns(['region', 'slot']).doNothing()).executeTakeFirst()
    return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1
  }

  /**
   * Takes the region's sweep lease until `until` when it is free (expired, or already this
   * gateway's: a restarted gateway takes its own lease back). False: a sweep runs elsewhere.
   */
  async takeLease (region: string, gateway: string, until: number, now = Date.now()): Promise<boolean> {
    const r = await this.db.insertInto('monitor_lease').values({ region, gateway, until })
      .onConflict(oc => oc.column('region').doUpdateSet({ gateway, until })
        .where(eb => eb.or([eb('monitor_lease.until', '<', now), eb('monitor_lease.gateway', '=', gateway)])))
      .executeTakeFirst()
    return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1
  }

  /** Extends a lease this gateway holds; false when it is no longer its own. */
  async renewLease (region: string, gateway: string, until: number): Promise<boolean> {
    const r = await this.db.updateTable('monitor_lease').set({ until }).where('region', '=', region).where('gateway', '=', gateway).executeTakeFirst()
    return Number(r.numUpdatedRows) === 1
  }

  async releaseLease (region: string, gateway: string): Promise<void> {
    await this.db.updateTable('monitor_lease').set({ until: 0 }).where('region', '=', region).where('gateway', '=', gateway).execute()
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

function byId (a: string, b: string): number {
  const x = Number(a); const y = Number(b)
  return Number.isFinite(x) && Number.isFinite(y) ? x - y : a.localeCompare(b)
}
