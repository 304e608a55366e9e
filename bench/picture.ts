/**
 * What picture checks cost (issue 18, 2): a healthy region (BENCH_PICTURE_CAMERAS, 200; 90 %
 * of the unknown cameras streaming, cameras 7-9 black/frozen) on 3 analysis servers. The same
 * sweep without and with "picture": true, each with a fresh gateway process, timed from POST
 * /api/cctv_health to the SSE `end`; baseline: the sweep without, in the same run. Also the
 * per-camera time of a picture check (probe_ms of online cameras, which then includes it) and
 * whether cameras 7-9 came out black/frozen/frozen.
 *
 * BENCH_PICTURE_CAMERAS (200), PICTURE_WATCH_SECONDS (3, the default), HEALTH_CONCURRENCY (4).
 */
import os from 'node:os'
import { kstDay } from '../lib/clock.js'
import { startSimRegion } from '../sim/region.js'
import { GatewayProcess, Session, f1, f2, machine, pct } from './lib.js'

const CAMERAS = Number(process.env.BENCH_PICTURE_CAMERAS ?? 200)
const WATCH = process.env.PICTURE_WATCH_SECONDS ?? '3'

console.log(`# picture checks: a sweep without and with "picture": true — ${machine()}`)
const region = await startSimRegion({ name: 'bench', servers: 3, cameras: CAMERAS, rtsp: true, logs: [kstDay()], maxSessions: 100, liveShare: 0.9, picture: true })

async function sweep (picture: boolean): Promise<{ ms: number, cpu: number, byStatus: Record<string, number>, p50: number, p90: number, seen: string[] }> {
  const gw = await GatewayProcess.start({ bench: region.entry }, { PICTURE_WATCH_SECONDS: WATCH, LOG_LEVEL: 'warn' })
  try {
    const s = new Session(gw.base)
    await s.login('bench', region.entry as never, 'demo', 'demo')
    await s.post('/api/cctv_data')
    const cpu0 = gw.cpuSeconds()
    const t0 = performance.now()
    const started = await s.post('/api/cctv_health', { picture })
    if (started.status !== 202) throw new Error(`start: ${started.status} ${JSON.stringify(started.body)}`)
    const text = await (await fetch(gw.base + '/api/cctv_health/events', { headers: { cookie: s.cookie, accept: 'text/event-stream' } })).text()
    const ms = performance.now() - t0
    const end = JSON.parse(/event: end\ndata: (.*)\n/.exec(text)?.[1] ?? 'null')
    if (end?.state !== 'done' || end.done !== CAMERAS) throw new Error(`picture=${String(picture)}: ${text.slice(-300)}`)
    const full = await (await fetch(gw.base + '/api/cctv_health', { headers: { cookie: s.cookie } })).json() as { results: Array<{ cctv_ID: number, probe_ms: number, status: string, error: string | null }> }
    const online = full.results.filter(r => r.status === 'online').map(r => r.probe_ms)
    const seen = [7, 8, 9].map(id => full.results.find(r => Number(r.cctv_ID) === id)?.status ?? '?')
    const why = new Map<string, number>()
    for (const r of full.results.filter(r => r.status === 'timeout')) { const k = (r.error ?? '').replace(/\d+/g, 'N').slice(0, 120); why.set(k, (why.get(k) ?? 0) + 1) }
    console.log(`  picture=${String(picture)}: timeouts by reason ${JSON.stringify(Object.fromEntries(why))}`)
    return { ms, cpu: gw.cpuSeconds() - cpu0, byStatus: end.summary.by_status, p50: pct(online, 50), p90: pct(online, 90), seen }
  } finally {
    await gw.stop()
  }
}

const base = await sweep(false)
const pic = await sweep(true)
for (const [label, r] of [['without picture', base], ['with picture', pic]] as const) {
  console.log(`${label.padEnd(16)} ${f1(r.ms / 1000).padStart(6)} s  ×${f2(r.ms / base.ms)} vs without  gateway CPU ${f1(r.cpu)} s  online camera p50 ${Math.round(r.p50)} ms, p90 ${Math.round(r.p90)} ms  cameras 7-9: ${r.seen.join('/')}  load ${f1(os.loadavg()[0])}`)
  console.log(`${' '.repeat(17)}${JSON.stringify(r.byStatus)}`)
}
console.log(`per online camera, the picture check adds ${Math.round(pic.p50 - base.p50)} ms at the median (watch ${WATCH} s)`)
await region.close()
