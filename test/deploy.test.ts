import t from 'tap'
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, readFileSync, utimesSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

// Hardening 7: the systemd unit is valid and sandboxed.

const unit = new URL('../deploy/fwmaint.service', import.meta.url)

t.test('deploy/fwmaint.service passes systemd-analyze verify', async t => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fwunit-'))
  copyFileSync(unit, path.join(dir, 'fwmaint.service'))
  const out = execFileSync('systemd-analyze', ['verify', path.join(dir, 'fwmaint.service')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  t.equal(out.trim(), '')
})

t.test('its sandbox: dedicated user, NoNewPrivileges, ProtectSystem=strict, state and log dirs, restart; exposure ≤ 2.0', async t => {
  const text = readFileSync(unit, 'utf8')
  for (const line of ['User=fwmaint', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'StateDirectory=fwmaint', 'LogsDirectory=fwmaint', 'Restart=on-failure', 'CapabilityBoundingSet=', 'KillSignal=SIGTERM']) {
    t.match(text, new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'), line)
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fwunit-'))
  copyFileSync(unit, path.join(dir, 'fwmaint.service'))
  const report = execFileSync('systemd-analyze', ['security', '--offline=yes', path.join(dir, 'fwmaint.service')], { encoding: 'utf8' })
  const score = Number(/Overall exposure level for fwmaint\.service: ([\d.]+)/.exec(report)![1])
  t.ok(score <= 2.0, `systemd-analyze security: ${score}`)
})

t.test('npm start builds only what is stale: nothing changed → no tsc; a source touched → compiled again', async t => {
  const root = new URL('..', import.meta.url).pathname
  const build = (): string => execFileSync(process.execPath, ['scripts/build-server.mjs'], { cwd: root, encoding: 'utf8' })
  build()
  t.match(build(), /^gateway: dist\/ is up to date$/m, 'second run: up to date, no compiler')
  const src = path.join(root, 'lib', 'errors.ts')
  const now = new Date()
  utimesSync(src, now, now)
  t.match(build(), /^gateway: compiled into dist\/ in [\d.]+ s$/m, 'a newer source is compiled')
  t.match(build(), /up to date/, 'and then up to date again')
})
