import t from 'tap'
import type { Test } from 'tap'
import { startGateway } from './helpers/app.js'
import { CAMERA_PASSWORD } from '../sim/inventory.js'
import { checkStreamUrl, summarize } from '../lib/ops/ffprobe.js'
import { maskSecrets } from '../lib/mask.js'

// Route 9 of docs/api-contract.md: real ffprobe (the simulated FireWatcher image's static
// FFmpeg build; Debian's runs in openssh.test) on real RTSP cameras (GStreamer), run inside the
// simulated FireWatcher container of each camera's analysis server.

// The gateway's own time limit (11 s; its socket timeout 8 s): a live camera that makes a
// pipeline for each client answered after 2 s on a busy machine, past a 5-s limit's 2-s socket
// timeout (a whole run, session 11).
const LIMIT = 11
const gw = await startGateway(t, {
  regions: [{ name: '대구', servers: 3, cameras: 12, rtsp: true }],
  env: { FFPROBE_TIMEOUT_SECONDS: String(LIMIT) }
})
const region = gw.regions[0]
const b = gw.browser()
await b.connect(region)
const cam = (id: number): { url: string, inference_id: string } => region.inventory[id - 1]
const ENCODED = encodeURIComponent(CAMERA_PASSWORD).replace(/!/g, '%21')

function noSecrets (t: Test, body: unknown): void {
  const text = JSON.stringify(body)
  t.notOk(text.includes(CAMERA_PASSWORD), 'the decoded password is not in the answer')
  t.notOk(text.includes(ENCODED), 'the encoded password is not in the answer')
  t.notOk(text.includes('wrong%21pw'), 'a wrong password is not echoed either')
}

t.test('without a session: 400 "not connected"', async t => {
  const r = await gw.browser().post('/api/run_ffprobe', { inference_id: 'svr10', url: cam(1).url })
  t.same([r.status, r.body], [400, { code: 'NOT_CONNECTED', message: 'not connected' }])
})

t.test('a live camera: 200 with ffprobe\'s report and a summary (codec, size, fps)', async t => {
  const r = await b.post('/api/run_ffprobe', cam(1))
  t.equal(r.status, 200)
  t.equal(r.body.reachable, true)
  t.equal(r.body.status, 'online', 'the sweep\'s status, as the console shows it')
  t.match(r.body.message, /Input #0, rtsp, from 'rtsp:\/\/127\.0\.0\.1:\d+\/live'/)
  t.match(r.body.message, /Stream #0:0: Video: h264/)
  t.match(r.body.summary, { format: 'rtsp', streams: [{ index: 0, type: 'video', codec: 'h264', width: 320, height: 240, fps: 10 }] })
})

t.test('a live camera behind credentials, probed through the hop to server 2: reachable, password masked', async t => {
  t.equal(cam(2).inference_id, 'svr11')
  const viaHop = { inference_id: 'svr20', url: cam(2).url }
  const r = await b.post('/api/run_ffprobe', viaHop)
  t.equal(r.status, 200)
  t.equal(r.body.reachable, true, r.body.message)
  t.match(r.body.message, /from 'rtsp:\/\/admin:\*\*\*@127\.0\.0\.1:\d+\/live'/)
  t.equal(r.body.summary.streams[0].codec, 'h264')
  noSecrets(t, r.body)
  t.ok(region.servers.get(2)!.stats.commands.some(c => c.includes('ffprobe')), 'ffprobe ran on server 2')
})

t.test('wrong credentials: 200, reachable false, ffprobe\'s 401 text, masked', async t => {
  const r = await b.post('/api/run_ffprobe', cam(3))
  t.equal(r.status, 200)
  t.equal(r.body.reachable, false)
  t.equal(r.body.status, 'auth_failed', 'told apart from a camera that is down (issue 17, 5)')
  t.match(r.body.message, /401 Unauthorized/)
  t.match(r.body.message, /rtsp:\/\/admin:\*\*\*@/)
  noSecrets(t, r.body)
  t.equal(r.body.attempts, 1, 'no TCP retry for an authorization failure')
})

t.test('a wrong path: 200, reachable false, 404 Not Found', async t => {
  const r = await b.post('/api/run_ffprobe', cam(4))
  t.same([r.status, r.body.reachable], [200, false])
  t.match(r.body.message, /404 Not Found/)
  t.equal(r.body.status, 'not_found')
})

t.test('a camera that refuses: 200, reachable false, Connection refused', async t => {
  const r = await b.post('/api/run_ffprobe', cam(5))
  t.same([r.status, r.body.reachable], [200, false])
  t.match(r.body.message, /Connection refused/)
  t.equal(r.body.status, 'offline')
})

t.test('a camera that hangs: 200, reachable false, within the time limit (two attempts at most)', async t => {
  const started = Date.now()
  const r = await b.post('/api/run_ffprobe', cam(6))
  const took = Date.now() - started
  t.same([r.status, r.body.reachable], [200, false])
  t.match(r.body.message, /did not answer within \d+ s|timed out/)
  t.equal(r.body.status, 'timeout')
  t.equal(r.body.timed_out, true, 'said as a flag')
  t.ok(took < 2 * (LIMIT + 3) * 1000, `answered in ${took} ms, inside 2 x (limit + grace)`)
  t.equal(region.servers.get(3)!.runningProcesses, 0, 'no ffprobe left running on the site')
})

t.test('only stream URLs: options, files and protocol lists are 400, nothing run', async t => {
  const before = region.server1.stats.execs
  for (const url of ['-i', '-f lavfi -i testsrc', 'file:///etc/passwd', '/etc/passwd', 'concat:a.ts|b.ts', 'subfile,,start,0,end,0,,:rtsp://127.0.0.1/x', 'pipe:0', 'data:,abc',
    'rtsp://127.0.0.1/a b', 'rtsp://127.0.0.1/a\nb', 'ftp://127.0.0.1/x', 'rtsp://', 'rtsp:///nohost', 'x'.repeat(10_000), '', 42, null]) {
    const r = await b.post('/api/run_ffprobe', { inference_id: 'svr10', url })
    t.equal(r.status, 400, JSON.stringify(url).slice(0, 40))
    t.type(r.body.message, 'string')
  }
  t.equal(region.server1.stats.execs, before, 'no remote command was run')
})

t.test('a bad inference_id: 400 with the contract\'s message', async t => {
  for (const id of ['svr40', 'svr', 'svr1']) {
    const r = await b.post('/api/run_ffprobe', { inference_id: id, url: cam(1).url })
    t.same([r.status, r.body], [400, { code: 'BAD_INFERENCE_ID', message: 'inference_id is not in the expected format.' }])
  }
})

t.test('the FireWatcher container missing or stopped on that server: 404 "container not found"', async t => {
  region.servers.get(3)!.setContainerState('firewatcher', 'exited')
  t.teardown(() => { region.servers.get(3)!.setContainerState('firewatcher', 'running') })
  const r = await b.post('/api/run_ffprobe', { inference_id: 'svr31', url: cam(1).url })
  t.same([r.status, r.body], [404, { code: 'CONTAINER_NOT_FOUND', message: 'container not found' }])
  const other = await b.post('/api/run_ffprobe', { inference_id: 'svr10', url: cam(1).url })
  t.equal(other.body.reachable, true, `other servers are unaffected: ${String(other.body.message)}`)
})

t.test('checkStreamUrl and the summary parser', async t => {
  for (const u of ['rtsp://h/x', 'RTSP://h:554/x?a=1&b=2', 'rtsps://h/x', 'rtmp://h/app/key', 'http://h/x.m3u8', 'https://h/x', 'srt://h:9000', 'udp://239.0.0.1:1234']) t.doesNotThrow(() => checkStreamUrl(u), u)
  const s = summarize(JSON.stringify({
    streams: [{ index: 0, codec_type: 'video', codec_name: 'hevc', width: 1920, height: 1080, avg_frame_rate: '0/0', r_frame_rate: '30000/1001', bit_rate: '4000000' },
      { index: 1, codec_type: 'audio', codec_name: 'aac', sample_rate: '48000', channels: 2 }],
    format: { format_name: 'rtsp', bit_rate: '4128000' }
  }))
  t.same(s, { format: 'rtsp', bitrate: 4128000, streams: [{ index: 0, type: 'video', codec: 'hevc', width: 1920, height: 1080, fps: 29.97, bitrate: 4000000 }, { index: 1, type: 'audio', codec: 'aac', sample_rate: 48000, channels: 2 }] })
  t.same(summarize('not json'), { format: null, streams: [] })
})

t.test('maskSecrets hides URL passwords, keeps the rest', async t => {
  t.equal(maskSecrets('rtsp://admin:mn%2F1418%21%40%23@192.168.20.152:554/video18?profile=high: 401'), 'rtsp://admin:***@192.168.20.152:554/video18?profile=high: 401')
  t.equal(maskSecrets("from 'rtsp://u:p@h/x' and http://a:b@c/"), "from 'rtsp://u:***@h/x' and http://a:***@c/")
  t.equal(maskSecrets('rtsp://h/x no creds'), 'rtsp://h/x no creds')
  t.equal(maskSecrets('rtsp://user@h/x'), 'rtsp://user@h/x', 'a user without password stays')
})
