/**
 * Batched runner vs one exec per camera (issue 15, 3): a healthy region of 2,000 cameras on 3
 * analysis servers (servers 2 and 3 through server 1), 90 % of the cameras without a known
 * behaviour streaming (the live GStreamer RTSP cameras, with and without credentials), plus the
 * known behaviours every 5th camera (401, 404, refused, silent). One sweep per row, each with a
 * fresh gateway process, timed from POST /api/cctv_health to the SSE `end`. Baseline: today's
 * path, one `docker exec ffprobe` per camera at the default 4 per server, in the same run.
 *
 * BENCH_RUNNER_CAMERAS (2000), BENCH_RUNNER_ROWS ("exec:4,batch:4,batch:8,batch:16,batch:16:500"
 * = runner:limit[:analyze ms]), HEALTH_PROBE_TIMEOUT_SECONDS (8).
 */
import os from 'node:os'
import { kstDay } from '../lib/clock.js'
import { startSimRegion } from '../sim/region.js'
import { GatewayProcess, Session, f1, f2, machine, pct } from './lib.js'

const CAMERAS = Number(process.env.BENCH_RUNNER_CAMERAS ?? 2000)
const ROWS = (process.env.BENCH_RUNNER_ROWS ?? 'exec:4,batch:4,batch:8,batch:16,batch:16:500').split(',').map(r => {
  const [runner, limit, analyze] = r.split(':')
  return { runner, limit: Number(limit), analyze: analyze === undefined ? 2000 : Number(analyze) }
})
const PROBE_TIMEOUT = process.env.HEALTH_PROBE_TIMEOUT_SECONDS ?? '8'

console.log(`# batched runner vs exec per camera — ${machine()}`)
const region = await startSimRegion({ name: 'bench', servers: 3, cameras: CAMERAS, rtsp: true, logs: [kstDay()], maxSessions: 100, liveShare: 0.9 })

interface Row { label: string, ms: number, cpu: number, byStatus: Record<string, number>, maxRunning: number[], execs: number[], p50: Record<string, number> }

async function sweep (runner: string, limit: number, analyze: number): Promise<Row> {
  const gw = await GatewayProcess.start({ bench: region.entry }, {
    HEALTH_RUNNER: runner,
    HEALTH_CONCURRENCY: String(limit),
    HEALTH_ANALYZE_MS: String(analyze),
    // One exec per camera needs a channel each (and one spare): today's default is 8.
    SSH_MAX_CHANNELS: String(runner === 'exec' ? Math.max(8, limit + 1) : 8),
    HEALTH_PROBE_TIMEOUT_SECONDS: PROBE_TIMEOUT,
    LOG_LEVEL: 'warn'
  })
  try {
    const s = new Session(gw.base)
    await s.login('bench', region.entry as never, 'demo', 'demo')
    await s.post('/api/cctv_data')
    for (const site of region.servers.values()) site.countProbes()
    const execs0 = [...region.servers.values()].map(site => site.stats.execs)
    const cpu0 = gw.cpuSeconds()
    const t0 = performance.now()
    const started = await s.post('/api/cctv_health', {})
    if (started.status !== 202) throw new Error(`start: ${started.status} ${JSON.stringify(started.body)}`)
    const res = await fetch(gw.base + '/api/cctv_health/events', { headers: { cookie: s.cookie, accept: 'text/event-stream' } })
    const text = await res.text()
    const ms = performance.now() - t0
    const endData = /event: end\ndata: (.*)\n/.exec(text)?.[1]
    if (endData === undefined) throw new Error('no end event: ' + text.slice(-500))
    const end = JSON.parse(endData)
    if (end.state !== 'done' || end.done !== CAMERAS) throw new Error(`${runner}:${limit}: ${endData}`)
    const full = await (await fetch(gw.base + '/api/cctv_health', { headers: { cookie: s.cookie } })).json() as { results: Array<{ probe_ms: number, status: string }> }
    const p50: Record<string, number> = {}
    for (const st of ['online', 'offline', 'timeout']) p50[st] = pct(full.results.filter(r => r.status === st).map(r => r.probe_ms), 50)
    return {
      label: `${runner} ${limit}/server${analyze === 2000 ? '' : `, analyze ${analyze} ms`}`,
      ms,
      cpu: gw.cpuSeconds() - cpu0,
      byStatus: end.summary.by_status,
      maxRunning: [...region.servers.values()].map(site => site.stats.maxProbesRunning),
      execs: [...region.servers.values()].map((site, i) => site.stats.execs - execs0[i]),
      p50
    }
  } finally {
    await gw.stop()
  }
}

const rows: Row[] = []
for (const { runner, limit, analyze } of ROWS) {
  const r = await sweep(runner, limit, analyze)
  rows.push(r)
  const base = rows[0]
  console.log(`${r.label.padEnd(28)} ${f1(r.ms / 1000).padStart(6)} s  ${f1(CAMERAS / (r.ms / 1000)).padStart(6)} cameras/s  ×${f2(base.ms / r.ms)} vs ${base.label}  ` +
    `gateway CPU ${f1(r.cpu)} s  remote commands per server ${r.execs.join('/')}  max ffprobe at once ${r.maxRunning.join('/')}  ` +
    `probe p50 ms ${Object.entries(r.p50).map(([k, v]) => `${k} ${Math.round(v)}`).join(', ')}  load ${f1(os.loadavg()[0])}`)
  console.log(`${' '.repeat(29)}${JSON.stringify(r.byStatus)}`)
}
await region.close()
