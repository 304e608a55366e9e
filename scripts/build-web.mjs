#!/usr/bin/env node
// Builds the operators' console (web/ → dist/web) with Vite when its sources, the lockfile
// or the Vite config are newer than the last build; otherwise does nothing (npm start stays fast).
// `--force` always builds.
import { existsSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const out = path.join(root, 'dist', 'web', 'index.html')

function newest (p) {
  const s = statSync(p)
  if (!s.isDirectory()) return s.mtimeMs
  return Math.max(s.mtimeMs, ...readdirSync(p).map(f => newest(path.join(p, f))))
}

const sources = Math.max(newest(path.join(root, 'web')), newest(path.join(root, 'package-lock.json')))
if (!process.argv.includes('--force') && existsSync(out) && statSync(out).mtimeMs >= sources) {
  console.log('console: dist/web is up to date')
  process.exit(0)
}
let build
try {
  ({ build } = await import('vite'))
} catch {
  console.error('console: Vite is not installed (npm install without --omit=dev builds it); the API works without the console')
  process.exit(existsSync(out) ? 0 : 1)
}
await build({ configFile: path.join(root, 'web', 'vite.config.ts'), logLevel: 'warn' })
console.log('console: built into dist/web')
