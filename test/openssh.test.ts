import t from 'tap'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { eventually, startGateway } from './helpers/app.js'
import { OPENSSH_USER } from '../sim/openssh.js'
import { expectedStatus } from './helpers/health.js'

// Hardening 6: the contract against real OpenSSH. Every analysis server is Debian's sshd
// (own config and host key on 127.0.0.x, MaxSessions 10, password auth), the login user's
// password contains ', " and $, docker is reachable only through real sudo with that
// password, servers 2 and 3 are real hops. Nothing here relies on the simulator's leniency.

const gw = await startGateway(t, {
  openssh: [{ name: '대구', servers: 3, cameras: 40, logs: ['2025-03-12', '2025-03-13'], rtsp: true, hls: true, hopUsers: { 3: { username: 'x', password: 'x' } } }],
  // A silent camera holds a sweep's probe for 11 s: long enough to tell a kill from an end.
  env: { HEALTH_PROBE_TIMEOUT_SECONDS: '14' }
})
const region = gw.openssh[0]
const { username: ID, password: PW } = OPENSSH_USER
const b = gw.browser()

t.test('ssh_connect with the real password (\' " $ inside): 200; a wrong one: 401', async t => {
  const bad = await gw.browser().connect(region, ID, PW + 'x')
  t.same([bad.status, bad.body], [401, { code: 'LOGIN_FAILED', message: 'Authentication failed' }])
  const r = await b.connect(region, ID, PW)
  t.same([r.status, r.body], [200, { message: 'SSH connect success' }])
  t.same((await b.connect(region, ID, PW)).body, { code: 'ALREADY_CONNECTED', message: 'already connected' })
  t.match((await b.get('/api/ssh_status')).body, { status: 'connected', user: ID })
})

t.test('60 concurrent remote commands on one session against sshd MaxSessions 10: all succeed', async t => {
  const [site] = gw.app.sites.all()
  const { buildCommand } = await import('../lib/ssh/remote-command.js')
  const results = await Promise.all(Array.from({ length: 60 }, async (_, i) =>
    await site.conn.exec(buildCommand({ argv: ['sh', '-c', 'sleep 0.1; echo "$0"', `job-${i}`], timeoutSec: 30 }), { timeoutMs: 30_000 })))
  t.same(results.map(r => r.stdout.toString()), Array.from({ length: 60 }, (_, i) => `job-${i}\n`))
})

t.test('fast commands keep their exit status (exec reply, exit-status and close in one read)', async t => {
  // Before the fix ~1 in 6 such commands against sshd came back with no exit status at all.
  const [site] = gw.app.sites.all()
  const { buildCommand } = await import('../lib/ssh/remote-command.js')
  const codes = await Promise.all(Array.from({ length: 400 }, async (_, i) =>
    (await site.conn.exec(buildCommand({ argv: ['sh', '-c', `exit ${i % 3}`], timeoutSec: 10 }), { timeoutMs: 10_000 })).code))
  t.same(codes, Array.from({ length: 400 }, (_, i) => i % 3))
})

t.test('camera inventory through the SSH forward to the Mongo port, docker via real sudo', async t => {
  const r = await b.post('/api/cctv_data')
  t.equal(r.status, 200, JSON.stringify(r.body).slice(0, 200))
  t.equal(r.body.message.length, 40)
  t.same(r.body.message.map((c: { cctv_ID: number }) => c.cctv_ID), Array.from({ length: 40 }, (_, i) => i + 1))
  t.ok(region.servers.get(1)!.commands.some(c => c.includes("sudo -k -S -p '' -- 'docker' 'ps'")), 'docker ps went through sudo on server 1')
  region.servers.get(1)!.setContainerState('mongo', 'exited')
  t.same((await b.post('/api/cctv_data')).body, { code: 'CONTAINER_NOT_FOUND', message: 'container not found' })
  region.servers.get(1)!.setContainerState('mongo', 'running')
})

t.test('log search on server 1, through the hop to 2, and to 3 with its own credentials; .gz day too', async t => {
  for (const id of ['svr11', 'svr21', 'svr30']) {
    const r = await b.post('/api/gstreamer_log', { inference_id: id, date: '2025-03-13', find_word: 'Starting pipeline' })
    t.same([r.status, r.body.message?.length], [200, 1], id)
  }
  const gz = await b.post('/api/gstreamer_log', { inference_id: 'svr20', date: '2025-03-12', find_word: 'Starting pipeline' })
  t.same([gz.status, gz.body.message.length], [200, 1], 'rotated .gz day')
  t.match((await b.post('/api/ffmpeg_log', { inference_id: 'svr11', date: '2024-01-01', find_word: 'x' })).body.message, /No such file or directory/)
  t.ok(region.servers.get(2)!.commands.some(c => c.includes('fwmaint-log-search')), 'ran on server 2 itself')
  t.ok(region.servers.get(3)!.commands.some(c => c.includes('fwmaint-log-search')), 'ran on server 3 itself')
})

t.test('hostile find_words through real sshd and sh: literal matches, nothing executed', async t => {
  const { HOSTILE_VALUES } = await import('./helpers/hostile.js')
  const canary = path.join(region.servers.get(2)!.root, 'PWNED')
  for (const v of HOSTILE_VALUES(canary).filter(x => x !== '' && !/[\r\n]/.test(x) && x.length <= 4096)) {
    const r = await b.post('/api/gstreamer_log', { inference_id: 'svr21', date: '2025-03-13', find_word: v })
    if (r.status !== 200) t.fail(`${JSON.stringify(v)} → ${r.status} ${JSON.stringify(r.body)}`)
  }
  t.notOk(existsSync(canary), 'canary never created')
  const url = region.inventory.find(c => c.url.includes('%2F1418%21%40%23@') && c.inference_id === 'svr21')!.url
  const r = await b.post('/api/ffmpeg_log', { inference_id: 'svr21', date: '2025-03-13', find_word: url })
  t.ok(r.body.message.length > 0 && r.body.message.every((l: string) => l.includes(url)), 'a real camera URL matches literally')
})

t.test('ffprobe inside the FireWatcher container via real sudo: live camera and a refused one', async t => {
  const live = await b.post('/api/run_ffprobe', { inference_id: 'svr30', url: region.inventory[1].url })
  t.equal(live.body.reachable, true, live.body.message)
  t.equal(live.body.summary.streams[0].codec, 'h264')
  t.match(live.body.message, /rtsp:\/\/admin:\*\*\*@/)
  const dead = await b.post('/api/run_ffprobe', { inference_id: 'svr10', url: region.inventory[4].url })
  t.same([dead.status, dead.body.reachable], [200, false])
  t.match(dead.body.message, /Connection refused/)
})

t.test('a health sweep through real sshd, sudo and the hops: every camera probed from its own server; stop kills the probes', async t => {
  const ids = [1, 2, 3, 4, 5, 6, 10, 15]
  t.equal((await b.post('/api/cctv_health', { ids })).status, 202)
  let report: any
  t.ok(await eventually(async () => { report = await b.get('/api/cctv_health'); return report.status === 200 }, 60_000, 250), 'the sweep completes')
  t.same(report.body.results.map((r: any) => [r.cctv_ID, r.status]).sort((a: number[], b: number[]) => a[0] - b[0]), ids.map(id => [id, expectedStatus(id)]))
  t.same([...new Set(report.body.results.map((r: any) => r.server))].sort(), [1, 2, 3], 'servers 1, 2 (hop) and 3 (hop with its own login)')

  const silent = region.inventory.find(c => c.cctv_ID === 6)!
  const site = region.servers.get(Number(silent.inference_id[3]))!
  await b.post('/api/cctv_health', { ids: [6] })
  t.ok(await eventually(() => site.runningProcesses > 0, 10_000), 'the silent camera\'s probe runs on its server')
  t.same((await b.post('/api/cctv_health/stop')).body, { message: 'health sweep stopped', stopped: true })
  t.ok(await eventually(() => site.runningProcesses === 0, 5000), 'stopped: nothing left running on the real server (the probe alone would run 11 s)')

  // Re-probing it, then leaving before the answer: the probe goes with the client.
  const req = await gw.postThenLeave(b, '/api/cctv_health/reprobe', { id: 6 })
  t.ok(await eventually(() => site.runningProcesses > 0, 10_000), 'the re-probe runs on its server')
  req.destroy()
  t.ok(await eventually(() => site.runningProcesses === 0, 5000), 'the client left: the re-probe is gone from the real server')
})

t.test('HLS through the gateway, via the hop to server 2', async t => {
  const r = await b.post('/api/hls_tunnel', { inference_id: 'svr21', cctv_id: region.inventory.find(c => c.inference_id === 'svr21' && c.cctv_ID > 6)!.cctv_ID })
  t.equal(r.status, 200, JSON.stringify(r.body))
  const res = await gw.app.inject({ method: 'GET', url: new URL(r.body.message).pathname, headers: { cookie: b.cookieHeader() } })
  t.equal(res.statusCode, 200)
  t.match(res.body, /^#EXTM3U/)
  t.equal((await b.get('/api/ssh_status')).body.hls_server, true)
})

t.test('docker without sudo is refused by the real daemon-permission text; sudo with a wrong password is refused', async t => {
  const [site] = gw.app.sites.all()
  const { buildCommand, stdinFor } = await import('../lib/ssh/remote-command.js')
  const plain = await site.conn.exec(buildCommand({ argv: ['docker', 'ps'], timeoutSec: 10 }), { timeoutMs: 10_000 })
  // Without sudo: the real docker CLI where one is installed, else none on PATH; never the containers.
  t.not(plain.code, 0)
  t.match(plain.stderr.toString(), /permission denied while trying to connect to the Docker daemon|Cannot connect to the Docker daemon|docker: (command )?not found/)
  const cmd = { argv: ['docker', 'ps'], timeoutSec: 10, sudo: true }
  const wrong = await site.conn.exec(buildCommand(cmd), { timeoutMs: 10_000, stdin: stdinFor(cmd, 'not-the-password') })
  t.not(wrong.code, 0)
  t.match(wrong.stderr.toString(), /Sorry, try again|incorrect password/)
})

t.test('a client that goes away mid-request: the remote process group is killed on the real server', async t => {
  const { execFileSync } = await import('node:child_process')
  const { mkdirSync } = await import('node:fs')
  const f = region.logs.gstreamer.replace('{server}', '1').replace('{gpu}', '0').replace('{date}', '2025-03-25')
  mkdirSync(path.dirname(f), { recursive: true })
  execFileSync('mkfifo', ['-m', '644', f])
  const req = await gw.postThenLeave(b, '/api/gstreamer_log', { inference_id: 'svr10', date: '2025-03-25', find_word: 'x' })
  const s1 = region.servers.get(1)!
  t.ok(await eventually(() => s1.runningProcesses > 0, 5000), 'the search runs on the site')
  req.destroy()
  t.ok(await eventually(() => s1.runningProcesses === 0, 8000), 'and is gone after the client left')
})

t.test('a log the site user may not read: 500 with grep\'s "Permission denied", not an empty answer', async t => {
  const { chmodSync } = await import('node:fs')
  const f = region.logs.gstreamer.replace('{server}', '2').replace('{gpu}', '1').replace('{date}', '2025-03-13')
  chmodSync(f, 0o600)
  t.teardown(() => chmodSync(f, 0o644))
  const r = await b.post('/api/gstreamer_log', { inference_id: 'svr21', date: '2025-03-13', find_word: 'no match anyway' })
  t.equal(r.status, 500)
  t.match(r.body.message, /^server 2: log search: grep: .*Permission denied$/, r.body.message)
})

t.test('host keys of server 1 and the hops were recorded', async t => {
  const hosts = gw.app.knownHosts.list()
  for (const [n, s] of region.servers) {
    const id = n === 1 ? `${s.host}:${s.port}` : `대구/svr${n} ${s.host}:${s.port}`
    t.match(hosts[id]?.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/, id)
  }
})

t.test('disconnect closes everything', async t => {
  t.same((await b.post('/api/ssh_disconnect')).body, { message: 'SSH disconnect success' })
  t.same((await b.get('/api/ssh_status')).body, { status: 'disconnected' })
})
