import t from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { kstDay, kstLastMonth, kstMonth } from '../lib/clock.js'
import { toCsv } from '../lib/csv.js'
import { openDatabase, type Database } from '../lib/store/db.js'
import { monthlyReport, quantile, type MonthlyReport } from '../lib/store/monthly-report.js'
import { ReportStore } from '../lib/store/reports.js'
import { generateHistory, regionName } from '../sim/history.js'
import { startGateway } from './helpers/app.js'
import { startPostgres } from './helpers/postgres.js'

// Issue 25, 6: the monthly report. Its rules on small inputs; then a generated month (sim/history:
// a Markov fleet with server and district outages, replayed through the incident rules, people
// acknowledging) on SQLite and PostgreSQL against a reference computed from the changes alone;
// then the API, its CSV read by Python's csv module as a spreadsheet would read it.

const dir = mkdtempSync(path.join(os.tmpdir(), 'fwreport-'))
/** Python's csv reader (utf-8-sig: it drops the byte-order mark only if there is one). */
function readCsv (text: string): string[][] {
  const f = path.join(dir, `r${Math.random().toString(36).slice(2)}.csv`)
  writeFileSync(f, text)
  return JSON.parse(execFileSync('python3', ['-c', 'import csv,json,sys; f=open(sys.argv[1],encoding="utf-8-sig",newline=""); print(json.dumps(list(csv.reader(f))))', f]).toString())
}

t.test('quantiles by nearest rank: a value that occurred', async t => {
  t.equal(quantile([], 0.5), null)
  t.equal(quantile([7], 0.9), 7)
  t.equal(quantile([1, 2, 3, 4], 0.5), 2, 'the 2nd of 4')
  t.equal(quantile([10, 1, 9, 2, 8, 3, 7, 4, 6, 5], 0.9), 9, 'the 9th of 10, unsorted input')
  t.equal(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 0.9), 10, '⌈9.9⌉ = the 10th of 11')
})

t.test('a report from rows: uptime of what was judged, days without sweeps as null, the worst ten, times to acknowledge and resolve', async t => {
  const m = kstMonth('2026-02')!
  t.equal(m.days.length, 28)
  t.equal(new Date(m.from).toISOString(), '2026-01-31T15:00:00.000Z', 'a Korean month starts at 00:00 KST')
  t.equal(kstMonth('2026-13'), undefined)
  t.same([kstLastMonth(Date.parse('2026-01-01T00:30:00+09:00')), kstLastMonth(Date.parse('2026-11-30T23:30:00Z'))], ['2025-12', '2026-11'], 'last month in Korean time (12-01 08:30 KST: November)')
  const H = 3_600_000
  const r = monthlyReport({
    region: '대구', month: '2026-02', from: m.from, to: m.to, days: m.days,
    cameras: [
      { cctv_id: '10', name: 'B', server: 1, up: 90, judged: 100 },
      { cctv_id: '2', name: 'A', server: 2, up: 50, judged: 100 },
      { cctv_id: '3', name: 'never judged', server: 1, up: 0, judged: 0 },
      { cctv_id: '4', name: 'C', server: 1, up: 45, judged: 50 }
    ],
    daily: [{ day: '2026-02-01', up: 185, judged: 250 }],
    incidents: [
      { id: 2, cause: 'server', key: '1', state: 'resolved', opened_at: m.from + 2 * H, first_ack_at: m.from + 2 * H + 10 * 60_000, first_ack_by: 'kim', resolved_at: m.from + 5 * H, resolved_by: null, cameras: 12 },
      { id: 1, cause: 'camera', key: '2', state: 'open', opened_at: m.from + H, first_ack_at: null, first_ack_by: null, resolved_at: null, resolved_by: null, cameras: 1 },
      { id: 3, cause: 'camera', key: '4', state: 'resolved', opened_at: m.from + 3 * H, first_ack_at: m.from + 3 * H + 30 * 60_000, first_ack_by: 'lee', resolved_at: m.from + 4 * H, resolved_by: 'lee', cameras: 1 }
    ]
  }, new Map([['2', 1], ['4', 1]]))
  t.same(r.uptime, { percent: 74, up: 185, judged: 250 }, 'the fleet: up of judged')
  t.same(r.cameras.map(c => [c.cctv_id, c.percent, c.incidents]), [['2', 50, 1], ['3', null, 0], ['4', 90, 1], ['10', 90, 0]], 'by id as a number; nothing judged is null, not 0')
  t.same(r.worst.map(c => c.cctv_id), ['2', '10', '4'], 'lowest first; a tie goes to the one judged longer; never-judged ones are not "worst"')
  t.same([r.daily[0], r.daily[1]], [{ day: '2026-02-01', up: 185, judged: 250, percent: 74 }, { day: '2026-02-02', up: 0, judged: 0, percent: null }])
  t.equal(r.daily.length, 28)
  t.same(r.incidents.list.map(i => i.id), [1, 2, 3], 'in the order they opened')
  t.same(r.incidents.by_cause, { region: 0, server: 1, district: 0, camera: 2 })
  t.equal(r.incidents.still_open, 1)
  t.same(r.incidents.time_to_acknowledge, { count: 2, median_minutes: 10, p90_minutes: 30 })
  t.same(r.incidents.time_to_resolve, { count: 2, median_minutes: 60, p90_minutes: 180 })
})

t.test('CSV as Excel opens it: a byte-order mark, CRLF, quoted fields, no formula from a camera\'s name', async t => {
  const text = toCsv([['이름', 'n'], ['=HYPERLINK("http://x")', 1], ['쉼표, "따옴표"\n줄', -2], [null, 3.5]])
  t.ok(text.startsWith('\uFEFF'), 'UTF-8 with a BOM')
  t.ok(text.includes('\r\n') && !/[^\r]\n(?!줄)/.test(text), 'CRLF between rows')
  t.same(readCsv(text), [['이름', 'n'], ['\'=HYPERLINK("http://x")', '1'], ['쉼표, "따옴표"\n줄', '-2'], ['', '3.5']], 'parsed back by a real CSV reader')
})

/** The reference: each camera's status at each generated sweep, from its changes alone, counted per Korean day of the month. */
type Counts = Map<string, { up: number, judged: number }>
async function reference (db: Database, region: string, month: string, first: number, every: number, n: number): Promise<{ cameras: Counts, days: Counts }> {
  const m = kstMonth(month)!
  const changes = await db.db.selectFrom('changes').select(['cctv_id', 'at', 'to_status']).where('region', '=', region).where('kind', 'in', ['first_seen', 'down', 'up', 'status']).orderBy('at').execute()
  const byCamera = new Map<string, Array<{ at: number, status: string }>>()
  for (const c of changes) byCamera.set(c.cctv_id, [...(byCamera.get(c.cctv_id) ?? []), { at: Number(c.at), status: c.to_status }])
  const cameras = new Map<string, { up: number, judged: number }>()
  const days = new Map<string, { up: number, judged: number }>()
  for (const [id, list] of byCamera) {
    let j = 0
    let status = ''
    const mine = { up: 0, judged: 0 }
    for (let k = 0; k < n; k++) {
      const at = first + k * every
      while (j < list.length && list[j].at <= at) status = list[j++].status
      if (at < m.from || at >= m.to) continue
      const up = status === 'online' ? 1 : 0
      mine.up += up; mine.judged++
      const d = days.get(kstDay(at)) ?? { up: 0, judged: 0 }
      d.up += up; d.judged++
      days.set(kstDay(at), d)
    }
    cameras.set(id, mine)
  }
  return { cameras, days }
}

const pgServer = await startPostgres(t)
const NOW = Date.parse('2026-12-01T08:00:00+09:00')
const SHAPE = { regions: 1, camerasPerRegion: 60, days: 33, everyMinutes: 15, rawDays: 1, now: NOW, seed: 11, sharedOutages: 3, incidents: true }

for (const [engine, open] of [
  ['sqlite', async () => await openDatabase({ file: path.join(dir, 'h.sqlite') })],
  ['postgres', async () => await openDatabase({ url: await pgServer.newDatabase(), file: '' })]
] as Array<[string, () => Promise<Database>]>) {
  t.test(`${engine}: November of a generated fleet, against a reference from its changes`, async t => {
    const db = await open()
    t.teardown(db.close)
    await generateHistory(db, SHAPE)
    const r = (await new ReportStore(db).monthly(regionName(0), '2026-11'))!
    const every = 15 * 60_000
    const n = Math.round(SHAPE.days * 86_400_000 / every)
    const ref = await reference(db, regionName(0), '2026-11', Math.floor(NOW / every) * every - (n - 1) * every, every, n)
    t.equal(r.cameras.length, 60)
    t.same(r.cameras.map(c => [c.cctv_id, c.up, c.judged]), [...ref.cameras].sort((a, b) => Number(a[0]) - Number(b[0])).map(([id, c]) => [id, c.up, c.judged]), 'every camera\'s month = its sweeps in the Korean month, from its changes')
    t.equal(r.cameras[0].judged, 30 * 96, 'a whole month of 15-minute sweeps')
    t.same(r.daily.map(d => [d.day, d.up, d.judged]), [...ref.days].sort().map(([day, d]) => [day, d.up, d.judged]), 'each day likewise')
    t.equal(r.daily.length, 30)
    const sorted = [...r.cameras].filter(c => c.percent !== null).sort((a, b) => a.percent! - b.percent!)
    t.same(r.worst.map(c => c.percent), sorted.slice(0, 10).map(c => c.percent), 'the worst ten are the ten lowest')

    t.ok(r.incidents.by_cause.server >= 1 && r.incidents.by_cause.district >= 1 && r.incidents.by_cause.camera >= 5,
      `the shared outages are server and district incidents: ${JSON.stringify(r.incidents.by_cause)}`)
    const rows = await db.db.selectFrom('incidents').selectAll().execute()
    const inMonth = rows.filter(i => Number(i.opened_at) >= Date.parse('2026-11-01T00:00:00+09:00') && Number(i.opened_at) < Date.parse('2026-12-01T00:00:00+09:00'))
    t.equal(r.incidents.total, inMonth.length, `${inMonth.length} incidents opened in November (${rows.length} in all)`)
    const acked = await db.db.selectFrom('incident_events').select(['incident_id', 'at']).where('kind', '=', 'acknowledged').orderBy('at').execute()
    const tta = inMonth.flatMap(i => {
      const a = acked.find(e => Number(e.incident_id) === Number(i.id))
      return a === undefined ? [] : [(Number(a.at) - Number(i.opened_at)) / 60_000]
    })
    t.ok(tta.length > inMonth.length / 2, `most were acknowledged (${tta.length})`)
    t.equal(r.incidents.time_to_acknowledge.count, tta.length)
    t.equal(r.incidents.time_to_acknowledge.median_minutes, Math.round([...tta].sort((a, b) => a - b)[Math.ceil(tta.length / 2) - 1] * 10) / 10, 'the median from the timeline')
    t.ok(r.incidents.time_to_resolve.p90_minutes! >= r.incidents.time_to_resolve.median_minutes!)
    t.ok(r.uptime.percent! > 80 && r.uptime.percent! < 100, `fleet uptime ${r.uptime.percent} %`)
  })
}

t.test('GET /api/reports/:region: JSON, CSV per table that a CSV reader opens, the monitor\'s access rules, a useful 400', async t => {
  const TOKEN = 'report-token-0123456789abcdef0123'
  const gw = await startGateway(t, { regions: [{ name: regionName(0), cameras: 2 }, { name: '부산', host: '127.0.0.2', cameras: 1 }], env: { MONITOR_TOKEN: TOKEN } })
  await generateHistory(gw.app.history.database, { ...SHAPE, camerasPerRegion: 20 })
  const get = async (url: string, token = TOKEN): Promise<{ status: number, body: any, headers: Record<string, unknown> }> =>
    await gw.browser().request({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } })
  const base = `/api/reports/${encodeURIComponent(regionName(0))}`
  const json = await get(`${base}?month=2026-11`)
  t.equal(json.status, 200)
  const stored = (await gw.app.history.reports.monthly(regionName(0), '2026-11')) as MonthlyReport
  t.same(json.body.cameras, stored.cameras, 'the store\'s report')
  t.match(json.body.incidents.list[0], { opened_at: /^2026-1[01]-\d\dT/, cause: String })

  const csv = await get(`${base}?month=2026-11&format=csv`)
  t.match(csv.headers, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': /filename\*=UTF-8''fwmaint-%EA%B6%8C%EC%97%AD01-2026-11-cameras\.csv/ })
  const cams = readCsv(csv.body)
  t.same(cams[0], ['카메라 ID', '이름', '서버', '가동률(%)', '정상 점검 수', '점검 수', '장애 수'], 'Korean headers by default')
  t.same(cams.slice(1).map(r => [r[0], r[1], Number(r[3]), Number(r[5])]), stored.cameras.map(c => [c.cctv_id, c.name, c.percent, c.judged]), 'a row per camera, as the JSON')
  const incidents = readCsv((await get(`${base}?month=2026-11&format=csv&table=incidents&lang=en`)).body)
  t.equal(incidents[0][0], 'id')
  t.equal(incidents.length - 1, stored.incidents.total, 'a row per incident')
  t.equal(readCsv((await get(`${base}?month=2026-11&format=csv&table=daily`)).body).length, 31, 'a header and 30 days')

  t.match(await get(`${base}?month=2026-13`), { status: 400, body: { message: /month 2026-13 is not a month: use YYYY-MM/ } })
  t.match(await get(`${base}?month=11-2026`), { status: 400 })
  t.match(await get(`${base}?month=2026-11`, 'wrong-token-0123456789abcdef'), { status: 401 })
  const busan = gw.browser()
  await busan.connect(gw.regions[1])
  t.match(await busan.get(`${base}?month=2026-11`), { status: 403 }, 'another region\'s session')
  t.match(await get('/api/reports/nowhere?month=2026-11'), { status: 404 })
})
