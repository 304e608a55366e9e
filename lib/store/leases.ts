import { randomUUID } from 'node:crypto'
import type { Database, Tx } from './db.js'

type Db = Database['db']

/**
 * Several gateways on one database: each scheduled tick is claimed by one of them, and what
 * runs long (a region's sweep, a channel's sending) holds a lease. A lease is fenced: taking it
 * gives a fresh token, and work done under it is recorded only in a transaction that still
 * finds that token (`holds`), so a gateway paused past its lease records nothing as done.
 */
export class Leases {
  constructor (private readonly database: Database) {}

  private get db (): Db { return this.database.db }

  /**
   * Claims a scheduled tick for `gateway`: true for exactly one of the gateways that ask for the
   * same (region, slot), whichever asks first; the others leave it alone.
   */
  async claimTick (region: string, slot: number, gateway: string, now: number): Promise<boolean> {
    const r = await this.db.insertInto('monitor_ticks').values({ region, slot, gateway, claimed_at: now })
      .onConflict(oc => oc.columns(['region', 'slot']).doNothing()).executeTakeFirst()
    return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1
  }

  /**
   * Takes the lease `key` until `until` when it is free (expired, or already this gateway's: a
   * restarted gateway takes its own lease back). Its fencing token, or null: held elsewhere.
   */
  async take (key: string, gateway: string, until: number, now: number): Promise<string | null> {
    const token = randomUUID()
    const r = await this.db.insertInto('monitor_lease').values({ region: key, gateway, until, token })
      .onConflict(oc => oc.column('region').doUpdateSet({ gateway, until, token })
        .where(eb => eb.or([eb('monitor_lease.until', '<', now), eb('monitor_lease.gateway', '=', gateway)])))
      .executeTakeFirst()
    return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1 ? token : null
  }

  /** Extends a lease taken with `token`; false when it is no longer held with it (taken over). */
  async renew (key: string, token: string, until: number): Promise<boolean> {
    const r = await this.db.updateTable('monitor_lease').set({ until }).where('region', '=', key).where('token', '=', token).executeTakeFirst()
    return Number(r.numUpdatedRows) === 1
  }

  /** Frees a lease at once, if it is still held with `token`. */
  async release (key: string, token: string): Promise<void> {
    await this.db.updateTable('monitor_lease').set({ until: 0 }).where('region', '=', key).where('token', '=', token).execute()
  }

  /**
   * Inside a transaction: whether the lease is still held with `token`. On PostgreSQL the row
   * is locked until the transaction ends, so nobody takes the lease between this check and
   * the commit; SQLite's one writer already holds the database once the transaction has written.
   */
  static async holds (tx: Tx, dialect: Database['dialect'], key: string, token: string): Promise<boolean> {
    let q = tx.selectFrom('monitor_lease').select('token').where('region', '=', key)
    if (dialect === 'postgres') q = q.forUpdate()
    const row = await q.executeTakeFirst()
    return row?.token === token
  }
}
