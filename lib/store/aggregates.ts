import { sql } from 'kysely'
import { kstDay } from '../clock.js'
import type { Database, Tx } from './db.js'

type Db = Database['db']

/** Uptime as judged: how many of the monitor's counted results were up, of how many. */
export interface Judged { up: number, total: number }

/** Rows per multi-row INSERT: well under SQLite's and PostgreSQL's bound-parameter limits. */
const CHUNK = 500
const DAY_MS = 86_400_000
const HOUR_MS = 3_600_000

/**
 * Uptime kept as running sums (as Uptime Kuma's uptime calculator keeps them): per camera per
 * hour (the 24 h figure) and per KST day (7 and 30 days, with the day's highest reconnect
 * count), per region per day (the fleet's 30-day bar). Only what the rules count is added
 * (lib/store/evaluate.ts: the monitor's complete sweeps outside maintenance), so `total` is
 * how much was judged and a window with none answers nothing rather than 0.
 */
export class Aggregates {
  constructor (private readonly database: Database) {}

  private get db (): Db { return this.database.db }

  /** Adds one sweep's judged results at `at`, inside the sweep's transaction. */
  async add (tx: Tx, region: string, at: number, judged: ReadonlyArray<{ cctv: string, up: boolean, reconnects: number }>): Promise<void> {
    if (judged.length === 0) return
    const day = kstDay(new Date(at))
    const hour = Math.floor(at / HOUR_MS) * HOUR_MS
    const daily = judged.map(j => ({ region, cctv_id: j.cctv, day, up: j.up ? 1 : 0, total: 1, reconnects: j.reconnects }))
    for (let i = 0; i < daily.length; i += CHUNK) {
      await tx.insertInto('daily').values(daily.slice(i, i + CHUNK))
        .onConflict(oc => oc.columns(['region', 'cctv_id', 'day']).doUpdateSet(eb => ({
          up: eb('daily.up', '+', eb.ref('excluded.up')),
          total: eb('daily.total', '+', eb.ref('excluded.total')),
          // max() of two values is spelled differently on the two engines; CASE is not.
          reconnects: sql<number>`case when excluded.reconnects > daily.reconnects then excluded.reconnects else daily.reconnects end`
        }))).execute()
    }
    const hourly = judged.map(j => ({ region, cctv_id: j.cctv, hour, up: j.up ? 1 : 0, total: 1 }))
    for (let i = 0; i < hourly.length; i += CHUNK) {
      await tx.insertInto('hourly').values(hourly.slice(i, i + CHUNK))
        .onConflict(oc => oc.columns(['region', 'hour', 'cctv_id']).doUpdateSet(eb => ({
          up: eb('hourly.up', '+', eb.ref('excluded.up')),
          total: eb('hourly.total', '+', eb.ref('excluded.total'))
        }))).execute()
    }
    await tx.insertInto('region_daily').values({ region, day, up: judged.filter(j => j.up).length, total: judged.length })
      .onConflict(oc => oc.columns(['region', 'day']).doUpdateSet(eb => ({
        up: eb('region_daily.up', '+', eb.ref('excluded.up')),
        total: eb('region_daily.total', '+', eb.ref('excluded.total'))
      }))).execute()
  }

  /** Judged results (up, total) per camera of the region over the last `hours` hours (the current one included). */
  async uptimeHours (region: string, hours: number, now: number): Promise<Map<string, Judged>> {
    const rows = await this.db.selectFrom('hourly')
      .select(['cctv_id', eb => eb.fn.sum<number>('up').as('up'), eb => eb.fn.sum<number>('total').as('total')])
      .where('region', '=', region).where('hour', '>', Math.floor(now / HOUR_MS) * HOUR_MS - hours * HOUR_MS)
      .groupBy('cctv_id').execute()
    return new Map(rows.map(r => [r.cctv_id, { up: Number(r.up), total: Number(r.total) }]))
  }

  /** Judged results (up, total) per camera of the region over the last `days` KST days (today included). */
  async uptime (region: string, days: number, now: number): Promise<Map<string, Judged>> {
    const rows = await this.db.selectFrom('daily')
      .select(['cctv_id', eb => eb.fn.sum<number>('up').as('up'), eb => eb.fn.sum<number>('total').as('total')])
      .where('region', '=', region).where('day', '>', kstDay(new Date(now - days * DAY_MS)))
      .groupBy('cctv_id').execute()
    return new Map(rows.map(r => [r.cctv_id, { up: Number(r.up), total: Number(r.total) }]))
  }

  /** The region's judged results per KST day, from `fromDay` on. */
  async regionDaily (region: string, fromDay: string): Promise<Array<{ day: string, up: number, total: number }>> {
    return await this.db.selectFrom('region_daily').select(['day', 'up', 'total'])
      .where('region', '=', region).where('day', '>=', fromDay).orderBy('day').execute()
  }
}
