import { kstMonth } from '../clock.js'
import type { Database } from './db.js'
import type { IncidentCause } from './incident-rules.js'
import { monthlyReport, type CameraMonth, type IncidentMonth, type MonthlyReport } from './monthly-report.js'

/**
 * What a monthly report reads (lib/store/monthly-report.ts makes it): the daily running sums
 * of the month's Korean days (only the monitor's complete sweeps outside maintenance were
 * added to them), the cameras' names, and the incidents opened in the month with their first
 * acknowledgement from the timeline. A handful of grouped queries, never the raw results.
 */
export class ReportStore {
  constructor (private readonly database: Database) {}

  private get db (): Database['db'] { return this.database.db }

  /** The region's report for a Korean month "YYYY-MM"; undefined when `month` is not one. */
  async monthly (region: string, month: string): Promise<MonthlyReport | undefined> {
    const m = kstMonth(month)
    if (m === undefined) return undefined
    const [firstDay, lastDay] = [m.days[0], m.days[m.days.length - 1]]
    const sums = await this.db.selectFrom('daily')
      .select(['cctv_id', eb => eb.fn.sum<number>('up').as('up'), eb => eb.fn.sum<number>('total').as('total')])
      .where('region', '=', region).where('day', '>=', firstDay).where('day', '<=', lastDay).groupBy('cctv_id').execute()
    const known = await this.db.selectFrom('camera_state').select(['cctv_id', 'name', 'server']).where('region', '=', region).execute()
    const cameras = new Map<string, CameraMonth>(known.map(c => [c.cctv_id,
      { cctv_id: c.cctv_id, name: c.name, server: c.server === null ? null : Number(c.server), up: 0, judged: 0 }]))
    // A camera judged in the month and gone from the inventory since stays in its month's report.
    for (const s of sums) {
      const c = cameras.get(s.cctv_id) ?? { cctv_id: s.cctv_id, name: null, server: null, up: 0, judged: 0 }
      cameras.set(s.cctv_id, { ...c, up: Number(s.up), judged: Number(s.total) })
    }
    const days = await this.db.selectFrom('region_daily').select(['day', 'up', 'total'])
      .where('region', '=', region).where('day', '>=', firstDay).where('day', '<=', lastDay).execute()

    const opened = this.db.selectFrom('incidents').select('id').where('region', '=', region).where('opened_at', '>=', m.from).where('opened_at', '<', m.to)
    const rows = await this.db.selectFrom('incidents').selectAll()
      .where('region', '=', region).where('opened_at', '>=', m.from).where('opened_at', '<', m.to).orderBy('opened_at').orderBy('id').execute()
    const acks = await this.db.selectFrom('incident_events').select(['incident_id', 'at', 'by'])
      .where('kind', '=', 'acknowledged').where('incident_id', 'in', opened).orderBy('at').orderBy('id').execute()
    const firstAck = new Map<number, { at: number, by: string | null }>()
    for (const a of acks) if (!firstAck.has(Number(a.incident_id))) firstAck.set(Number(a.incident_id), { at: Number(a.at), by: a.by })
    const members = await this.db.selectFrom('incident_cameras').select(['incident_id', 'cctv_id']).where('incident_id', 'in', opened).execute()
    const count = new Map<number, number>()
    const perCamera = new Map<string, number>()
    for (const r of members) {
      count.set(Number(r.incident_id), (count.get(Number(r.incident_id)) ?? 0) + 1)
      perCamera.set(r.cctv_id, (perCamera.get(r.cctv_id) ?? 0) + 1)
    }
    const incidents: IncidentMonth[] = rows.map(r => ({
      id: Number(r.id),
      cause: r.cause as IncidentCause,
      key: r.key,
      state: r.state as IncidentMonth['state'],
      opened_at: Number(r.opened_at),
      first_ack_at: firstAck.get(Number(r.id))?.at ?? null,
      first_ack_by: firstAck.get(Number(r.id))?.by ?? null,
      resolved_at: r.resolved_at === null ? null : Number(r.resolved_at),
      resolved_by: r.resolved_by,
      cameras: count.get(Number(r.id)) ?? 0
    }))
    return monthlyReport({
      region,
      month,
      from: m.from,
      to: m.to,
      days: m.days,
      cameras: [...cameras.values()],
      daily: days.map(d => ({ day: d.day, up: Number(d.up), judged: Number(d.total) })),
      incidents
    }, perCamera)
  }
}
