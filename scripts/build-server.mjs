#!/usr/bin/env node
// Compiles the gateway (tsc -p tsconfig.build.json → dist/, without the simulator) only when a
// source it compiles or a tsconfig is newer than the last successful build (not the lockfile:
// `npm prune --omit=dev` rewrites it after the build, and tsc's output does not depend on it):
// `npm start` with nothing changed starts at once instead of spending ~15 s in tsc.
//   --force        always build
//   --demo         the demo's build instead (tsconfig.demo.json: the gateway plus sim/)
//   --if-possible  with --demo: skip, saying so, where the dev dependencies are not installed
//                  (a production install after `npm prune --omit=dev` has no simulator)
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const root = fileURLToPath(new URL('..', import.meta.url))
const demo = process.argv.includes('--demo')
const what = demo ? 'demo' : 'gateway'
const tsconfig = demo ? 'tsconfig.demo.json' : 'tsconfig.build.json'
const stamp = path.join(root, 'dist', demo ? '.demo-build' : '.server-build')
const config = JSON.parse(readFileSync(path.join(root, tsconfig), 'utf8'))
const require = createRequire(import.meta.url)

let tsc
try {
  tsc = require.resolve('typescript/bin/tsc')
  if (demo) require.resolve('@push.rocks/smartmongo/package.json')
} catch {
  if (demo && process.argv.includes('--if-possible')) {
    console.log('demo: not built (dev dependencies not installed); set REGIONS_FILE to serve your regions')
    process.exit(0)
  }
}

/** Newest modification time under `p` (a file or a folder), 0 when it does not exist. */
function newest (p, keep = () => true) {
  if (!existsSync(p)) return 0
  const s = statSync(p)
  if (!s.isDirectory()) return keep(p) ? s.mtimeMs : 0
  return Math.max(s.mtimeMs, ...readdirSync(p).map(f => newest(path.join(p, f), keep)))
}

// What the tsconfig includes ("lib/**/*.ts" → the folder lib, "app.ts" → that file).
const entries = [...new Set(config.include.map(g => g.split('/')[0]))]
const sources = Math.max(
  ...entries.map(e => newest(path.join(root, e), f => f.endsWith('.ts'))),
  ...['tsconfig.json', tsconfig].map(f => newest(path.join(root, f)))
)
if (!process.argv.includes('--force') && existsSync(stamp) && statSync(stamp).mtimeMs >= sources) {
  console.log(`${what}: dist/ is up to date`)
  process.exit(0)
}
if (tsc === undefined) {
  console.error(`${what}: dist/ is out of date and TypeScript is not installed (npm install without --omit=dev builds it)`)
  process.exit(1)
}
const started = Date.now()
// Incremental (its state in dist/, gone with it): a touched source recompiles in a few seconds,
// not the whole program's ~15. --force compiles everything.
const incremental = process.argv.includes('--force') ? [] : ['--incremental', '--tsBuildInfoFile', path.join(root, 'dist', demo ? '.demo.tsbuildinfo' : '.server.tsbuildinfo')]
const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, tsconfig), ...incremental], { stdio: 'inherit' })
if (r.status !== 0) process.exit(r.status ?? 1)
writeFileSync(stamp, new Date().toISOString() + '\n')
console.log(`${what}: compiled into dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s`)
