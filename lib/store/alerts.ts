import type { Database, Tx } from './db.js'
import type { AlertBody } from './history.js'

/** An alert into the outbox, with one pending delivery per channel (in the caller's transaction). */
export async function insertAlert (tx: Tx | Database['db'], region: string, sweepId: number | null, kind: string, body: AlertBody, channels: readonly string[], at: number): Promise<number> {
  const { id } = await tx.insertInto('alerts').values({ region, sweep_id: sweepId, at, kind, body: JSON.stringify(body) }).returning('id').executeTakeFirstOrThrow()
  if (channels.length > 0) await tx.insertInto('deliveries').values(channels.map(channel => ({ alert_id: Number(id), channel, state: 'pending', next_at: at, last_error: null, sent_at: null }))).execute()
  return Number(id)
}

export interface DeliveryRow { id: number, alert_id: number, channel: string, state: string, attempts: number, next_at: number, last_error: string | null, sent_at: number | null }
export interface AlertRow { id: number, region: string, sweep_id: number | null, at: number, kind: string, body: AlertBody }
export interface MaintenanceRow { id: number, region: string, server: number | null, cctv_ids: string[] | null, from_at: number | null, to_at: number | null,
  cron: string | null, duration_ms: number | null, reason: string | null, created_by: string, created_at: number, ended_at: number | null }

/** One try to deliver, as the outbox recorded it. */
export interface Attempt { at: number, ok: boolean, detail: string | null }
export type AlertWithDeliveries = AlertRow & { deliveries: Array<DeliveryRow & { attempts_log: Attempt[] }> }

/**
 * The alerts' outbox and the maintenance windows created through the API (issue 16). Alerts
 * are written by HistoryStore.recordSweep in the sweep's own transaction; this reads them for
 * the sending worker (one channel's messages strictly in order) and for the API.
 */
export class AlertStore {
  constructor (private readonly database: Database) {}

  private get db (): Database['db'] { return this.database.db }

  /** The oldest message not yet sent to `channel` (sending is in order: nothing after it goes first). */
  async head (channel: string): Promise<(DeliveryRow & { alert: AlertRow }) | undefined> {
    const d = await this.db.selectFrom('deliveries').selectAll().where('channel', '=', channel).where('state', '=', 'pending')
      .orderBy('id').limit(1).executeTakeFirst()
    if (d === undefined) return undefined
    const a = await this.db.selectFrom('alerts').selectAll().where('id', '=', d.alert_id).executeTakeFirstOrThrow()
    return { ...delivery(d), alert: alert(a) }
  }

  /** Channels with something pending. */
  async pendingChannels (): Promise<string[]> {
    return (await this.db.selectFrom('deliveries').select('channel').distinct().where('state', '=', 'pending').execute()).map(r => r.channel)
  }

  async sent (id: number, at: number, detail: string): Promise<void> {
    await this.db.transaction().execute(async tx => {
      await tx.updateTable('deliveries').set(eb => ({ state: 'sent', sent_at: at, attempts: eb('attempts', '+', 1), last_error: null })).where('id', '=', id).execute()
      await tx.insertInto('delivery_attempts').values({ delivery_id: id, at, ok: 1, detail }).execute()
    })
  }

  async failed (id: number, at: number, error: string, nextAt: number): Promise<void> {
    await this.db.transaction().execute(async tx => {
      await tx.updateTable('deliveries').set(eb => ({ attempts: eb('attempts', '+', 1), last_error: error, next_at: nextAt })).where('id', '=', id).execute()
      await tx.insertInto('delivery_attempts').values({ delivery_id: id, at, ok: 0, detail: error }).execute()
    })
  }

  /** Messages for a channel that is no longer configured are kept, marked dropped. */
  async drop (channel: string): Promise<number> {
    const r = await this.db.updateTable('deliveries').set({ state: 'dropped' }).where('channel', '=', channel).where('state', '=', 'pending').executeTakeFirst()
    return Number(r.numUpdatedRows)
  }

  /** Recent alerts (of some regions, or all), newest first, each with its deliveries and their attempts. */
  async recent (regions: string[] | 'all', limit: number): Promise<AlertWithDeliveries[]> {
    let q = this.db.selectFrom('alerts').selectAll().orderBy('at', 'desc').orderBy('id', 'desc').limit(limit)
    if (regions !== 'all') {
      if (regions.length === 0) return []
      q = q.where('region', 'in', regions)
    }
    const alerts = (await q.execute()).map(alert)
    if (alerts.length === 0) return []
    const ds = (await this.db.selectFrom('deliveries').selectAll().where('alert_id', 'in', alerts.map(a => a.id)).orderBy('id').execute()).map(delivery)
    const attempts = ds.length === 0 ? [] : await this.db.selectFrom('delivery_attempts').selectAll().where('delivery_id', 'in', ds.map(d => d.id)).orderBy('at').execute()
    const attemptsOf = (d: DeliveryRow): Attempt[] => attempts.filter(x => Number(x.delivery_id) === d.id)
      .map(x => ({ at: Number(x.at), ok: x.ok === 1, detail: x.detail }))
    return alerts.map(a => ({
      ...a,
      deliveries: ds.filter(d => d.alert_id === a.id).map(d => ({ ...d, attempts_log: attemptsOf(d) }))
    }))
  }

  async addWindow (w: Omit<MaintenanceRow, 'id' | 'ended_at'>): Promise<number> {
    const { id } = await this.db.insertInto('maintenance').values({ ...w, cctv_ids: w.cctv_ids === null ? null : JSON.stringify(w.cctv_ids), ended_at: null }).returning('id').executeTakeFirstOrThrow()
    return Number(id)
  }

  /** The region's windows not ended (and not past, for one-off ones), oldest first. */
  async windows (region: string, now: number): Promise<MaintenanceRow[]> {
    const rows = await this.db.selectFrom('maintenance').selectAll().where('region', '=', region).where('ended_at', 'is', null)
      .where(eb => eb.or([eb('to_at', 'is', null), eb('to_at', '>', now)])).orderBy('id').execute()
    return rows.map(maintenance)
  }

  /** Ends a window now; false when it is not the region's or already over. */
  async endWindow (region: string, id: number, now: number): Promise<boolean> {
    const r = await this.db.updateTable('maintenance').set({ ended_at: now }).where('region', '=', region).where('id', '=', id).where('ended_at', 'is', null).executeTakeFirst()
    return Number(r.numUpdatedRows) === 1
  }
}

function delivery (d: { id: number, alert_id: number, channel: string, state: string, attempts: number, next_at: number, last_error: string | null,
  sent_at: number | null }): DeliveryRow {
  return { ...d, id: Number(d.id), alert_id: Number(d.alert_id) }
}

function alert (a: { id: number, region: string, sweep_id: number | null, at: number, kind: string, body: string }): AlertRow {
  return { ...a, id: Number(a.id), sweep_id: a.sweep_id === null ? null : Number(a.sweep_id), body: JSON.parse(a.body) as AlertBody }
}

function maintenance (m: { id: number, region: string, server: number | null, cctv_ids: string | null, from_at: number | null, to_at: number | null, cron: string | null,
  duration_ms: number | null, reason: string | null, created_by: string, created_at: number, ended_at: number | null }): MaintenanceRow {
  return { ...m, id: Number(m.id), cctv_ids: m.cctv_ids === null ? null : JSON.parse(m.cctv_ids) as string[] }
}
