import type { Database } from '../lib/store/db.js'
import { kstDay } from '../lib/clock.js'
import { IncidentAcknowledgedError, IncidentResolvedError } from '../lib/errors.js'
import { applyIncidents, DEFAULT_INCIDENT_RULES, type IncidentRules, type SweepCamera } from '../lib/store/incident-rules.js'
import { IncidentStore } from '../lib/store/incidents.js'
import type { HealthStatus } from '../lib/status.js'
import { rng } from './random.js'

/*
 * Realistic monitor history at fleet scale, written straight into the history tables (bulk
 * inserts, not one recordSweep per sweep: 30 days of 15-minute sweeps of 20,000 cameras are
 * 57.6 million results). Each camera follows a small Markov model: most are healthy (a rare
 * outage of about two hours), 3 % are flaky (frequent short outages, flapping days), 2 % are
 * down for good; a down camera has one of the down statuses. The tables get what the monitor
 * would have written: sweeps, raw results for the last `rawDays`, hourly uptime for as long,
 * daily and per-region uptime, every change, each camera's latest state.
 */

export interface HistoryShape {
  regions: number
  camerasPerRegion: number
  days: number
  everyMinutes: number
  /** Raw results (and hourly rows) are kept this many days, as HISTORY_RAW_DAYS. */
  rawDays: number
  /** The last sweep's time (default: now, rounded down to the interval). */
  now?: number
  seed?: number
  /**
   * Per region, this many outages of a whole analysis server and as many of a whole district
   * (its cameras that are up go offline together for 30 minutes to 2 hours): what the incident
   * rules group. None by default (the Markov model alone).
   */
  sharedOutages?: number
  /** Replays the changes through the incident rules into the incident tables, with people acknowledging most of them (generateIncidents). */
  incidents?: boolean
}

/** The districts ("L2/L3") the generated cameras are in: five, across the three servers. */
export const DISTRICTS = ['수성구/황금동', '수성구/범어동', '중구/동인동', '북구/산격동', '달서구/월성동']
/** A generated camera's analysis server and district (c = its number, from 1). */
export const serverOf = (c: number): number => 1 + (c % 3)
export const districtOf = (c: number): string => DISTRICTS[(c * 7) % DISTRICTS.length]

export function regionName (i: number): string { return `권역${String(i + 1).padStart(2, '0')}` }

const DOWN = ['offline', 'timeout', 'auth_failed', 'not_found', 'offline', 'offline']
const HOUR = 3_600_000

type Row = Array<string | number | null>

/** Multi-row inserts: a prepared statement in one transaction (SQLite), unnest() of arrays (PostgreSQL). */
class Bulk {
  private readonly buf: Row[] = []
  rows = 0
  constructor (private readonly database: Database, private readonly table: string, private readonly columns: string[], private readonly pgTypes: string[]) {}

  async add (row: Row): Promise<void> {
    this.buf.push(row)
    this.rows++
    if (this.buf.length >= 20_000) await this.flush()
  }

  async flush (): Promise<void> {
    if (this.buf.length === 0) return
    const rows = this.buf.splice(0)
    const { sqlite, pool } = this.database.raw
    if (sqlite !== undefined) {
      const stmt = sqlite.prepare(`INSERT INTO ${this.table} (${this.columns.join(', ')}) VALUES (${this.columns.map(() => '?').join(', ')})`)
      sqlite.transaction((list: Row[]) => { for (const r of list) stmt.run(r) })(rows)
    } else if (pool !== undefined) {
      const cols = this.columns.map((_, i) => rows.map(r => r[i]))
      await pool.query(`INSERT INTO ${this.table} (${this.columns.join(', ')}) SELECT * FROM unnest(${this.pgTypes.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})`, cols)
    }
  }
}

export async function generateHistory (database: Database, shape: HistoryShape, progress: (text: string) => void = () => {}): Promise<{ sweeps: number, results: number,
  changes: number, daily: number, hourly: number }> {
  const every = shape.everyMinutes * 60_000
  const now = Math.floor((shape.now ?? Date.now()) / every) * every
  const n = Math.round(shape.days * 86_400_000 / every)
  const first = now - (n - 1) * every
  const rawFrom = now - shape.rawDays * 86_400_000
  const r = rng(shape.seed ?? 20261130)
  const sweepsT = new Bulk(database, 'sweeps', ['id', 'region', 'trigger', 'started_by', 'started_at', 'finished_at', 'state', 'total', 'done', 'online', 'down', 'flapping', 'failure', 'gateway'], ['bigint', 'text', 'text', 'text', 'bigint', 'bigint', 'text', 'int', 'int', 'int', 'int', 'int', 'text', 'text'])
  const results = new Bulk(database, 'results', ['sweep_id', 'region', 'cctv_id', 'at', 'status', 'flapping', 'probe_ms', 'error'], ['bigint', 'text', 'text', 'bigint', 'text', 'int', 'int', 'text'])
  const changes = new Bulk(database, 'changes', ['region', 'cctv_id', 'at', 'sweep_id', 'kind', 'from_status', 'to_status'], ['text', 'text', 'bigint', 'bigint', 'text', 'text', 'text'])
  const daily = new Bulk(database, 'daily', ['region', 'cctv_id', 'day', 'up', 'total', 'reconnects'], ['text', 'text', 'text', 'int', 'int', 'int'])
  const hourly = new Bulk(database, 'hourly', ['region', 'cctv_id', 'hour', 'up', 'total'], ['text', 'text', 'bigint', 'int', 'int'])
  const regionDaily = new Bulk(database, 'region_daily', ['region', 'day', 'up', 'total'], ['text', 'text', 'int', 'int'])
  const state = new Bulk(database, 'camera_state', ['region', 'cctv_id', 'name', 'inference_id', 'server', 'status', 'flapping', 'since', 'last_seen', 'last_sweep_id', 'error', 'reconnects_today'], ['text', 'text', 'text', 'text', 'int', 'text', 'int', 'bigint', 'bigint', 'bigint', 'text', 'int'])
  const days = Array.from({ length: n }, (_, k) => kstDay(new Date(first + k * every)))

  const outR = rng((shape.seed ?? 20261130) + 1)
  for (let g = 0; g < shape.regions; g++) {
    const region = regionName(g)
    const idOf = (k: number): number => g * n + k + 1
    // Shared outages from a generator of their own: without them the model's draws are as they were.
    const windows: Array<{ server?: number, district?: string, from: number, to: number }> = []
    for (let i = 0; i < (shape.sharedOutages ?? 0); i++) {
      for (const w of [{ server: 1 + (i % 3) }, { district: DISTRICTS[i % DISTRICTS.length] }]) {
        const from = 2 + Math.floor(outR() * (n - 12))
        windows.push({ ...w, from, to: from + 2 + Math.floor(outR() * 7) })
      }
    }
    const onlineAt = new Int32Array(n)
    const regionDay = new Map<string, { up: number, total: number }>()
    for (let c = 1; c <= shape.camerasPerRegion; c++) {
      const cctv = String(c)
      const kind = r() < 0.02 ? 'dead' : r() < 0.03 / 0.98 ? 'flaky' : 'healthy'
      const pDown = kind === 'flaky' ? 0.01 : 0.0005
      const meanLen = kind === 'flaky' ? 4 : 8
      // `health` follows the model; `status` is what a sweep saw (a shared outage takes an up camera down).
      let health = kind === 'dead' ? DOWN[Math.floor(r() * DOWN.length)] : 'online'
      let status = health
      let left = kind === 'dead' ? Number.POSITIVE_INFINITY : 0
      let since = first
      let flapping = 0
      let dayKey = ''
      let dayUp = 0; let dayTotal = 0; let dayReconnects = 0
      let hourKey = -1; let hourUp = 0; let hourTotal = 0
      const server = serverOf(c)
      const district = districtOf(c)
      const mine = windows.filter(w => w.server === server || w.district === district)
      for (let k = 0; k < n; k++) {
        const at = first + k * every
        const prev = status
        if (kind !== 'dead') {
          if (health === 'online' && r() < pDown) { health = DOWN[Math.floor(r() * DOWN.length)]; left = 1 + Math.floor(-Math.log(1 - r()) * meanLen) } else if (health !== 'online' && --left <= 0) health = 'online'
        }
        status = health === 'online' && mine.some(w => k >= w.from && k < w.to) ? 'offline' : health
        if (days[k] !== dayKey) {
          if (dayKey !== '') await daily.add([region, cctv, dayKey, dayUp, dayTotal, dayReconnects])
          dayKey = days[k]; dayUp = 0; dayTotal = 0
          dayReconnects = kind === 'flaky' ? Math.floor(r() * 12) : r() < 0.05 ? 1 + Math.floor(r() * 3) : 0
          const flaps = kind === 'flaky' && dayReconnects >= 3 ? 1 : 0
          // Flapping is told between online states only (lib/store/evaluate.ts).
          if (flaps !== flapping && k > 0 && status === 'online' && prev === 'online') await changes.add([region, cctv, at, idOf(k), flaps === 1 ? 'flapping' : 'steady', status, status])
          flapping = flaps
        }
        const up = status === 'online' ? 1 : 0
        dayUp += up; dayTotal++
        if (up === 1) onlineAt[k]++
        if (k === 0 || prev !== status) {
          since = at
          const change = k === 0 ? 'first_seen' : status === 'online' ? 'up' : prev === 'online' ? 'down' : 'status'
          await changes.add([region, cctv, at, idOf(k), change, k === 0 ? null : prev, status])
        }
        if (at > rawFrom) {
          await results.add([idOf(k), region, cctv, at, status, flapping, status === 'online' ? 2600 + Math.floor(r() * 400) : status === 'timeout' ? 5200 : 150, status === 'online' ? null : `${status}`])
          const h = Math.floor(at / HOUR) * HOUR
          if (h !== hourKey) {
            if (hourKey !== -1) await hourly.add([region, cctv, hourKey, hourUp, hourTotal])
            hourKey = h; hourUp = 0; hourTotal = 0
          }
          hourUp += up; hourTotal++
        }
      }
      await daily.add([region, cctv, dayKey, dayUp, dayTotal, dayReconnects])
      if (hourKey !== -1) await hourly.add([region, cctv, hourKey, hourUp, hourTotal])
      await state.add([region, cctv, `카메라 ${g + 1}-${c}`, `svr${server}${c % 2}`, server, status, flapping, since, now, idOf(n - 1), status === 'online' ? null : `${status} (generated)`, dayReconnects])
    }
    for (let k = 0; k < n; k++) {
      const at = first + k * every
      await sweepsT.add([idOf(k), region, 'scheduled', null, at - 60_000, at, 'done', shape.camerasPerRegion, shape.camerasPerRegion, onlineAt[k], shape.camerasPerRegion - onlineAt[k], 0, null, 'generator'])
      const d = regionDay.get(days[k]) ?? { up: 0, total: 0 }
      d.up += onlineAt[k]; d.total += shape.camerasPerRegion
      regionDay.set(days[k], d)
    }
    for (const [day, d] of regionDay) await regionDaily.add([region, day, d.up, d.total])
    // The monitor of this region started with its first sweep: the next one is no "monitoring started".
    await database.db.insertInto('region_alert').values({ region, failing_since: null, alerted: 0, started_at: first }).execute()
    progress(`${region}: ${shape.camerasPerRegion} cameras × ${n} sweeps`)
  }
  for (const b of [sweepsT, results, changes, daily, hourly, regionDaily, state]) await b.flush()
  // Sweeps got their ids here: the next one the monitor writes continues after them.
  if (database.raw.pool !== undefined) await database.raw.pool.query("SELECT setval(pg_get_serial_sequence('sweeps', 'id'), (SELECT max(id) FROM sweeps))")
  if (shape.incidents === true) {
    for (let g = 0; g < shape.regions; g++) await generateIncidents(database, regionName(g), shape.camerasPerRegion, (shape.seed ?? 20261130) + 2 + g)
    progress('incidents replayed')
  }
  return { sweeps: sweepsT.rows, results: results.rows, changes: changes.rows, daily: daily.rows, hourly: hourly.rows }
}

const PEOPLE = ['김민준', '이서연', '박지훈', '최수아']

/**
 * A region's incidents as the monitor would have kept them: its generated changes replayed,
 * sweep by sweep in order, through the incident rules and the incident store (the code a sweep
 * runs), and people acknowledging 85 % of what opens or reopens — a median of about a quarter
 * of an hour later, some after hours — when it is still open then.
 */
export async function generateIncidents (database: Database, region: string, cameras: number, seed: number, rules: IncidentRules = DEFAULT_INCIDENT_RULES): Promise<void> {
  const store = new IncidentStore(database)
  const r = rng(seed)
  const rows = await database.db.selectFrom('changes').select(['cctv_id', 'at', 'sweep_id', 'to_status'])
    .where('region', '=', region).where('kind', 'in', ['first_seen', 'down', 'up', 'status']).orderBy('at').orderBy('cctv_id').execute()
  const status = new Map<string, HealthStatus>()
  const acks: Array<{ at: number, id: number }> = []
  for (let i = 0; i < rows.length;) {
    const at = Number(rows[i].at)
    const sweepId = Number(rows[i].sweep_id)
    const now = new Map<string, HealthStatus>()
    for (; i < rows.length && Number(rows[i].at) === at; i++) now.set(rows[i].cctv_id, rows[i].to_status as HealthStatus)
    acks.sort((a, b) => a.at - b.at)
    while (acks.length > 0 && acks[0].at < at) {
      const a = acks.shift()!
      await store.acknowledge(a.id, PEOPLE[Math.floor(r() * PEOPLE.length)], a.at, r() < 0.5 ? '현장 확인 중' : null).catch((err: Error) => {
        if (!(err instanceof IncidentResolvedError || err instanceof IncidentAcknowledgedError)) throw err
      })
    }
    const sweep: SweepCamera[] = []
    for (let c = 1; c <= cameras; c++) {
      const id = String(c)
      const before = status.get(id)
      const after = now.get(id) ?? before
      if (after === undefined) continue
      sweep.push({ cctv_id: id, server: serverOf(c), district: districtOf(c), before, status: after })
    }
    await database.db.transaction().execute(async tx => {
      const open = await store.forRules(tx, region, at, rules.reopenWithinMs)
      const outcome = applyIncidents({ at, regionFailed: false, cameras: sweep, incidents: open, rules })
      await store.write(tx, region, sweepId, at, open, outcome)
      for (const e of outcome.events) {
        if ((e.kind === 'opened' || e.kind === 'reopened') && r() < 0.85) acks.push({ at: at + Math.round(60_000 * Math.exp(Math.log(15) + 1.1 * gauss(r))), id: e.incident.id! })
      }
    })
    for (const [id, s] of now) status.set(id, s)
  }
}

/** A standard normal draw (Box-Muller). */
function gauss (r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r())
}
