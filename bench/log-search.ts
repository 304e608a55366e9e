/**
 * Log search at file-size scale: a 1 GiB controller log (0.1% of lines match) on a real sshd;
 * POST /api/gstreamer_log end to end vs. `ssh host grep -F …` by OpenSSH's client against the
 * same server, alternating, same run. Also the gateway's memory while it searches.
 */
import { openSync, writeSync, closeSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { startOpenSshRegion, OPENSSH_USER } from '../sim/openssh.js'
import { GatewayProcess, Session, askpassEnv, f2, machine, median, sleep, sshArgs, sshMaster, timed } from './lib.js'

const GIB = Number(process.env.BENCH_LOG_BYTES ?? 1024 ** 3)
const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const DAY = '2025-04-01'
const WORD = 'Reconnect 156 '

function generate (file: string, bytes: number): number {
  mkdirSync(path.dirname(file), { recursive: true })
  // 64 distinct blocks of 1,000 realistic lines; line 500 of each block matches (0.1%).
  const blocks: Buffer[] = []
  for (let b = 0; b < 64; b++) {
    const lines: string[] = []
    for (let i = 0; i < 1000; i++) {
      const ts = `${DAY} ${String(Math.floor(i / 60) % 24).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:${String(b % 60).padStart(2, '0')},${String(i % 1000).padStart(3, '0')}`
      if (i === 500) lines.push(`${ts} - controller_logger - 0 - WARNING - Reconnect 156 : rtsp://admin:mn%2F1418%21%40%23@127.0.20.152:554/video18?profile=high`)
      else if (i % 7 === 0) lines.push(`${ts} - controller_logger - 0 - WARNING - Connect failed list : ['rtsp://127.0.10.201:8554/57ea349e-6d7f-4dbd-88c0-3633fbe0d62${b % 10}']`)
      else if (i % 11 === 0) lines.push(`No supported authentication protocol was found - rtsp://127.0.10.201:8554/d85e296b-b411-4674-abd0-1126b3de23e${i % 10}`)
      else lines.push(`${ts} - controller_logger - 0 - INFO - stream_${(i * 7 + b) % 300} : 감지 결과 화재 없음 (카메라 ${(i + b) % 300}), fps ${(8 + (i % 20) / 10).toFixed(1)}`)
    }
    blocks.push(Buffer.from(lines.join('\n') + '\n'))
  }
  const fd = openSync(file, 'w')
  let written = 0
  let matches = 0
  for (let i = 0; written < bytes; i++) { const blk = blocks[i % 64]; writeSync(fd, blk); written += blk.length; matches++ }
  closeSync(fd)
  return matches
}

console.log(`# log search at scale — ${machine()}`)
const region = await startOpenSshRegion({ name: 'bench', servers: 1 })
const file = region.logs.gstreamer.replace('{server}', '1').replace('{gpu}', '0').replace('{date}', DAY)
const t0 = Date.now()
const expected = generate(file, GIB)
execFileSync('chmod', ['-R', 'a+rX', path.join(region.root, 'svr1', 'home')])
console.log(`generated ${(GIB / 1024 ** 3).toFixed(2)} GiB, ${expected} matching lines, in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
execFileSync('sh', ['-c', `cat '${file}' > /dev/null`]) // page cache warm for both sides

const gw = await GatewayProcess.start({ bench: region.entry }, { LOG_MAX_LINES: '100000', LOG_SEARCH_TIMEOUT_SECONDS: '60', LOG_MAX_BYTES: String(256 * 1024 * 1024) })
const s = new Session(gw.base)
await s.login('bench', region.entry as never, OPENSSH_USER.username, OPENSSH_USER.password)
const env = askpassEnv(OPENSSH_USER.password)
const { host, port } = region.entry.ssh as { host: string, port: number }

const master = await sshMaster(host, port, OPENSSH_USER.username, env)
const api: number[] = []
const ssh: number[] = []
const mux: number[] = []
let rssPeak = 0
const rssBefore = gw.rssMiB()
for (let i = 0; i < RUNS; i++) {
  const b = await timed('ssh', [...sshArgs(host, port, OPENSSH_USER.username), `grep -F -a -e '${WORD}' -- '${file}'`], env)
  if (b.code !== 0) throw new Error('baseline failed: ' + b.stderr)
  ssh.push(b.ms)
  const m = await timed('ssh', [...master.args, `grep -F -a -e '${WORD}' -- '${file}'`], env)
  if (m.code !== 0) throw new Error('multiplexed baseline failed: ' + m.stderr)
  mux.push(m.ms)
  let sampling = true
  const sampler = (async () => { while (sampling) { rssPeak = Math.max(rssPeak, gw.rssMiB()); await sleep(50) } })()
  const r = await s.post('/api/gstreamer_log', { inference_id: 'svr10', date: DAY, find_word: WORD })
  sampling = false
  await sampler
  if (r.status !== 200 || r.body.message.length !== expected) throw new Error(`api: ${r.status} ${r.body.message?.length} lines, expected ${expected}`)
  api.push(r.ms)
  console.log(`run ${i + 1}: ssh grep ${f2(b.ms / 1000)} s (${b.bytes} bytes) | ssh grep on a master connection ${f2(m.ms / 1000)} s | API ${f2(r.ms / 1000)} s (${r.body.message.length} lines)`)
}
console.log(`median: ssh grep ${f2(median(ssh) / 1000)} s, multiplexed ssh grep ${f2(median(mux) / 1000)} s, API ${f2(median(api) / 1000)} s`)
console.log(`ratio API / ssh grep = ${f2(median(api) / median(ssh))} (target ≤ 1.10); API / multiplexed ssh grep = ${f2(median(api) / median(mux))}; API under 10 s: ${median(api) < 10_000}`)
await master.close()
console.log(`gateway RSS: before ${rssBefore.toFixed(0)} MiB, peak during searches ${rssPeak.toFixed(0)} MiB (file ${(GIB / 1024 ** 2).toFixed(0)} MiB)`)
await gw.stop()
await region.close()
