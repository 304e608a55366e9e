import t from 'tap'
import { eventually, startGateway } from './helpers/app.js'
import { closedPort, silentServer } from './helpers/net.js'

// Routes 1, 4 and 5 of docs/api-contract.md, one t.test per rule.

t.test('GET /api/ssh_status without a session: 200 disconnected', async t => {
  const gw = await startGateway(t)
  const r = await gw.browser().get('/api/ssh_status')
  t.equal(r.status, 200)
  t.same(r.body, { status: 'disconnected' })
})

t.test('POST /api/ssh_connect: 200 "SSH connect success"; ssh_status then connected with host, port, hls_server', async t => {
  const gw = await startGateway(t)
  const b = gw.browser()
  const r = await b.connect(gw.regions[0])
  t.equal(r.status, 200)
  t.same(r.body, { message: 'SSH connect success' })
  const s = await b.get('/api/ssh_status')
  t.equal(s.status, 200)
  t.match(s.body, { status: 'connected', host: gw.regions[0].server1.host, port: gw.regions[0].server1.port, hls_server: false, region: gw.regions[0].name, user: 'demo' })
  t.ok(s.body.expires_in > 86000 && s.body.expires_in <= 86400, 'cut after 24 h by default')
  t.equal(gw.regions[0].server1.stats.connections, 1, 'one real SSH connection')
})

t.test('POST /api/ssh_connect twice: 400 "already connected", cheaply, and the first connection stays', async t => {
  const gw = await startGateway(t)
  const b = gw.browser()
  t.equal((await b.connect(gw.regions[0])).status, 200)
  const again = await b.connect(gw.regions[0])
  t.equal(again.status, 400)
  t.same(again.body, { code: 'ALREADY_CONNECTED', message: 'already connected' })
  t.equal(gw.regions[0].server1.stats.connections, 1, 'no second SSH connection was attempted')
  t.equal((await b.get('/api/ssh_status')).body.status, 'connected')
})

t.test('two concurrent connects of one browser session: one succeeds, the other is "already connected"', async t => {
  const gw = await startGateway(t)
  const b = gw.browser()
  await b.get('/api/db_list')
  // Give the browser a session cookie first so both requests belong to one session.
  t.equal((await b.connect(gw.regions[0])).status, 200)
  t.equal((await b.post('/api/ssh_disconnect')).status, 200)
  const [r1, r2] = await Promise.all([b.connect(gw.regions[0]), b.connect(gw.regions[0])])
  t.same([r1.status, r2.status].sort(), [200, 400])
  t.equal(gw.app.sites.size, 1, 'one live site session')
})

t.test('POST /api/ssh_connect with a wrong password: 401 "Authentication failed"; still disconnected', async t => {
  const gw = await startGateway(t)
  const b = gw.browser()
  const r = await b.connect(gw.regions[0], 'demo', 'wrong')
  t.equal(r.status, 401)
  t.same(r.body, { code: 'LOGIN_FAILED', message: 'Authentication failed' })
  t.same((await b.get('/api/ssh_status')).body, { status: 'disconnected' })
  const unknownUser = await b.connect(gw.regions[0], 'nobody', 'demo')
  t.equal(unknownUser.status, 401)
  t.equal((await b.connect(gw.regions[0])).status, 200, 'the right password still works afterwards')
})

t.test('POST /api/ssh_connect to an unknown region: 404 "region not found"', async t => {
  const gw = await startGateway(t)
  const r = await gw.browser().post('/api/ssh_connect', { host: '127.0.0.1', port: 22, id: 'demo', password: 'demo', region: '부산' })
  t.equal(r.status, 404)
  t.same(r.body, { code: 'REGION_NOT_FOUND', message: 'region not found' })
})

t.test('POST /api/ssh_connect to a host/port that is not the region\'s endpoint: 403', async t => {
  const gw = await startGateway(t)
  const { host, port } = gw.regions[0].server1
  const b = gw.browser()
  const wrongPort = await b.post('/api/ssh_connect', { host, port: port === 65535 ? 1 : port + 1, id: 'demo', password: 'demo', region: gw.regions[0].name })
  t.equal(wrongPort.status, 403)
  t.same(wrongPort.body, { code: 'NOT_A_REGION_ENDPOINT', message: 'not a registered region endpoint' })
  const wrongHost = await b.post('/api/ssh_connect', { host: '127.0.0.99', port, id: 'demo', password: 'demo', region: gw.regions[0].name })
  t.equal(wrongHost.status, 403)
  t.equal(gw.regions[0].server1.stats.connections, 0, 'nothing was dialled')
})

t.test('POST /api/ssh_connect to a registered endpoint that refuses: 500 "Connection refused"', async t => {
  const port = await closedPort()
  const gw = await startGateway(t, { extraRegions: { 꺼진곳: { ssh: { host: '127.0.0.1', port }, page_url: 'http://127.0.0.1/' } } })
  const r = await gw.browser().post('/api/ssh_connect', { host: '127.0.0.1', port, id: 'demo', password: 'demo', region: '꺼진곳' })
  t.equal(r.status, 500)
  t.same(r.body, { code: 'SITE_UNREACHABLE', message: 'Connection refused' })
})

t.test('POST /api/ssh_connect to an endpoint that never answers: 500 "Timeout" within the ready timeout', async t => {
  const silent = await silentServer(t)
  const gw = await startGateway(t, { env: { SSH_READY_TIMEOUT_MS: '500' }, extraRegions: { 먹통: { ssh: silent, page_url: 'http://127.0.0.1/' } } })
  const r = await gw.browser().post('/api/ssh_connect', { ...silent, id: 'demo', password: 'demo', region: '먹통' })
  t.equal(r.status, 500)
  t.same(r.body, { code: 'REMOTE_TIMEOUT', message: 'Timeout' })
})

t.test('POST /api/ssh_connect with a bad body: 400 with the envelope, nothing dialled', async t => {
  const gw = await startGateway(t)
  const b = gw.browser()
  const { host, port } = gw.regions[0].server1
  const cases: Array<[string, unknown]> = [
    ['missing password', { host, port, id: 'demo', region: gw.regions[0].name }],
    ['port as a string', { host, port: String(port), id: 'demo', password: 'demo', region: gw.regions[0].name }],
    ['port out of range', { host, port: 70000, id: 'demo', password: 'demo', region: gw.regions[0].name }],
    ['null id', { host, port, id: null, password: 'demo', region: gw.regions[0].name }],
    ['array region', { host, port, id: 'demo', password: 'demo', region: [gw.regions[0].name] }],
    ['not an object', 'hello']
  ]
  for (const [name, body] of cases) {
    const r = await b.request({ method: 'POST', url: '/api/ssh_connect', payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } })
    t.equal(r.status, 400, name)
    t.type(r.body.message, 'string', `${name}: ${r.body.message}`)
    t.same(Object.keys(r.body).sort(), ['code', 'message'], `${name}: only the envelope`)
  }
  t.equal(gw.regions[0].server1.stats.connections, 0)
})

t.test('POST /api/ssh_disconnect: 200 "SSH disconnect success", closes the connection; again: 400 "not connected"', async t => {
  const gw = await startGateway(t)
  const b = gw.browser()
  await b.connect(gw.regions[0])
  const r = await b.post('/api/ssh_disconnect')
  t.equal(r.status, 200)
  t.same(r.body, { message: 'SSH disconnect success' })
  t.same((await b.get('/api/ssh_status')).body, { status: 'disconnected' })
  t.ok(await eventually(() => gw.regions[0].server1.stats.openSessions === 0 && gw.app.sites.size === 0), 'closed on the gateway and on the site')
  const again = await b.post('/api/ssh_disconnect')
  t.equal(again.status, 400)
  t.same(again.body, { code: 'NOT_CONNECTED', message: 'not connected' })
  t.equal((await b.connect(gw.regions[0])).status, 200, 'can connect again')
})

t.test('POST /api/ssh_disconnect without ever connecting: 400 "not connected"', async t => {
  const gw = await startGateway(t)
  const r = await gw.browser().post('/api/ssh_disconnect')
  t.equal(r.status, 400)
  t.same(r.body, { code: 'NOT_CONNECTED', message: 'not connected' })
})

t.test('sessions are isolated: two browsers, two connections; one cannot see or close the other\'s', async t => {
  const gw = await startGateway(t, { regions: [{ name: '대구' }, { name: '부산', host: '127.0.0.2' }] })
  const a = gw.browser()
  const b = gw.browser()
  t.equal((await a.connect(gw.regions[0])).status, 200)
  t.equal((await b.connect(gw.regions[1])).status, 200)
  t.equal(gw.app.sites.size, 2)
  t.equal((await a.get('/api/ssh_status')).body.region, '대구')
  t.equal((await b.get('/api/ssh_status')).body.region, '부산')
  t.equal((await b.post('/api/ssh_disconnect')).status, 200)
  t.equal((await b.post('/api/ssh_disconnect')).status, 400, 'b has nothing left to close')
  t.equal((await a.get('/api/ssh_status')).body.status, 'connected', 'a is untouched')
  const stranger = gw.browser()
  t.same((await stranger.get('/api/ssh_status')).body, { status: 'disconnected' })
  t.equal((await stranger.post('/api/ssh_disconnect')).status, 400)
  t.equal((await a.get('/api/ssh_status')).body.status, 'connected')
})

t.test('the SSH connection is cut when its TTL runs out; status then says disconnected', async t => {
  const gw = await startGateway(t, { env: { SSH_TTL_SECONDS: '1' } })
  const b = gw.browser()
  await b.connect(gw.regions[0])
  t.equal((await b.get('/api/ssh_status')).body.status, 'connected')
  t.ok(await eventually(async () => (await b.get('/api/ssh_status')).body.status === 'disconnected', 4000), 'disconnected after the TTL')
  t.ok(await eventually(() => gw.regions[0].server1.stats.openSessions === 0 && gw.app.sites.size === 0), 'connection closed')
  t.same((await b.post('/api/ssh_disconnect')).body, { code: 'NOT_CONNECTED', message: 'not connected' })
})

t.test('an expired browser session takes its SSH connection with it', async t => {
  const gw = await startGateway(t, { env: { SESSION_TTL_SECONDS: '1' } })
  const b = gw.browser()
  await b.connect(gw.regions[0])
  t.equal(gw.app.sites.size, 1)
  await new Promise(resolve => setTimeout(resolve, 1200))
  gw.app.sessionStore.sweep()
  t.equal(gw.app.sites.size, 0, 'site session closed with the browser session')
  t.same((await b.get('/api/ssh_status')).body, { status: 'disconnected' })
})

t.test('a dropped link (site server gone) is reported as disconnected', async t => {
  const gw = await startGateway(t)
  const b = gw.browser()
  await b.connect(gw.regions[0])
  gw.regions[0].server1.dropConnections()
  t.ok(await eventually(async () => (await b.get('/api/ssh_status')).body.status === 'disconnected'), 'disconnected')
  t.equal(gw.app.sites.size, 0)
})

t.test('a silent link (no FIN, nothing answers) is noticed by keepalive and reported as disconnected', async t => {
  const gw = await startGateway(t, { env: { SSH_KEEPALIVE_INTERVAL_MS: '200', SSH_KEEPALIVE_COUNT_MAX: '2' } })
  const b = gw.browser()
  await b.connect(gw.regions[0])
  gw.regions[0].server1.freeze()
  t.equal((await b.get('/api/ssh_status')).body.status, 'connected', 'not noticed at once')
  t.ok(await eventually(async () => (await b.get('/api/ssh_status')).body.status === 'disconnected', 5000), 'noticed within keepalive time')
})

t.test('gateway shutdown closes every SSH connection', async t => {
  const gw = await startGateway(t, { regions: [{ name: 'a' }, { name: 'b', host: '127.0.0.3' }] })
  await gw.browser().connect(gw.regions[0])
  await gw.browser().connect(gw.regions[1])
  t.equal(gw.app.sites.size, 2)
  await gw.app.close()
  t.equal(gw.app.sites.size, 0)
  t.ok(await eventually(() => gw.regions.every(r => r.server1.stats.openSessions === 0)), 'site servers saw the connections end')
})
