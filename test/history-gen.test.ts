import t from 'tap'
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import { openDatabase, type Database } from '../lib/store/db.js'
import { HistoryStore } from '../lib/store/history.js'
import { generateHistory, regionName } from '../sim/history.js'
import { startPostgres } from './helpers/postgres.js'

// Issue 15, 8: the history generator for benches writes what the monitor would have written:
// the tables agree with each other, and the monitor carries on from it.

const pgServer = await startPostgres(t)
const engines: Array<[string, () => Promise<Database>]> = [
  ['sqlite', async () => await openDatabase({ file: path.join(mkdtempSync(path.join(os.tmpdir(), 'fwgen-')), 'h.sqlite') })],
  ['postgres', async () => await openDatabase({ url: await pgServer.newDatabase(), file: '' })]
]
const NOW = Date.parse('2026-11-30T03:00:00Z')

for (const [engine, open] of engines) {
  t.test(`${engine}: generated history is consistent, and a real sweep follows it`, async t => {
    const db = await open()
    t.teardown(db.close)
    const shape = { regions: 2, camerasPerRegion: 60, days: 4, everyMinutes: 15, rawDays: 2, now: NOW, seed: 7 }
    const rows = await generateHistory(db, shape)
    const sweeps = 4 * 96
    t.equal(rows.sweeps, 2 * sweeps)
    t.equal(rows.results, 2 * 60 * 2 * 96, 'raw results for rawDays only')
    const h = new HistoryStore(db)
    const region = regionName(0)
    const cams = await h.cameras(region)
    t.equal(cams.length, 60)
    const kept = await h.sweeps(region, 10_000)
    t.equal(kept.length, sweeps)
    // Per day: the region's uptime equals the sum of its cameras' and of its sweeps' online counts.
    const perDay = await db.db.selectFrom('daily').select(['day', sql<number>`sum(up)`.as('up'), sql<number>`sum(total)`.as('total')]).where('region', '=', region).groupBy('day').orderBy('day').execute()
    const regionDays = await h.aggregates.regionDaily(region, '2000-01-01')
    t.same(regionDays.map(d => [d.day, d.up, d.total]), perDay.map(d => [d.day, Number(d.up), Number(d.total)]), 'region_daily = Σ daily')
    t.equal(kept.reduce((n, s) => n + s.online, 0), regionDays.reduce((n, d) => n + d.up, 0), 'Σ sweeps.online = Σ up')
    // Each camera's "since" is its last status change (or the first sweep), and its status is that change's.
    const all = await h.changes(region, 0, 1_000_000)
    let down = 0
    for (const c of cams) {
      const last = all.find(x => x.cctv_id === c.cctv_id && x.kind !== 'flapping' && x.kind !== 'steady')
      if (last !== undefined) {
        t.equal(c.since, last.at, `camera ${c.cctv_id}: since its last change`)
        t.equal(c.status, last.to_status)
      } else t.equal(c.status, 'online', `camera ${c.cctv_id}: never changed, online`)
      if (c.status !== 'online') down++
    }
    t.ok(down < 20, `mostly healthy (${down} of 60 down now)`)
    t.ok(all.some(c => c.kind === 'up') && all.some(c => c.kind === 'down'), 'outages come and go')
    const up24 = await h.aggregates.uptimeHours(region, 24, NOW)
    t.ok([...up24.values()].every(u => u.up >= 0 && u.up <= u.total && u.total > 0) && up24.size === 60)
    // The monitor's next sweep continues the history (ids do not collide on PostgreSQL).
    const { id } = await h.recordSweep({ region, trigger: 'scheduled', startedBy: null, startedAt: NOW + 800_000, finishedAt: NOW + 900_000, state: 'done', failure: null, total: 1, results: [{ cctv_ID: 1, cctv_name: 'x', inference_id: 'svr10', server: 1, status: 'online', flapping: false, error: null, probe_ms: 1, reconnects_today: 0 }] })
    t.ok(id > 2 * sweeps, `the next sweep's id (${id}) follows the generated ones`)
  })
}
