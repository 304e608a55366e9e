/**
 * Load: N sessions on 5 simulated regions, each cycling status → log search → ffprobe (live
 * camera) → HLS playlist, with autocannon for 60 s. Zero errors and zero dropped sessions
 * expected; requests/s, p50/p99 per route (from the gateway's own request log), gateway CPU
 * and RSS. Then the knee: the session count where p99 passes 10 s.
 */
import autocannon from 'autocannon'
import { startSimRegion, type SimRegion } from '../sim/region.js'
import { FIXTURE_DAY } from '../sim/logs.js'
import { GatewayProcess, Session, f1, machine, pct } from './lib.js'

const DURATION = Number(process.env.BENCH_DURATION ?? 60)
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 50)
const KNEE = (process.env.BENCH_KNEE ?? '25,100,200').split(',').map(Number).filter(n => n > 0)
const KNEE_DURATION = Number(process.env.BENCH_KNEE_DURATION ?? 20)

console.log(`# load — ${machine()}`)
const regions: SimRegion[] = []
for (let i = 0; i < 5; i++) {
  regions.push(await startSimRegion({ name: `region${i}`, host: `127.0.0.${i + 2}`, servers: 1, cameras: 6, rtsp: i === 0, hls: true, logs: [FIXTURE_DAY], maxSessions: 10 }))
}
const liveCamera = regions[0].inventory[0].url
const gw = await GatewayProcess.start(Object.fromEntries(regions.map(r => [r.name, r.entry])), { HLS_REQUEST_LOG: 'true' })

interface Sess { s: Session, requests: autocannon.Request[] }

async function sessions (n: number): Promise<Sess[]> {
  const out: Sess[] = []
  for (let i = 0; i < n; i++) {
    const region = regions[i % 5]
    const s = new Session(gw.base)
    await s.login(region.name, region.entry as never, 'demo', 'demo')
    const t = await s.post('/api/hls_tunnel', { inference_id: 'svr10', cctv_id: 1 })
    const headers = { cookie: s.cookie, 'content-type': 'application/json' }
    out.push({
      s,
      requests: [
        { method: 'GET', path: '/api/ssh_status', headers },
        { method: 'POST', path: '/api/gstreamer_log', headers, body: JSON.stringify({ inference_id: 'svr10', date: FIXTURE_DAY, find_word: 'Reconnect stream_1 ' }) },
        { method: 'POST', path: '/api/run_ffprobe', headers, body: JSON.stringify({ inference_id: 'svr10', url: liveCamera }) },
        { method: 'GET', path: new URL(t.body.message).pathname, headers }
      ]
    })
  }
  return out
}

function routeOf (url: string): string {
  return url.startsWith('/hls/') ? 'GET /hls/… (playlist)' : url.split('?')[0]
}

async function run (n: number, seconds: number): Promise<{ p99: number }> {
  const list = await sessions(n)
  gw.clearLog()
  const cpu0 = gw.cpuSeconds()
  let rssPeak = 0
  const sampler = setInterval(() => { rssPeak = Math.max(rssPeak, gw.rssMiB()) }, 200)
  let k = 0
  const result = await autocannon({
    url: gw.base,
    connections: n,
    duration: seconds,
    timeout: 30,
    requests: list[0].requests,
    setupClient: (client: any) => { client.setRequests(list[k++ % list.length].requests) }
  })
  clearInterval(sampler)
  const cpu = gw.cpuSeconds() - cpu0
  // Per route, from the gateway's request log (reqId joins "incoming request" and "request completed").
  const urls = new Map<string, string>()
  const per = new Map<string, number[]>()
  const failed = new Map<string, number>()
  const why = new Map<string, number>()
  for (const l of gw.logLines()) {
    if (l.msg === 'incoming request') urls.set(l.reqId, l.req.url)
    else if (l.msg === 'request completed' && urls.has(l.reqId)) {
      const r = routeOf(urls.get(l.reqId)!)
      if (!per.has(r)) per.set(r, [])
      per.get(r)!.push(l.responseTime)
      if (l.res.statusCode >= 300) failed.set(`${r} ${l.res.statusCode}`, (failed.get(`${r} ${l.res.statusCode}`) ?? 0) + 1)
    } else if (l.msg === 'remote operation failed' || l.msg === 'unexpected error') {
      const m = String(l.err?.message ?? '').replace(/\d+/g, 'N').slice(0, 120)
      why.set(m, (why.get(m) ?? 0) + 1)
    }
  }
  let dropped = 0
  for (const { s } of list) if ((await (await fetch(gw.base + '/api/ssh_status', { headers: { cookie: s.cookie } })).json() as { status: string }).status !== 'connected') dropped++
  const all = [...per.values()].flat()
  console.log(`\n## ${n} sessions, ${seconds} s`)
  console.log(`requests ${result.requests.total} (${f1(result.requests.average)}/s), errors ${result.errors}, timeouts ${result.timeouts}, non-2xx ${result.non2xx}, dropped sessions ${dropped}`)
  console.log(`latency all routes: p50 ${f1(pct(all, 50))} ms, p99 ${f1(pct(all, 99))} ms`)
  for (const [r, v] of [...per].sort()) console.log(`  ${r.padEnd(26)} n=${String(v.length).padStart(6)}  p50 ${f1(pct(v, 50)).padStart(8)} ms  p99 ${f1(pct(v, 99)).padStart(8)} ms`)
  if (failed.size > 0) console.log(`  not 2xx: ${[...failed].map(([k, v]) => `${v}× ${k}`).join(', ')}`)
  if (why.size > 0) console.log(`  causes: ${[...why].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k, v]) => `${v}× "${k}"`).join(', ')}`)
  console.log(`gateway CPU ${f1(cpu)} s over ${seconds} s (${f1(100 * cpu / seconds)}% of one core), RSS peak ${f1(rssPeak)} MiB`)
  for (const { s } of list) await s.post('/api/ssh_disconnect')
  return { p99: pct(all, 99) }
}

await run(SESSIONS, DURATION)
let knee: number | undefined
for (const n of KNEE) {
  const { p99 } = await run(n, KNEE_DURATION)
  if (p99 > 10_000 && knee === undefined) knee = n
}
console.log(`\nknee (first session count with p99 > 10 s): ${knee === undefined ? `not reached up to ${Math.max(SESSIONS, ...KNEE)} sessions` : knee}`)
await gw.stop()
for (const r of regions) await r.close()
