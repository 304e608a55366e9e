import type { Database } from '../lib/store/db.js'
import { kstDay } from '../lib/clock.js'
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
}

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

  for (let g = 0; g < shape.regions; g++) {
    const region = regionName(g)
    const idOf = (k: number): number => g * n + k + 1
    const onlineAt = new Int32Array(n)
    const regionDay = new Map<string, { up: number, total: number }>()
    for (let c = 1; c <= shape.camerasPerRegion; c++) {
      const cctv = String(c)
      const kind = r() < 0.02 ? 'dead' : r() < 0.03 / 0.98 ? 'flaky' : 'healthy'
      const pDown = kind === 'flaky' ? 0.01 : 0.0005
      const meanLen = kind === 'flaky' ? 4 : 8
      let status = kind === 'dead' ? DOWN[Math.floor(r() * DOWN.length)] : 'online'
      let left = kind === 'dead' ? Number.POSITIVE_INFINITY : 0
      let since = first
      let flapping = 0
      let dayKey = ''
      let dayUp = 0; let dayTotal = 0; let dayReconnects = 0
      let hourKey = -1; let hourUp = 0; let hourTotal = 0
      const server = 1 + (c % 3)
      for (let k = 0; k < n; k++) {
        const at = first + k * every
        const prev = status
        if (kind !== 'dead') {
          if (status === 'online' && r() < pDown) { status = DOWN[Math.floor(r() * DOWN.length)]; left = 1 + Math.floor(-Math.log(1 - r()) * meanLen) } else if (status !== 'online' && --left <= 0) status = 'online'
        }
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
  return { sweeps: sweepsT.rows, results: results.rows, changes: changes.rows, daily: daily.rows, hourly: hourly.rows }
}
