import t, { type Test } from 'tap'
import { randomBytes } from 'node:crypto'
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { eventually, HttpBrowser, startGateway, type Gateway } from './helpers/app.js'
import { usersCommand } from '../bin/users-command.js'
import { SESSION_COOKIE } from '../lib/http/session-store.js'
import { ackLink } from '../lib/notify/ack-links.js'
import { monitorConfig } from '../lib/config/monitor.js'
import { readKeyring } from '../lib/store/credentials.js'

// Issue 26: people sign in as themselves (AUTH_MODE=accounts), over real sockets.

const PW = { kim: 'kim-operator-pw-1', lee: 'lee-viewer-pw-22', park: 'park-admin-pw-333', choi: 'choi-operator-pw-4' }
const SITE_PASSWORD = 'demo'

function keyFile (): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'fwkey-')), 'credentials.key')
  writeFileSync(file, `k1 ${randomBytes(32).toString('base64')}\n`, { mode: 0o600 })
  return file
}

interface World { gw: Gateway, origin: string, browser: (headers?: Record<string, string>) => HttpBrowser, audit: () => Array<Record<string, any>> }

/** Two simulated regions; kim operates 대구, lee views everything, park administers everything, choi operates 부산. */
async function world (t: Test, env: Record<string, string> = {}): Promise<World> {
  const gw = await startGateway(t, {
    regions: [{ name: '대구', servers: 2, cameras: 6 }, { name: '부산', servers: 1, cameras: 3 }],
    env: { AUTH_MODE: 'accounts', CREDENTIALS_KEY_FILE: keyFile(), LOGIN_RATE_MAX: '5', ...env }
  })
  const at = Date.now()
  await gw.app.users.add('kim', { roles: new Map([['대구', 'operator']]), password: PW.kim, displayName: '김현장' }, at)
  await gw.app.users.add('lee', { roles: new Map([['*', 'viewer']]), password: PW.lee }, at)
  await gw.app.users.add('park', { roles: new Map([['*', 'admin']]), password: PW.park }, at)
  await gw.app.users.add('choi', { roles: new Map([['부산', 'operator']]), password: PW.choi }, at)
  const origin = await gw.origin()
  const file = gw.app.config.env.AUDIT_LOG
  return {
    gw,
    origin,
    browser: headers => new HttpBrowser(origin, headers),
    audit: () => readFileSync(file, 'utf8').trim().split('\n').filter(l => l !== '').map(l => JSON.parse(l))
  }
}

async function signedIn (w: World, who: keyof typeof PW): Promise<HttpBrowser> {
  const b = w.browser()
  const r = await b.signIn(who, PW[who])
  if (r.status !== 200) throw new Error(`sign-in of ${who}: ${r.status} ${JSON.stringify(r.body)}`)
  return b
}

t.test('accounts mode: every /api route but sign-in answers 401 AUTH_REQUIRED without a person', async t => {
  const w = await world(t)
  const b = w.browser()
  const region = w.gw.regions[0]
  for (const [method, url] of [['GET', '/api/db_list'], ['GET', '/api/monitor'], ['GET', '/api/auth/me'], ['GET', '/api/incidents'], ['POST', '/api/cctv_data'], ['GET', '/api/ssh_status']]) {
    const r = await b.request(method, url)
    t.match(r, { status: 401, body: { code: 'AUTH_REQUIRED', message: /sign in/ } }, `${method} ${url}`)
  }
  t.match(await b.connect(region), { status: 401, body: { code: 'AUTH_REQUIRED' } }, 'ssh_connect too: the site password is not an identity here')
  for (const url of ['/%61pi/db_list', '/api/db_list/', '/api//db_list', '/API/db_list', '/api/db_list?x=/api/auth/login', '/api/./db_list']) {
    const r = await b.get(url)
    t.ok(r.status === 401 || r.status === 404, `${url}: ${r.status}, never the answer`)
  }
  t.equal(w.gw.app.sites.size, 0, 'no SSH session was opened')
})

t.test('sign-in: a wrong password is 401 SIGNIN_FAILED; the right one answers who and their roles, on a new session id', async t => {
  const w = await world(t)
  const b = w.browser()
  t.match(await b.signIn('kim', 'not-the-password'), { status: 401, body: { code: 'SIGNIN_FAILED' } })
  t.match(await b.signIn('nobody', 'whatever-it-is'), { status: 401, body: { code: 'SIGNIN_FAILED' } }, 'an unknown name: the same answer')
  // A session id planted before sign-in (fixation) must not become the signed-in one.
  await b.get('/api/db_list')
  const planted = w.browser()
  await planted.request('GET', '/signin')
  const before = planted.cookie(SESSION_COOKIE)
  const r = await planted.signIn('kim', PW.kim)
  t.match(r, { status: 200, body: { mode: 'accounts', username: 'kim', display_name: '김현장', roles: { 대구: 'operator' } } })
  const after = planted.cookie(SESSION_COOKIE)
  t.ok(after !== undefined && after !== before, 'a new session cookie at sign-in')
  t.match(await planted.get('/api/auth/me'), { status: 200, body: { username: 'kim' } })
  if (before !== undefined) {
    const old = w.browser()
    old.setCookie(SESSION_COOKIE, before)
    t.match(await old.get('/api/auth/me'), { status: 401 }, 'the id from before sign-in signs no one in')
  }
  t.match(await planted.post('/api/auth/logout'), { status: 200, body: { message: 'signed out' } })
  t.match(await planted.get('/api/auth/me'), { status: 401, body: { code: 'AUTH_REQUIRED' } }, 'signed out')
})

t.test('a viewer reads the fleet, incidents and reports, and gets 403 ROLE_REQUIRED on ssh_connect and on a sweep', async t => {
  const w = await world(t)
  const lee = await signedIn(w, 'lee')
  const region = w.gw.regions[0]
  const fleet = await lee.get('/api/monitor')
  t.equal(fleet.status, 200)
  t.ok(Array.isArray(fleet.body.regions), 'the fleet overview')
  t.equal((await lee.get('/api/incidents')).status, 200)
  t.equal((await lee.get(`/api/monitor/${encodeURIComponent('대구')}/cameras`)).status, 200)
  t.equal((await lee.get(`/api/reports/${encodeURIComponent('대구')}?month=2026-11`)).status, 200)
  t.match(await lee.connect(region), { status: 403, body: { code: 'ROLE_REQUIRED', needed: 'operator', region: '대구', role: 'viewer' } })
  t.match(await lee.post('/api/cctv_health', {}), { status: 403, body: { code: 'ROLE_REQUIRED', needed: 'operator' } })
  t.match(await lee.post(`/api/maintenance?region=${encodeURIComponent('대구')}`, { from: 'now', to: '+1h' }), { status: 403, body: { code: 'ROLE_REQUIRED', needed: 'admin' } })
  t.equal(w.gw.app.sites.size, 0)
})

/** An open incident of 대구 in the record (as a sweep would have opened it). */
async function openIncident (w: World): Promise<number> {
  const { id } = await w.gw.app.history.database.db.insertInto('incidents')
    .values({ region: '대구', cause: 'server', key: '2', state: 'open', opened_at: Date.now() - 60_000, acknowledged_at: null, acknowledged_by: null, resolved_at: null, resolved_by: null })
    .returning('id').executeTakeFirstOrThrow()
  return Number(id)
}

t.test('a viewer changes nothing: every state-changing route of the API answers them 403 ROLE_REQUIRED', async t => {
  const w = await world(t)
  const lee = await signedIn(w, 'lee')
  const incident = await openIncident(w)
  const { host, port } = w.gw.regions[0].entry.ssh as { host: string, port: number }
  // A body each route takes, so the refusal is the role's, not the body's.
  const bodies: Record<string, unknown> = {
    '/api/ssh_connect': { host, port, id: '', password: '', region: '대구' },
    '/api/alerts/test': { channel: 'ops' },
    '/api/maintenance': { from: new Date(Date.now() + 60_000).toISOString(), to: new Date(Date.now() + 3_600_000).toISOString() },
    '/api/run_ffprobe': { inference_id: 'svr10', url: 'rtsp://127.0.0.1:8554/x' },
    '/api/cctv_health/reprobe': { id: 1 },
    '/api/hls_tunnel': { inference_id: 'svr10', cctv_id: 1 },
    '/api/ffmpeg_log': { inference_id: 'svr10', date: '2025-03-13', find_word: 'x' },
    '/api/gstreamer_log': { inference_id: 'svr10', date: '2025-03-13', find_word: 'x' },
    '/api/incidents/{id}/notes': { text: 'x' },
    '/api/incidents/{id}/resolve': { note: 'x' },
    '/api/monitor/{region}/cameras/{id}/notes': { text: 'x' },
    '/api/people': { username: 'intruder', password: 'intruder-pw-1', roles: { '*': 'admin' } },
    '/api/people/{username}/roles': { roles: { '*': 'admin' } },
    '/api/people/{username}/password': { password: 'taken-over-pw-1' },
    '/api/credentials/{region}': { id: 'demo', password: 'demo' }
  }
  // Reads by POST, the caller's own session's end, and stops that act on the caller's own (here: no) SSH session.
  const notRefused = new Set(['POST /api/page_url', 'POST /api/ssh_disconnect', 'POST /api/cctv_health/stop', 'POST /api/hls_tunnel_stop'])
  // Every documented route, so a route added later without a check fails here.
  const spec = w.gw.app.swagger() as { paths: Record<string, Record<string, unknown>> }
  let n = 0
  for (const [route, methods] of Object.entries(spec.paths)) {
    for (const method of Object.keys(methods).map(m => m.toUpperCase())) {
      // Signing in and out are the caller's own (tried elsewhere); signing out here would end the test's viewer.
      if (!['POST', 'PUT', 'DELETE', 'PATCH'].includes(method) || route.startsWith('/api/auth/')) continue
      const url = route.replace(/\{region\}/g, encodeURIComponent('대구')).replace(/\{username\}/g, 'kim').replace(/\{id\}/g, route.startsWith('/api/incidents') ? String(incident) : '1')
        .replace(/\{[a-z_]+\}/g, '1') + (['/api/alerts/test', '/api/maintenance', '/api/maintenance/{id}'].includes(route) ? `?region=${encodeURIComponent('대구')}` : '')
      const r = await lee.request(method, url, { json: method === 'DELETE' ? undefined : bodies[route] ?? {} })
      if (notRefused.has(`${method} ${route}`)) {
        t.ok(r.status < 500 && r.body?.closed !== true && r.body?.stopped !== true, `${method} ${route}: ${r.status}, nothing of anyone else's`)
      } else {
        t.match(r, { status: 403, body: { code: 'ROLE_REQUIRED' } }, `${method} ${route}: ${r.status} ${String(r.body?.code)}`)
      }
      n++
    }
  }
  t.ok(n >= 30, `${n} routes tried`)
  t.equal(w.gw.app.sites.size, 0, 'no SSH session')
  t.equal((await w.gw.app.users.list()).length, 4, 'no person added')
  t.equal((await w.gw.app.credentials.list()).length, 0, 'no login held')
  t.match(await lee.get(`/api/incidents/${incident}`), { status: 200, body: { state: 'open', acknowledged_by: null, events: [] } }, 'the incident untouched')
})

t.test('an operator connects with the held login without typing it; the audit names the person and the SSH login', async t => {
  const w = await world(t)
  const region = w.gw.regions[0]
  const park = await signedIn(w, 'park')
  t.match(await park.put(`/api/credentials/${encodeURIComponent('대구')}`, { id: 'demo', password: SITE_PASSWORD }), { status: 200, body: { message: 'site login held' } })
  t.match(await park.get('/api/credentials'), { status: 200, body: { enabled: true, held: [{ region: '대구', ssh_id: 'demo', updated_by: 'park' }] } })
  const stored = await w.gw.app.history.database.db.selectFrom('site_credentials').selectAll().executeTakeFirstOrThrow()
  t.match(stored.sealed, /^v1:k1:/, 'sealed under the current key')
  t.notOk(stored.sealed.includes(SITE_PASSWORD), 'the database does not hold the password in the clear')

  const kim = await signedIn(w, 'kim')
  t.match(await kim.connect(region, '', ''), { status: 200, body: { message: 'SSH connect success' } })
  t.match(await kim.get('/api/ssh_status'), { status: 200, body: { status: 'connected', region: '대구', user: 'demo', person: 'kim' } })
  const cams = await kim.post('/api/cctv_data')
  t.equal(cams.status, 200)
  t.ok(Array.isArray(cams.body.message) || typeof cams.body === 'object', 'the camera list')
  // An operator of another region gets no held login of 대구.
  const choi = await signedIn(w, 'choi')
  t.match(await choi.connect(region, '', ''), { status: 403, body: { code: 'ROLE_REQUIRED', region: '대구' } })
  // 부산 holds nothing: choi is told to type it.
  t.match(await choi.connect(w.gw.regions[1], '', ''), { status: 401, body: { code: 'NO_HELD_LOGIN' } })
  t.match(await choi.connect(w.gw.regions[1]), { status: 200 }, 'typing the site login still works')
  // A held login sealed under a key the file no longer has: said plainly, never a crash.
  await w.gw.app.history.database.db.updateTable('site_credentials').set({ sealed: stored.sealed.replace(/^v1:k1:/, 'v1:gone:') }).where('region', '=', '대구').execute()
  await kim.post('/api/ssh_disconnect')
  t.match(await kim.connect(region, '', ''), { status: 500, body: { code: 'REMOTE_FAILED', message: 'the login held for region 대구 does not open: an admin must hold it again' } })

  t.ok(await eventually(() => w.audit().some(l => l.route === '/api/cctv_data')), 'audited')
  const lines = w.audit()
  t.match(lines.find(l => l.route === '/api/ssh_connect' && l.person === 'kim'), { person: 'kim', user: 'demo', region: '대구', outcome: 'ok' })
  t.match(lines.find(l => l.route === '/api/cctv_data'), { person: 'kim', user: 'demo', region: '대구' })
  const execs = lines.filter(l => l.event === 'exec' && l.region === '대구')
  t.ok(execs.length > 0 && execs.every(l => l.person === 'kim' && l.user === 'demo'), `each remote command names both (${execs.length})`)
  t.match(lines.find(l => l.route === '/api/credentials/:region'), { person: 'park', target: { region: '대구' }, outcome: 'ok' })
  const text = readFileSync(w.gw.app.config.env.AUDIT_LOG, 'utf8')
  for (const secret of Object.values(PW)) t.notOk(text.includes(secret), 'no sign-in password in the audit log')
})

t.test('an admin opens and ends a maintenance window in a region without an SSH session; an operator may not', async t => {
  const w = await world(t)
  const park = await signedIn(w, 'park')
  const q = `?region=${encodeURIComponent('대구')}`
  const opened = await park.post(`/api/maintenance${q}`, { from: new Date(Date.now() + 60_000).toISOString(), to: new Date(Date.now() + 3_600_000).toISOString(), reason: '렌즈 교체' })
  t.match(opened, { status: 201, body: { region: '대구', created_by: 'park', reason: '렌즈 교체' } })
  t.match(await park.get(`/api/maintenance${q}`), { status: 200, body: { windows: [{ created_by: 'park' }] } })
  const kim = await signedIn(w, 'kim')
  t.match(await kim.request('DELETE', `/api/maintenance/${opened.body.id as string}${q}`), { status: 403, body: { code: 'ROLE_REQUIRED', needed: 'admin', role: 'operator' } })
  t.match(await park.request('DELETE', `/api/maintenance/${opened.body.id as string}${q}`), { status: 200 })
  t.equal(w.gw.app.sites.size, 0, 'no SSH session was needed')
})

t.test('every "who" is the person: a camera note, an incident acknowledged, a sweep started', async t => {
  const w = await world(t)
  const kim = await signedIn(w, 'kim')
  const note = await kim.post(`/api/monitor/${encodeURIComponent('대구')}/cameras/1/notes`, { text: '렌즈 청소 예정' })
  t.match(note, { status: 201, body: { by: 'kim', text: '렌즈 청소 예정' } })
  t.match(await kim.post(`/api/monitor/${encodeURIComponent('부산')}/cameras/1/notes`, { text: 'x' }), { status: 403, body: { code: 'ROLE_REQUIRED' } }, 'not in another region')
  const incident = await openIncident(w)
  t.match(await kim.post(`/api/incidents/${incident}/ack`, { note: '가는 중' }), { status: 200, body: { state: 'acknowledged', acknowledged_by: 'kim' } }, 'acknowledged by the person, without an SSH session')
  t.match(await kim.post(`/api/incidents/${incident}/notes`, { text: '현장 도착' }), { status: 201, body: { events: [{ kind: 'acknowledged', by: 'kim' }, { kind: 'note', by: 'kim', text: '현장 도착' }] } })
  const choi = await signedIn(w, 'choi')
  t.match(await choi.post(`/api/incidents/${incident}/resolve`, { note: 'x' }), { status: 403, body: { code: 'ROLE_REQUIRED', region: '대구' } }, 'an operator of another region may not close it')
  t.match(await kim.connect(w.gw.regions[0]), { status: 200 }, 'kim types the site login (none held)')
  t.equal((await kim.post('/api/cctv_health', {})).status, 202)
  t.ok(await eventually(async () => (await kim.get('/api/cctv_health/state')).body.state === 'done', 30_000), 'the sweep ends')
  const sweeps = await w.gw.app.history.database.db.selectFrom('sweeps').select(['started_by', 'trigger']).execute()
  t.match(sweeps, [{ started_by: 'kim', trigger: 'manual' }], 'the sweep is kim\'s, not the SSH login\'s')
})

t.test('a disabled person\'s next request is 401, their SSH session ends at once; an admin can end a person\'s sessions', async t => {
  const w = await world(t)
  const kim = await signedIn(w, 'kim')
  t.match(await kim.connect(w.gw.regions[0]), { status: 200 })
  t.equal(w.gw.app.sites.size, 1)
  const park = await signedIn(w, 'park')
  t.match(await park.post('/api/people/kim/disable'), { status: 200, body: { username: 'kim', disabled: true } })
  t.ok(await eventually(() => w.gw.app.sites.size === 0), 'the SSH session ended with the disabling')
  t.match(await kim.get('/api/auth/me'), { status: 401, body: { code: 'AUTH_REQUIRED' } })
  t.match(await w.browser().signIn('kim', PW.kim), { status: 401, body: { code: 'SIGNIN_FAILED' } }, 'cannot sign in again')
  t.match(await park.post('/api/people/park/disable'), { status: 400 }, 'an admin cannot disable themselves')
  t.match(await park.post('/api/people/kim/enable'), { status: 200, body: { disabled: false } })

  const again = await signedIn(w, 'kim')
  t.match(await park.post('/api/people/kim/end_sessions'), { status: 200 })
  t.match(await again.get('/api/auth/me'), { status: 401 }, 'ended by the admin')
  const fresh = await signedIn(w, 'kim')
  t.match(await fresh.get('/api/auth/me'), { status: 200 }, 'and may sign in again')

  // The users command (another process, the same database): the gateway sees it at the next request.
  const env = w.gw.app.config.env
  const code = await usersCommand(['disable', 'kim'], { stdin: Readable.from([]), out: () => {}, err: () => {}, env })
  t.equal(code, 0)
  t.match(await fresh.get('/api/auth/me'), { status: 401 }, 'disabled by the command')
})

t.test('a cross-site state-changing request is refused (Origin, Sec-Fetch-Site); same-origin ones pass', async t => {
  const w = await world(t)
  const kim = await signedIn(w, 'kim')
  t.match(await kim.post('/api/auth/logout', undefined, { origin: 'http://evil.example' }), { status: 403, body: { code: 'CROSS_SITE' } })
  t.match(await kim.post('/api/auth/logout', undefined, { 'sec-fetch-site': 'cross-site' }), { status: 403, body: { code: 'CROSS_SITE' } })
  t.match(await kim.post('/api/auth/logout', undefined, { 'sec-fetch-site': 'same-site' }), { status: 403, body: { code: 'CROSS_SITE' } }, 'a sibling subdomain is another site for us')
  t.match(await kim.get('/api/auth/me', { origin: 'http://evil.example' }), { status: 200 }, 'reads are not state changes')
  t.match(await w.browser({ origin: 'http://evil.example' }).signIn('kim', PW.kim), { status: 403, body: { code: 'CROSS_SITE' } }, 'no sign-in from another site (login CSRF)')
  t.match(await kim.post('/api/auth/logout', undefined, { origin: w.origin, 'sec-fetch-site': 'same-origin' }), { status: 200 }, 'the gateway\'s own page')
})

t.test('sign-in attempts are limited per account and per client', async t => {
  const w = await world(t, { LOGIN_RATE_MAX: '3' })
  const b = w.browser()
  for (let i = 0; i < 3; i++) t.match(await b.signIn('kim', 'wrong-password-' + String(i)), { status: 401 })
  t.match(await b.signIn('kim', PW.kim), { status: 429, body: { code: 'TOO_MANY_SIGNINS', message: /try again in/ } }, 'even the right password waits')
  t.match(await w.browser().signIn('lee', PW.lee), { status: 200 }, 'another account is not locked by it')
  // Per client: 5 × LOGIN_RATE_MAX failures over any names from one address.
  for (let i = 0; i < 15; i++) await b.signIn(`guess${i}`, 'wrong-password')
  t.match(await b.signIn('park', PW.park), { status: 429, body: { code: 'TOO_MANY_SIGNINS' } }, 'the guessing client is stopped for every name')
})

t.test('the sign-in page: a page load goes there and back; the original client is served behind it', async t => {
  const w = await world(t)
  const b = w.browser({ accept: 'text/html' })
  const home = await b.get('/cameras?x=1')
  t.equal(home.status, 303)
  t.equal(home.headers.location, '/signin?next=%2Fcameras%3Fx%3D1')
  const page = await b.get(home.headers.location as string)
  t.equal(page.status, 200)
  t.match(page.headers['content-security-policy'], /default-src 'none'/)
  t.match(page.body, /<form method="post" action="\/signin">/)
  const wrong = await b.request('POST', '/signin', { form: { username: 'kim', password: 'nope-nope-nope', next: '/cameras?x=1' }, headers: { origin: w.origin } })
  t.equal(wrong.status, 401)
  t.match(wrong.body, /올바르지 않습니다/)
  t.match(wrong.body, /value="kim"/, 'the name is kept, the password is not')
  const ok = await b.request('POST', '/signin', { form: { username: 'kim', password: PW.kim, next: '/cameras?x=1' }, headers: { origin: w.origin } })
  t.equal(ok.status, 303)
  t.equal(ok.headers.location, '/cameras?x=1')
  t.match(await b.get('/api/auth/me'), { status: 200, body: { username: 'kim' } })
  t.match(await b.get('/'), { status: 200, body: /<div id="app">|<html/ }, 'the console, now')
  const evil = await w.browser().request('POST', '/signin', { form: { username: 'kim', password: PW.kim, next: '//evil.example/x' } })
  t.equal(evil.headers.location, '/', 'never sent to another site after sign-in')
})

t.test('AUTH_MODE=site (the default): the contract unchanged — /api/auth/me says so, no sign-in route, no gate', async t => {
  const gw = await startGateway(t, { regions: [{ name: '대구' }] })
  const b = gw.browser()
  t.match(await b.get('/api/auth/me'), { status: 200, body: { mode: 'site' } })
  t.match(await b.post('/api/auth/login', { username: 'kim', password: PW.kim }), { status: 404 })
  t.equal((await b.get('/api/db_list')).status, 200)
  t.match(await b.connect(gw.regions[0]), { status: 200 })
  t.match(await b.get('/api/ssh_status'), { status: 200, body: { user: 'demo' } })
  t.notOk('person' in (await b.get('/api/ssh_status')).body, 'no person in site mode')
})

t.test('people by admins: add, roles, password; the store\'s refusals are 400s with the reason', async t => {
  const w = await world(t)
  const park = await signedIn(w, 'park')
  t.match(await park.post('/api/people', { username: 'jung', password: 'short', roles: { 대구: 'viewer' } }), { status: 400, body: { message: /10/ } })
  t.match(await park.post('/api/people', { username: 'jung', password: 'jung-password-5', roles: { 없는곳: 'viewer' } }), { status: 400, body: { message: /no region 없는곳/ } })
  t.match(await park.post('/api/people', { username: 'jung', display_name: '정', password: 'jung-password-5', roles: { 대구: 'viewer' } }), { status: 201, body: { username: 'jung', roles: { 대구: 'viewer' } } })
  t.match(await park.post('/api/people', { username: 'jung', password: 'jung-password-5', roles: {} }), { status: 400, body: { message: /already/ } })
  t.match(await park.put('/api/people/jung/roles', { roles: { 대구: 'operator', 부산: 'viewer' } }), { status: 200, body: { roles: { 대구: 'operator', 부산: 'viewer' } } })
  const jung = w.browser()
  t.match(await jung.signIn('jung', 'jung-password-5'), { status: 200, body: { roles: { 대구: 'operator' } } })
  t.match(await park.post('/api/people/jung/password', { password: 'jung-password-66' }), { status: 200 })
  t.match(await jung.get('/api/auth/me'), { status: 401 }, 'a new password ends the sessions of the old one')
  t.match(await park.post('/api/people/nobody/disable'), { status: 404, body: { code: 'USER_NOT_FOUND' } })
  const list = await park.get('/api/people')
  t.same(list.body.people.map((p: { username: string }) => p.username), ['choi', 'jung', 'kim', 'lee', 'park'])
  t.notOk(JSON.stringify(list.body).includes('argon2'), 'no hash in the answer')
  const kim = await signedIn(w, 'kim')
  t.match(await kim.get('/api/people'), { status: 403, body: { code: 'ROLE_REQUIRED', needed: 'admin' } })
})

t.test('read-only integration tokens scoped to regions: read their regions\' monitor and /metrics, nothing else, change nothing; revoked, they stop', async t => {
  process.env.FWMAINT_TEST_DEMO_PW = 'demo'
  const gw = await startGateway(t, {
    regions: [{ name: '대구', cameras: 4 }, { name: '부산', host: '127.0.0.2', cameras: 3 }],
    patch: doc => { for (const r of ['대구', '부산']) doc.regions[r].monitor = { cron: '0 0 31 2 *', id: 'demo', password_env: 'FWMAINT_TEST_DEMO_PW' } }
  })
  await gw.app.monitors.get('대구')!.tick()
  await gw.app.monitors.get('부산')!.tick()
  const out: string[] = []
  const err: string[] = []
  const run = async (args: string[]): Promise<number> =>
    await usersCommand(args, { stdin: Readable.from([]), out: l => { out.push(l) }, err: l => { err.push(l) }, env: gw.app.config.env })
  t.equal(await run(['token', 'add', 'grafana-daegu', '--region', '대구']), 0)
  const token = out.pop()!
  t.match(token, /^fwt_[A-Za-z0-9_-]{43}$/, 'printed once')
  t.equal(await run(['token', 'add', 'grafana-daegu', '--region', '대구']), 1, 'names are unique')
  t.equal(await run(['token', 'add', 'nothing']), 1, 'a token reads some region')
  const stored = await gw.app.history.database.db.selectFrom('api_tokens').selectAll().execute()
  t.notOk(JSON.stringify(stored).includes(token.slice(4)), 'only its digest is kept')

  const b = gw.browser()
  const as = async (url: string, method = 'GET', tk = token): Promise<{ status: number, body: any }> =>
    await b.request({ method: method as 'GET', url, headers: { authorization: `Bearer ${tk}` } })
  const fleet = await as('/api/monitor')
  t.equal(fleet.status, 200)
  t.same(fleet.body.regions.filter((r: { down_now: unknown[] | null }) => r.down_now !== null).map((r: { region: string }) => r.region), ['대구'], 'camera names of its region only')
  t.equal((await as(`/api/monitor/${encodeURIComponent('대구')}/cameras`)).body.cameras.length, 4)
  t.match(await as(`/api/monitor/${encodeURIComponent('부산')}/cameras`), { status: 403, body: { code: 'TOKEN_SCOPE', region: '부산' } })
  t.match(await as(`/api/monitor/${encodeURIComponent('대구')}/cameras/1/references`, 'POST'), { status: 403, body: { code: 'TOKEN_READ_ONLY' } }, 'takes no reference')
  t.match(await as(`/api/monitor/${encodeURIComponent('대구')}/cameras/1/references/1`, 'DELETE'), { status: 403, body: { code: 'TOKEN_READ_ONLY' } }, 'deletes none')
  t.match(await as('/api/cctv_data', 'POST'), { status: 400, body: { code: 'NOT_CONNECTED' } }, 'no SSH operation either')
  const metrics = await as('/metrics')
  t.equal(metrics.status, 200)
  t.match(metrics.body, /fwmaint_cameras\{region="대구",status="offline"\} 4/, 'its region\'s samples')
  t.notMatch(metrics.body, /region="부산"/, 'no sample of another region')
  t.match(metrics.body, /# HELP/, 'the families stay described')

  t.equal(await run(['token', 'revoke', 'grafana-daegu']), 0)
  t.match(await as('/api/monitor'), { status: 401, body: { code: 'BAD_MONITOR_TOKEN' } }, 'revoked: refused')
  t.equal(await run(['token', 'list']), 0)
  t.match(out.at(-1), /^grafana-daegu\t대구\trevoked /)
})

t.test('an alert\'s acknowledge link in accounts mode: the signed-in operator of the region acknowledges as themselves; others are sent to sign in or refused', async t => {
  const w = await world(t)
  const incident = await openIncident(w)
  const link = new URL(ackLink(w.origin, w.gw.app.ackLinkKey, incident, Math.floor(Date.now() / 1000) + 3600))
  const path = link.pathname + link.search
  const form = { exp: link.searchParams.get('exp')!, sig: link.searchParams.get('sig')!, who: '아무개' }

  const anonymous = w.browser()
  const page = await anonymous.get(path)
  t.equal(page.status, 200)
  t.match(page.body, /href="\/signin\?next=%2Fack%2F/, 'not signed in: a link to sign in and come back')
  t.notMatch(page.body, /<form/, 'and no form')
  t.equal((await anonymous.request('POST', `/ack/${incident}`, { form, headers: { origin: w.origin } })).status, 401, 'a typed name is no one here')

  const lee = await signedIn(w, 'lee')
  const refused = await lee.request('POST', `/ack/${incident}`, { form, headers: { origin: w.origin } })
  t.equal(refused.status, 403, 'a viewer may not')

  const kim = await signedIn(w, 'kim')
  const mine = await kim.get(path)
  t.match(mine.body, /kim 님으로 확인합니다/)
  t.notMatch(mine.body, /name="who"/, 'no name to type')
  const done = await kim.request('POST', `/ack/${incident}`, { form, headers: { origin: w.origin } })
  t.equal(done.status, 200)
  t.match(await kim.get(`/api/incidents/${incident}`), { body: { state: 'acknowledged', acknowledged_by: 'kim' } }, 'acknowledged by the person, not by the name typed')
  t.ok(await eventually(() => w.audit().some(l => l.route === '/ack/:id' && l.person === 'kim' && l.outcome === 'ok')), 'audited as kim')
})

t.test('the monitor\'s service identity from the same store: held: true sweeps with the region\'s held login; none held is a failed sweep that says so', async t => {
  const gw = await startGateway(t, {
    regions: [{ name: '대구', cameras: 3 }],
    patch: doc => { doc.regions.대구.monitor = { cron: '0 0 31 2 *', held: true } },
    env: { AUTH_MODE: 'accounts', CREDENTIALS_KEY_FILE: keyFile() }
  })
  const monitor = gw.app.monitors.get('대구')!
  await monitor.tick()
  let [sweep] = await gw.app.history.sweeps('대구')
  t.match(sweep, { state: 'failed', failure: /대구 has no held site login/ }, 'nothing held: the record says why')
  await gw.app.credentials.set('대구', 'demo', 'demo', 'park', Date.now())
  await monitor.tick()
  ;[sweep] = await gw.app.history.sweeps('대구')
  t.match(sweep, { state: 'done', total: 3 }, 'held: the sweep ran with it')
  t.ok(await eventually(() => readFileSync(gw.app.config.env.AUDIT_LOG, 'utf8').includes('"event":"exec"')), 'audited')
  const execs = readFileSync(gw.app.config.env.AUDIT_LOG, 'utf8').trim().split('\n').map(l => JSON.parse(l)).filter(l => l.event === 'exec')
  t.ok(execs.length > 0 && execs.every(l => l.user === 'demo' && l.client === 'monitor'), 'as the held SSH login, on the monitor\'s behalf')
})

t.test('a monitor block: held: true, or an id with one password source — not both, not neither', async t => {
  t.match(monitorConfig({ cron: '0 * * * *', held: true }), { held: true, id: '', password: '' })
  t.throws(() => monitorConfig({ cron: '0 * * * *', held: true, id: 'fwops' }), /held: true takes the region's held login/)
  t.throws(() => monitorConfig({ cron: '0 * * * *' }), /give the service identity's id \(or held: true\)/)
})

t.test('CREDENTIALS_KEY_FILE is read as every secret file is: refused when others can read it, named when missing or malformed', async t => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fwkey-'))
  const open = path.join(dir, 'open.key')
  writeFileSync(open, `k1 ${randomBytes(32).toString('base64')}\n`, { mode: 0o644 })
  chmodSync(open, 0o644)
  t.throws(() => readKeyring(open), /^CREDENTIALS_KEY_FILE: .*readable by group or others \(mode 644\); chmod 600 it$/)
  t.throws(() => readKeyring(path.join(dir, 'missing.key')), /^CREDENTIALS_KEY_FILE: cannot read .*ENOENT/)
  const bad = path.join(dir, 'bad.key')
  writeFileSync(bad, 'k1 not-base64\n', { mode: 0o600 })
  t.throws(() => readKeyring(bad), /^CREDENTIALS_KEY_FILE .*line 1: give "<id> <32 random bytes in base64>"/)
  t.equal(readKeyring(keyFile()).current, 'k1')
})
