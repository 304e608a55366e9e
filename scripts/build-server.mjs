#!/usr/bin/env node
// Compiles the gateway (tsc -p tsconfig.build.json → dist/) only when a source it compiles,
// a tsconfig or the lockfile is newer than the last successful build: `npm start` with
// nothing changed starts at once instead of spending ~15 s in tsc. `--force` always builds.
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const root = fileURLToPath(new URL('..', import.meta.url))
const stamp = path.join(root, 'dist', '.server-build')
const config = JSON.parse(readFileSync(path.join(root, 'tsconfig.build.json'), 'utf8'))

/** Newest modification time under `p` (a file or a folder), 0 when it does not exist. */
function newest (p, keep = () => true) {
  if (!existsSync(p)) return 0
  const s = statSync(p)
  if (!s.isDirectory()) return keep(p) ? s.mtimeMs : 0
  return Math.max(s.mtimeMs, ...readdirSync(p).map(f => newest(path.join(p, f), keep)))
}

// The folders tsconfig.build.json includes ("lib/**/*.ts" → lib), plus the top-level files.
const folders = [...new Set(config.include.map(g => g.split('/')[0]).filter(d => !d.includes('*')))]
const isTs = f => f.endsWith('.ts')
const sources = Math.max(
  ...folders.map(d => newest(path.join(root, d), isTs)),
  ...readdirSync(root).filter(isTs).map(f => newest(path.join(root, f))),
  ...['tsconfig.json', 'tsconfig.build.json', 'package-lock.json'].map(f => newest(path.join(root, f)))
)
if (!process.argv.includes('--force') && existsSync(stamp) && statSync(stamp).mtimeMs >= sources) {
  console.log('gateway: dist/ is up to date')
  process.exit(0)
}
let tsc
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
} catch {
  console.error('gateway: dist/ is out of date and TypeScript is not installed (npm install without --omit=dev builds it)')
  process.exit(1)
}
const started = Date.now()
const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' })
if (r.status !== 0) process.exit(r.status ?? 1)
writeFileSync(stamp, new Date().toISOString() + '\n')
console.log(`gateway: compiled into dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s`)
