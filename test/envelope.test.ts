import t from 'tap'
import { startGateway } from './helpers/app.js'

// "Errors keep the envelope {"message": ...}": schema failures, unknown routes, bad JSON, unexpected errors.

t.test('an unknown route answers 404 with the envelope', async t => {
  const gw = await startGateway(t)
  const r = await gw.browser().get('/api/nope?password=x')
  t.equal(r.status, 404)
  t.same(r.body, { code: 'ROUTE_NOT_FOUND', message: 'Route GET /api/nope not found' })
})

t.test('malformed JSON answers 400 with the envelope, no stack', async t => {
  const gw = await startGateway(t)
  const r = await gw.browser().request({ method: 'POST', url: '/api/page_url', payload: '{"region":', headers: { 'content-type': 'application/json' } })
  t.equal(r.status, 400)
  t.same(Object.keys(r.body).sort(), ['code', 'message'])
  t.notMatch(r.body.message, /at .*\.(js|ts):\d+/)
})

t.test('a body over the size limit answers 413 with the envelope', async t => {
  const gw = await startGateway(t)
  const r = await gw.browser().post('/api/page_url', { region: 'x'.repeat(3 * 1024 * 1024) })
  t.equal(r.status, 413)
  t.same(Object.keys(r.body).sort(), ['code', 'message'])
})

t.test('an unexpected failure answers 500 "Internal server error" and is logged with the request id', async t => {
  const gw = await startGateway(t, { captureLogs: true })
  // Break the registry lookup for one request: the handler must answer the envelope and log the cause.
  const original = gw.app.sites.get.bind(gw.app.sites)
  gw.app.sites.get = () => { throw new Error('secret internal detail at /opt/fwmaint/x.js:1') }
  const r = await gw.browser().get('/api/ssh_status')
  gw.app.sites.get = original
  t.equal(r.status, 500)
  t.same(r.body, { code: 'INTERNAL', message: 'Internal server error' })
  const line = gw.logs.find(l => l.msg === 'unexpected error')
  t.ok(line, 'logged')
  t.equal(line?.level, 50, 'at error level')
  t.match(line?.reqId, /^req-/, 'with the request id')
  t.match(line?.err?.message, /secret internal detail/, 'with the cause, in the log only')
})

t.test('GET /api/openapi.json publishes the routes and their schemas', async t => {
  const gw = await startGateway(t)
  const r = await gw.browser().get('/api/openapi.json')
  t.equal(r.status, 200)
  t.match(r.body, { openapi: /^3\./ })
  for (const p of ['/api/ssh_status', '/api/db_list', '/api/ssh_status_check', '/api/ssh_connect', '/api/ssh_disconnect', '/api/page_url']) {
    t.ok(r.body.paths[p], `${p} is documented`)
  }
  t.ok(r.body.paths['/api/ssh_connect'].post.requestBody, 'request body schema is there')
})

t.test('session cookie: httpOnly, SameSite=Lax, set only once there is something to keep', async t => {
  const gw = await startGateway(t)
  const b = gw.browser()
  const before = await b.get('/api/db_list')
  t.notOk(before.headers['set-cookie'], 'no cookie for anonymous reads')
  const r = await b.connect(gw.regions[0])
  const cookie = String(r.headers['set-cookie'])
  t.match(cookie, /^fwmaint\.sid=/)
  t.match(cookie, /HttpOnly/)
  t.match(cookie, /SameSite=Lax/)
  t.notMatch(cookie, /Secure/, 'plain HTTP by default (COOKIE_SECURE=false)')
})

t.test('the SSH password never reaches the log, on success or failure', async t => {
  const gw = await startGateway(t, { captureLogs: true, env: { LOG_LEVEL: 'trace' } })
  const secret = 'Pw-\'"$(x)-비밀-7f3a9'
  await gw.browser().connect(gw.regions[0], 'demo', secret)
  await gw.browser().connect(gw.regions[0])
  t.ok(gw.logs.length > 4, 'there were log lines to look at')
  const all = JSON.stringify(gw.logs)
  t.notOk(all.includes(secret), 'wrong password not logged')
  t.notOk(/"password"\s*:\s*"demo"/.test(all), 'right password not logged')
})
