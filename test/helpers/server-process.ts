import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import { SWEEP_TEST_ENV } from './app.js'

const root = fileURLToPath(new URL('../..', import.meta.url))

/**
 * The real gateway (server.ts) as its own process, as systemd runs it: a regions file, its
 * own known-hosts file and audit log in `dir`, and `env` over the test's environment; what it
 * prints goes to `<dir>/<name>.log` (read it when a test fails). Killed at teardown (continued
 * first, in case a test left it stopped).
 */
export function spawnServer (t: Pick<Test, 'teardown'>, opts: { dir: string, name: string, regionsFile: string, env: Record<string, string> }): ChildProcess {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: '0',
    LOG_LEVEL: 'warn',
    REGIONS_FILE: opts.regionsFile,
    KNOWN_HOSTS_FILE: path.join(opts.dir, `known_hosts-${opts.name}.json`),
    AUDIT_LOG: path.join(opts.dir, `audit-${opts.name}.log`),
    SESSION_SECRET: 'a-test-secret-that-is-long-enough-1234567890',
    ...SWEEP_TEST_ENV,
    ...opts.env
  }
  delete env.NODE_OPTIONS
  const log = openSync(path.join(opts.dir, `${opts.name}.log`), 'a')
  const child = spawn(process.execPath, ['--import', 'tsx', 'server.ts'], { cwd: root, env, stdio: ['ignore', log, log] })
  closeSync(log)
  t.teardown(() => { child.kill('SIGCONT'); child.kill('SIGKILL') })
  return child
}
