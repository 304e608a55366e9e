// One PostgreSQL cluster for a whole `npm test` run (scripts/test.sh starts this in the
// background): prints its admin URL on stdout's first line, then stays until SIGTERM/SIGINT or
// until the script that started it is gone; then the cluster is stopped and its folder removed.
import { startCluster } from './postgres.js'

const closers: Array<() => Promise<void> | void> = []
const admin = await startCluster({ teardown: fn => { closers.push(fn) } })
process.stdout.write(admin + '\n')
let stopping = false
const stop = async (): Promise<void> => {
  if (stopping) return
  stopping = true
  for (const c of closers.reverse()) await c()
  process.exit(0)
}
process.on('SIGTERM', () => { void stop() })
process.on('SIGINT', () => { void stop() })
const parent = process.ppid
setInterval(() => { if (process.ppid !== parent) void stop() }, 1000)
