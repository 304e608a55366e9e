import t from 'tap'
import { mkdtempSync, readFileSync, symlinkSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { eventually, startGateway, type Browser, type Gateway } from './helpers/app.js'
import { expectedStatus } from './helpers/health.js'
import { CAMERA_PASSWORD } from '../sim/inventory.js'
import { CANCEL_SCRIPT } from '../lib/ops/probe-runner.js'
import { spawn, spawnSync } from 'node:child_process'

// Issue 15, 3: one runner per server per sweep. A POSIX-sh runner inside the FireWatcher
// container (sh, timeout, ffprobe only) gets the camera URLs on stdin, probes N at a time and
// prints one delimited result per camera; the gateway emits per-camera results as before. Real
// sshd-like SSH (the simulator), real sh, real ffprobe, real RTSP cameras.

async function sweep (b: Browser, body: Record<string, unknown> = {}): Promise<any> {
  const start = await b.post('/api/cctv_health', body)
  if (start.status !== 202) throw new Error(`sweep did not start: ${JSON.stringify(start.body)}`)
  let report: any
  await eventually(async () => { report = await b.get('/api/cctv_health'); return report.status === 200 }, 90_000, 100)
  return report.body
}

function runnerExecs (gw: Gateway): string[][] {
  return gw.regions[0] === undefined ? [] : [...gw.regions[0].servers.values()].map(s => s.stats.commands.filter(c => c.includes("'fwmaint-runner'")))
}

const region = { name: '대구', cameras: 16, rtsp: true, logs: true, servers: 2 }

t.test('one docker exec per server for the whole sweep; every camera gets the status a single probe gives it', async t => {
  const gw = await startGateway(t, { regions: [region], env: { HEALTH_CONCURRENCY: '4' } })
  const b = gw.browser()
  t.equal((await b.connect(gw.regions[0])).status, 200)
  for (const s of gw.regions[0].servers.values()) s.stats.commands.length = 0
  const report = await sweep(b)
  t.equal(report.results.length, 16)
  for (const r of report.results) t.equal(r.status, expectedStatus(Number(r.cctv_ID)), `camera ${String(r.cctv_ID)}: ${String(r.status)}`)
  t.ok(report.results.filter((r: any) => r.status === 'online').every((r: any) => r.codec === 'h264' && r.width > 0 && r.probe_ms > 0), 'codec, size and probe time of the live ones')
  for (const [n, list] of runnerExecs(gw).entries()) t.equal(list.length, 1, `server ${n + 1}: one runner exec`)
  const probeExecs = [...gw.regions[0].servers.values()].flatMap(s => s.stats.commands.filter(c => c.includes("'ffprobe'")))
  t.same(probeExecs, [], 'no exec per camera')
  t.ok(await eventually(() => [...gw.regions[0].servers.values()].every(s => s.stats.probesRunning === 0), 5000), 'nothing left running')

  // The same cameras one exec per camera (today's path): the same statuses.
  const exec = await startGateway(t, { regions: [region], env: { HEALTH_RUNNER: 'exec' } })
  const e = exec.browser()
  await e.connect(exec.regions[0])
  const before = await sweep(e)
  const statuses = (rows: any[]): string[] => rows.map(r => `${String(r.cctv_ID)}:${String(r.status)}:${String(r.flapping)}:${String(r.reconnects_today)}`).sort()
  t.same(statuses(report.results), statuses(before.results), 'the same status, flapping and reconnects as one exec per camera')
})

t.test('camera URLs reach the runner on stdin: none (nor its password) is on any command line or in the audit log', async t => {
  const gw = await startGateway(t, { regions: [region] })
  const b = gw.browser()
  await b.connect(gw.regions[0])
  await sweep(b)
  const lines = [...gw.regions[0].servers.values()].flatMap(s => s.stats.commands)
  t.ok(lines.length > 0)
  for (const c of gw.regions[0].inventory) t.notOk(lines.some(l => l.includes(c.url)), `camera ${c.cctv_ID}'s URL is on no command line`)
  t.notOk(lines.some(l => l.includes(CAMERA_PASSWORD) || l.includes(encodeURIComponent(CAMERA_PASSWORD))), 'nor a camera password')
  const audit = readFileSync(gw.app.config.env.AUDIT_LOG, 'utf8')
  t.notOk(audit.includes(CAMERA_PASSWORD) || audit.includes('rtsp://'), 'nor in the audit log')
  t.match(audit, /"command":"docker exec -i \S+ sh -c/, 'the runner exec is audited')
})

t.test('N at a time per server, exactly: at most HEALTH_CONCURRENCY probes run at once, and the limit is reached', async t => {
  for (const n of [2, 8]) {
    const gw = await startGateway(t, { regions: [{ ...region, cameras: 40, servers: 1 }], env: { HEALTH_CONCURRENCY: String(n), HEALTH_PROBE_TIMEOUT_SECONDS: '3' } })
    const b = gw.browser()
    await b.connect(gw.regions[0])
    const site = gw.regions[0].server1
    // Sixteen more cameras that hang until the probe timeout: every slot stays busy for seconds,
    // so the peak is there to see on a busy machine too (fast probes alone may never overlap n).
    const silent = gw.regions[0].inventory.find(c => c.cctv_ID === 6)!.url
    if (n > 2) for (const id of [7, 8, 9, 11, 12, 13, 14, 16, 17, 18, 19, 21, 22, 23, 24, 26]) await gw.regions[0].mongo!.setUrl(id, silent)
    site.countProbes()
    const report = await sweep(b)
    t.equal(report.results.length, 40)
    t.ok(site.stats.maxProbesRunning <= n, `HEALTH_CONCURRENCY=${n}: at most ${site.stats.maxProbesRunning} at once`)
    t.ok(site.stats.maxProbesRunning >= n - 1, `HEALTH_CONCURRENCY=${n}: ${site.stats.maxProbesRunning} at once (the limit is used)`)
    t.ok(n <= 7 || site.stats.maxProbesRunning > 7, 'above the SSH channel limit (8 - 1), which one runner does not use')
  }
})

t.test('cancel kills the runner and every probe it started, on the site, at once', async t => {
  const gw = await startGateway(t, { regions: [{ ...region, cameras: 40, servers: 1 }], env: { HEALTH_CONCURRENCY: '8', HEALTH_PROBE_TIMEOUT_SECONDS: '12' } })
  const b = gw.browser()
  await b.connect(gw.regions[0])
  const site = gw.regions[0].server1
  t.equal((await b.post('/api/cctv_health', {})).status, 202)
  t.ok(await eventually(() => site.stats.probesRunning >= 4, 15_000), 'probing')
  const stopped = Date.now()
  t.match((await b.post('/api/cctv_health/stop')).body, { stopped: true })
  t.ok(await eventually(() => site.stats.probesRunning === 0, 4000), `no ffprobe left on the site after ${Date.now() - stopped} ms (a silent camera's probe alone runs 12 s)`)
  t.ok(site.stats.commands.some(c => c.includes("'fwmaint-cancel'")), 'the runner and its probes were killed inside the container')
})

t.test('the cancel script kills a runner\'s whole tree, `timeout`s in their own process groups included, and nothing else', async t => {
  const alive = (pid: number): boolean => {
    try { return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8')) } catch { return false }
  }
  const pidsOf = (text: string): number[] => text.trim().split(/\s+/).filter(Boolean).map(Number)
  const before = new Set(pidsOf(spawnSync('pgrep', ['-f', '^sleep 60$']).stdout.toString()))
  // A runner-shaped tree: forks probes that fork `timeout sleep` (a new group each) and keeps forking.
  const runner = spawn('/bin/sh', ['-c', 'while :; do (r=$(timeout 60 sleep 60); echo "$r") & sleep 0.05; done'], { stdio: 'ignore' })
  const bystander = spawn('sleep', ['60'], { stdio: 'ignore' })
  t.teardown(() => { runner.kill('SIGKILL'); bystander.kill('SIGKILL') })
  // Wait for the sleeps themselves, not their `timeout`s: on a busy machine a `timeout` is there
  // a moment before the `sleep` it forks has been exec'd (5 timeouts once meant 4 sleeps).
  const newSleeps = (): number[] => pidsOf(spawnSync('pgrep', ['-f', '^sleep 60$']).stdout.toString()).filter(p => !before.has(p) && p !== bystander.pid)
  await eventually(() => newSleeps().length >= 5, 5000)
  const sleeps = newSleeps()
  const r = spawnSync('/bin/sh', ['-c', CANCEL_SCRIPT, 'fwmaint-cancel', String(runner.pid)])
  t.equal(r.status, 0)
  t.equal(r.stderr.toString(), '', 'nothing on stderr (processes vanishing during the walk are not errors)')
  t.ok(sleeps.length >= 5)
  t.ok(await eventually(() => sleeps.every(p => !alive(p)), 3000), 'every probe under the runner is gone')
  t.notOk(alive(runner.pid!), 'the runner is gone')
  // Killed ones may still be exiting a moment on a busy machine; an orphan would live its 60 s.
  const timeouts = (): string => spawnSync('pgrep', ['-f', '^timeout 60 sleep 60$']).stdout.toString()
  t.ok(await eventually(() => timeouts() === '', 3000), `no \`timeout\` left (none was orphaned): ${timeouts().trim()}`)
  t.ok(alive(bystander.pid!), 'a process outside the tree lives on')
  for (const arg of ['', '1', '0x10', '12 13', '$(id)']) {
    t.equal(spawnSync('/bin/sh', ['-c', CANCEL_SCRIPT, 'fwmaint-cancel', arg]).status, 0, `argument ${JSON.stringify(arg)}: does nothing`)
  }
  t.ok(alive(bystander.pid!))
})

t.test('a container without `timeout` (a slim image): the sweep falls back to one exec per camera, with the same statuses', async t => {
  const gw = await startGateway(t, { regions: [{ ...region, servers: 1, cameras: 8 }] })
  const slim = mkdtempSync(path.join(os.tmpdir(), 'fwslim-'))
  symlinkSync('/bin/sh', path.join(slim, 'sh'))
  symlinkSync('/usr/bin/ffprobe', path.join(slim, 'ffprobe'))
  const site = gw.regions[0].server1
  site.setContainerPath('firewatcher', slim)
  const b = gw.browser()
  await b.connect(gw.regions[0])
  const report = await sweep(b)
  for (const r of report.results) t.equal(r.status, expectedStatus(Number(r.cctv_ID)), `camera ${String(r.cctv_ID)}: ${String(r.status)}`)
  t.ok(site.stats.commands.some(c => c.includes("'fwmaint-runner'")), 'the runner was tried')
  t.ok(site.stats.commands.filter(c => c.includes("'ffprobe'")).length >= 8, 'then one exec per camera')
})

t.test('a server that goes away mid-sweep: the cameras it had not answered say why; the other server\'s are probed', async t => {
  // A probe limit of 8 s, not 4: beside three other files on two cores a refused camera's probe
  // once came out `timeout` at 4 s (a whole run with 4 files at a time, session 11).
  const gw = await startGateway(t, { regions: [{ ...region, cameras: 24 }], env: { HEALTH_CONCURRENCY: '2', HEALTH_PROBE_TIMEOUT_SECONDS: '8' } })
  const b = gw.browser()
  await b.connect(gw.regions[0])
  const two = gw.regions[0].servers.get(2)!
  t.equal((await b.post('/api/cctv_health', {})).status, 202)
  t.ok(await eventually(() => two.stats.probesRunning > 0, 15_000))
  two.dropConnections()
  let report: any
  t.ok(await eventually(async () => { report = await b.get('/api/cctv_health'); return report.status === 200 }, 60_000, 100), 'the sweep ends')
  t.equal(report.body.results.length, 24, 'every camera has a row')
  const onTwo = report.body.results.filter((r: any) => r.server === 2)
  t.ok(onTwo.some((r: any) => r.status === 'error' && /server 2/.test(r.error)), 'server 2\'s unanswered cameras: error, naming the server')
  for (const r of report.body.results.filter((r: any) => r.server === 1)) t.equal(r.status, expectedStatus(Number(r.cctv_ID)), `server 1, camera ${String(r.cctv_ID)}: ${String(r.error)}`)
})
