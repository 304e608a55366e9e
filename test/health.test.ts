import t from 'tap'
import type { Test } from 'tap'
import { appendFileSync, readFileSync } from 'node:fs'
import http from 'node:http'
import { eventually, startGateway, type Browser } from './helpers/app.js'
import { countReconnects, perServerLimit, toCsv } from '../lib/ops/health-sweep.js'
import { classify } from '../lib/ops/health-rows.js'
import { kstDay } from '../lib/clock.js'
import { behaviourOf } from '../sim/inventory.js'
import { expectedStatus } from './helpers/health.js'

// Issue 8: the camera health sweep over real SSH, real ffprobe (in the simulated FireWatcher
// container) against real RTSP cameras: 1 live, 2 live with credentials, 3 wrong password,
// 4 wrong path, 5 refused, 6 silent, then every 5th camera one of these again (10 wrong
// password, 15 wrong path); the rest of the inventory refuses.

const gw = await startGateway(t, {
  regions: [{ name: '데모', cameras: 16, rtsp: true, logs: true, servers: 2 }],
  env: { HEALTH_CONCURRENCY: '2', HEALTH_PROBE_TIMEOUT_SECONDS: '5', HEALTH_FLAP_MIN: '3', HEALTH_ABANDON_SECONDS: '1' }
})
const region = gw.regions[0]

async function session (t: Test): Promise<Browser> {
  const b = gw.browser()
  await b.connect(region)
  t.teardown(async () => { await b.post('/api/ssh_disconnect') })
  return b
}

/** The SSE stream of the session's sweep, read to its end over a real socket. */
async function events (b: Browser, onEvent?: (e: string, d: any, req: http.ClientRequest) => void): Promise<Array<{ event: string, data: any }>> {
  const port = new URL(await gw.origin()).port
  return await new Promise((resolve, reject) => {
    const got: Array<{ event: string, data: any }> = []
    const req = http.get({ host: '127.0.0.1', port, path: '/api/cctv_health/events', headers: { cookie: b.cookieHeader(), accept: 'text/event-stream' }, agent: false }, res => {
      let buf = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => {
        buf += d
        let i
        while ((i = buf.indexOf('\n\n')) !== -1) {
          const block = buf.slice(0, i); buf = buf.slice(i + 2)
          const ev = /^event: (.*)$/m.exec(block)?.[1]
          const data = /^data: (.*)$/m.exec(block)?.[1]
          if (ev === undefined || data === undefined) continue
          got.push({ event: ev, data: JSON.parse(data) })
          onEvent?.(ev, JSON.parse(data), req)
        }
      })
      res.on('end', () => { resolve(got) })
      res.on('close', () => { resolve(got) })
    })
    req.on('error', err => { if (got.length > 0) resolve(got); else reject(err) })
  })
}

t.test('classify: ffprobe\'s failure texts map to the statuses', async t => {
  t.equal(classify(true, ''), 'online')
  t.equal(classify(false, 'method DESCRIBE failed: 401 Unauthorized'), 'auth_failed')
  t.equal(classify(false, 'method DESCRIBE failed: 404 Not Found'), 'not_found')
  // Issue 22: a timeout is the probe's flag; the gateway's own note is for people, never read back.
  t.equal(classify(false, 'Invalid data found when processing input\n(fwmaint: the camera did not answer within 2 s)', true), 'timeout')
  t.equal(classify(false, 'Invalid data found when processing input\n(fwmaint: the camera did not answer within 2 s)'), 'offline')
  t.equal(classify(false, 'ffprobe: no answer from the camera within 8 s (timed out)', true), 'timeout')
  t.equal(classify(false, 'Connection to tcp://10.0.0.9:554 failed: Connection timed out'), 'timeout', 'ffmpeg\'s own words')
  t.equal(classify(false, 'method DESCRIBE failed: 401 Unauthorized', true), 'auth_failed', 'a slow 401 is still a wrong password')
  t.equal(classify(false, 'Connection to tcp://127.0.0.1:1?timeout=0 failed: Connection refused'), 'offline')
})

t.test('the per-server limit leaves one SSH channel for the operator\'s own requests', async t => {
  t.equal(perServerLimit(4, 8), 4)
  t.equal(perServerLimit(8, 8), 7)
  t.equal(perServerLimit(4, 2), 1)
  t.equal(perServerLimit(4, 1), 1, 'never 0')
})

t.test('countReconnects: count and last time per camera, "Reconnect 1" is not "Reconnect 10"', async t => {
  const m = countReconnects([
    '2025-03-13 00:01:00,1 - controller_logger - 0 - WARNING - Reconnect 1 : rtsp://x',
    '2025-03-13 00:02:00,1 - controller_logger - 0 - WARNING - Reconnect 10 : rtsp://y',
    '2025-03-13 00:03:00,1 - controller_logger - 0 - WARNING - Reconnect 1 : rtsp://x',
    'No supported authentication protocol was found - Reconnect 1'
  ])
  t.same(m.get('1'), { count: 2, last: '2025-03-13 00:03:00' })
  t.same(m.get('10'), { count: 1, last: '2025-03-13 00:02:00' })
})

t.test('countReconnects in the production format: a line is a camera\'s by its URL at the end or "Reconnect <id>", once', async t => {
  const urls = new Map([['rtsp://h/a', ['7']], ['rtsp://h/b', ['19']], ['rtsp://h/dup', ['30', '31']]])
  const m = countReconnects([
    '2025-03-13 00:01:00,1 - controller_logger - 0 - WARNING - Reconnect stream_1 : rtsp://h/a',
    '2025-03-13 00:02:00,1 - controller_logger - 0 - WARNING - Reconnect stream_1 : rtsp://h/a ',
    '2025-03-13 00:03:00,1 - controller_logger - 0 - WARNING - Reconnect 7 : rtsp://h/a',
    '2025-03-13 00:04:00,1 - controller_logger - 0 - WARNING - Reconnect 1 : rtsp://h/b',
    '2025-03-13 00:05:00,1 - controller_logger - 0 - WARNING - Reconnect stream_2 : rtsp://h/dup',
    '2025-03-13 00:06:00,1 - controller_logger - 0 - WARNING - Connect failed list : rtsp://h/a',
    '2025-03-13 00:07:00,1 - controller_logger - 0 - WARNING - Reconnect stream_3 : rtsp://h/ab'
  ], urls)
  t.same(m.get('7'), { count: 3, last: '2025-03-13 00:03:00' }, 'by URL twice, then by ID and URL: that line once')
  t.same(m.get('19'), { count: 1, last: '2025-03-13 00:04:00' }, 'by URL ("Reconnect 1" is camera 1\'s by ID)')
  t.same(m.get('1'), { count: 1, last: '2025-03-13 00:04:00' })
  t.same([m.get('30')?.count, m.get('31')?.count], [1, 1], 'two cameras sharing a URL both count it')
  t.equal(m.size, 5, 'a "Connect failed" line and a longer URL are nobody\'s reconnect')

  // The real controller log: every "Reconnect stream_<k> : <url>" line is its camera's.
  const fixture = readFileSync(new URL('../sim/fixtures/controller-2025-03-13_0.log', import.meta.url), 'utf8').split('\n')
  const url = 'rtsp://192.168.10.201:8554/57ea349e-6d7f-4dbd-88c0-3633fbe0d62f'
  const expected = fixture.filter(l => l.includes(`Reconnect stream_1 : ${url}`))
  t.ok(expected.length > 0)
  t.same(countReconnects(fixture, new Map([[url, ['156']]])).get('156'), { count: expected.length, last: expected[expected.length - 1].slice(0, 19) }, `${expected.length} lines of the fixture`)
  t.notOk(countReconnects(fixture).size, 'without URLs the fixture names no camera: it has no "Reconnect <cctv_ID>"')
})

t.test('CSV: quoted where needed, formulas neutralised, UTF-8 with BOM', async t => {
  const csv = toCsv([{ cctv_ID: 1, cctv_name: '우경, "정문"', inference_id: 'svr10', server: 1, L2: '수성구', L3: '=HYPERLINK("x")', status: 'online', flapping: false, codec: 'h264', width: 320, height: 240, fps: 10, error: null, probe_ms: 5, reconnects_today: 0, last_reconnect: null }])
  t.ok(csv.startsWith('\uFEFFcctv_ID,cctv_name,'))
  t.match(csv, /"우경, ""정문"""/)
  t.match(csv, /"'=HYPERLINK\(""x""\)"/)
})

t.test('without a session: 400 "not connected"; no sweep yet: 404', async t => {
  const b = gw.browser()
  t.same((await b.post('/api/cctv_health', {})).body, { code: 'NOT_CONNECTED', message: 'not connected' })
  const s = await session(t)
  t.equal((await s.get('/api/cctv_health')).status, 404)
  t.equal((await s.get('/api/cctv_health/events')).status, 404)
  t.equal((await s.post('/api/cctv_health', { ids: ['1; reboot'] })).status, 400, 'ids are digits')
  t.equal((await s.post('/api/cctv_health', { servers: [1], extra: 1 })).status, 400, 'unknown fields refused')
})

t.test('a sweep: every status from the matching camera, SSE progress reaches total, flapping from today\'s log, per-server limit held', async t => {
  // Camera 1 is up but reconnected 4 times today: flapping.
  const today = kstDay()
  const cam1 = region.inventory.find(c => c.cctv_ID === 1)!
  const gpu = Number(cam1.inference_id.slice(-1))
  const file = region.entry.logs as { gstreamer: string }
  const logFile = file.gstreamer.replace('{server}', '1').replace('{date}', today).replace('{gpu}', String(gpu))
  for (let i = 0; i < 4; i++) appendFileSync(logFile, `${today} 23:59:0${i},000 - controller_logger - ${gpu} - WARNING - Reconnect 1 : ${cam1.url}\n`)
  for (const s of region.servers.values()) s.countProbes()

  const b = await session(t)
  const start = await b.post('/api/cctv_health', {})
  t.same([start.status, start.body.message], [202, 'health sweep started'])
  t.equal((await b.post('/api/cctv_health', {})).status, 409, 'one sweep per session at a time')
  const evs = await events(b)
  const results = evs.filter(e => e.event === 'result').map(e => e.data)
  const progress = evs.filter(e => e.event === 'progress').map(e => e.data)
  const end = evs.find(e => e.event === 'end')!.data
  t.equal(end.state, 'done')
  t.equal(end.total, 16)
  t.same(progress[progress.length - 1], { done: 16, total: 16, state: 'running' }, 'progress reaches total')
  t.equal(results.length, 16)
  const by = new Map(results.map((r: any) => [r.cctv_ID, r]))
  t.match(by.get(1), { status: 'online', codec: 'h264', flapping: true }, 'camera 1: online, and flapping')
  t.ok(by.get(1).reconnects_today >= 4 && by.get(1).last_reconnect === `${today} 23:59:03`, 'reconnect count and last time from today\'s log')
  t.match(by.get(2), { status: 'online', codec: 'h264', flapping: true }, 'camera 2: online behind credentials, and flapping')
  // Camera 2's Reconnect lines are in the production format: "Reconnect stream_<k> : <url>", never its ID.
  const cam2 = region.inventory.find(c => c.cctv_ID === 2)!
  const cam2Log = file.gstreamer.replace('{server}', cam2.inference_id.slice(3, -1)).replace('{date}', today).replace('{gpu}', cam2.inference_id.slice(-1))
  const production = readFileSync(cam2Log, 'utf8').split('\n').filter(l => / - WARNING - Reconnect stream_\d+ : /.test(l) && l.endsWith(` : ${cam2.url}`))
  t.ok(production.length >= 3, `the simulated site wrote ${production.length} production-format lines for camera 2`)
  t.equal(by.get(2).reconnects_today, production.length, 'each of them counted, exactly once')
  t.equal(by.get(2).last_reconnect, production[production.length - 1].slice(0, 19), 'the last one\'s time')
  t.match(by.get(3), { status: 'auth_failed' }, 'camera 3: wrong password')
  t.notMatch(by.get(3).error, /wrong%21pw|wrong!pw/, 'its password is not in the error line')
  t.match(by.get(4), { status: 'not_found' }, 'camera 4: wrong path')
  t.match(by.get(5), { status: 'offline' }, 'camera 5: refused')
  t.match(by.get(6), { status: 'timeout' }, 'camera 6: silent')
  for (const r of results) {
    const b = behaviourOf(r.cctv_ID)
    t.equal(r.status, expectedStatus(r.cctv_ID), `camera ${r.cctv_ID} (${b ?? 'refused address'}): ${r.status} ${r.error ?? ''}`)
  }
  for (const [n, s] of region.servers) t.ok(s.stats.maxProbesRunning <= 2, `server ${n}: at most ${s.stats.maxProbesRunning} ffprobe at once (limit 2)`)
  t.ok([...region.servers.values()].some(s => s.stats.maxProbesRunning === 2), 'the limit was reached (the test can see it)')

  const full = await b.get('/api/cctv_health')
  t.equal(full.status, 200)
  t.equal(full.body.summary.by_status.online, 2)
  t.equal(full.body.summary.flapping, 2, 'camera 1 (older format) and camera 2 (production format)')
  t.same(Object.keys(full.body.summary.by_server).sort(), ['1', '2'])
  t.not(full.body.results[0].status, 'online', 'down cameras first')
  const csv = await b.get('/api/cctv_health.csv')
  t.match(csv.headers['content-type'], /text\/csv/)
  t.equal(String(csv.body).trim().split('\r\n').length, 17, 'a header and a row per camera')
})

t.test('a server whose FireWatcher container is stopped: its cameras are "error" with the reason', async t => {
  const s2 = region.servers.get(2)!
  s2.setContainerState('firewatcher', 'exited')
  t.teardown(() => { s2.setContainerState('firewatcher', 'running') })
  const b = await session(t)
  await b.post('/api/cctv_health', { servers: [2] })
  const end = (await events(b)).find(e => e.event === 'end')!.data
  const all = (await b.get('/api/cctv_health')).body
  t.ok(end.total > 0)
  t.ok(all.results.every((r: any) => r.status === 'error' && r.server === 2 && /container not found/.test(r.error)), 'every camera of server 2: error, container not found')

  // Fixed on the site: probing one camera again replaces its row in the latest result.
  s2.setContainerState('firewatcher', 'running')
  const id = all.results[0].cctv_ID
  const again = await b.post('/api/cctv_health/reprobe', { id })
  t.equal(again.status, 200)
  t.match(again.body.result, { cctv_ID: id, server: 2 })
  t.not(again.body.result.status, 'error', 'the camera itself answers now')
  const after = (await b.get('/api/cctv_health')).body
  t.equal(after.results.length, all.results.length, 'a row replaced, none added')
  t.same(after.results.find((r: any) => r.cctv_ID === id), again.body.result)
  t.equal(after.summary.by_status.error, all.results.length - 1, 'the summary counts the new row')
})

t.test('re-probes clicked at once queue behind the same per-server limit', async t => {
  const b = await session(t)
  for (const s of region.servers.values()) s.countProbes()
  const answers = await Promise.all(Array.from({ length: 5 }, async () => await b.post('/api/cctv_health/reprobe', { id: 6 })))
  t.same(answers.map(a => [a.status, a.body.result?.status]), Array(5).fill([200, 'timeout']), 'every one answered')
  const most = Math.max(...[...region.servers.values()].map(s => s.stats.maxProbesRunning))
  t.equal(most, 2, 'never more than 2 (HEALTH_CONCURRENCY) ffprobe at once on the site')
})

t.test('re-probe: 404 for a camera the inventory does not have, 400 for a bad ID, 409 while a sweep runs', async t => {
  const b = await session(t)
  t.same((await b.post('/api/cctv_health/reprobe', { id: 99999 })).body, { code: 'CAMERA_NOT_FOUND', message: 'camera not found' })
  t.equal((await b.post('/api/cctv_health/reprobe', { id: '5; reboot' })).status, 400)
  t.equal((await b.post('/api/cctv_health/reprobe', {})).status, 400)
  await b.post('/api/cctv_health', { ids: [6] })
  t.equal((await b.post('/api/cctv_health/reprobe', { id: 5 })).status, 409, 'its probe would exceed the per-server limit')
  await b.post('/api/cctv_health/stop')
})

t.test('cancel stops the sweep and kills its remote ffprobe processes', async t => {
  const b = await session(t)
  await b.post('/api/cctv_health', { ids: [6, 6, 6] })
  await eventually(() => [...region.servers.values()].some(s => s.stats.probesRunning > 0), 10_000)
  t.same((await b.post('/api/cctv_health/stop')).body, { message: 'health sweep stopped', stopped: true })
  t.ok(await eventually(() => [...region.servers.values()].every(s => s.stats.probesRunning === 0), 8000), 'no ffprobe left running on the site')
  t.equal((await b.post('/api/cctv_health/stop')).body.stopped, false, 'nothing left to stop')
})

t.test('logout (client disconnect) stops a running sweep and its remote processes', async t => {
  const b = gw.browser()
  await b.connect(region)
  await b.post('/api/cctv_health', { ids: [6] })
  await eventually(() => [...region.servers.values()].some(s => s.stats.probesRunning > 0), 10_000)
  await b.post('/api/ssh_disconnect')
  t.ok(await eventually(() => [...region.servers.values()].every(s => s.stats.probesRunning === 0), 8000), 'no ffprobe left running on the site')
})

t.test('client disconnect: the events stream closed and not reopened within HEALTH_ABANDON_SECONDS cancels the sweep and kills its remote processes', async t => {
  const b = await session(t)
  await b.post('/api/cctv_health', { ids: [6] })
  let stream: http.ClientRequest | undefined
  const first = events(b, (_e, _d, req) => { stream = req })
  t.ok(await eventually(() => stream !== undefined && [...region.servers.values()].some(s => s.stats.probesRunning > 0), 10_000), 'listening, and its probe is running on the site')
  stream!.destroy()
  await first
  t.ok(await eventually(() => [...region.servers.values()].every(s => s.stats.probesRunning === 0), 8000), 'no ffprobe left running on the site')
  const end = (await events(b)).find(e => e.event === 'end')!.data
  t.equal(end.state, 'cancelled', 'cancelled, not finished (the silent camera\'s probe alone takes 2 s)')
})

t.test('a reload within HEALTH_ABANDON_SECONDS: the listener is back, the sweep runs to its end', async t => {
  const b = await session(t)
  await b.post('/api/cctv_health', { ids: [6] })
  await events(b, (e, _d, req) => { if (e === 'progress') req.destroy() })
  const evs = await events(b)
  t.same(evs.find(e => e.event === 'end')?.data.state, 'done')
  t.match(evs.find(e => e.event === 'result')?.data, { cctv_ID: 6, status: 'timeout' })
})

t.test('the body is optional (no body = the whole region); a filter that matches nothing is a 400 that keeps the last result', async t => {
  const b = await session(t)
  t.equal((await b.post('/api/cctv_health', { ids: [5] })).status, 202)
  await events(b)
  const before = (await b.get('/api/cctv_health')).body
  t.match(before.results, [{ cctv_ID: 5, status: 'offline' }])
  for (const filter of [{ l2: 'no such district' }, { ids: [99999] }, { servers: [3] }]) {
    const r = await b.post('/api/cctv_health', filter)
    t.same([r.status, r.body], [400, { code: 'BAD_REQUEST', message: 'no camera matches the filter (servers, l2, l3, ids)' }], JSON.stringify(filter))
  }
  t.same((await b.get('/api/cctv_health')).body, before, 'the last complete result is still the answer')
  t.same((await events(b)).find(e => e.event === 'end')?.data.total, 1, 'and the events stream still replays that sweep')
  const all = await b.post('/api/cctv_health')
  t.same([all.status, all.body], [202, { message: 'health sweep started', state: 'running' }], 'POST with no body at all')
  const first = (await events(b, (e, _d, req) => { if (e === 'progress') req.destroy() }))
  t.equal(first.find(e => e.event === 'progress')?.data.total, region.inventory.length, 'every camera of the region')
  await b.post('/api/cctv_health/stop')
})

t.test('an operator\'s sweep is kept in the history store: manual, by its SSH user, every camera\'s state', async t => {
  const b = await session(t)
  t.equal((await b.post('/api/cctv_health', { ids: [1, 5] })).status, 202)
  await events(b)
  let kept: Awaited<ReturnType<typeof gw.app.history.sweeps>> = []
  t.ok(await eventually(async () => { kept = await gw.app.history.sweeps(region.name); return kept.some(s => s.total === 2) }), 'the sweep is in the store')
  t.match(kept.find(s => s.total === 2), { trigger: 'manual', started_by: 'demo', state: 'done', done: 2, online: 1, down: 1 })
  const cams = new Map((await gw.app.history.cameras(region.name)).map(c => [c.cctv_id, c]))
  t.match(cams.get('1'), { status: 'online', name: region.inventory.find(c => c.cctv_ID === 1)!.cctv_name })
  t.match(cams.get('5'), { status: 'offline' })
  t.match((await gw.app.history.changes(region.name, 0)).find(c => c.cctv_id === '5'), { kind: 'first_seen', to_status: 'offline', trigger: 'manual', started_by: 'demo' }, 'camera 5 first seen down: first_seen, by the operator who saw it')
})
