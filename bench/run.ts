/**
 * npm run bench [-- log-search warm-latency load hls footprint health runner history picture view-calibration]
 * Each bench prints its figures and how it got them; BENCHMARKS.md records a run.
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const ALL = ['log-search', 'warm-latency', 'hls', 'footprint', 'load', 'health', 'runner', 'history', 'picture', 'view-calibration']
const chosen = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ALL
for (const name of chosen) {
  if (!ALL.includes(name)) { console.error(`unknown bench ${name}; one of ${ALL.join(', ')}`); process.exit(2) }
  const env = { ...process.env }
  delete env.NODE_OPTIONS
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL(`./${name}.ts`, import.meta.url))], { stdio: 'inherit', env })
  if (r.status !== 0) { console.error(`bench ${name} failed (${String(r.status)})`); process.exit(1) }
  console.log('')
}
