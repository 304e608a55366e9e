/**
 * Warm latency: a small log search on an already-connected session vs. OpenSSH with a shared
 * master connection (ControlMaster) and vs. a fresh `ssh` per request; p50/p99, same run,
 * same real sshd, same file (the 312 KB controller log of shared/fixtures).
 */
import { startOpenSshRegion, OPENSSH_USER } from '../sim/openssh.js'
import { FIXTURE_DAY } from '../sim/logs.js'
import { GatewayProcess, Session, askpassEnv, f1, f2, machine, pct, sshArgs, sshMaster, timed } from './lib.js'

const N = Number(process.env.BENCH_N ?? 200)
const FRESH = Number(process.env.BENCH_FRESH ?? 40)
const WORD = 'Reconnect stream_1 '

console.log(`# warm latency — ${machine()}`)
const region = await startOpenSshRegion({ name: 'bench', servers: 1, logs: [FIXTURE_DAY] })
const file = region.logs.gstreamer.replace('{server}', '1').replace('{gpu}', '0').replace('{date}', FIXTURE_DAY)
const gw = await GatewayProcess.start({ bench: region.entry })
const s = new Session(gw.base)
await s.login('bench', region.entry as never, OPENSSH_USER.username, OPENSSH_USER.password)
const env = askpassEnv(OPENSSH_USER.password)
const { host, port } = region.entry.ssh as { host: string, port: number }
const master = await sshMaster(host, port, OPENSSH_USER.username, env)
const cmd = `grep -F -a -e '${WORD}' -- '${file}'`

for (let i = 0; i < 10; i++) { await s.post('/api/gstreamer_log', { inference_id: 'svr10', date: FIXTURE_DAY, find_word: WORD }); await timed('ssh', [...master.args, cmd], env) }
const api: number[] = []
const mux: number[] = []
for (let i = 0; i < N; i++) {
  const r = await s.post('/api/gstreamer_log', { inference_id: 'svr10', date: FIXTURE_DAY, find_word: WORD })
  if (r.status !== 200 || r.body.message.length === 0) throw new Error(`api ${r.status}`)
  api.push(r.ms)
  const m = await timed('ssh', [...master.args, cmd], env)
  if (m.code !== 0) throw new Error('mux: ' + m.stderr)
  mux.push(m.ms)
}
const fresh: number[] = []
for (let i = 0; i < FRESH; i++) {
  const f = await timed('ssh', [...sshArgs(host, port, OPENSSH_USER.username), cmd], env)
  if (f.code !== 0) throw new Error('fresh: ' + f.stderr)
  fresh.push(f.ms)
}
const row = (name: string, v: number[]): string => `${name.padEnd(34)} p50 ${f1(pct(v, 50)).padStart(7)} ms   p99 ${f1(pct(v, 99)).padStart(7)} ms   (n=${v.length})`
console.log(row('API (warm session)', api))
console.log(row('ssh, shared master connection', mux))
console.log(row('ssh, fresh connection per request', fresh))
console.log(`API p50 / multiplexed ssh p50 = ${f2(pct(api, 50) / pct(mux, 50))} (target ≤ 1.5); fresh ssh p50 / API p50 = ${f1(pct(fresh, 50) / pct(api, 50))}× (target ≥ 10×)`)
await master.close()
await gw.stop()
await region.close()
