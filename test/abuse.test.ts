import t from 'tap'
import { startGateway } from './helpers/app.js'

// Hardening 2: abuse limits. Every rule answers with the {"message"} envelope.

t.test('repeated wrong passwords get 429 after LOGIN_RATE_MAX, per client and region, without locking out others', async t => {
  const gw = await startGateway(t, { regions: [{ name: 'a' }, { name: 'b', host: '127.0.0.2' }], env: { LOGIN_RATE_MAX: '3' } })
  const [a, b] = gw.regions
  const login = async (region: typeof a, password: string, ip: string): Promise<{ status: number, body: any }> => {
    const { host, port } = region.entry.ssh as { host: string, port: number }
    const res = await gw.app.inject({ method: 'POST', url: '/api/ssh_connect', remoteAddress: ip, payload: { host, port, id: 'demo', password, region: region.name } })
    return { status: res.statusCode, body: res.json() }
  }
  for (let i = 0; i < 3; i++) t.equal((await login(a, 'wrong', '10.9.9.1')).status, 401, `attempt ${i + 1}`)
  const limited = await login(a, 'wrong', '10.9.9.1')
  t.equal(limited.status, 429)
  t.match(limited.body, { message: /^Too many login attempts for this region; try again in / })
  t.same(Object.keys(limited.body).sort(), ['code', 'message'])
  t.equal((await login(a, 'demo', '10.9.9.1')).status, 429, 'even the right password waits out the window')
  t.equal((await login(a, 'demo', '10.9.9.2')).status, 200, 'another client is not locked out')
  t.equal((await login(b, 'wrong', '10.9.9.1')).status, 401, 'the same client on another region is not limited')
})

t.test('the existing client\'s login sequence never meets 429: connect → 400 already connected → disconnect → connect, 20 times', async t => {
  // Only wrong passwords count (LOGIN_RATE_MAX at its default of 10): reconnecting is not guessing.
  const gw = await startGateway(t, { regions: [{ name: 'a' }], env: { LOGIN_RATE_MAX: '10' } })
  const b = gw.browser()
  t.equal((await b.connect(gw.regions[0])).status, 200, 'first login')
  const codes: number[] = []
  for (let i = 0; i < 20; i++) {
    codes.push((await b.connect(gw.regions[0])).status)
    codes.push((await b.post('/api/ssh_disconnect')).status)
    codes.push((await b.connect(gw.regions[0])).status)
  }
  t.same(codes, Array.from({ length: 20 }, () => [400, 200, 200]).flat(), 'already connected, disconnected, connected: every round')
})

t.test('11 wrong passwords from one client: 10 × 401, then 429; a right password before that clears the count', async t => {
  const gw = await startGateway(t, { regions: [{ name: 'a' }], env: { LOGIN_RATE_MAX: '10' } })
  const b = gw.browser()
  for (let i = 0; i < 9; i++) t.equal((await b.connect(gw.regions[0], 'demo', 'wrong')).status, 401)
  t.equal((await b.connect(gw.regions[0])).status, 200, 'the operator remembers the password at the 10th try')
  await b.post('/api/ssh_disconnect')
  const codes: number[] = []
  for (let i = 0; i < 11; i++) codes.push((await b.connect(gw.regions[0], 'demo', 'wrong')).status)
  t.same(codes, [...Array.from({ length: 10 }, () => 401), 429], 'the count started again after the success')
  const r = await b.connect(gw.regions[0])
  t.same([r.status, Object.keys(r.body).sort()], [429, ['code', 'message']], 'then even the right password waits out the window')
  t.match(r.body.message, /^Too many login attempts for this region; try again in (10 minutes|9 minutes)$/)
})

t.test('field types and lengths: a 1 MB find_word, a 10,000-character URL, arrays, nulls, numbers as strings → 400', async t => {
  const gw = await startGateway(t, { regions: [{ name: 'a', logs: ['2025-03-13'] }] })
  const b = gw.browser()
  await b.connect(gw.regions[0])
  const cases: Array<[string, Record<string, unknown>]> = [
    ['/api/gstreamer_log', { inference_id: 'svr10', date: '2025-03-13', find_word: 'x'.repeat(1024 * 1024) }],
    ['/api/run_ffprobe', { inference_id: 'svr10', url: 'rtsp://127.0.0.1/' + 'a'.repeat(10_000) }],
    ['/api/gstreamer_log', { inference_id: 'svr10', date: ['2025-03-13'], find_word: 'x' }],
    ['/api/gstreamer_log', { inference_id: 'svr10', date: null, find_word: 'x' }],
    ['/api/hls_tunnel', { inference_id: 'svr10', cctv_id: { id: 1 } }],
    ['/api/ssh_connect', { host: '127.0.0.1', port: '22', id: 'demo', password: 'demo', region: 'a' }],
    ['/api/page_url', { region: 42 }],
    ['/api/page_url', { region: null }]
  ]
  for (const [url, body] of cases) {
    const r = await b.post(url, body)
    t.equal(r.status, 400, `${url} ${JSON.stringify(body).slice(0, 60)}`)
    t.same(Object.keys(r.body).sort(), ['code', 'message'])
  }
})

t.test('invalid UTF-8 in a JSON body: 400 with the envelope', async t => {
  const gw = await startGateway(t)
  const payload = Buffer.concat([Buffer.from('{"region":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('"}')])
  const r = await gw.app.inject({ method: 'POST', url: '/api/page_url', payload, headers: { 'content-type': 'application/json' } })
  t.equal(r.statusCode, 400)
  t.same(r.json(), { code: 'BAD_REQUEST', message: 'request body is not valid UTF-8' })
})

t.test('only application/json POSTs: other content types with a body get 415', async t => {
  const gw = await startGateway(t)
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml']) {
    const r = await gw.app.inject({ method: 'POST', url: '/api/page_url', payload: 'region=a', headers: { 'content-type': type } })
    t.equal(r.statusCode, 415, type)
    t.same(Object.keys(r.json()).sort(), ['code', 'message'])
  }
  const ok = await gw.app.inject({ method: 'POST', url: '/api/page_url', payload: JSON.stringify({ region: gw.regions[0].name }), headers: { 'content-type': 'application/json; charset=utf-8' } })
  t.equal(ok.statusCode, 200, 'JSON with a charset is fine')
  const empty = await gw.app.inject({ method: 'POST', url: '/api/ssh_disconnect' })
  t.equal(empty.statusCode, 400, 'a body-less POST (as the client sends) is not a content-type error')
  t.same(empty.json(), { code: 'NOT_CONNECTED', message: 'not connected' })
})

t.test('CORS is off by default; with CORS_ORIGINS only those origins get credentials', async t => {
  const off = await startGateway(t)
  const r = await off.app.inject({ method: 'GET', url: '/api/db_list', headers: { origin: 'http://evil.example' } })
  t.notOk(r.headers['access-control-allow-origin'])
  const pre = await off.app.inject({ method: 'OPTIONS', url: '/api/ssh_connect', headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' } })
  t.notOk(pre.headers['access-control-allow-origin'], 'no preflight approval')

  const on = await startGateway(t, { env: { CORS_ORIGINS: 'http://console.ops.example, http://wall.ops.example' } })
  const allowed = await on.app.inject({ method: 'GET', url: '/api/db_list', headers: { origin: 'http://console.ops.example' } })
  t.equal(allowed.headers['access-control-allow-origin'], 'http://console.ops.example')
  t.equal(allowed.headers['access-control-allow-credentials'], 'true')
  const other = await on.app.inject({ method: 'GET', url: '/api/db_list', headers: { origin: 'http://evil.example' } })
  t.notOk(other.headers['access-control-allow-origin'])
})

t.test('a general per-client ceiling: RATE_LIMIT_MAX requests a minute, then 429 with the envelope', async t => {
  const gw = await startGateway(t, { env: { RATE_LIMIT_MAX: '5' } })
  const codes: number[] = []
  for (let i = 0; i < 7; i++) codes.push((await gw.app.inject({ method: 'GET', url: '/api/db_list', remoteAddress: '10.1.1.1' })).statusCode)
  t.same(codes, [200, 200, 200, 200, 200, 429, 429])
  const r = await gw.app.inject({ method: 'GET', url: '/api/db_list', remoteAddress: '10.1.1.1' })
  t.match(r.json(), { message: /^Too many requests; try again in / })
  t.equal((await gw.app.inject({ method: 'GET', url: '/api/db_list', remoteAddress: '10.1.1.2' })).statusCode, 200, 'others unaffected')
})
