import t from 'tap'
import type { Test } from 'tap'
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { openDatabase, type Database } from '../lib/store/db.js'
import { HistoryStore, type CameraResult, type SweepRecord } from '../lib/store/history.js'
import type { HealthStatus } from '../lib/status.js'
import { kstDay } from '../lib/clock.js'
import { startPostgres } from './helpers/postgres.js'
import { ReferenceStore } from '../lib/store/references.js'
import { ReferenceLimitError } from '../lib/errors.js'

// Issue 15, 4: the history store. The same suite runs on SQLite (a file in a temp folder) and
// on a real PostgreSQL (Debian's, a cluster of this test's own): one t.test per rule, twice.

const pgServer = await startPostgres(t)

const engines: Array<[string, () => Promise<Database>]> = [
  ['sqlite', async () => await openDatabase({ file: path.join(mkdtempSync(path.join(os.tmpdir(), 'fwhist-')), 'history.sqlite') })],
  ['postgres', async () => await openDatabase({ url: await pgServer.newDatabase(), file: '' })]
]

const T0 = Date.parse('2026-11-30T00:00:00Z')
const MIN = 60_000

function cam (id: number, status: HealthStatus, extra: Partial<CameraResult> = {}): CameraResult {
  return { cctv_ID: id, cctv_name: `카메라 ${id}`, inference_id: 'svr10', server: 1, status, flapping: false, error: status === 'online' ? null : `${status} reason`, probe_ms: 100 + id, reconnects_today: 0, ...extra }
}

function sweep (at: number, results: CameraResult[], extra: Partial<SweepRecord> = {}): SweepRecord {
  return { region: '대구', trigger: 'scheduled', startedBy: null, startedAt: at - 30_000, finishedAt: at, state: 'done', failure: null, total: results.length, results, ...extra }
}

async function store (t: Test, open: () => Promise<Database>): Promise<{ h: HistoryStore, db: Database }> {
  const db = await open()
  t.teardown(db.close)
  return { h: new HistoryStore(db), db }
}

for (const [engine, open] of engines) {
  t.test(`${engine}: a sweep is kept whole: its row, every camera's state, raw results, daily counts`, async t => {
    const { h } = await store(t, open)
    const { id, state } = await h.recordSweep(sweep(T0, [cam(1, 'online'), cam(2, 'offline'), cam(3, 'online', { flapping: true, reconnects_today: 4 })]))
    t.ok(id > 0)
    t.equal(state, 'done')
    t.match(await h.sweeps('대구'), [{ id, trigger: 'scheduled', state: 'done', total: 3, done: 3, online: 2, down: 1, flapping: 1, started_at: T0 - 30_000, finished_at: T0 }])
    const cams = await h.cameras('대구')
    t.same(cams.map(c => [c.cctv_id, c.status, c.flapping, c.since]), [['1', 'online', false, T0], ['2', 'offline', false, T0], ['3', 'online', true, T0]])
    t.equal(cams[2].reconnects_today, 4)
    t.equal(cams[0].name, '카메라 1', 'Korean text round-trips')
    t.same(await h.counts(), { sweeps: 1, camera_state: 3, changes: 3, results: 3, daily: 3, hourly: 3, region_daily: 1 }, 'each camera\'s first state is kept as first_seen')
    t.same(await h.cameras('부산'), [], 'regions are apart')
  })

  t.test(`${engine}: changes: first seen, went down, came back, another down status, started and stopped flapping; "since" is the last change`, async t => {
    const { h } = await store(t, open)
    await h.recordSweep(sweep(T0, [cam(1, 'online'), cam(2, 'online'), cam(3, 'offline')]))
    await h.recordSweep(sweep(T0 + 15 * MIN, [cam(1, 'timeout'), cam(2, 'online', { flapping: true }), cam(3, 'offline')]))
    await h.recordSweep(sweep(T0 + 30 * MIN, [cam(1, 'auth_failed'), cam(2, 'online'), cam(3, 'online')]))
    const all = await h.changes('대구', 0)
    t.same(all.map(c => [c.cctv_id, c.kind, c.from_status, c.to_status, c.at]), [
      ['3', 'up', 'offline', 'online', T0 + 30 * MIN],
      ['2', 'steady', 'online', 'online', T0 + 30 * MIN],
      ['1', 'status', 'timeout', 'auth_failed', T0 + 30 * MIN],
      ['2', 'flapping', 'online', 'online', T0 + 15 * MIN],
      ['1', 'down', 'online', 'timeout', T0 + 15 * MIN],
      ['3', 'first_seen', null, 'offline', T0],
      ['2', 'first_seen', null, 'online', T0],
      ['1', 'first_seen', null, 'online', T0]
    ], 'newest first; a camera\'s first state is first_seen, never "went down"')
    t.same((await h.changes('대구', T0 + 20 * MIN)).map(c => c.cctv_id), ['3', '2', '1'], '"since" filters')
    t.same(await h.changeCounts('대구', 0), { first_seen: 3, down: 1, up: 1, status: 1, flapping: 1, steady: 1 })
    const since = Object.fromEntries((await h.cameras('대구')).map(c => [c.cctv_id, c.since]))
    t.same(since, { 1: T0 + 30 * MIN, 2: T0, 3: T0 + 30 * MIN }, 'a flapping change does not move "since"')
  })

  t.test(`${engine}: a manual sweep of a few cameras keeps who started it, moves only those, and counts no uptime`, async t => {
    const { h } = await store(t, open)
    await h.recordSweep(sweep(T0, [cam(1, 'online'), cam(2, 'online')]))
    await h.recordSweep(sweep(T0 + MIN, [cam(2, 'offline')], { trigger: 'manual', startedBy: 'ops', total: 1 }))
    t.match((await h.sweeps('대구'))[0], { trigger: 'manual', started_by: 'ops', total: 1 })
    t.same((await h.cameras('대구')).map(c => [c.cctv_id, c.status, c.last_seen]), [['1', 'online', T0], ['2', 'offline', T0 + MIN]])
    t.match((await h.changes('대구', T0 + MIN))[0], { cctv_id: '2', kind: 'down', trigger: 'manual', started_by: 'ops' }, 'the change says who saw it')
    t.same((await h.aggregates.uptimeHours('대구', 24, T0 + MIN)).get('2'), { up: 1, total: 1 }, 'uptime counts the monitor\'s sweeps only')
  })

  t.test(`${engine}: a sweep with fewer checks than the monitor's, or a cancelled one, is kept and moves nothing`, async t => {
    const { h } = await store(t, open)
    const pic = { picture: true, monitorPicture: true }
    await h.recordSweep(sweep(T0, [cam(7, 'black'), cam(8, 'online')], pic))
    const before = await h.counts()
    await h.recordSweep(sweep(T0 + MIN, [cam(7, 'online'), cam(8, 'offline')], { trigger: 'manual', startedBy: 'ops', picture: false, monitorPicture: true }))
    await h.recordSweep(sweep(T0 + 2 * MIN, [cam(7, 'online'), cam(8, 'offline')], { ...pic, state: 'cancelled' }))
    await h.recordSweep(sweep(T0 + 3 * MIN, [cam(7, 'online')], { trigger: 'manual', startedBy: 'ops', ...pic, state: 'cancelled' }))
    t.same((await h.cameras('대구')).map(c => [c.cctv_id, c.status, c.since]), [['7', 'black', T0], ['8', 'online', T0]], 'states as the monitor saw them')
    t.same((await h.changes('대구', T0 + 1)), [], 'no change')
    t.same((await h.sweeps('대구')).map(x => [x.trigger, x.state, x.done]), [['manual', 'cancelled', 1], ['scheduled', 'cancelled', 2], ['manual', 'done', 2], ['scheduled', 'done', 2]], 'each kept as what it was')
    t.match(await h.counts(), { changes: before.changes, daily: before.daily, hourly: before.hourly, region_daily: before.region_daily })
    t.same((await h.aggregates.uptimeHours('대구', 24, T0 + 3 * MIN)).get('7'), { up: 0, total: 1 }, 'uptime unchanged')
    await h.recordSweep(sweep(T0 + 4 * MIN, [cam(7, 'online')], { trigger: 'manual', startedBy: 'ops', ...pic }))
    t.match(await h.changes('대구', T0 + 4 * MIN), [{ cctv_id: '7', kind: 'up', from_status: 'black', to_status: 'online', trigger: 'manual', started_by: 'ops' }], 'the same checks: a manual change naming the user')
  })

  t.test(`${engine}: a failed sweep without results is kept with its reason`, async t => {
    const { h } = await store(t, open)
    await h.recordSweep(sweep(T0, [], { state: 'failed', failure: 'server 1: Authentication failed', total: 0 }))
    t.match(await h.sweeps('대구'), [{ state: 'failed', failure: 'server 1: Authentication failed', done: 0 }])
    t.same((await h.counts()).camera_state, 0)
  })

  t.test(`${engine}: daily uptime adds up per KST day; one camera's days and changes; uptime over N days`, async t => {
    const { h } = await store(t, open)
    // 14:59 UTC is 23:59 KST; 15:01 UTC is the next KST day.
    const late = Date.parse('2026-11-29T14:59:00Z'); const next = Date.parse('2026-11-29T15:01:00Z')
    await h.recordSweep(sweep(late, [cam(1, 'online')]))
    await h.recordSweep(sweep(late + 30_000, [cam(1, 'offline')]))
    await h.recordSweep(sweep(next, [cam(1, 'online')]))
    const one = await h.camera('대구', '1', late - MIN, next + MIN)
    t.same(one.daily, [{ day: '2026-11-29', up: 1, total: 2, reconnects: 0 }, { day: '2026-11-30', up: 1, total: 1, reconnects: 0 }])
    t.same(one.changes.map(c => c.kind), ['up', 'down', 'first_seen'])
    const up = await h.aggregates.uptime('대구', 2, next)
    t.same(up.get('1'), { up: 2, total: 3 })
    t.equal(kstDay(new Date(next)), '2026-11-30')
  })

  t.test(`${engine}: aggregates for the monitor: a region's counts, down now, changes per kind, days, 24 h uptime, reconnects per day`, async t => {
    const { h } = await store(t, open)
    const HOUR = 3_600_000
    await h.recordSweep(sweep(T0, [cam(1, 'online'), cam(2, 'online'), cam(3, 'offline')]))
    await h.recordSweep(sweep(T0 + HOUR, [cam(1, 'online', { reconnects_today: 2 }), cam(2, 'timeout'), cam(3, 'offline')]))
    await h.recordSweep(sweep(T0 + 2 * HOUR, [cam(1, 'online', { reconnects_today: 5, flapping: true }), cam(2, 'timeout'), cam(3, 'online')]))
    await h.recordSweep(sweep(T0 + 3 * HOUR, [], { state: 'skipped', failure: 'the previous sweep was still running', total: 0 }))
    const sum = await h.regionSummary('대구')
    t.same(sum.byStatus, { online: 2, timeout: 1 })
    t.equal(sum.flapping, 1)
    t.match(sum.lastSweep, { state: 'done', finished_at: T0 + 2 * HOUR }, 'a skipped tick is not the last sweep')
    t.equal(sum.lastDoneAt, T0 + 2 * HOUR)
    t.same((await h.downNow('대구', 10)).map(c => [c.cctv_id, c.status, c.since]), [['2', 'timeout', T0 + HOUR]])
    t.same(await h.changeCounts('대구', T0 + 30 * MIN), { down: 1, up: 1, flapping: 1 })
    t.same(await h.aggregates.regionDaily('대구', '2026-11-01'), [{ day: '2026-11-30', up: 5, total: 9 }])
    const day = await h.aggregates.uptimeHours('대구', 24, T0 + 2 * HOUR)
    t.same([day.get('1'), day.get('2'), day.get('3')], [{ up: 3, total: 3 }, { up: 1, total: 3 }, { up: 1, total: 3 }])
    t.same((await h.aggregates.uptimeHours('대구', 1, T0 + 2 * HOUR)).get('2'), { up: 0, total: 1 }, 'the last hour only')
    t.equal((await h.camera('대구', '1', T0, T0 + 3 * HOUR)).daily[0].reconnects, 5, 'the day\'s highest count')
    t.match(await h.cameraState('대구', '2'), { status: 'timeout', since: T0 + HOUR })
    t.equal(await h.cameraState('대구', '9'), undefined)
    t.same(await h.regions(), ['대구'])
    t.same((await h.sweepCounts()).map(r => [r.state, r.n]).sort(), [['done', 3], ['skipped', 1]])
  })

  t.test(`${engine}: claims: a tick is claimed once; a lease is taken when free, by its holder again, renewed and released by its token`, async t => {
    const { h } = await store(t, open)
    const l = h.leases
    const claims = await Promise.all(['a', 'b', 'c'].map(async g => await l.claimTick('대구', 1000, g, T0)))
    t.same(claims.filter(Boolean).length, 1, 'three gateways, one tick: one claim')
    t.ok(await l.claimTick('대구', 2000, 'b', T0), 'the next tick is free')
    t.ok(await l.claimTick('부산', 1000, 'b', T0), 'another region\'s tick too')
    const a1 = await l.take('대구', 'a', T0 + MIN, T0)
    t.type(a1, 'string')
    t.equal(await l.take('대구', 'b', T0 + 2 * MIN, T0 + 1000), null, 'held by a')
    const a2 = await l.take('대구', 'a', T0 + 2 * MIN, T0 + 1000)
    t.ok(a2 !== null && a2 !== a1, 'a (restarted) takes its own lease back, with a new token')
    t.notOk(await l.renew('대구', a1!, T0 + 3 * MIN), 'the old token renews nothing')
    t.ok(await l.renew('대구', a2!, T0 + 3 * MIN))
    const b = await l.take('대구', 'b', T0 + 5 * MIN, T0 + 3 * MIN + 1)
    t.ok(b !== null, 'expired: b takes it')
    t.notOk(await l.renew('대구', a2!, T0 + 6 * MIN), 'a can no longer renew it')
    await l.release('대구', a2!)
    t.equal(await l.take('대구', 'c', T0 + 6 * MIN, T0 + 3 * MIN + 2), null, 'a\'s release did not free b\'s lease')
    await l.release('대구', b!)
    t.ok(await l.take('대구', 'c', T0 + 6 * MIN, T0 + 3 * MIN + 2), 'released: free at once')
  })

  t.test(`${engine}: fencing: a sweep recorded under a lease taken over is kept as lost_lease and moves nothing`, async t => {
    const { h, db } = await store(t, open)
    const { AlertStore } = await import('../lib/store/alerts.js')
    const alerting = { rules: { downSweeps: 1, upSweeps: 1, flapping: true, repeatEveryMs: null }, channels: ['hook'], windows: [] }
    const a = await h.leases.take('대구', 'a', T0 + MIN, T0)
    await h.recordSweep(sweep(T0, [cam(1, 'online')], { alerting, lease: { key: '대구', token: a! } }))
    const b = await h.leases.take('대구', 'b', T0 + 10 * MIN, T0 + 2 * MIN)
    const late = await h.recordSweep(sweep(T0 + 3 * MIN, [cam(1, 'offline')], { alerting, lease: { key: '대구', token: a! } }))
    t.equal(late.state, 'lost_lease')
    t.match((await h.sweeps('대구'))[0], { id: late.id, state: 'lost_lease', done: 1 }, 'kept as what it was')
    t.match(await h.cameraState('대구', '1'), { status: 'online' }, 'it moved nothing')
    t.equal((await new AlertStore(db).recent('all', 10)).filter(x => x.kind === 'sweep').length, 0, 'it alerted nothing')
    const ok = await h.recordSweep(sweep(T0 + 4 * MIN, [cam(1, 'offline')], { alerting, lease: { key: '대구', token: b! } }))
    t.equal(ok.state, 'done', 'the holder\'s sweep is recorded')
    t.match(await h.cameraState('대구', '1'), { status: 'offline' })
  })

  t.test(`${engine}: alert rules in the sweep's transaction: streaks of scheduled sweeps only, flapping switchable, one outbox message per sweep and channel`, async t => {
    const { h, db } = await store(t, open)
    const { AlertStore } = await import('../lib/store/alerts.js')
    const a = new AlertStore(db)
    const rules = { downSweeps: 2, upSweeps: 1, flapping: true, repeatEveryMs: null }
    const alerting = { rules, channels: ['hook', 'mail'], windows: [] }
    const kinds = async (): Promise<string[][]> => (await a.recent('all', 100)).reverse().filter(x => x.kind !== 'started').map(x => x.body.changes.map(c => `${c.kind} ${c.cctv_id ?? ''}`.trim()))
    await h.recordSweep(sweep(T0, [cam(1, 'online'), cam(2, 'online')], { alerting }))
    t.match((await a.recent('all', 10)).map(x => [x.kind, x.body.started]), [['started', { cameras: 2, by_status: { online: 2 } }]], 'the first sweep: one "monitoring started" summary')
    await h.recordSweep(sweep(T0 + MIN, [cam(1, 'offline'), cam(2, 'online')], { alerting }))
    await h.recordSweep(sweep(T0 + 2 * MIN, [cam(1, 'offline')], { alerting, trigger: 'manual', startedBy: 'ops' }))
    t.same(await kinds(), [], 'one scheduled sweep down (a manual one does not count): nothing')
    await h.recordSweep(sweep(T0 + 3 * MIN, [cam(1, 'timeout'), cam(2, 'online')], { alerting, state: 'cancelled' }))
    t.same(await kinds(), [], 'a cancelled sweep does not count either')
    await h.recordSweep(sweep(T0 + 4 * MIN, [cam(1, 'timeout'), cam(2, 'online', { flapping: true })], { alerting }))
    t.same(await kinds(), [['down 1', 'flapping 2']], 'two scheduled sweeps down; a camera starting to flap: one message')
    await h.recordSweep(sweep(T0 + 5 * MIN, [cam(1, 'online'), cam(2, 'online')], { alerting: { ...alerting, rules: { ...rules, flapping: false } } }))
    t.same(await kinds(), [['down 1', 'flapping 2'], ['up 1']], 'flapping off: its stop is not told; the recovery is')
    const ds = (await a.recent('all', 10)).flatMap(x => x.deliveries)
    t.same(ds.map(d => d.channel).sort(), ['hook', 'hook', 'hook', 'mail', 'mail', 'mail'], 'a delivery per channel per message')
    t.ok(ds.every(d => d.state === 'pending' && d.attempts === 0))
    // A region failing twice: one region alert; back: one notice.
    await h.recordSweep(sweep(T0 + 6 * MIN, [], { alerting, state: 'failed', failure: 'server 1: Connection refused', total: 0 }))
    await h.recordSweep(sweep(T0 + 7 * MIN, [], { alerting, state: 'failed', failure: 'server 1: Connection refused', total: 0 }))
    await h.recordSweep(sweep(T0 + 8 * MIN, [cam(1, 'online'), cam(2, 'online')], { alerting }))
    t.same((await kinds()).slice(2), [['region_down'], ['region_up']])
    // A region-wide window: the failure is not told while it is open.
    const window = { from: T0 + 9 * MIN, to: T0 + 20 * MIN }
    await h.recordSweep(sweep(T0 + 10 * MIN, [], { alerting: { ...alerting, windows: [window] }, state: 'failed', failure: 'x', total: 0 }))
    t.equal((await kinds()).length, 4, 'inside the window: quiet')
    await h.recordSweep(sweep(T0 + 21 * MIN, [], { alerting: { ...alerting, windows: [window] }, state: 'failed', failure: 'x', total: 0 }))
    t.same((await kinds()).slice(4), [['region_down']], 'still failing after it: told then')
  })

  t.test(`${engine}: a 2,000-camera sweep in one transaction; a failure inside leaves nothing behind`, async t => {
    const { h, db } = await store(t, open)
    const many = Array.from({ length: 2000 }, (_, i) => cam(i + 1, i % 10 === 0 ? 'offline' : 'online'))
    await h.recordSweep(sweep(T0, many))
    t.match(await h.counts(), { sweeps: 1, camera_state: 2000, results: 2000, daily: 2000, changes: 2000 })
    // A result whose status is NULL violates NOT NULL half-way through the writes: all or nothing.
    const broken = [...many.slice(0, 1500), cam(1501, null as unknown as HealthStatus), ...many.slice(1501)]
    await t.rejects(h.recordSweep(sweep(T0 + MIN, broken)))
    t.match(await h.counts(), { sweeps: 1, results: 2000 }, 'the failed sweep wrote no row')
    t.equal((await db.db.selectFrom('sweeps').select('id').execute()).length, 1)
  })

  t.test(`${engine}: prune drops raw results after HISTORY_RAW_DAYS and daily rows after HISTORY_DAYS`, async t => {
    const { h } = await store(t, open)
    const DAY = 86_400_000
    await h.recordSweep(sweep(T0 - 10 * DAY, [cam(1, 'online')]))
    await h.recordSweep(sweep(T0 - 3 * DAY, [cam(1, 'online')]))
    await h.recordSweep(sweep(T0, [cam(1, 'online')]))
    t.same(await h.prune(7, 5, T0), { results: 1, hourly: 1, daily: 1 })
    t.match(await h.counts(), { results: 2, daily: 2, sweeps: 3 })
  })

  t.test(`${engine}: values go in as parameters: quotes and SQL in names and errors are just text`, async t => {
    const { h } = await store(t, open)
    const evil = "x'); DROP TABLE sweeps; --"
    await h.recordSweep(sweep(T0, [cam(1, 'offline', { cctv_name: evil, error: evil, inference_id: "svr1'0" })], { region: evil }))
    const cams = await h.cameras(evil)
    t.same([cams[0].name, cams[0].error, cams[0].inference_id], [evil, evil, "svr1'0"])
    t.equal((await h.sweeps(evil)).length, 1, 'the sweeps table is still there')
  })

  t.test(`${engine}: reopening keeps the history and runs no migration twice`, async t => {
    if (engine === 'sqlite') {
      const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'fwhist-')), 'h.sqlite')
      const a = await openDatabase({ file })
      await new HistoryStore(a).recordSweep(sweep(T0, [cam(1, 'online')]))
      await a.close()
      const b = await openDatabase({ file })
      t.teardown(b.close)
      t.same((await new HistoryStore(b).counts()).sweeps, 1)
    } else {
      const url = await pgServer.newDatabase()
      const a = await openDatabase({ url, file: '' })
      await new HistoryStore(a).recordSweep(sweep(T0, [cam(1, 'online')]))
      await a.close()
      const b = await openDatabase({ url, file: '' })
      t.teardown(b.close)
      t.same((await new HistoryStore(b).counts()).sweeps, 1)
    }
  })
}

for (const [engine, open] of engines) {
  t.test(`${engine}: reference views: two per camera at most, even when taken at once; listed, counted, served and deleted per camera`, async t => {
    const db = await open()
    t.teardown(db.close)
    const refs = new ReferenceStore(db)
    const jpeg = (n: number): Buffer => Buffer.from([0xff, 0xd8, n, 0xff, 0xd9])
    // Five operators click "이 화면을 기준으로" on camera 1 at once: two are kept, three refused.
    const at = await Promise.allSettled([1, 2, 3, 4, 5].map(async n => await refs.add({ region: '대구', cctvId: '1', jpeg: jpeg(n), takenAt: T0 + n, takenBy: `op${n}` })))
    t.equal(at.filter(r => r.status === 'fulfilled').length, 2)
    t.ok(at.filter(r => r.status === 'rejected').every(r => (r as PromiseRejectedResult).reason instanceof ReferenceLimitError), 'the others: REFERENCE_LIMIT')
    const other = await refs.add({ region: '대구', cctvId: '7', jpeg: jpeg(7), takenAt: T0, takenBy: 'monitor' })
    await refs.add({ region: '부산', cctvId: '1', jpeg: jpeg(9), takenAt: T0, takenBy: 'demo' })
    const mine = await refs.list('대구', '1')
    t.equal(mine.length, 2)
    t.ok(mine[0].taken_at <= mine[1].taken_at, 'oldest first')
    t.same([...(await refs.counts('대구'))].sort(), [['1', 2], ['7', 1]], 'counts per camera, this region only, in one query')
    t.same(await refs.jpeg('대구', '7', other.id), jpeg(7))
    t.equal(await refs.jpeg('대구', '1', other.id), undefined, 'another camera\'s id is not this camera\'s')
    t.equal(await refs.remove('대구', '1', other.id), false)
    t.equal(await refs.remove('대구', '1', mine[0].id), true)
    t.equal(await refs.remove('대구', '1', mine[0].id), false, 'gone')
    t.same([...(await refs.counts('대구'))].sort(), [['1', 1], ['7', 1]])
    t.same([...(await refs.ofRegion('대구')).keys()].sort(), ['1', '7'], 'a picture sweep\'s read: every camera of the region with its frames')
  })
}

for (const [engine, open] of engines) {
  t.test(`${engine}: a skip kept while a sweep is being kept does not undo what the sweep wrote (the monitor's start is told once)`, async t => {
    const { h, db } = await store(t, open)
    // Twenty regions, each: its first counted sweep and a skip (a tick that came while it ran) kept at once.
    const regions = Array.from({ length: 20 }, (_, i) => `권역${i}`)
    await Promise.all(regions.map(async region => await Promise.all([
      h.recordSweep(sweep(T0, [cam(1, 'offline')], { region })),
      h.recordSweep(sweep(T0 + 1, [], { region, state: 'skipped', failure: 'the previous sweep was still running', total: 0 }))
    ])))
    const rows = await db.db.selectFrom('region_alert').select(['region', 'started_at']).execute()
    t.same(rows.filter(r => r.started_at === null).map(r => r.region), [], 'every region\'s start is kept')
    // So the next sweep is not a "first" again.
    for (const region of regions) await h.recordSweep(sweep(T0 + MIN, [cam(1, 'offline')], { region }))
    const after = await db.db.selectFrom('region_alert').select(['region', 'started_at']).execute()
    t.ok(after.every(r => Number(r.started_at) === T0), 'started at the first sweep, not later')
  })
}
