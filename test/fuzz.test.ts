import t, { type Test } from 'tap'
import { isErrorCode } from '../lib/error-codes.js'
import fc from 'fast-check'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { startGateway, type Browser, type Gateway } from './helpers/app.js'
import { HOSTILE_VALUES } from './helpers/hostile.js'
import { ackLink } from '../lib/notify/ack-links.js'

// Issue 13: every byte a client can send. Arbitrary strings (any code point, lone surrogates,
// NUL), numbers, booleans, nulls, arrays, objects and oversized values at every field of every
// route the OpenAPI document lists (bodies and query strings), plus the live-view relay's
// path, with and without a session, against the simulated site. Never a 500, always the
// {"message"} envelope on an error, never a stack trace, the injection canary never created.
// Seeded and bounded: FUZZ_SEED / FUZZ_RUNS replay or widen a run; a failure prints its seed.

const SEED = Number(process.env.FUZZ_SEED ?? 20261130)
const RUNS = Number(process.env.FUZZ_RUNS ?? 600)

const gw = await startGateway(t, {
  regions: [{ name: '대구', servers: 2, cameras: 8, logs: ['2025-03-13'], hls: true }],
  env: { FFPROBE_TIMEOUT_SECONDS: '2', HEALTH_PROBE_TIMEOUT_SECONDS: '2', HEALTH_ABANDON_SECONDS: '1', RATE_LIMIT_MAX: '100000' }
})
const region = gw.regions[0]
const canaries = [...region.servers.values()].map(s => path.join(s.root, 'PWNED'))
const { host, port } = region.entry.ssh as { host: string, port: number }

/** A value each field accepts, so that the other fields of a request reach the code behind validation. */
const VALID: Record<string, unknown> = {
  inference_id: 'svr21',
  date: '2025-03-13',
  find_word: 'Reconnect ',
  url: 'rtsp://127.0.0.1:9/live',
  cctv_id: 7,
  region: region.name,
  host,
  port,
  id: 'demo',
  password: 'demo',
  servers: [1, 2],
  l2: '수성구',
  l3: '황금동',
  ids: [1, 2],
  ip: host,
  username: 'root-admin',
  text: '메모',
  note: '메모',
  roles: { '대구': 'viewer' },
  token: 'A'.repeat(32)
}

interface Route { method: 'GET' | 'POST', url: string, body: string[], query: string[] }

/** Every documented route and its fields, from the gateway's own OpenAPI document: a new route is fuzzed without touching this test. */
function routes (g: Gateway): Route[] {
  const doc = g.app.swagger() as { paths: Record<string, Record<string, { parameters?: Array<{ in: string, name: string }>, requestBody?: { content?: Record<string,
    { schema?: { properties?: object } }> } }>> }
  const out: Route[] = []
  for (const [url, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      out.push({
        method: method.toUpperCase() as Route['method'],
        url,
        body: Object.keys(op.requestBody?.content?.['application/json']?.schema?.properties ?? {}),
        query: (op.parameters ?? []).filter(p => p.in === 'query').map(p => p.name)
      })
    }
  }
  // Not in the document: the OpenAPI route itself and the live-view relay (its path is fuzzed below).
  out.push({ method: 'GET', url: '/api/openapi.json', body: [], query: [] })
  return out
}

const ROUTES = routes(gw)

// Issue 26: the same gateway with accounts (AUTH_MODE=accounts): its own routes (sign-in, people,
// held logins) and every other route behind the sign-in, fuzzed signed in as an admin or not at all.
const ADMIN = { username: 'root-admin', password: 'fuzz-admin-password-1' }
const gwa = await startGateway(t, {
  regions: [{ name: '대구', servers: 2, cameras: 8, logs: ['2025-03-13'], hls: true }],
  env: { AUTH_MODE: 'accounts', FFPROBE_TIMEOUT_SECONDS: '2', HEALTH_PROBE_TIMEOUT_SECONDS: '2', HEALTH_ABANDON_SECONDS: '1', RATE_LIMIT_MAX: '100000' }
})
await gwa.app.users.add(ADMIN.username, { roles: new Map([['*', 'admin']]), password: ADMIN.password }, Date.now())
const ACCOUNT_ROUTES = routes(gwa)
// Assertions after the last top-level await: tap ends a file whose root test goes idle after one.
t.ok(ROUTES.length >= 18, `${ROUTES.length} routes from the OpenAPI document`)
t.ok(ACCOUNT_ROUTES.length > ROUTES.length, `${ACCOUNT_ROUTES.length} routes in accounts mode`)

const hostile = fc.constantFrom(...HOSTILE_VALUES(canaries[0]), ...HOSTILE_VALUES(canaries[1]).filter(v => v.includes('PWNED')))
const text = fc.string({ unit: 'binary', maxLength: 12 })
/** Strings of any code point, with NUL or a lone surrogate put in a third of the time each. */
const anyString = fc.oneof(
  fc.tuple(text, text).map(([a, b]) => `${a}\0${b}`),
  fc.tuple(text, fc.constantFrom('\ud800', '\udfff', '\ud83d'), text).map(([a, s, b]) => a + s + b),
  fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), hostile, fc.constantFrom('x'.repeat(300_000), '가'.repeat(70_000), 'svr10', '2025-03-13'))
)
const scalar = fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.bigInt().map(String), fc.constantFrom(-1, 0, 65536, 1e21, 2 ** 53 + 1))
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: anyString },
  { weight: 3, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(fc.oneof(anyString, scalar), { maxLength: 5 }) },
  { weight: 1, arbitrary: fc.dictionary(anyString, fc.oneof(anyString, scalar), { maxKeys: 4 }) },
  { weight: 1, arbitrary: fc.constant(Array.from({ length: 200_000 }, (_, i) => i)) }
)
/** Raw query bytes, percent-encoded: NUL, invalid UTF-8, encoded surrogates, repeated keys. */
const queryValue = fc.oneof(
  anyString.map(s => encodeURIComponent(s.toWellFormed())),
  fc.uint8Array({ maxLength: 12 }).map(b => [...b].map(x => '%' + x.toString(16).padStart(2, '0')).join('')),
  fc.constantFrom('%00', '%ED%A0%80', '%C0%AF', '%', '%zz', '127.0.0.1%00', String(port))
)

type Target = { route: Route, field: string | null, where: 'body' | 'query' }
/** Each field of each route is a target as often as any other; routes without fields are targets too. */
const targets = (list: Route[]): Target[] => list.flatMap(route => [
  ...route.body.map(field => ({ route, field, where: 'body' as const })),
  ...route.query.map(field => ({ route, field, where: 'query' as const })),
  ...(route.body.length + route.query.length === 0 ? [{ route, field: null, where: 'body' as const }] : [])
])

/** One request: the target field hostile, the others valid or hostile too, a session or none. */
const request = (list: Target[]) => fc.record({
  target: fc.constantFrom(...list),
  value: anyValue,
  queryValue,
  session: fc.boolean(),
  fields: fc.dictionary(fc.constantFrom(...Object.keys(VALID), 'extra', '__proto__', 'constructor'), anyValue, { maxKeys: 2 }),
  bodyShape: fc.constantFrom('object', 'object', 'object', 'object', 'none', 'array', 'scalar'),
  raw: anyValue,
  query: fc.dictionary(fc.constantFrom('ip', 'port', 'token', 'x'), queryValue, { maxKeys: 2 }),
  repeat: fc.boolean()
})

const connected: { b?: Browser, a?: Browser } = {}
/** The session browser, logged in again whenever a fuzzed request logged it out. */
async function sessionBrowser (): Promise<Browser> {
  const b = connected.b ??= gw.browser()
  if ((await b.get('/api/ssh_status')).body.status !== 'connected') {
    const r = await b.connect(region)
    if (r.status !== 200) throw new Error(`could not log in again: ${r.status} ${JSON.stringify(r.body)}`)
  }
  return b
}

/** Accounts mode: the admin's browser, signed in and connected again whenever a fuzzed request signed it out. */
async function adminBrowser (): Promise<Browser> {
  const b = connected.a ??= gwa.browser()
  if ((await b.get('/api/auth/me')).status !== 200) {
    const r = await b.post('/api/auth/login', ADMIN)
    if (r.status !== 200) throw new Error(`could not sign in again: ${r.status} ${JSON.stringify(r.body)}`)
  }
  if ((await b.get('/api/ssh_status')).body.status !== 'connected') {
    const r = await b.connect(gwa.regions[0])
    if (r.status !== 200) throw new Error(`could not log in again: ${r.status} ${JSON.stringify(r.body)}`)
  }
  return b
}

/** fast-check's report names the seed and the counterexample; an oversized value is cut in the middle. */
function report (err: unknown, replay: string): string {
  const m = (err as Error).message
  return `${m.length > 4000 ? `${m.slice(0, 2500)} … ${m.slice(-1200)}` : m}\nreplay: ${replay}`
}

const STACK = /\n\s+at .+[(:]\d+|node:internal|\/node_modules\//

/** `relayed`: the live-view relay passes the HLS server's own answers through (its 404 page too); only the gateway's own errors are JSON. */
function check (what: string, status: number, text: string, relayed = false): void {
  if (status >= 500) throw new Error(`${what} → ${status} ${text.slice(0, 300)}`)
  if (STACK.test(text)) throw new Error(`${what} → a stack trace or a file path: ${text.slice(0, 300)}`)
  if (status >= 400 && !relayed) {
    let body: unknown
    try { body = JSON.parse(text) } catch { throw new Error(`${what} → ${status} is not JSON: ${text.slice(0, 200)}`) }
    if (typeof (body as { message?: unknown })?.message !== 'string') throw new Error(`${what} → ${status} without the {"message"} envelope: ${text.slice(0, 200)}`)
    // Issue 22: every gateway error carries a stable code (lib/error-codes.ts).
    if (!isErrorCode((body as { code?: unknown }).code)) throw new Error(`${what} → ${status} without a known "code": ${text.slice(0, 200)}`)
  }
  for (const c of canaries) if (existsSync(c)) throw new Error(`${what} created the injection canary ${c}`)
}

/** The property: arbitrary requests to every route of `g` never get a 500, a stack trace or a missing envelope, and never execute anything. */
async function fuzzRoutes (t: Test, g: Gateway, list: Route[], session: () => Promise<Browser>, runs: number): Promise<void> {
  let sent = 0
  const statuses = new Map<number, number>()
  const property = fc.asyncProperty(request(targets(list)), async ({ target, value, queryValue, session: withSession, fields, bodyShape, raw, query, repeat }) => {
    const { route } = target
    const b = withSession ? await session() : g.browser()
    const body: Record<string, unknown> = {}
    for (const f of route.body) body[f] = VALID[f] ?? 'x'
    for (const [k, v] of Object.entries(fields)) if (route.body.includes(k) || k === 'extra' || route.body.length === 0) body[k] = v
    if (target.where === 'body' && target.field !== null) body[target.field] = value
    const q: Record<string, string> = {}
    for (const f of route.query) if (VALID[f] !== undefined) q[f] = encodeURIComponent(String(VALID[f]))
    Object.assign(q, query)
    if (target.where === 'query' && target.field !== null) q[target.field] = queryValue
    const parts = Object.entries(q).flatMap(([k, v]) => repeat ? [`${k}=${v}`, `${k}=${v}`] : [`${k}=${v}`])
    const url = route.url + (parts.length > 0 ? '?' + parts.join('&') : '')
    const payload = bodyShape === 'none' ? undefined : JSON.stringify(bodyShape === 'object' ? body : bodyShape === 'array' ? [body] : raw)
    const r = await b.request({ method: route.method, url, ...(payload === undefined ? {} : { payload, headers: { 'content-type': 'application/json' } }) })
    sent++
    statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1)
    const text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body)
    check(`${route.method} ${url.slice(0, 200)} ${String(payload).slice(0, 200)}`, r.status, text)
    // A started sweep is stopped so that the next request meets an idle session.
    if (route.url === '/api/cctv_health' && r.status === 202) await b.post('/api/cctv_health/stop')
  })
  try {
    await fc.assert(property, { seed: SEED, numRuns: runs, endOnFailure: true, includeErrorInReport: true })
  } catch (err) {
    t.fail(report(err, `FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS} npx tap test/fuzz.test.ts`))
  }
  t.equal(sent, runs, `${sent} requests; answers by status: ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`)
}

t.test(`property: ${RUNS} arbitrary requests (seed ${SEED}) never get a 500, a stack trace or a missing envelope, and never execute anything`, async t => {
  await fuzzRoutes(t, gw, ROUTES, sessionBrowser, RUNS)
})

t.test(`property, accounts mode: ${Math.ceil(RUNS / 2)} arbitrary requests (seed ${SEED}), signed in as an admin or not at all, the same`, async t => {
  await fuzzRoutes(t, gwa, ACCOUNT_ROUTES, adminBrowser, Math.ceil(RUNS / 2))
  t.ok(await gwa.app.users.verify(ADMIN.username, ADMIN.password) !== undefined, 'the admin is still themselves')
})

t.test('property: the live-view relay\'s path and query, any bytes, with and without a tunnel', async t => {
  const b = await sessionBrowser()
  const open = await b.post('/api/hls_tunnel', { inference_id: 'svr10', cctv_id: 7 })
  t.equal(open.status, 200, 'a tunnel to fuzz behind')
  const token = new URL(open.body.message).pathname.split('/')[2]
  // Found by this property (seed 2): a percent-encoded non-ASCII segment reached http.request decoded (500).
  const nonAscii = await b.get(`/hls/${token}/cctv7/%F4%83%B9%91%F0%AA%83%B5`)
  t.same([nonAscii.status, nonAscii.body], [404, '404 page not found\n'], 'a non-ASCII path goes upstream still encoded: the HLS server\'s own 404, not a 500')
  const segment = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 20 }).map(s => encodeURIComponent(s.toWellFormed())),
    fc.uint8Array({ maxLength: 10 }).map(x => [...x].map(c => '%' + c.toString(16).padStart(2, '0')).join('')),
    fc.constantFrom('..', '.', '%2e%2e', '%2F', '%00', 'cctv7', 'index.m3u8', '%ED%A0%80', '\\', '%5c')
  )
  const property = fc.asyncProperty(fc.boolean(), fc.boolean(), fc.array(segment, { minLength: 1, maxLength: 5 }), fc.option(segment), async (mine, session, segments, query) => {
    const url = `/hls/${mine ? token : 'B'.repeat(32)}/${segments.join('/')}${query === null ? '' : '?' + query}`
    const r = await (session ? b : gw.browser()).request({ method: 'GET', url })
    const fromOrigin = mine && session && !String(r.headers['content-type']).startsWith('application/json')
    check(`GET ${url}`, r.status, typeof r.body === 'string' ? r.body : JSON.stringify(r.body), fromOrigin)
  })
  try {
    await fc.assert(property, { seed: SEED, numRuns: Math.ceil(RUNS / 2), endOnFailure: true, includeErrorInReport: true })
  } catch (err) {
    t.fail(report(err, `FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS} npx tap test/fuzz.test.ts`))
  }
})

t.test('property: the acknowledge pages (/ack/:id, not in the OpenAPI document) take any id, link and name without a 500 or a stack trace', async t => {
  // Pages for a phone: their own refusals are HTML with a heading; only a request the schema
  // refuses is the JSON envelope. Some links are signed as the gateway signs them (no incident
  // has that id here: the 404 page) so the code behind the signature check is reached too.
  const key = gw.app.ackLinkKey
  const digits = fc.oneof(fc.nat({ max: 10 ** 9 }).map(String), fc.constantFrom('0', '1', '999999999999', '1234567890123', '00', '-1', '1e3', ''))
  const link = fc.oneof(
    fc.record({ id: digits, exp: fc.oneof(digits, anyString), sig: anyString }),
    fc.record({ id: fc.nat({ max: 10 ** 6 }).map(String), exp: fc.constantFrom(String(Math.floor(Date.now() / 1000) + 3600), '1') }).map(({ id, exp }) => {
      const real = new URL(ackLink('http://x', key, Number(id), Number(exp)))
      return { id, exp, sig: real.searchParams.get('sig') ?? '' }
    })
  )
  const statuses = new Map<string, number>()
  const property = fc.asyncProperty(link, fc.constantFrom('GET', 'form', 'json', 'raw'), fc.option(anyString), fc.option(anyValue), async ({ id, exp, sig }, how, who, raw) => {
    const b = gw.browser()
    const path = `/ack/${encodeURIComponent(id.toWellFormed())}`
    const fields = { exp: exp.toWellFormed(), sig: sig.toWellFormed(), ...(who === null ? {} : { who: who.toWellFormed() }) }
    const r = how === 'GET'
      ? await b.request({ method: 'GET', url: `${path}?${new URLSearchParams(fields).toString()}` })
      : await b.request({ method: 'POST', url: path, ...(how === 'form'
        ? { payload: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } }
        : { payload: JSON.stringify(how === 'json' ? { exp, sig, ...(who === null ? {} : { who }) } : raw), headers: { 'content-type': 'application/json' } }) })
    const text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body)
    const html = String(r.headers['content-type']).startsWith('text/html')
    check(`${how} ${path} ${JSON.stringify(fields).slice(0, 200)}`, r.status, text, html)
    const seen = `${r.status} ${html ? 'page' : 'json'}`
    statuses.set(seen, (statuses.get(seen) ?? 0) + 1)
    if (html && !/<h1>[^<]+<\/h1>/.test(text)) throw new Error(`${how} ${path} → ${r.status}: a page without its heading`)
    if (r.status === 200) throw new Error(`${how} ${path} → 200, yet no incident exists here`)
  })
  try {
    await fc.assert(property, { seed: SEED, numRuns: Math.ceil(RUNS / 2), endOnFailure: true, includeErrorInReport: true })
  } catch (err) {
    t.fail(report(err, `FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS} npx tap test/fuzz.test.ts`))
  }
  const answers = JSON.stringify(Object.fromEntries([...statuses].sort()))
  for (const kind of ['400 json', '403 page', '404 page', '410 page']) t.ok(statuses.has(kind), `answers include ${kind}: ${answers}`)
})

t.test('property: the sign-in page (/signin, accounts mode) takes any name, password and next without a 500; it never sends anyone off the gateway', async t => {
  const next = fc.oneof(anyString, fc.constantFrom('//evil.example/x', '/\\evil.example', 'https://evil.example/', '/ok?a=1', '/%0d%0aSet-Cookie:x=1', 'javascript:alert(1)'))
  const statuses = new Map<string, number>()
  const property = fc.asyncProperty(fc.constantFrom('GET', 'form', 'json', 'raw'), fc.option(anyString), fc.option(anyString), fc.option(next), fc.option(anyValue), fc.boolean(),
    async (how, username, password, nextPath, raw, right) => {
      const b = gwa.browser()
      const fields: Record<string, string> = {}
      if (username !== null) fields.username = right ? ADMIN.username : username.toWellFormed()
      if (password !== null) fields.password = right ? ADMIN.password : password.toWellFormed()
      if (nextPath !== null) fields.next = nextPath.toWellFormed()
      const r = how === 'GET'
        ? await b.request({ method: 'GET', url: `/signin?${new URLSearchParams(nextPath === null ? {} : { next: fields.next }).toString()}` })
        : await b.request({ method: 'POST', url: '/signin', ...(how === 'form'
          ? { payload: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } }
          : { payload: JSON.stringify(how === 'json' ? fields : raw), headers: { 'content-type': 'application/json' } }) })
      const text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body)
      const html = String(r.headers['content-type']).startsWith('text/html')
      check(`${how} /signin ${JSON.stringify(fields).slice(0, 200)}`, r.status, text, html || r.status === 303)
      const location = r.headers.location
      if (location !== undefined && (typeof location !== 'string' || !location.startsWith('/') || location.startsWith('//') || location.startsWith('/\\') || /[\r\n]/.test(location))) {
        throw new Error(`${how} /signin ${JSON.stringify(fields)} → sent to ${String(location)}`)
      }
      const seen = `${r.status} ${html ? 'page' : r.status === 303 ? 'redirect' : 'json'}`
      statuses.set(seen, (statuses.get(seen) ?? 0) + 1)
    })
  try {
    await fc.assert(property, { seed: SEED, numRuns: Math.ceil(RUNS / 3), endOnFailure: true, includeErrorInReport: true })
  } catch (err) {
    t.fail(report(err, `FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS} npx tap test/fuzz.test.ts`))
  }
  const answers = JSON.stringify(Object.fromEntries([...statuses].sort()))
  for (const kind of ['200 page', '303 redirect', '400 page', '401 page']) t.ok(statuses.has(kind), `answers include ${kind}: ${answers}`)
})

t.test('a NUL or a lone surrogate in any field is a 400 that names the field, with or without a session', async t => {
  const b = await sessionBrowser()
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['/api/gstreamer_log', { inference_id: 'svr10', date: '2025-03-13', find_word: 'Reconnect\u00001' }, 'body.find_word contains a NUL character, which cannot be passed to a remote program'],
    ['/api/ffmpeg_log', { inference_id: 'svr10', date: '2025-03-13', find_word: 'a\ud800' }, 'body.find_word is not valid text (a lone UTF-16 surrogate)'],
    ['/api/run_ffprobe', { inference_id: 'svr10', url: 'rtsp://127.0.0.1/\u0000' }, 'body.url contains a NUL character, which cannot be passed to a remote program'],
    ['/api/ssh_connect', { host, port, id: 'demo', password: 'de\u0000mo', region: region.name }, 'body.password contains a NUL character, which cannot be passed to a remote program'],
    ['/api/cctv_health', { l2: '\udc00' }, 'body.l2 is not valid text (a lone UTF-16 surrogate)'],
    ['/api/cctv_health', { ids: ['1', '2\u0000'] }, 'body.ids.1 contains a NUL character, which cannot be passed to a remote program'],
    ['/api/page_url', { region: '대구\u0000' }, 'body.region contains a NUL character, which cannot be passed to a remote program']
  ]
  for (const [url, body, message] of cases) {
    // The raw JSON carries the escapes exactly as a client would send them ("\u0000", "\ud800").
    for (const who of [b, gw.browser()]) {
      const r = await who.request({ method: 'POST', url, payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } })
      t.same([r.status, r.body], [400, { code: 'BAD_REQUEST', message }], `${url} ${JSON.stringify(body)}`)
    }
  }
  const q = await gw.browser().get(`/api/ssh_status_check?ip=127.0.0.1%00&port=${port}`)
  t.same([q.status, q.body], [400, { code: 'BAD_REQUEST', message: 'querystring.ip contains a NUL character, which cannot be passed to a remote program' }])
})
