import t from 'tap'
import type { Test } from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { eventually, startGateway, type Browser, type Gateway } from './helpers/app.js'

// Hardening 5: faults end in the documented error, nothing is left running on the site,
// and the gateway keeps serving other sessions.

const HANG_DAY = '2025-03-20'
const regions = [{ name: '대구', servers: 2, logs: ['2025-03-13'] }, { name: '부산', host: '127.0.0.2', logs: ['2025-03-13'] }]

/** A log "file" that is a FIFO with no writer: grep blocks opening it, as on a hung NFS mount. */
function plantHang (gw: Gateway, region = 0, server = 1): void {
  const f = gw.regions[region].logs.gstreamer.replace('{server}', String(server)).replace('{gpu}', '0').replace('{date}', HANG_DAY)
  mkdirSync(path.dirname(f), { recursive: true })
  execFileSync('mkfifo', [f])
}

/** Two regions, a hang planted on the first's server 1, a session connected to it. */
async function hungSession (t: Test, logSearchTimeoutSec: number): Promise<{ gw: Gateway, b: Browser }> {
  const gw = await startGateway(t, { regions, env: { LOG_SEARCH_TIMEOUT_SECONDS: String(logSearchTimeoutSec) } })
  plantHang(gw)
  const b = gw.browser()
  await b.connect(gw.regions[0])
  return { gw, b }
}

async function otherSessionWorks (t: Test, gw: Gateway): Promise<void> {
  const other = gw.browser()
  t.equal((await other.connect(gw.regions[1])).status, 200, 'another session can connect')
  const r = await other.post('/api/gstreamer_log', { inference_id: 'svr10', date: '2025-03-13', find_word: 'Starting pipeline' })
  t.equal(r.status, 200, 'and search its logs')
  await other.post('/api/ssh_disconnect')
}

t.test('a command that hangs: 500 "… Timeout" at the limit, and nothing is left running', async t => {
  const { gw, b } = await hungSession(t, 1)
  const r = await b.post('/api/gstreamer_log', { inference_id: 'svr10', date: HANG_DAY, find_word: 'x' })
  t.equal(r.status, 500)
  t.match(r.body.message, /Timeout/)
  t.ok(await eventually(() => gw.regions[0].server1.runningProcesses === 0, 5000), 'the remote process ended')
  t.equal((await b.post('/api/gstreamer_log', { inference_id: 'svr10', date: '2025-03-13', find_word: 'Starting' })).status, 200, 'the session still works')
  await otherSessionWorks(t, gw)
})

t.test('the client disconnects mid-request: the remote process is stopped, not left to its timeout', async t => {
  const { gw, b } = await hungSession(t, 30)
  const req = await gw.postThenLeave(b, '/api/gstreamer_log', { inference_id: 'svr10', date: HANG_DAY, find_word: 'x' })
  const site = gw.regions[0].server1
  t.ok(await eventually(() => site.runningProcesses > 0, 5000), 'the search is running on the site')
  const abortedAt = Date.now()
  req.destroy()
  t.ok(await eventually(() => site.runningProcesses === 0, 8000), 'stopped after the client left')
  t.ok(Date.now() - abortedAt < 10_000, `within ${Date.now() - abortedAt} ms, not the 30 s limit`)
  t.ok(site.stats.commands.some(c => /^kill -TERM -\d+ /.test(c)), 'by killing its process group')
  const mine = `[f]wmaint-log-search x ${gw.regions[0].root}`
  t.equal(execFileSync('sh', ['-c', `pgrep -f "${mine}" || true`]).toString().trim(), '', 'not a grep of this site left on the machine')
  await otherSessionWorks(t, gw)
})

t.test('the site\'s SSH server dies mid-request: 500, the session reads disconnected, others keep working', async t => {
  const { gw, b } = await hungSession(t, 30)
  const pending = b.post('/api/gstreamer_log', { inference_id: 'svr10', date: HANG_DAY, find_word: 'x' })
  t.ok(await eventually(() => gw.regions[0].server1.runningProcesses > 0, 5000))
  gw.regions[0].server1.dropConnections()
  const r = await pending
  t.equal(r.status, 500)
  t.match(r.body.message, /Connection lost|closed/)
  t.same((await b.get('/api/ssh_status')).body, { status: 'disconnected' })
  t.same((await b.post('/api/cctv_data')).body, { code: 'NOT_CONNECTED', message: 'not connected' }, 'later calls: not connected')
  await otherSessionWorks(t, gw)
})

t.test('a hop server that goes down: 500 with the cause; server 1 keeps working', async t => {
  const gw = await startGateway(t, { regions })
  const b = gw.browser()
  await b.connect(gw.regions[0])
  t.equal((await b.post('/api/gstreamer_log', { inference_id: 'svr20', date: '2025-03-13', find_word: 'x' })).status, 200, 'hop up')
  await gw.regions[0].servers.get(2)!.close()
  const r = await b.post('/api/gstreamer_log', { inference_id: 'svr20', date: '2025-03-13', find_word: 'x' })
  t.equal(r.status, 500)
  t.match(r.body.message, /^server 2: (Connection lost|Connection (refused|failed))$/, r.body.message)
  t.equal((await b.post('/api/gstreamer_log', { inference_id: 'svr10', date: '2025-03-13', find_word: 'x' })).status, 200)
  t.equal((await b.get('/api/ssh_status')).body.status, 'connected')
})

t.test('a log rotated mid-day: the compressed part and the live file are both searched, older first', async t => {
  const gw = await startGateway(t, { regions })
  const f = gw.regions[0].logs.gstreamer.replace('{server}', '1').replace('{gpu}', '1').replace('{date}', '2025-03-21')
  mkdirSync(path.dirname(f), { recursive: true })
  writeFileSync(f + '.gz', gzipSync('2025-03-21 00:00:01,000 - controller_logger - 1 - WARNING - Reconnect 9 : old\n2025-03-21 00:00:02,000 - x\n'))
  writeFileSync(f, '2025-03-21 12:00:00,000 - controller_logger - 1 - WARNING - Reconnect 9 : new\n')
  const b = gw.browser()
  await b.connect(gw.regions[0])
  const r = await b.post('/api/gstreamer_log', { inference_id: 'svr11', date: '2025-03-21', find_word: 'Reconnect 9 ' })
  t.same(r.body.message, [
    '2025-03-21 00:00:01,000 - controller_logger - 1 - WARNING - Reconnect 9 : old',
    '2025-03-21 12:00:00,000 - controller_logger - 1 - WARNING - Reconnect 9 : new'
  ])
})

t.test('the Mongo container stops: 404 "container not found"; log search keeps working', async t => {
  const gw = await startGateway(t, { regions: [{ name: '대구', cameras: 5, logs: ['2025-03-13'] }] })
  const b = gw.browser()
  await b.connect(gw.regions[0])
  gw.regions[0].server1.setContainerState('mongo', 'exited')
  t.same((await b.post('/api/cctv_data')).body, { code: 'CONTAINER_NOT_FOUND', message: 'container not found' })
  t.equal((await b.post('/api/gstreamer_log', { inference_id: 'svr10', date: '2025-03-13', find_word: 'x' })).status, 200)
})
