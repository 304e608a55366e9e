import t from 'tap'
import type { Test } from 'tap'
import { spawn, execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { eventually } from './helpers/app.js'
import { startSimRegion } from '../sim/region.js'

// Issue 14, 4: the simulator stays out of production. What the README's service install does —
// npm ci && npm run build && npm prune --omit=dev && npm start — on a copy of this checkout
// (its installed node_modules linked in for npm ci, see linkInstalled):
// the build holds no sim/, and the pruned install serves a regions file (a simulated site the
// test runs itself, as a real site would be) and says plainly that it has no demo without one.

const root = fileURLToPath(new URL('..', import.meta.url))
const work = mkdtempSync(path.join(os.tmpdir(), 'fwprod-'))
t.teardown(() => { rmSync(work, { recursive: true, force: true }) })

/** Runs a command in the copy, its output kept for the failure message. */
function run (cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  try {
    return execFileSync(cmd, args, { cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
  } catch (err) {
    const e = err as { stdout?: string, stderr?: string, message: string }
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`, { cause: err })
  }
}

/**
 * The checkout's installed dependencies in the copy, as `npm ci` leaves them: hard links, so the
 * copy costs a second instead of unpacking 640 packages again (50 CPU-seconds, and SQLite
 * compiled when its prebuilt binary cannot be downloaded here). `npm ci` itself is what CI
 * runs first on its fresh clone. The files npm writes in place (its hidden lockfile) are real
 * copies, so the pruning below cannot reach the checkout's own through a shared inode; pruning
 * only unlinks.
 */
function linkInstalled (): void {
  const from = path.join(root, 'node_modules')
  if (!existsSync(from)) throw new Error('node_modules is missing: run npm ci first')
  execFileSync('cp', ['-al', from, path.join(work, 'node_modules')])
  const lock = path.join(work, 'node_modules', '.package-lock.json')
  if (existsSync(lock)) { rmSync(lock); cpSync(path.join(from, '.package-lock.json'), lock) }
  for (const d of ['.vite', '.cache', '.tmp']) rmSync(path.join(work, 'node_modules', d), { recursive: true, force: true })
}

/** `npm start` in the copy until it listens (or exits); resolves with its base URL and output. */
async function start (t: Test, env: NodeJS.ProcessEnv): Promise<{ base?: string, out: () => string, code: () => number | null }> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, PORT: '0', LOG_LEVEL: 'info', ...env }
  delete childEnv.NODE_OPTIONS // the test runner's loaders are not the server's
  const child = spawn('npm', ['start'], { cwd: work, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  t.teardown(() => { try { process.kill(-child.pid!, 'SIGKILL') } catch { /* gone */ } })
  let out = ''
  let code: number | null = null
  let exited = false
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr.on('data', (d: Buffer) => { out += d.toString() })
  child.on('exit', c => { code = c; exited = true })
  await eventually(() => exited || /Server listening at http:\/\/127\.0\.0\.1:\d+/.test(out), 60_000, 50)
  return { base: /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1], out: () => out, code: () => exited ? code : null }
}

t.test('installed, npm run build && npm prune --omit=dev && npm start: no simulator in the build, a regions file served', async t => {
  // The checkout as git sees it (tracked and new files), without node_modules or builds.
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(f => f !== '' && existsSync(path.join(root, f)))
  for (const f of files) { mkdirSync(path.dirname(path.join(work, f)), { recursive: true }); cpSync(path.join(root, f), path.join(work, f)) }
  const hiddenLock = readFileSync(path.join(root, 'node_modules', '.package-lock.json'), 'utf8')
  linkInstalled()
  run('npm', ['run', 'build'])
  t.ok(existsSync(path.join(work, 'dist', 'server.js')), 'dist/server.js built')
  t.notOk(existsSync(path.join(work, 'dist', 'sim')), 'no sim/ in the production build')
  run('npm', ['prune', '--omit=dev', '--no-audit', '--no-fund'])
  t.notOk(existsSync(path.join(work, 'node_modules', 'typescript')), 'dev dependencies pruned')
  t.notOk(existsSync(path.join(work, 'node_modules', '@push.rocks', 'smartmongo')), 'the Mongo-wire test server pruned')
  t.ok(existsSync(path.join(root, 'node_modules', 'typescript')), 'the checkout\'s own install is untouched by the pruning')
  t.equal(readFileSync(path.join(root, 'node_modules', '.package-lock.json'), 'utf8'), hiddenLock, 'and so is its hidden lockfile')

  const site = await startSimRegion({ name: '대구', cameras: 5, authFailDelayMs: 50 })
  t.teardown(site.close)
  const state = path.join(work, 'var')
  mkdirSync(state, { recursive: true })
  const regionsFile = path.join(work, 'regions.json')
  writeFileSync(regionsFile, JSON.stringify({ regions: { [site.name]: site.entry } }))

  const gw = await start(t, { REGIONS_FILE: regionsFile, KNOWN_HOSTS_FILE: path.join(state, 'known_hosts.json'), AUDIT_LOG: path.join(state, 'audit.log') })
  t.ok(gw.base, `listening\n${gw.out().slice(-2000)}`)
  t.match(gw.out(), /demo: not built \(dev dependencies not installed\)/, 'prestart builds no demo without dev dependencies')
  t.notMatch(gw.out(), /compiled into dist/, 'and compiles nothing (up to date)')
  const list = await (await fetch(`${gw.base!}/api/db_list`)).json()
  t.same(list, { 대구: { ip: site.server1.host, port: site.server1.port } })
  const login = await fetch(`${gw.base!}/api/ssh_connect`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ host: site.server1.host, port: site.server1.port, id: 'demo', password: 'demo', region: site.name })
  })
  t.same(await login.json(), { message: 'SSH connect success' })
  const cookie = login.headers.get('set-cookie')!.split(';')[0]
  const cams = await (await fetch(`${gw.base!}/api/cctv_data`, { method: 'POST', headers: { cookie } })).json() as { message: unknown[] }
  t.equal(cams.message.length, 5, 'the inventory through SSH, Mongo driver and all, from the pruned install')

  const bare = await start(t, { REGIONS_FILE: '' })
  t.ok(await eventually(() => bare.code() !== null, 30_000), 'without a regions file the pruned install stops')
  t.equal(bare.code(), 1)
  t.match(bare.out(), /REGIONS_FILE is not set, and this build has no demo site/, 'and says why')
})
