import t from 'tap'
import { execFileSync } from 'node:child_process'
import { appendFileSync, existsSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { startGateway } from './helpers/app.js'
import { HOSTILE_VALUES } from './helpers/hostile.js'
import { FIXTURE_DAY, ROTATED_DAY } from '../sim/logs.js'

// Routes 7 and 8 of docs/api-contract.md, against a simulated region with three
// analysis servers (2 and 3 only through server 1) and real log files.

const DAYS = [ROTATED_DAY, FIXTURE_DAY, '2025-03-14']

const gw = await startGateway(t, {
  regions: [{ name: '대구', servers: 3, cameras: 120, logs: DAYS, hopUsers: { 3: { username: 'ops', password: 'ops-own-pw' } } }],
  env: { LOG_MAX_LINES: '5000' }
})
const region = gw.regions[0]
const b = gw.browser()
t.equal((await b.connect(region)).status, 200)

function file (kind: 'gstreamer' | 'ffmpeg', server: number, gpu: number, date: string): string {
  return region.logs[kind].replace('{server}', String(server)).replace('{gpu}', String(gpu)).replace('{date}', date)
}

/** What `grep -F` finds in the same file, run locally: the reference answer. */
function localGrep (f: string, word: string): string[] {
  try {
    const out = execFileSync('grep', ['-F', '-a', '-e', word, '--', f], { env: { LC_ALL: 'C' }, maxBuffer: 256 * 1024 * 1024 })
    return new TextDecoder().decode(out).split('\n').slice(0, -1)
  } catch (err) {
    if ((err as { status: number }).status === 1) return []
    throw err
  }
}

t.test('not connected: 400 "not connected"', async t => {
  for (const route of ['/api/ffmpeg_log', '/api/gstreamer_log']) {
    const r = await gw.browser().post(route, { inference_id: 'svr10', date: FIXTURE_DAY, find_word: 'x' })
    t.same([r.status, r.body], [400, { code: 'NOT_CONNECTED', message: 'not connected' }], route)
  }
})

t.test('a bad inference_id: 400 "inference_id is not in the expected format."', async t => {
  for (const id of ['svr', 'svr1', 'svr40', 'svr010', 'svr1a', 'SVR10', 'svr10 ', ' svr10', '../svr10', 'svr10;ls', 'svr1\n0', 'svr-10', 'svr٣0', '', 10, null, ['svr10'], { a: 1 }, undefined]) {
    const body: Record<string, unknown> = { date: FIXTURE_DAY, find_word: 'x' }
    if (id !== undefined) body.inference_id = id
    const r = await b.post('/api/gstreamer_log', body)
    t.same([r.status, r.body], [400, { code: 'BAD_INFERENCE_ID', message: 'inference_id is not in the expected format.' }], JSON.stringify(id))
  }
})

t.test('a date that is not a real YYYY-MM-DD: 400, nothing run', async t => {
  const before = region.server1.stats.execs
  for (const date of ['2025-02-30', '2025-13-01', '2025-00-10', '25-03-13', '2025-3-13', '2025-03-13 ', '../../etc/passwd', '2025-03-13/../x', '', '2025/03/13', 20250313]) {
    const r = await b.post('/api/ffmpeg_log', { inference_id: 'svr10', date, find_word: 'x' })
    t.equal(r.status, 400, JSON.stringify(date))
    t.type(r.body.message, 'string')
  }
  t.equal(region.server1.stats.execs, before, 'no remote command was run')
})

t.test('a missing log file: 404 whose message contains "No such file or directory"', async t => {
  for (const [route, id] of [['/api/gstreamer_log', 'svr10'], ['/api/ffmpeg_log', 'svr21'], ['/api/gstreamer_log', 'svr31']]) {
    const r = await b.post(route, { inference_id: id, date: '2024-01-01', find_word: 'Reconnect 1' })
    t.equal(r.status, 404, `${route} ${id}`)
    t.match(r.body.message, /No such file or directory/)
  }
})

t.test('the search runs on the server that holds the file: svr10 on 1, svr21 through the hop to 2', async t => {
  const e1 = region.servers.get(1)!.stats.execs
  const e2 = region.servers.get(2)!.stats.execs
  t.equal((await b.post('/api/gstreamer_log', { inference_id: 'svr10', date: FIXTURE_DAY, find_word: 'x' })).status, 200)
  t.equal(region.servers.get(1)!.stats.execs, e1 + 1)
  t.equal(region.servers.get(2)!.stats.execs, e2)
  t.equal((await b.post('/api/gstreamer_log', { inference_id: 'svr21', date: FIXTURE_DAY, find_word: 'x' })).status, 200)
  t.equal(region.servers.get(2)!.stats.execs, e2 + 1)
  t.equal(region.servers.get(1)!.stats.execs, e1 + 1, 'server 1 only carried the hop')
  t.equal(region.servers.get(2)!.stats.connections, 1, 'the hop connection is reused')
  await b.post('/api/gstreamer_log', { inference_id: 'svr20', date: FIXTURE_DAY, find_word: 'x' })
  t.equal(region.servers.get(2)!.stats.connections, 1, 'still one hop connection')
})

t.test('a real camera URL is found exactly as grep -F finds it locally, on every server', async t => {
  for (const cam of region.inventory.filter(c => c.url.includes('%2F1418%21%40%23@')).slice(0, 6)) {
    const [server, gpu] = [Number(cam.inference_id[3]), Number(cam.inference_id[4])]
    const r = await b.post('/api/ffmpeg_log', { inference_id: cam.inference_id, date: FIXTURE_DAY, find_word: cam.url })
    t.equal(r.status, 200, cam.inference_id)
    const expected = localGrep(file('ffmpeg', server, gpu, FIXTURE_DAY), cam.url)
    t.ok(expected.length > 0, `${cam.url} is in the log`)
    t.same(r.body.message, expected, `${cam.inference_id}: byte-exact, file order`)
    t.notOk('truncated' in r.body)
  }
})

t.test('the controller log of the fixture day: "Reconnect stream_1" and "Connect failed list" lines as grep finds them', async t => {
  const f = file('gstreamer', 1, 0, FIXTURE_DAY)
  for (const word of ['Reconnect stream_1 ', 'Connect failed list', 'No supported authentication protocol was found', '대촌마을']) {
    const r = await b.post('/api/gstreamer_log', { inference_id: 'svr10', date: FIXTURE_DAY, find_word: word })
    t.same(r.body.message, localGrep(f, word), word)
    t.ok(r.body.message.length > 0, `${word}: found`)
  }
})

t.test('the client\'s own search, "Reconnect <cctv_ID>", on a generated day', async t => {
  const cam = region.inventory.find(c => c.inference_id === 'svr30' && c.cctv_ID > 6)!
  const word = `Reconnect ${cam.cctv_ID} `
  const r = await b.post('/api/gstreamer_log', { inference_id: 'svr30', date: '2025-03-14', find_word: word })
  t.same(r.body.message, localGrep(file('gstreamer', 3, 0, '2025-03-14'), word))
})

t.test('find_word is literal: regex and glob characters match only themselves', async t => {
  const f = file('gstreamer', 1, 0, FIXTURE_DAY)
  for (const word of ['.*', 'stream_.', '[0-9]', '^2025', 'add success$', '\\d', 'a|b', '(', '*']) {
    const r = await b.post('/api/gstreamer_log', { inference_id: 'svr10', date: FIXTURE_DAY, find_word: word })
    t.equal(r.status, 200, word)
    t.same(r.body.message, localGrep(f, word), word)
  }
})

t.test('a hostile find_word corpus: literal matches come back byte-exact and nothing is executed', async t => {
  // Plant lines that contain each hostile value in a log of server 3 (reached through the hop).
  const f = file('gstreamer', 3, 1, '2025-03-14')
  const canary = path.join(region.servers.get(3)!.root, 'PWNED')
  const values = HOSTILE_VALUES(canary).filter(v => v !== '' && !/[\r\n]/.test(v) && v.length <= 4096)
  appendFileSync(f, values.map((v, i) => `2025-03-14 23:59:59,${String(i).padStart(3, '0')} - controller_logger - 1 - INFO - planted ${v} end\n`).join(''))
  t.teardown(() => { rmSync(canary, { force: true }) })
  for (const v of values) {
    const r = await b.post('/api/gstreamer_log', { inference_id: 'svr31', date: '2025-03-14', find_word: v })
    t.equal(r.status, 200, JSON.stringify(v).slice(0, 60))
    const expected = readFileSync(f, 'latin1').split('\n').filter(l => l.includes(Buffer.from(v).toString('latin1'))).map(l => Buffer.from(l, 'latin1').toString('utf8'))
    t.same(r.body.message, expected.slice(0, 5000), `${JSON.stringify(v).slice(0, 60)}: literal matches only`)
  }
  t.notOk(existsSync(canary), 'the canary file was never created on the site')
})

t.test('find_word that cannot be searched literally: 400 (empty, multi-line, over 4096 characters, not a string)', async t => {
  for (const word of ['', 'a\nb', 'a\rb', 'x'.repeat(4097), 42, null, ['a']]) {
    const r = await b.post('/api/gstreamer_log', { inference_id: 'svr10', date: FIXTURE_DAY, find_word: word })
    t.equal(r.status, 400, JSON.stringify(word).slice(0, 30))
    t.type(r.body.message, 'string')
  }
})

t.test('lines that are not UTF-8 come back as text', async t => {
  const r = await b.post('/api/ffmpeg_log', { inference_id: 'svr11', date: FIXTURE_DAY, find_word: 'invalid UTF-8' })
  t.equal(r.status, 200)
  t.equal(r.body.message.length, 1)
  t.match(r.body.message[0], /metadata title: \uFFFD\uFFFD\uFFFD\( \(invalid UTF-8\)$/)
})

t.test('a rotated .gz day is searched too', async t => {
  const gz = file('gstreamer', 2, 0, ROTATED_DAY) + '.gz'
  t.ok(existsSync(gz) && !existsSync(gz.slice(0, -3)), 'that day exists only compressed')
  const r = await b.post('/api/gstreamer_log', { inference_id: 'svr20', date: ROTATED_DAY, find_word: 'Starting pipeline' })
  t.equal(r.status, 200)
  t.equal(r.body.message.length, 1)
  t.match(r.body.message[0], /^2025-03-12 .* - INFO - Starting pipeline$/)
})

t.test('results are capped (LOG_MAX_LINES) with "truncated": true, in file order', async t => {
  const small = await startGateway(t, { regions: [{ name: 'x', logs: [FIXTURE_DAY] }], env: { LOG_MAX_LINES: '7' } })
  const bb = small.browser()
  await bb.connect(small.regions[0])
  const f = small.regions[0].logs.gstreamer.replace('{server}', '1').replace('{gpu}', '0').replace('{date}', FIXTURE_DAY)
  const all = localGrep(f, 'add success')
  t.ok(all.length > 7)
  const r = await bb.post('/api/gstreamer_log', { inference_id: 'svr10', date: FIXTURE_DAY, find_word: 'add success' })
  t.same(r.body, { message: all.slice(0, 7), truncated: true })
  const exact = await bb.post('/api/gstreamer_log', { inference_id: 'svr10', date: FIXTURE_DAY, find_word: 'Exiting app' })
  t.notOk('truncated' in exact.body, 'not marked when under the cap')
})

t.test('a hop whose own password is refused: 401 "Authentication failed", and server 1 keeps working', async t => {
  const g = await startGateway(t, {
    regions: [{ name: '대구', servers: 3, logs: [FIXTURE_DAY], hopUsers: { 3: { username: 'ops', password: 'right' } } }],
    patch: doc => { doc.regions['대구'].servers[3].password = 'wrong' }
  })
  const bb = g.browser()
  await bb.connect(g.regions[0])
  const r = await bb.post('/api/gstreamer_log', { inference_id: 'svr30', date: FIXTURE_DAY, find_word: 'Starting' })
  t.same([r.status, r.body], [401, { code: 'LOGIN_FAILED', message: 'Authentication failed' }])
  const ok = await bb.post('/api/gstreamer_log', { inference_id: 'svr10', date: FIXTURE_DAY, find_word: 'Starting' })
  t.equal(ok.status, 200)
  t.equal((await bb.get('/api/ssh_status')).body.status, 'connected')
  const two = await bb.post('/api/gstreamer_log', { inference_id: 'svr20', date: FIXTURE_DAY, find_word: 'Starting' })
  t.equal(two.status, 200, 'server 2 with the session\'s credentials works')
})

t.test('a hop with its own right credentials works (svr3 logs in as ops)', async t => {
  const r = await b.post('/api/gstreamer_log', { inference_id: 'svr31', date: FIXTURE_DAY, find_word: 'Starting pipeline' })
  t.equal(r.status, 200)
  t.equal(r.body.message.length, 1)
})

t.test('an unreachable hop: 500 with the cause; server 1 keeps working', async t => {
  const g = await startGateway(t, { regions: [{ name: '대구', servers: 2, logs: [FIXTURE_DAY] }] })
  const bb = g.browser()
  await bb.connect(g.regions[0])
  await g.regions[0].servers.get(2)!.close()
  const r = await bb.post('/api/gstreamer_log', { inference_id: 'svr20', date: FIXTURE_DAY, find_word: 'x' })
  t.equal(r.status, 500)
  // OpenSSH explains a refused forward ("Connection refused"); ssh2's Server cannot, so "Connection failed".
  t.match(r.body.message, /^server 2: Connection (refused|failed)$/)
  t.equal((await bb.post('/api/gstreamer_log', { inference_id: 'svr10', date: FIXTURE_DAY, find_word: 'x' })).status, 200)
})

t.test('disconnect closes the hops too', async t => {
  const g = await startGateway(t, { regions: [{ name: '대구', servers: 3, logs: [FIXTURE_DAY] }] })
  const bb = g.browser()
  await bb.connect(g.regions[0])
  await bb.post('/api/gstreamer_log', { inference_id: 'svr20', date: FIXTURE_DAY, find_word: 'x' })
  await bb.post('/api/gstreamer_log', { inference_id: 'svr30', date: FIXTURE_DAY, find_word: 'x' })
  const { eventually } = await import('./helpers/app.js')
  const s2 = g.regions[0].servers.get(2)!
  const s3 = g.regions[0].servers.get(3)!
  t.equal(s2.stats.connections + s3.stats.connections, 2)
  await bb.post('/api/ssh_disconnect')
  t.ok(await eventually(() => s2.openConnections === 0 && s3.openConnections === 0), 'hop connections closed on the servers')
})

