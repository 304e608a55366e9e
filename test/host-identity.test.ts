import t from 'tap'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { startGateway } from './helpers/app.js'
import { SimSite } from '../sim/site.js'
import { fingerprint } from '../lib/ssh/known-hosts.js'
import ssh2 from 'ssh2'

// Hardening 1: host identity is recorded on first use, a change refuses the connection.

function keyFingerprint (site: SimSite): string {
  const key = ssh2.utils.parseKey(readFileSync(`${site.root}/etc/ssh_host_ed25519_key`, 'utf8'))
  if (key instanceof Error || Array.isArray(key)) throw new Error('bad key')
  return fingerprint(key.getPublicSSH())
}

t.test('first connection records the host key fingerprint on disk, as OpenSSH prints it', async t => {
  const gw = await startGateway(t, { regions: [{ name: '대구', servers: 2, logs: ['2025-03-13'] }] })
  const b = gw.browser()
  await b.connect(gw.regions[0])
  await b.post('/api/gstreamer_log', { inference_id: 'svr20', date: '2025-03-13', find_word: 'x' })
  const file = gw.app.config.env.KNOWN_HOSTS_FILE
  const doc = JSON.parse(readFileSync(file, 'utf8'))
  const s1 = gw.regions[0].server1
  t.equal(doc.hosts[`${s1.host}:${s1.port}`].fingerprint, keyFingerprint(s1), 'server 1')
  t.equal(doc.hosts['대구/svr2 svr2.site.internal:22'].fingerprint, keyFingerprint(gw.regions[0].servers.get(2)!), 'the hop, keyed by region and server')
  // The same string OpenSSH's ssh-keygen -lf prints for that key.
  const pub = `${s1.root}/etc/host.pub`
  const key = ssh2.utils.parseKey(readFileSync(`${s1.root}/etc/ssh_host_ed25519_key`, 'utf8')) as ssh2.ParsedKey
  writeFileSync(pub, `ssh-ed25519 ${key.getPublicSSH().toString('base64')}\n`)
  t.match(execFileSync('ssh-keygen', ['-lf', pub], { encoding: 'utf8' }), keyFingerprint(s1))
})

t.test('a changed host key refuses the connection, naming the host and both fingerprints; forget resets it', async t => {
  const gw = await startGateway(t)
  const region = gw.regions[0]
  const s1 = region.server1
  const b = gw.browser()
  t.equal((await b.connect(region)).status, 200)
  const old = keyFingerprint(s1)
  await b.post('/api/ssh_disconnect')
  // The "server" is reinstalled: same address, new key.
  await s1.close()
  rmSync(`${s1.root}/etc/ssh_host_ed25519_key`)
  const again = await SimSite.start({ host: s1.host, port: s1.port, root: s1.root, users: [{ username: 'demo', password: 'demo' }] })
  t.teardown(() => again.close())
  const r = await b.connect(region)
  t.equal(r.status, 500, 'refused (the client understands 500)')
  t.match(r.body.message, `host key of ${s1.host}:${s1.port} has changed: known ${old}, offered ${keyFingerprint(again)}`)
  t.match(r.body.message, /npm run known-hosts -- forget/)
  t.equal(again.stats.execs, 0)
  t.same((await b.get('/api/ssh_status')).body, { status: 'disconnected' })
  t.ok(gw.app.knownHosts.forget(`${s1.host}:${s1.port}`), 'the documented reset')
  t.equal((await b.connect(region)).status, 200, 'the new key is accepted after forget')
})

t.test('a fingerprint pinned in the regions file is checked (and a wrong one refuses)', async t => {
  const gw = await startGateway(t, {
    regions: [{ name: 'good' }, { name: 'bad', host: '127.0.0.2' }],
    patch: doc => {
      doc.regions.bad.ssh.fingerprint = 'SHA256:' + 'A'.repeat(43)
    }
  })
  const good = gw.browser()
  t.equal((await good.connect(gw.regions[0])).status, 200)
  const r = await gw.browser().connect(gw.regions[1])
  t.equal(r.status, 500)
  t.match(r.body.message, /does not match the fingerprint pinned in the regions file: pinned SHA256:A{43}, offered SHA256:/)
  t.notOk(JSON.parse(readFileSync(gw.app.config.env.KNOWN_HOSTS_FILE, 'utf8')).hosts[`127.0.0.2:${gw.regions[1].server1.port}`], 'a pinned host is not learned')
})

t.test('a hop whose key changed is refused too', async t => {
  const gw = await startGateway(t, { regions: [{ name: '대구', servers: 2, logs: ['2025-03-13'] }] })
  const b = gw.browser()
  await b.connect(gw.regions[0])
  gw.app.knownHosts.forget('대구/svr2 svr2.site.internal:22')
  // Record a different key for the hop, as if the hop had been seen before with another key.
  ;(gw.app.knownHosts as unknown as { hosts: Record<string, unknown> }).hosts['대구/svr2 svr2.site.internal:22'] = { fingerprint: 'SHA256:' + 'B'.repeat(43), firstSeen: 'x' }
  const r = await b.post('/api/gstreamer_log', { inference_id: 'svr20', date: '2025-03-13', find_word: 'x' })
  t.equal(r.status, 500)
  t.match(r.body.message, /^server 2: host key of 대구\/svr2 svr2\.site\.internal:22 has changed: known SHA256:B{43}, offered SHA256:/)
  t.equal((await b.post('/api/gstreamer_log', { inference_id: 'svr10', date: '2025-03-13', find_word: 'x' })).status, 200, 'server 1 unaffected')
})
