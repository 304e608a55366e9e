/**
 * Footprint: the gateway's resident memory with 0, 10 and 100 connected idle sessions (each
 * its own SSH connection to a simulated site), and the cost per session.
 */
import { startSimRegion } from '../sim/region.js'
import { GatewayProcess, Session, f1, machine, sleep } from './lib.js'

console.log(`# footprint — ${machine()}`)
const region = await startSimRegion({ name: 'bench', servers: 1, maxSessions: 1000 })
const gw = await GatewayProcess.start({ bench: region.entry }, { LOG_LEVEL: 'info' })
const settle = async (): Promise<number> => {
  await sleep(1500)
  const v: number[] = []
  for (let i = 0; i < 5; i++) { v.push(gw.rssMiB()); await sleep(200) }
  return Math.min(...v)
}
const base = await settle()
console.log(`0 sessions: ${f1(base)} MiB`)
const sessions: Session[] = []
let last = base
for (const target of [10, 100]) {
  while (sessions.length < target) {
    const s = new Session(gw.base)
    await s.login('bench', region.entry as never, 'demo', 'demo')
    sessions.push(s)
  }
  const rss = await settle()
  console.log(`${target} sessions: ${f1(rss)} MiB (+${f1(rss - base)} MiB over 0; ${f1(1024 * (rss - base) / target)} KiB per session)`)
  last = rss
}
for (const s of sessions) await s.post('/api/ssh_disconnect')
console.log(`after disconnecting all: ${f1(await settle())} MiB (was ${f1(last)})`)
await gw.stop()
await region.close()
