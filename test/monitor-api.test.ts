import t from 'tap'
import type { Test } from 'tap'
import { execFileSync } from 'node:child_process'
import { startGateway, type Gateway } from './helpers/app.js'
import { startPostgres } from './helpers/postgres.js'

// Issue 15, 6: the monitor's API over what the sweeps kept, on both stores. A camera taken
// down on the simulated site (its inventory URL now refused) is down since the sweep that saw
// it and listed by changes?since=; the token sees every region, a session its own; /metrics
// is Prometheus text (read back by the Prometheus project's own parser) behind the token.

const TOKEN = 'monitor-token-0123456789abcdef'
const NEVER = '0 0 0 1 1 *' // 1 January: the test ticks by hand
const pgServer = await startPostgres(t)
process.env.FWMAINT_TEST_DEMO_PW = 'demo'

const bearer = { authorization: `Bearer ${TOKEN}` }

async function gateway (t: Test, engine: string): Promise<Gateway> {
  return await startGateway(t, {
    regions: [{ name: '대구', cameras: 6, rtsp: true }, { name: '부산', host: '127.0.0.2', cameras: 3 }],
    patch: doc => {
      for (const r of ['대구', '부산']) doc.regions[r].monitor = { cron: NEVER, id: 'demo', password_env: 'FWMAINT_TEST_DEMO_PW' }
    },
    env: { MONITOR_TOKEN: TOKEN, HEALTH_PROBE_TIMEOUT_SECONDS: '6', ...(engine === 'postgres' ? { DATABASE_URL: await pgServer.newDatabase() } : {}) }
  })
}

/** The Prometheus project's Python parser (python3-prometheus-client) reads the text back. */
function parseProm (text: string): Array<{ name: string, type: string, samples: Array<{ name: string, labels: Record<string, string>, value: number }> }> {
  const py = 'import sys, json\nfrom prometheus_client.parser import text_string_to_metric_families as p\nprint(json.dumps([{"name": f.name, "type": f.type, "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in f.samples]} for f in p(sys.stdin.read())]))'
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', py], { input: text, encoding: 'utf8' }))
}

for (const engine of ['sqlite', 'postgres']) {
  t.test(`${engine}: a camera taken down is down since the sweep that saw it, listed by changes?since=, and back after`, async t => {
    const gw = await gateway(t, engine)
    const daegu = gw.regions[0]
    const monitor = gw.app.monitors.get('대구')!
    await monitor.tick()
    let cams = (await gw.browser().request({ method: 'GET', url: '/api/monitor/대구/cameras', headers: bearer })).body
    t.equal(cams.cameras.length, 6, 'every camera')
    t.match(cams.cameras.find((c: any) => c.cctv_id === '1'), { status: 'online', uptime_24h: 1, uptime_7d: 1, uptime_30d: 1 })

    const before = new Date().toISOString()
    await daegu.takeDown(1)
    await monitor.tick()
    const kept = await gw.app.history.sweeps('대구')
    cams = (await gw.browser().request({ method: 'GET', url: '/api/monitor/대구/cameras', headers: bearer })).body
    const one = cams.cameras.find((c: any) => c.cctv_id === '1')
    t.match(one, { status: 'offline', since: new Date(kept[0].finished_at!).toISOString(), uptime_24h: 0.5 }, 'down since the second sweep')
    t.notMatch(one.error ?? '', /mn\/1418|%21%40/, 'no credentials in the error')
    const changes = (await gw.browser().request({ method: 'GET', url: `/api/monitor/대구/changes?since=${encodeURIComponent(before)}`, headers: bearer })).body
    t.match(changes.changes, [{ cctv_id: '1', kind: 'down', from_status: 'online', to_status: 'offline', name: '실시간 테스트 카메라' }], 'only camera 1 changed since then')
    t.equal(changes.changes.length, 1)

    await daegu.bringBack(1)
    await monitor.tick()
    const story = (await gw.browser().request({ method: 'GET', url: '/api/monitor/대구/cameras/1', headers: bearer })).body
    t.same(story.changes.map((c: any) => c.kind), ['up', 'down', 'first_seen'], 'newest first')
    t.match(story.changes[0], { trigger: 'scheduled', started_by: null })
    t.match(story.camera, { status: 'online' })
    t.match(story.daily, [{ up: 2, total: 3 }], 'today: 2 of 3 sweeps online')
    const overview = (await gw.browser().request({ method: 'GET', url: '/api/monitor', headers: bearer })).body
    const d = overview.regions.find((r: any) => r.region === '대구')
    t.match(d, { monitored: true, schedule: NEVER, cameras: 6, last_sweep: { trigger: 'scheduled', state: 'done', total: 6, picture: false }, changes_24h: { down: 1, up: 1, first_seen: 6 } })
    t.equal(d.changes_24h.down, 1, 'camera 1 only: those first seen down are first_seen, never "went down"')
    t.equal(d.by_status.online + d.down, 6)
    t.ok(Array.isArray(d.down_now) && d.down_now.length === d.down, 'the token sees every down camera by name')
    t.equal(d.uptime_days.length, 1)
  })

  t.test(`${engine}: a restart keeps the history: a new gateway on the same store answers the same`, async t => {
    const gw = await gateway(t, engine)
    await gw.app.monitors.get('부산')!.tick()
    const a = (await gw.browser().request({ method: 'GET', url: '/api/monitor/부산/cameras', headers: bearer })).body
    t.equal(a.cameras.length, 3)
    const env = gw.app.config.env
    await gw.app.close()
    const again = await startGateway(t, {
      regions: [{ name: '부산', cameras: 3 }],
      patch: doc => { doc.regions['부산'].monitor = { cron: NEVER, id: 'demo', password_env: 'FWMAINT_TEST_DEMO_PW' } },
      env: { MONITOR_TOKEN: TOKEN, HISTORY_DB: env.HISTORY_DB, DATABASE_URL: env.DATABASE_URL }
    })
    const b = (await again.browser().request({ method: 'GET', url: '/api/monitor/부산/cameras', headers: bearer })).body
    t.same(b, a, 'the same cameras, states and uptime after the restart')
  })
}

t.test('access: the token sees every region; a session its own cameras and the others\' counts; nothing else sees anything', async t => {
  const gw = await gateway(t, 'sqlite')
  await Promise.all([gw.app.monitors.get('대구')!.tick(), gw.app.monitors.get('부산')!.tick()])
  const anon = gw.browser()
  for (const url of ['/api/monitor', '/api/monitor/대구/cameras', '/api/monitor/대구/cameras/1', '/api/monitor/대구/changes']) {
    const r = await anon.get(url)
    t.equal(r.status, 401, `${url} without a session or token`)
    t.match(r.body, { message: /log in to a region, or send Authorization: Bearer/ })
    t.equal(r.headers['www-authenticate'], 'Bearer realm="fwmaint"')
  }
  t.match(await anon.request({ method: 'GET', url: '/api/monitor', headers: { authorization: 'Bearer wrong-token-0123456789abcdef' } }), { status: 401, body: { message: 'invalid monitor token' } })
  t.match(await anon.request({ method: 'GET', url: '/api/monitor', headers: { authorization: `Basic ${TOKEN}` } }), { status: 401, body: { message: /Bearer/ } })

  const op = gw.browser()
  t.equal((await op.connect(gw.regions[0])).status, 200)
  const mine = (await op.get('/api/monitor')).body
  const daegu = mine.regions.find((r: any) => r.region === '대구')
  const busan = mine.regions.find((r: any) => r.region === '부산')
  t.ok(Array.isArray(daegu.down_now) && daegu.down_now.length > 0, 'its own region\'s down cameras by name')
  t.equal(busan.down_now, null, 'no camera of another region by name')
  t.equal(busan.cameras, 3, 'but the other region\'s counts')
  t.equal(busan.last_sweep.started_by, null)
  t.notMatch(JSON.stringify(busan), /rtsp:|카메라|cctv_id/, 'nothing that names a camera of the other region')
  t.equal((await op.get('/api/monitor/대구/cameras')).status, 200)
  t.match(await op.get('/api/monitor/부산/cameras'), { status: 403, body: { message: 'this session is logged in to region 대구; it sees no other region\'s cameras' } })
  t.equal((await op.get('/api/monitor/부산/cameras/1')).status, 403)
  t.equal((await op.get('/api/monitor/부산/changes')).status, 403)
  t.match(await op.get('/api/monitor/nowhere/cameras'), { status: 404, body: { message: 'region not found' } })
  t.match(await op.request({ method: 'GET', url: '/api/monitor/대구/cameras', headers: { authorization: 'Bearer nope' } }), { status: 401 }, 'a wrong token is refused even with a session')
  await op.post('/api/ssh_disconnect')
  t.equal((await op.get('/api/monitor')).status, 401, 'after logout, nothing')
})

t.test('times: ISO 8601, Korean time when no offset is given; bad ones are a 400 that says how', async t => {
  const gw = await gateway(t, 'sqlite')
  await gw.app.monitors.get('대구')!.tick()
  const get = async (url: string): Promise<any> => await gw.browser().request({ method: 'GET', url, headers: bearer })
  const def = (await get('/api/monitor/대구/changes')).body
  t.match(def.since, /T09:00:00\.000Z$/, 'default: 18:00 yesterday in Korea (09:00 UTC)')
  const back = Date.now() - Date.parse(def.since)
  t.ok(back >= 6 * 3600_000 && back <= 30 * 3600_000, `${back / 3600_000} h ago: between 6 h (at midnight) and 30 h (at 23:59)`)
  t.equal((await get('/api/monitor/대구/changes?since=2026-11-29T18:00')).body.since, '2026-11-29T09:00:00.000Z', 'no offset: Korean time')
  t.equal((await get('/api/monitor/대구/changes?since=2026-11-29')).body.since, '2026-11-28T15:00:00.000Z', 'a date: its Korean midnight')
  t.equal((await get('/api/monitor/대구/changes?since=2026-11-29T18:00:00Z')).body.since, '2026-11-29T18:00:00.000Z')
  for (const bad of ['yesterday', '1', '2026-13-01', '2026-11-29T25:00']) {
    const r = await get(`/api/monitor/대구/changes?since=${encodeURIComponent(bad)}`)
    t.match(r, { status: 400, body: { message: /^querystring\.since is not a time: use ISO 8601/ } }, bad)
  }
  t.match(await get('/api/monitor/대구/cameras/1?from=2026-11-30&to=2026-11-01'), { status: 400, body: { message: 'querystring.from is after querystring.to' } })
  t.match(await get('/api/monitor/대구/cameras/1?to=2026-11-30&bogus=1'), { status: 400 })
  t.match(await get('/api/monitor/대구/cameras/99'), { status: 404, body: { message: 'camera not found' } })
  t.match(await get('/api/monitor/대구/cameras/abc'), { status: 400 })
})

t.test('/metrics: Prometheus text behind the token; counts per status, camera_up per camera, sweeps kept per state', async t => {
  const gw = await gateway(t, 'sqlite')
  const m = gw.app.monitors.get('대구')!
  await m.tick()
  const first = m.tick()
  await m.tick() // skipped: the first is still running
  await first
  const url = await gw.origin()
  const anon = await fetch(`${url}/metrics`)
  t.equal(anon.status, 401)
  t.match(await anon.json(), { message: 'send Authorization: Bearer <MONITOR_TOKEN>' })
  const r = await fetch(`${url}/metrics`, { headers: bearer })
  t.equal(r.status, 200)
  t.match(r.headers.get('content-type'), /^text\/plain; version=0\.0\.4/)
  const families = parseProm(await r.text())
  const fam = (name: string): typeof families[number] => families.find(f => f.name === name)!
  const cams = await gw.app.history.cameras('대구')
  const up = fam('fwmaint_camera_up').samples.filter(s => s.labels.region === '대구')
  t.equal(up.length, 6, 'one fwmaint_camera_up per camera')
  for (const c of cams) t.equal(up.find(s => s.labels.cctv_id === c.cctv_id)?.value, c.status === 'online' ? 1 : 0, `camera ${c.cctv_id} (${c.status})`)
  t.ok(up.every(s => s.labels.server === '1'))
  const byStatus = fam('fwmaint_cameras').samples.filter(s => s.labels.region === '대구')
  t.equal(byStatus.reduce((a, s) => a + s.value, 0), 6)
  t.equal(byStatus.find(s => s.labels.status === 'online')?.value, cams.filter(c => c.status === 'online').length)
  const sweeps = fam('fwmaint_sweeps')
  t.equal(sweeps.type, 'counter')
  t.equal(sweeps.samples.find(s => s.name === 'fwmaint_sweeps_total' && s.labels.region === '대구' && s.labels.state === 'done')?.value, 2)
  t.equal(sweeps.samples.find(s => s.name === 'fwmaint_sweeps_total' && s.labels.region === '대구' && s.labels.state === 'skipped')?.value, 1)
  const age = fam('fwmaint_last_sweep_age_seconds').samples.find(s => s.labels.region === '대구')!.value
  t.ok(age >= 0 && age < 60, `last sweep age ${age} s`)
  t.ok(fam('fwmaint_last_sweep_duration_seconds').samples.some(s => s.labels.region === '대구' && s.labels.state === 'done' && s.value > 0))
  t.equal(fam('fwmaint_monitor_sweep_running').samples.find(s => s.labels.region === '대구')?.value, 0)
  t.ok(families.some(f => f.name.startsWith('fwmaint_process_')), 'and the process\'s own metrics')
  t.equal(families.filter(f => f.name === 'fwmaint_camera_up').length, 1)
})

t.test('MONITOR_TOKEN: too short a token is refused at start; without one, token access and /metrics are off', async t => {
  await t.rejects(startGateway(t, { regions: [], env: { MONITOR_TOKEN: 'short' } }), /MONITOR_TOKEN/)
  const gw = await startGateway(t, { regions: [{ name: '대구', cameras: 1 }] })
  t.match(await gw.browser().request({ method: 'GET', url: '/metrics', headers: bearer }), { status: 401, body: { message: 'this gateway has no MONITOR_TOKEN: token access is off' } })
  t.match(await gw.browser().get('/metrics'), { status: 401, body: { message: 'this gateway has no MONITOR_TOKEN: /metrics is off' } })
})
