/**
 * HLS throughput: downloading the same segment-sized and large files from an analysis
 * server's HLS server through the gateway's tunnel vs. through an `ssh -L` forward (OpenSSH's
 * client) to the same origin on the same real sshd, alternating, same run.
 */
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { startOpenSshRegion, OPENSSH_USER } from '../sim/openssh.js'
import { freePort } from '../sim/net.js'
import { GatewayProcess, ROOT, Session, askpassEnv, f1, f2, machine, median, pct, sleep, sshArgs } from './lib.js'

const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const ALL_SIZES = [
  { name: 'playlist (400 B)', file: 'bench400.m3u8', bytes: 400 },
  { name: 'segment (256 KiB)', file: 'bench256k.ts', bytes: 256 * 1024 },
  { name: 'segment (1 MiB)', file: 'bench1m.ts', bytes: 1024 * 1024 },
  { name: 'segment (4 MiB)', file: 'bench4m.ts', bytes: 4 * 1024 * 1024 },
  { name: 'large (64 MiB)', file: 'bench64m.ts', bytes: 64 * 1024 * 1024 }
]
const SIZES = process.env.BENCH_HLS_SIZES === undefined ? ALL_SIZES : ALL_SIZES.filter(s => process.env.BENCH_HLS_SIZES!.split(',').some(w => s.name.includes(w)))

console.log(`# HLS throughput — ${machine()}`)
const region = await startOpenSshRegion({ name: 'bench', servers: 1, hls: true })
const streamDir = path.join(region.root, 'hls-stream')
for (const s of SIZES) writeFileSync(path.join(streamDir, s.file), randomBytes(s.bytes))
// The origin in its own process, like the real HLS server; both paths fetch from it.
const originChild = spawn(process.execPath, [...process.execArgv, path.join(ROOT, 'bench/hls-origin.ts'), streamDir], { stdio: ['ignore', 'pipe', 'inherit'] })
const origin = { port: Number(await new Promise<string>(resolve => originChild.stdout!.once('data', (d: Buffer) => { resolve(d.toString()) }))) }
;((region.entry.servers as Record<number, { hls: { port: number } }>)[1]).hls.port = origin.port
const gw = await GatewayProcess.start({ bench: region.entry }, process.env.BENCH_GW_LOG === undefined ? {} : { LOG_LEVEL: process.env.BENCH_GW_LOG })
const session = new Session(gw.base)
await session.login('bench', region.entry as never, OPENSSH_USER.username, OPENSSH_USER.password)
const tunnel = await session.post('/api/hls_tunnel', { inference_id: 'svr10', cctv_id: 7 })
const viaGateway = (file: string): string => tunnel.body.message.replace('index.m3u8', file)

const env = askpassEnv(OPENSSH_USER.password)
const { host, port } = region.entry.ssh as { host: string, port: number }
const local = await freePort()
const fwd = spawn('ssh', ['-N', '-L', `127.0.0.1:${local}:127.0.0.1:${origin.port}`, ...sshArgs(host, port, OPENSSH_USER.username)], { env, stdio: 'ignore' })
for (let i = 0; i < 100; i++) { try { await fetch(`http://127.0.0.1:${local}/cctv7/index.m3u8`); break } catch { await sleep(100) } }
const viaSsh = (file: string): string => `http://127.0.0.1:${local}/cctv7/${file}`

/** Seconds for one GET (body read to the end). */
async function once (url: string, cookie = ''): Promise<number> {
  const t0 = performance.now()
  const res = await fetch(url, { headers: cookie ? { cookie } : {} })
  if (res.status !== 200) throw new Error(`${url}: ${res.status}`)
  await res.arrayBuffer()
  return (performance.now() - t0) / 1000
}

// Interleaved single requests (gateway, ssh -L, gateway, …): drift and noise hit both alike.
for (const s of SIZES) {
  const g: number[] = []
  const o: number[] = []
  const n = s.bytes >= 64 * 1024 * 1024 ? 2 * RUNS : 40 * RUNS
  for (let i = 0; i < 3; i++) { await once(viaGateway(s.file), session.cookie); await once(viaSsh(s.file)) }
  for (let i = 0; i < n; i++) {
    g.push(await once(viaGateway(s.file), session.cookie))
    o.push(await once(viaSsh(s.file)))
  }
  const q = (a: number[], p: number): string => f2(1000 * pct(a, 100 * p))
  // Download rate = bytes / total time over all requests (what a viewer fetching segment after
  // segment gets, stalls included); the per-request median and p90 show where it comes from.
  if (process.env.BENCH_HLS_DIST !== undefined) for (const [k, a] of [['gw', g], ['ssh', o]] as const) console.log(k, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95].map(p => q(a, p)).join(' '))
  const mib = s.bytes / 1024 ** 2
  const rate = (a: number[]): number => mib * a.length / a.reduce((x, y) => x + y, 0)
  console.log(`${s.name.padEnd(18)} gateway tunnel ${f1(rate(g)).padStart(7)} MiB/s | ssh -L ${f1(rate(o)).padStart(7)} MiB/s | ratio ${f2(rate(g) / rate(o))} (target ≥ 0.90)   [${n} interleaved requests each; p50 ${q(g, 0.5)} vs ${q(o, 0.5)} ms, p90 ${q(g, 0.9)} vs ${q(o, 0.9)} ms, median ratio ${f2(median(o) / median(g))}]`)
}
fwd.kill()
originChild.kill()
await gw.stop()
await region.close()
