import t from 'tap'
import { startGateway } from './helpers/app.js'
import { buildCommand, stdinFor } from '../lib/ssh/remote-command.js'

// "a limit on concurrent channels per connection (OpenSSH's MaxSessions is 10): excess work queues, it does not fail"

t.test('60 concurrent remote commands on one session, against a server that allows 10 channels, all succeed', async t => {
  const gw = await startGateway(t, { regions: [{ name: '대구', maxSessions: 10 }] })
  const b = gw.browser()
  await b.connect(gw.regions[0])
  const [site] = gw.app.sites.all()
  const results = await Promise.all(Array.from({ length: 60 }, async (_, i) =>
    await site.conn.exec(buildCommand({ argv: ['sh', '-c', 'sleep 0.05; echo "$0"', `job-${i}`], timeoutSec: 20 }), { timeoutMs: 20_000 })))
  t.same(results.map(r => r.code), Array(60).fill(0), 'every command exited 0')
  t.same(results.map(r => r.stdout.toString()), Array.from({ length: 60 }, (_, i) => `job-${i}\n`), 'each got its own output')
  const stats = gw.regions[0].server1.stats
  t.equal(stats.refusedSessions, 0, 'the server never had to refuse a channel')
  t.ok(stats.maxOpenSessions <= 8, `at most SSH_MAX_CHANNELS (8) open at once (saw ${stats.maxOpenSessions})`)
  t.ok(stats.maxOpenSessions > 1, 'but they did run in parallel')
})

t.test('a server whose limit is below ours: refused channels are retried, not failed', async t => {
  const gw = await startGateway(t, { regions: [{ name: '대구', maxSessions: 3 }] })
  const b = gw.browser()
  await b.connect(gw.regions[0])
  const [site] = gw.app.sites.all()
  const results = await Promise.all(Array.from({ length: 20 }, async (_, i) =>
    await site.conn.exec(buildCommand({ argv: ['echo', String(i)], timeoutSec: 20 }), { timeoutMs: 20_000 })))
  t.same(results.map(r => r.stdout.toString().trim()), Array.from({ length: 20 }, (_, i) => String(i)))
  t.ok(gw.regions[0].server1.stats.refusedSessions > 0, 'the server did refuse some channel opens')
})

t.test('exec: local timeout answers "Timeout" and the remote process is stopped by its own timeout', async t => {
  const gw = await startGateway(t)
  await gw.browser().connect(gw.regions[0])
  const [site] = gw.app.sites.all()
  await t.rejects(site.conn.exec(buildCommand({ argv: ['sleep', '30'], timeoutSec: 1 }), { timeoutMs: 300 }), { message: 'Timeout' })
  const { eventually } = await import('./helpers/app.js')
  t.ok(await eventually(() => gw.regions[0].server1.runningProcesses === 0, 5000), 'no process left running on the site')
})

t.test('exec: output beyond the cap is cut and marked truncated', async t => {
  const gw = await startGateway(t)
  await gw.browser().connect(gw.regions[0])
  const [site] = gw.app.sites.all()
  const r = await site.conn.exec(buildCommand({ argv: ['yes', 'line'], timeoutSec: 10 }), { timeoutMs: 10_000, maxStdoutBytes: 1000 })
  t.equal(r.stdout.length, 1000)
  t.equal(r.truncated, true)
})

t.test('exec through sudo: the password is taken from stdin; a wrong one is refused with sudo\'s own text', async t => {
  const gw = await startGateway(t)
  await gw.browser().connect(gw.regions[0])
  const [site] = gw.app.sites.all()
  const cmd = { argv: ['docker', 'ps', '--format', '{{json .}}'], timeoutSec: 10, sudo: true }
  const ok = await site.conn.exec(buildCommand(cmd), { timeoutMs: 10_000, stdin: stdinFor(cmd, site.conn.password) })
  t.equal(ok.code, 0, ok.stderr.toString())
  t.match(ok.stdout.toString(), /"Names":"mongo"/)
  const bad = await site.conn.exec(buildCommand(cmd), { timeoutMs: 10_000, stdin: stdinFor(cmd, 'wrong') })
  t.equal(bad.code, 1)
  t.match(bad.stderr.toString(), /Sorry, try again\./)
  const noSudo = await site.conn.exec(buildCommand({ ...cmd, sudo: false }), { timeoutMs: 10_000 })
  t.match(noSudo.stderr.toString(), /permission denied while trying to connect to the Docker daemon socket/)
})
