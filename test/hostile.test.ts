import t from 'tap'
import { existsSync } from 'node:fs'
import pLimit from 'p-limit'
import path from 'node:path'
import { startGateway } from './helpers/app.js'
import { HOSTILE_VALUES } from './helpers/hostile.js'

// Hardening 4: shell-hostile values through every field that reaches a remote command (or
// picks one). Nothing is ever executed (a canary file on the site is never created), no
// value makes the gateway fail (never a 500), and literal searches still match byte-exact
// (test/log-search.test.ts checks the matches themselves).

const gw = await startGateway(t, { regions: [{ name: '대구', servers: 2, cameras: 8, logs: ['2025-03-13'], hls: true }], env: { FFPROBE_TIMEOUT_SECONDS: '3' } })
const region = gw.regions[0]
const canaries = [...region.servers.values()].map(s => path.join(s.root, 'PWNED'))
const values = HOSTILE_VALUES(canaries[0]).concat(HOSTILE_VALUES(canaries[1]).filter(v => v.includes('PWNED')))
const b = gw.browser()
await b.connect(region)
const { host, port } = region.server1

type Case = [route: string, body: (v: string) => Record<string, unknown>, allowed: number[]]
const CASES: Case[] = [
  ['/api/gstreamer_log', v => ({ inference_id: 'svr20', date: '2025-03-13', find_word: v }), [200, 400]],
  ['/api/ffmpeg_log', v => ({ inference_id: v, date: '2025-03-13', find_word: 'x' }), [400]],
  ['/api/ffmpeg_log', v => ({ inference_id: 'svr10', date: v, find_word: 'x' }), [400]],
  ['/api/run_ffprobe', v => ({ inference_id: 'svr10', url: v }), [200, 400]],
  ['/api/run_ffprobe', v => ({ inference_id: 'svr21', url: `rtsp://127.0.0.1:9/${v}` }), [200, 400]],
  ['/api/run_ffprobe', v => ({ inference_id: 'svr10', url: `rtsp://admin:${encodeURIComponent(v)}@127.0.0.1:9/live?x=${encodeURIComponent(v)}` }), [200, 400]],
  ['/api/hls_tunnel', v => ({ inference_id: 'svr10', cctv_id: v }), [400]],
  ['/api/page_url', v => ({ region: v }), [400, 404]],
  ['/api/ssh_connect', v => ({ host, port, id: 'demo', password: 'demo', region: v }), [400, 404]]
]

t.test('the corpus through every field: only documented answers, never a 500', async t => {
  // Four at a time on the one session (as a console's parallel calls would be): most of each
  // answer is waiting on the site, and one after another the corpus took 110 s.
  const limit = pLimit(4)
  for (const [route, body, allowed] of CASES) {
    const seen = new Map<number, number>()
    // ssh_connect from a session that is connected answers "already connected" first: use a fresh browser.
    const answers = await Promise.all(values.map(async v => await limit(async () => route === '/api/ssh_connect' ? await gw.browser().post(route, body(v)) : await b.post(route, body(v)))))
    for (const [i, r] of answers.entries()) {
      const v = values[i]
      seen.set(r.status, (seen.get(r.status) ?? 0) + 1)
      if (!allowed.includes(r.status)) t.fail(`${route} ${JSON.stringify(body(v)).slice(0, 80)} → ${r.status} ${JSON.stringify(r.body).slice(0, 120)}`)
      if (typeof r.body?.message !== 'string' && !Array.isArray(r.body?.message)) t.fail(`${route}: no envelope`)
    }
    t.pass(`${route} ${body('V').constructor === Object ? Object.entries(body('V')).find(([, x]) => String(x).includes('V'))?.[0] : ''}: ${[...seen].map(([s, n]) => `${n}×${s}`).join(', ')}`)
  }
  t.same((await b.get('/api/ssh_status')).body.status, 'connected', 'the session survived it all')
})

t.test('GET /api/ssh_status_check with the corpus as ip: 400 or 403, nothing dialled', async t => {
  for (const v of values) {
    const r = await b.get(`/api/ssh_status_check?ip=${encodeURIComponent(v)}&port=22`)
    if (![400, 403].includes(r.status)) t.fail(`${JSON.stringify(v)} → ${r.status}`)
  }
  t.pass('all refused')
})

t.test('nothing was executed: the canary files were never created on any server', async t => {
  for (const c of canaries) t.notOk(existsSync(c), c)
  t.ok(region.server1.stats.execs > 0 && region.servers.get(2)!.stats.execs > 0, 'while commands did run on both servers')
})
