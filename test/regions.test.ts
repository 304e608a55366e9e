import t from 'tap'
import { startGateway } from './helpers/app.js'
import { closedPort, silentServer } from './helpers/net.js'

// Routes 2, 3 and 10 of docs/api-contract.md.

t.test('GET /api/db_list: every registered region with its ip and port', async t => {
  const gw = await startGateway(t, { regions: [{ name: '대구' }, { name: '창원', host: '127.0.0.2' }] })
  const r = await gw.browser().get('/api/db_list')
  t.equal(r.status, 200)
  t.same(r.body, {
    대구: { ip: gw.regions[0].server1.host, port: gw.regions[0].server1.port },
    창원: { ip: '127.0.0.2', port: gw.regions[1].server1.port }
  })
})

t.test('GET /api/ssh_status_check on a registered endpoint that answers: status true, ip and port echoed', async t => {
  const gw = await startGateway(t)
  const { host, port } = gw.regions[0].server1
  const r = await gw.browser().get(`/api/ssh_status_check?ip=${host}&port=${port}`)
  t.equal(r.status, 200)
  t.same(r.body, { ip: host, port, status: true })
  t.equal(gw.regions[0].server1.stats.connections, 1, 'it really dialled the server')
})

t.test('GET /api/ssh_status_check on a registered endpoint that is down or silent: status false', async t => {
  const down = await closedPort()
  const silent = await silentServer(t)
  const gw = await startGateway(t, {
    env: { SSH_CHECK_TIMEOUT_MS: '300' },
    extraRegions: {
      down: { ssh: { host: '127.0.0.1', port: down }, page_url: 'http://127.0.0.1/' },
      silent: { ssh: silent, page_url: 'http://127.0.0.1/' }
    }
  })
  const b = gw.browser()
  t.same((await b.get(`/api/ssh_status_check?ip=127.0.0.1&port=${down}`)).body, { ip: '127.0.0.1', port: down, status: false })
  t.same((await b.get(`/api/ssh_status_check?ip=${silent.host}&port=${silent.port}`)).body, { ip: silent.host, port: silent.port, status: false })
})

t.test('GET /api/ssh_status_check on an endpoint that is not registered: 403, nothing dialled', async t => {
  const silent = await silentServer(t)
  const gw = await startGateway(t)
  const r = await gw.browser().get(`/api/ssh_status_check?ip=${silent.host}&port=${silent.port}`)
  t.equal(r.status, 403)
  t.same(r.body, { code: 'NOT_A_REGION_ENDPOINT', message: 'not a registered region endpoint' })
  const other = await gw.browser().get(`/api/ssh_status_check?ip=127.0.0.1&port=${gw.regions[0].server1.port}&x=1`)
  t.equal(other.status, 200, 'extra query fields are ignored')
})

t.test('GET /api/ssh_status_check with a bad ip or port: 400 with the envelope', async t => {
  const gw = await startGateway(t)
  const b = gw.browser()
  for (const q of ['', '?ip=127.0.0.1', '?port=22', '?ip=127.0.0.1&port=abc', '?ip=127.0.0.1&port=99999', '?ip=127.0.0.1&port=0', '?ip=$(reboot)&port=22', '?ip=127.0.0.1&port=22;ls', '?ip=127.0.0.1&port=-1']) {
    const r = await b.get('/api/ssh_status_check' + q)
    t.equal(r.status, 400, q)
    t.same(Object.keys(r.body).sort(), ['code', 'message'], `${q}: ${r.body.message}`)
  }
})

t.test('GET /api/ssh_status_check: many regions at once do not block the server', async t => {
  const silents = await Promise.all([1, 2, 3, 4, 5].map(async () => await silentServer(t)))
  const gw = await startGateway(t, {
    env: { SSH_CHECK_TIMEOUT_MS: '1500' },
    extraRegions: Object.fromEntries(silents.map((s, i) => [`silent${i}`, { ssh: s, page_url: 'http://127.0.0.1/' }]))
  })
  const b = gw.browser()
  const order: string[] = []
  const checks = silents.map(async s => { await b.get(`/api/ssh_status_check?ip=${s.host}&port=${s.port}`); order.push('check') })
  // Issued after the five slow checks: it must not wait for them.
  const list = b.get('/api/db_list').then(() => order.push('db_list'))
  await Promise.all([...checks, list])
  t.equal(order[0], 'db_list', 'db_list answered while five probes were still waiting')
  t.equal(order.length, 6)
})

t.test('POST /api/page_url: the region\'s FireWatcher page', async t => {
  const gw = await startGateway(t, { regions: [{ name: '대구', pageUrl: 'http://119.199.177.108:8080/' }] })
  const r = await gw.browser().post('/api/page_url', { region: '대구' })
  t.equal(r.status, 200)
  t.same(r.body, { message: 'http://119.199.177.108:8080/' })
})

t.test('POST /api/page_url for an unknown region: 404 "region not found"; bad body: 400', async t => {
  const gw = await startGateway(t)
  const b = gw.browser()
  const r = await b.post('/api/page_url', { region: '서울' })
  t.equal(r.status, 404)
  t.same(r.body, { code: 'REGION_NOT_FOUND', message: 'region not found' })
  for (const body of [{}, { region: 1 }, { region: '' }, { region: 'x'.repeat(65) }]) {
    const bad = await b.post('/api/page_url', body)
    t.equal(bad.status, 400, JSON.stringify(body).slice(0, 40))
    t.type(bad.body.message, 'string')
  }
})

t.test('page_url and db_list need no SSH session', async t => {
  const gw = await startGateway(t)
  const b = gw.browser()
  t.equal((await b.post('/api/page_url', { region: gw.regions[0].name })).status, 200)
  t.equal((await b.get('/api/db_list')).status, 200)
  t.equal(gw.regions[0].server1.stats.connections, 0)
})
