/**
 * Health sweep: the time to sweep a 2,000-camera region on 3 analysis servers (servers 2 and 3
 * through server 1) at per-server limits 1, 2, 4 (the default) and 8. The simulated inventory
 * is what a bad night looks like: 80 % refused addresses, and every 5th camera one of the known
 * behaviours (live, live behind credentials, 401, 404, refused, silent: ~67 each), so most
 * cameras fail fast and ~67 hang until the probe's socket timeout. Real SSH, real ffprobe in the
 * simulated FireWatcher container, real RTSP cameras (GStreamer). The baseline is limit 1 in
 * the same run; the site's own count of concurrent ffprobe processes checks the limit held.
 *
 * BENCH_HEALTH_CAMERAS (2000), BENCH_HEALTH_LIMITS (1,2,4,8), HEALTH_PROBE_TIMEOUT_SECONDS (8).
 */
import { kstDay } from '../lib/clock.js'
import { behaviourOf } from '../sim/inventory.js'
import { startSimRegion } from '../sim/region.js'
import os from 'node:os'
import { GatewayProcess, Session, f1, f2, machine, pct } from './lib.js'

const CAMERAS = Number(process.env.BENCH_HEALTH_CAMERAS ?? 2000)
const LIMITS = (process.env.BENCH_HEALTH_LIMITS ?? '1,2,4,8').split(',').map(Number)
const PROBE_TIMEOUT = process.env.HEALTH_PROBE_TIMEOUT_SECONDS ?? '8'

console.log(`# health sweep — ${machine()}`)
const region = await startSimRegion({ name: 'bench', servers: 3, cameras: CAMERAS, rtsp: true, logs: [kstDay()], maxSessions: 100 })
const mix = new Map<string, number>()
for (const c of region.inventory) { const b = behaviourOf(c.cctv_ID) ?? 'refused address'; mix.set(b, (mix.get(b) ?? 0) + 1) }
console.log(`${CAMERAS} cameras on 3 servers: ${[...mix].map(([b, n]) => `${b} ${n}`).join(', ')}; probe limit ${PROBE_TIMEOUT} s`)

/** One sweep, start to the SSE `end`: wall time, the gateway's CPU, and the result. */
async function sweep (limit: number): Promise<{ ms: number, cpu: number, end: any, maxRunning: number[], probeMsSum: number, p50: Record<string, number> }> {
  const gw = await GatewayProcess.start({ bench: region.entry }, { HEALTH_CONCURRENCY: String(limit), SSH_MAX_CHANNELS: String(Math.max(8, limit + 1)), HEALTH_PROBE_TIMEOUT_SECONDS: PROBE_TIMEOUT, LOG_LEVEL: 'warn' })
  try {
    const s = new Session(gw.base)
    await s.login('bench', region.entry as never, 'demo', 'demo')
    // Open every hop once, as an operator's session would have by then: the figure is the sweep's.
    await s.post('/api/cctv_data')
    for (const site of region.servers.values()) site.countProbes()
    const cpu0 = gw.cpuSeconds()
    const t0 = performance.now()
    const started = await s.post('/api/cctv_health', {})
    if (started.status !== 202) throw new Error(`start: ${started.status} ${JSON.stringify(started.body)}`)
    const res = await fetch(gw.base + '/api/cctv_health/events', { headers: { cookie: s.cookie, accept: 'text/event-stream' } })
    const text = await res.text()
    const ms = performance.now() - t0
    const endData = /event: end\ndata: (.*)\n/.exec(text)?.[1]
    if (endData === undefined) throw new Error('no end event: ' + text.slice(-500))
    const full = await (await fetch(gw.base + '/api/cctv_health', { headers: { cookie: s.cookie } })).json() as { results: Array<{ probe_ms: number, status: string }> }
    // One probe's own time per status: what a higher limit costs each probe on this machine.
    const p50: Record<string, number> = {}
    for (const st of ['offline', 'online', 'timeout']) p50[st] = pct(full.results.filter(r => r.status === st).map(r => r.probe_ms), 50)
    return {
      ms,
      cpu: gw.cpuSeconds() - cpu0,
      end: JSON.parse(endData),
      maxRunning: [...region.servers.values()].map(site => site.stats.maxProbesRunning),
      probeMsSum: full.results.reduce((a, r) => a + r.probe_ms, 0),
      p50
    }
  } finally {
    await gw.stop()
  }
}

const rows: Array<{ limit: number, ms: number }> = []
for (const limit of LIMITS) {
  const r = await sweep(limit)
  if (r.end.state !== 'done' || r.end.done !== CAMERAS) throw new Error(`limit ${limit}: ${JSON.stringify(r.end)}`)
  rows.push({ limit, ms: r.ms })
  const base = rows[0]
  // Perfect scaling would be: the sum of every probe's time spread over 3 servers × limit.
  const ideal = r.probeMsSum / (3 * limit)
  console.log(`limit ${String(limit).padStart(2)}: ${f1(r.ms / 1000).padStart(6)} s  ${f1(CAMERAS / (r.ms / 1000)).padStart(6)} cameras/s  ` +
    `speed-up ×${f2(base.ms / r.ms)} vs limit ${base.limit}  (wall / ideal ${f2(r.ms / ideal)})  gateway CPU ${f1(r.cpu)} s  ` +
    `max ffprobe at once per server ${r.maxRunning.join('/')}  probe p50 ms ${Object.entries(r.p50).map(([k, v]) => `${k} ${Math.round(v)}`).join(', ')}  load ${f1(os.loadavg()[0])}`)
  console.log(`          ${JSON.stringify(r.end.summary.by_status)}`)
}
await region.close()
