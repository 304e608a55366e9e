import { spawn, execFileSync } from 'node:child_process'
import { chmodSync, chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import type { Test } from 'tap'
import { closedPort } from './net.js'

/** Debian's PostgreSQL binaries (scripts/test-deps.sh installs the package when missing). */
function binDir (): string {
  const base = '/usr/lib/postgresql'
  const versions = readdirSync(base).filter(v => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a))
  if (versions.length === 0) throw new Error('PostgreSQL is not installed (scripts/test-deps.sh installs postgresql)')
  return path.join(base, versions[0], 'bin')
}

/** The environment variable through which `npm test` hands every test file its one cluster. */
export const SHARED_PG = 'FWMAINT_TEST_PG'

/**
 * A real PostgreSQL server for the tests. Under `npm test` (scripts/test.sh) one cluster serves
 * the whole run (its admin URL in FWMAINT_TEST_PG) and each file gets databases of its own; a
 * file run alone (`npx tap test/store.test.ts`) starts a cluster for itself, stopped and removed at
 * its teardown. Resolves with the URL of a fresh database, and a way to make more.
 */
export async function startPostgres (t: Pick<Test, 'teardown'>, opts: { fsync?: boolean } = {}): Promise<{ url: string, newDatabase: () => Promise<string> }> {
  const shared = process.env[SHARED_PG]
  // fsync on (the benches' disk figures): a cluster of its own, as a deployment runs it.
  const admin = shared !== undefined && shared !== '' && opts.fsync !== true ? shared : await startCluster(t, opts)
  let n = 0
  const newDatabase = async (): Promise<string> => {
    // pid + counter: unique among the files that share the cluster at once.
    const name = `fwmaint_${process.pid}_${n++}`
    const c = new pg.Client({ connectionString: admin })
    await c.connect()
    await c.query(`CREATE DATABASE ${name}`)
    await c.end()
    return admin.replace(/\/postgres$/, `/${name}`)
  }
  return { url: await newDatabase(), newDatabase }
}

/**
 * A new cluster in a temp folder, on a free loopback port, its socket in that folder (the
 * machine's own cluster is never touched), without fsync unless asked (a test machine's crash
 * loses nothing of value), stopped and removed at teardown. initdb and postgres refuse to run as root: as root
 * they run as the `postgres` user. Resolves with the admin URL (database `postgres`).
 */
export async function startCluster (t: Pick<Test, 'teardown'>, opts: { fsync?: boolean } = {}): Promise<string> {
  const bin = binDir()
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fwpg-'))
  const root = process.getuid?.() === 0
  if (root) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim())
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim())
    chownSync(dir, uid, gid)
  }
  chmodSync(dir, 0o700)
  const as = (cmd: string, args: string[]): [string, string[]] => root ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]
  const data = path.join(dir, 'data')
  execFileSync(...as(path.join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C']), { stdio: 'ignore' })
  const port = await closedPort()
  // Seven files with a few pools each share it: room for all of them.
  const [cmd, args] = as(path.join(bin, 'postgres'), ['-D', data, '-k', dir, '-h', '127.0.0.1', '-p', String(port), ...(opts.fsync === true ? [] : ['-F', '-c', 'fsync=off']), '-c', 'max_connections=300'])
  // A group of its own, signalled as one: as root the child is runuser, which ignores SIGINT (as
  // su does) — a SIGINT to it alone left postgres running on a removed folder for a minute.
  const server = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true })
  let log = ''
  server.stderr.on('data', (d: Buffer) => { log += d.toString() })
  t.teardown(async () => {
    const group = (sig: NodeJS.Signals): void => { try { process.kill(-server.pid!, sig) } catch {} }
    const exited = (ms: number): Promise<boolean> => server.exitCode !== null || server.signalCode !== null
      ? Promise.resolve(true)
      : new Promise(resolve => { const tm = setTimeout(() => resolve(false), ms); server.once('exit', () => { clearTimeout(tm); resolve(true) }) })
    group('SIGINT') // postgres's fast shutdown
    if (!await exited(10_000)) { group('SIGKILL'); await exited(2000) }
    rmSync(dir, { recursive: true, force: true })
  })
  const admin = `postgres://postgres@127.0.0.1:${port}/postgres`
  const until = Date.now() + 60_000
  for (;;) {
    const c = new pg.Client({ connectionString: admin })
    try { await c.connect(); await c.end(); break } catch (err) {
      await c.end().catch(() => {})
      if (Date.now() > until) throw new Error(`PostgreSQL did not start: ${(err as Error).message}\n${log}`, { cause: err })
      await new Promise(resolve => setTimeout(resolve, 100))
    }
  }
  return admin
}
