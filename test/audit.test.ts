import t from 'tap'
import { readFileSync } from 'node:fs'
import { eventually, startGateway } from './helpers/app.js'
import { CAMERA_PASSWORD } from '../sim/inventory.js'

// Hardening 3: the audit trail.

t.test('the audit log records who, where, what, when, outcome and duration; never a password; URL credentials masked', async t => {
  const gw = await startGateway(t, { regions: [{ name: '대구', servers: 2, cameras: 8, logs: ['2025-03-13'], hls: true }], env: { HLS_STOP_GRACE_MS: '0' }, captureLogs: true })
  const region = gw.regions[0]
  const b = gw.browser()
  const secret = 'S3cret-\'"$pw'
  await b.connect(region, 'demo', secret) // refused
  await b.connect(region)
  const cam = region.inventory.find(c => c.url.includes('%2F1418'))!
  await b.post('/api/gstreamer_log', { inference_id: 'svr20', date: '2025-03-13', find_word: 'Reconnect 7 ' })
  await b.post('/api/ffmpeg_log', { inference_id: 'svr10', date: '2025-03-13', find_word: cam.url })
  await b.post('/api/run_ffprobe', { inference_id: 'svr10', url: cam.url })
  await b.post('/api/cctv_data')
  await b.post('/api/hls_tunnel', { inference_id: 'svr10', cctv_id: 1 })
  await b.post('/api/hls_tunnel_stop')
  await b.post('/api/ssh_disconnect')
  const file = gw.app.config.env.AUDIT_LOG
  t.ok(await eventually(() => readFileSync(file, 'utf8').includes('"route":"/api/ssh_disconnect"')), 'written')
  const text = readFileSync(file, 'utf8')
  const lines = text.trim().split('\n').map(l => JSON.parse(l))

  const api = (route: string): any[] => lines.filter(l => l.event === 'api' && l.route === route)
  const [failed, ok] = api('/api/ssh_connect')
  t.match(failed, { outcome: 'denied', status: 401, user: 'demo', region: '대구', client: '127.0.0.1', session: /^[0-9a-f]{16}$/ })
  t.match(ok, { outcome: 'ok', status: 200, user: 'demo', region: '대구' })
  t.type(ok.ms, 'number')
  t.match(ok.ts, /^\d{4}-\d\d-\d\dT/)
  t.match(api('/api/gstreamer_log')[0], { user: 'demo', region: '대구', target: { inference_id: 'svr20', date: '2025-03-13', find_word: 'Reconnect 7 ' }, outcome: 'ok', status: 200 })
  t.match(api('/api/run_ffprobe')[0], { target: { url: /^rtsp:\/\/admin:\*\*\*@/ } })
  t.ok(api('/api/cctv_data').length === 1 && api('/api/hls_tunnel').length === 1 && api('/api/hls_tunnel_stop').length === 1 && api('/api/ssh_disconnect').length === 1)

  const execs = lines.filter(l => l.event === 'exec')
  t.ok(execs.some(e => e.server === 2 && /fwmaint-log-search Reconnect 7 /.test(e.command)), 'the log search ran on server 2 and is recorded there')
  t.ok(execs.some(e => e.server === 1 && /^docker ps/.test(e.command)), 'docker ps on server 1')
  t.ok(execs.some(e => /docker exec \S+ ffprobe .*rtsp:\/\/admin:\*\*\*@/.test(e.command)), 'the probe, URL masked')
  t.ok(execs.every(e => e.user === 'demo' && typeof e.ms === 'number' && e.session === ok.session), 'each command says who and how long')
  t.ok(lines.some(l => l.event === 'hls_close' && l.detail === 'stopped'), 'the tunnel\'s end')
  t.ok(lines.some(l => l.event === 'ssh_close' && l.detail === 'ssh_disconnect'), 'the session\'s end')

  for (const s of [secret, CAMERA_PASSWORD, encodeURIComponent(CAMERA_PASSWORD).replace('!', '%21'), '"demo","password"']) {
    t.notOk(text.includes(s), `audit log does not contain ${JSON.stringify(s)}`)
    t.notOk(JSON.stringify(gw.logs).includes(s), `application log does not contain ${JSON.stringify(s)}`)
  }
})

t.test('the audit log is append-only: a restart adds to it', async t => {
  const first = await startGateway(t)
  const file = first.app.config.env.AUDIT_LOG
  await first.browser().post('/api/page_url', { region: first.regions[0].name })
  await first.app.close()
  const before = readFileSync(file, 'utf8').trim().split('\n').length
  const second = await startGateway(t, { env: { AUDIT_LOG: file } })
  await second.browser().post('/api/page_url', { region: 'nope' })
  await second.app.close()
  const after = readFileSync(file, 'utf8').trim().split('\n')
  t.equal(after.length, before + 1)
  t.match(JSON.parse(after[after.length - 1]), { route: '/api/page_url', status: 404, outcome: 'error' })
})
