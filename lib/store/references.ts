import { sql } from 'kysely'
import type { Database } from './db.js'
import { ReferenceLimitError } from '../errors.js'

/** A camera keeps at most this many reference views (day and night; ReferenceLimitError says two). */
export const MAX_REFERENCES = 2

export interface ReferenceRow { id: number, cctv_id: string, taken_at: number, taken_by: string }

/**
 * The cameras' reference views (issue 24): JPEGs as the cameras gave them, by region and
 * cctv_ID. Data access only: what a frame is compared on is lib/ops/view-compare.ts's.
 */
export class ReferenceStore {
  constructor (private readonly database: Database) {}

  private get db (): Database['db'] { return this.database.db }

  /** Keeps a new reference; 409 when the camera has its MAX_REFERENCES already. */
  async add (r: { region: string, cctvId: string, jpeg: Buffer, takenAt: number, takenBy: string }): Promise<ReferenceRow> {
    return await this.db.transaction().execute(async tx => {
      // Two operators clicking at once must not make a third: one writer per camera at a time
      // (SQLite's transaction holds the one writer from its first write; PostgreSQL needs a lock).
      if (this.database.dialect === 'postgres') await sql`select pg_advisory_xact_lock(hashtext(${`view_references ${r.region} ${r.cctvId}`}))`.execute(tx)
      else await tx.deleteFrom('view_references').where('id', '=', -1).execute()
      const n = await tx.selectFrom('view_references').select(eb => eb.fn.countAll<number>().as('n'))
        .where('region', '=', r.region).where('cctv_id', '=', r.cctvId).executeTakeFirstOrThrow()
      if (Number(n.n) >= MAX_REFERENCES) throw new ReferenceLimitError()
      const { id } = await tx.insertInto('view_references').values({ region: r.region, cctv_id: r.cctvId, taken_at: r.takenAt, taken_by: r.takenBy, jpeg: r.jpeg })
        .returning('id').executeTakeFirstOrThrow()
      return { id: Number(id), cctv_id: r.cctvId, taken_at: r.takenAt, taken_by: r.takenBy }
    })
  }

  /** A camera's references, oldest first. */
  async list (region: string, cctvId: string): Promise<ReferenceRow[]> {
    const rows = await this.db.selectFrom('view_references').select(['id', 'cctv_id', 'taken_at', 'taken_by'])
      .where('region', '=', region).where('cctv_id', '=', cctvId).orderBy('taken_at').orderBy('id').execute()
    return rows.map(r => ({ ...r, id: Number(r.id), taken_at: Number(r.taken_at) }))
  }

  /** One reference's JPEG, or undefined (another camera's id included). */
  async jpeg (region: string, cctvId: string, id: number): Promise<Buffer | undefined> {
    const r = await this.db.selectFrom('view_references').select('jpeg').where('id', '=', id).where('region', '=', region).where('cctv_id', '=', cctvId).executeTakeFirst()
    return r === undefined ? undefined : Buffer.from(r.jpeg)
  }

  /** Deletes one reference; whether it was there. */
  async remove (region: string, cctvId: string, id: number): Promise<boolean> {
    const r = await this.db.deleteFrom('view_references').where('id', '=', id).where('region', '=', region).where('cctv_id', '=', cctvId).executeTakeFirst()
    return Number(r.numDeletedRows) > 0
  }

  /** Every reference of a region with its JPEG (a picture sweep's start), by cctv_ID. */
  async ofRegion (region: string): Promise<Map<string, Array<ReferenceRow & { jpeg: Buffer }>>> {
    const rows = await this.db.selectFrom('view_references').selectAll().where('region', '=', region).orderBy('taken_at').orderBy('id').execute()
    const out = new Map<string, Array<ReferenceRow & { jpeg: Buffer }>>()
    for (const r of rows) {
      const list = out.get(r.cctv_id) ?? []
      list.push({ id: Number(r.id), cctv_id: r.cctv_id, taken_at: Number(r.taken_at), taken_by: r.taken_by, jpeg: Buffer.from(r.jpeg) })
      out.set(r.cctv_id, list)
    }
    return out
  }

  /** How many references each of the region's cameras has (cameras with none are absent), in one query. */
  async counts (region: string): Promise<Map<string, number>> {
    const rows = await this.db.selectFrom('view_references').select(eb => ['cctv_id', eb.fn.countAll<number | string | bigint>().as('n')])
      .where('region', '=', region).groupBy('cctv_id').execute()
    return new Map(rows.map(r => [r.cctv_id, Number(r.n)]))
  }
}
