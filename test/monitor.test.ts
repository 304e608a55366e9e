import t from 'tap'
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { eventually, startGateway } from './helpers/app.js'
import { parseRegions } from '../lib/config/regions.js'

// Issue 15, 1 and 2: a region's `monitor` block (service identity, schedule) and the scheduler:
// sweeps in the background on the service identity's own SSH connection, every camera kept
// in the history store as `scheduled`; skipped while one runs; failures kept with why; the
// monitor password in no log line or audit record.

const SECRET = "m0n'itor$pw"
const dir = mkdtempSync(path.join(os.tmpdir(), 'fwmon-'))
const pwFile = path.join(dir, 'monitor.pw')
writeFileSync(pwFile, SECRET + '\n')
chmodSync(pwFile, 0o600)

t.test('the monitor block: every or cron, id, password from a private file or the environment', async t => {
  const base = { ssh: { host: 'h', port: 22 }, page_url: 'http://h/' }
  const r = parseRegions({ regions: { a: { ...base, monitor: { every: '15m', id: 'svc', password_file: pwFile } } } }).get('a')!
  t.same(r.monitor, { everyMs: 900_000, cron: undefined, id: 'svc', password: SECRET, picture: false, held: false }, 'the file\'s password, without its newline')
  process.env.FWMAINT_TEST_MONITOR_PW = 'from-env'
  t.equal(parseRegions({ regions: { a: { ...base, monitor: { cron: '0 */15 * * * *', id: 'svc', password_env: 'FWMAINT_TEST_MONITOR_PW' } } } }).get('a')!.monitor!.password, 'from-env')
  t.equal(parseRegions({ regions: { a: base } }).get('a')!.monitor, undefined, 'no block: not swept in the background')
  const open = path.join(dir, 'open.pw')
  writeFileSync(open, 'x')
  chmodSync(open, 0o644)
  t.throws(() => parseRegions({ regions: { a: { ...base, monitor: { every: '5m', id: 'svc', password_file: open } } } }), /region "a": field "monitor\.password_file": .*readable by group or others \(mode 644\)/)
  t.throws(() => parseRegions({ regions: { a: { ...base, monitor: { every: '5m', cron: '* * * * *', id: 'svc', password_file: pwFile } } } }), /exactly one of every, cron/)
  t.throws(() => parseRegions({ regions: { a: { ...base, monitor: { every: '5m', id: 'svc' } } } }), /exactly one of password_file, password_env/)
  t.throws(() => parseRegions({ regions: { a: { ...base, monitor: { every: '5m', id: 'svc', password_env: 'FWMAINT_NOT_SET_ANYWHERE' } } } }), /FWMAINT_NOT_SET_ANYWHERE is not set/)
  t.throws(() => parseRegions({ regions: { a: { ...base, monitor: { every: '5 minutes', id: 'svc', password_file: pwFile } } } }), /field "monitor\.every"/)
})

t.test('scheduled sweeps: every camera kept as scheduled, on the service identity\'s own connection; a stopped container shows as down since that sweep', async t => {
  const gw = await startGateway(t, {
    regions: [{ name: '대구', cameras: 8, servers: 2, users: [{ username: 'demo', password: 'demo' }, { username: 'svc', password: SECRET }] }],
    patch: doc => { doc.regions['대구'].monitor = { every: '2s', id: 'svc', password_file: pwFile } },
    captureLogs: true
  })
  const region = gw.regions[0]
  t.ok(gw.app.monitors.has('대구'))
  let sweeps: Awaited<ReturnType<typeof gw.app.history.sweeps>> = []
  t.ok(await eventually(async () => { sweeps = await gw.app.history.sweeps('대구'); return sweeps.some(s => s.state === 'done') }, 30_000, 200), 'a scheduled sweep ran and was kept')
  const first = sweeps.find(s => s.state === 'done')!
  t.match(first, { trigger: 'scheduled', started_by: null, total: 8, done: 8 })
  t.equal((await gw.app.history.cameras('대구')).length, 8, 'every camera has a state')
  t.equal(gw.app.sites.size, 0, 'no operator session was used or left behind')
  t.ok(await eventually(() => region.server1.openConnections === 0, 5000), 'the service connection is closed after the sweep')

  // Server 2's FireWatcher container stops: its cameras are down from the sweep that sees it.
  const stoppedAt = Date.now()
  region.servers.get(2)!.setContainerState('firewatcher', 'exited')
  t.teardown(() => { region.servers.get(2)!.setContainerState('firewatcher', 'running') })
  const onServer2 = region.inventory.filter(c => c.inference_id.startsWith('svr2')).map(c => String(c.cctv_ID))
  t.ok(onServer2.length > 0)
  let changes: Awaited<ReturnType<typeof gw.app.history.changes>> = []
  t.ok(await eventually(async () => { changes = await gw.app.history.changes('대구', stoppedAt); return onServer2.every(id => changes.some(c => c.cctv_id === id && c.to_status === 'error')) }, 30_000, 200), 'changes since then list every camera of server 2')
  const cams = new Map((await gw.app.history.cameras('대구')).map(c => [c.cctv_id, c]))
  for (const id of onServer2) {
    const change = changes.find(c => c.cctv_id === id && c.to_status === 'error')!
    t.match(cams.get(id), { status: 'error', since: change.at }, `camera ${id}: down since the sweep that saw it`)
  }

  // The service password is in no log line and no audit record.
  await gw.app.close()
  const audit = readFileSync(gw.app.config.env.AUDIT_LOG, 'utf8')
  t.ok(audit.includes('"user":"svc"') && audit.includes('"client":"monitor"'), 'the monitor\'s commands are audited as its own identity')
  t.notOk(audit.includes(SECRET), 'not in the audit log')
  t.notOk(JSON.stringify(gw.logs).includes(SECRET), 'not in the gateway log')
  t.ok(gw.logs.some(l => l.msg === 'scheduled health sweep' && l.state === 'done'), 'each sweep logged')
})

t.test('a tick while the sweep runs is kept as skipped; a refused login is kept as failed with why', async t => {
  process.env.FWMAINT_TEST_DEMO_PW = 'demo'
  const never = '0 0 0 1 1 *' // 1 January: the test ticks by hand
  const gw = await startGateway(t, {
    regions: [{ name: 'a', cameras: 3 }, { name: 'b', host: '127.0.0.2', cameras: 3 }],
    patch: doc => {
      doc.regions.a.monitor = { cron: never, id: 'demo', password_file: pwFile } // not demo's password
      doc.regions.b.monitor = { cron: never, id: 'demo', password_env: 'FWMAINT_TEST_DEMO_PW' }
    },
    captureLogs: true
  })
  await gw.app.monitors.get('a')!.tick()
  t.match(await gw.app.history.sweeps('a'), [{ trigger: 'scheduled', state: 'failed', failure: 'Authentication failed', total: 0 }])
  const b = gw.app.monitors.get('b')!
  const first = b.tick()
  t.ok(b.busy)
  await b.tick()
  await first
  const kept = await gw.app.history.sweeps('b')
  t.same(kept.map(s => s.state).sort(), ['done', 'skipped'])
  t.match(kept.find(s => s.state === 'skipped'), { failure: 'the previous sweep was still running', total: 0 })
  t.notOk(JSON.stringify(gw.logs).includes(SECRET), 'the refused password is in no log line')
})

t.test('closing the gateway (SIGTERM) cancels a running scheduled sweep and kills its remote probes; it is kept as cancelled', async t => {
  process.env.FWMAINT_TEST_DEMO_PW = 'demo'
  const gw = await startGateway(t, {
    regions: [{ name: 'a', cameras: 6, rtsp: true }],
    patch: doc => { doc.regions.a.monitor = { cron: '0 0 0 1 1 *', id: 'demo', password_env: 'FWMAINT_TEST_DEMO_PW' } },
    env: { HEALTH_PROBE_TIMEOUT_SECONDS: '12' },
    captureLogs: true
  })
  const site = gw.regions[0].server1
  const running = gw.app.monitors.get('a')!.tick()
  t.ok(await eventually(() => site.stats.probesRunning > 0, 15_000), 'probing on the site')
  // Camera 6 is silent: its probe would run 12 s.
  await eventually(() => site.stats.probesRunning === 1, 15_000)
  const closing = Date.now()
  await gw.app.close()
  await running
  t.ok(Date.now() - closing < 8000, `closed in ${Date.now() - closing} ms, not after the probe's 12 s`)
  t.ok(await eventually(() => site.stats.probesRunning === 0, 8000), 'no ffprobe left running on the site')
  t.ok(gw.logs.some(l => l.msg === 'scheduled health sweep' && l.state === 'cancelled'), 'kept (and logged) as cancelled')
})
