import t from 'tap'
import http from 'node:http'
import { mkdtempSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import Provider from 'oidc-provider'
import type { Page } from 'playwright-core'
import { startGateway } from './helpers/app.js'
import { launchChromium } from './helpers/browser.js'
import fc from 'fast-check'
import { rolesOfGroups } from '../lib/oidc.js'
import { parseGroups, type RegionConfig } from '../lib/config/regions.js'
import type { Role } from '../lib/roles.js'

// Issue 26, 3: single sign-on with OpenID Connect (authorization code + PKCE, by openid-client),
// against a real provider (the `oidc-provider` package) on 127.0.0.1, in headless Chromium; the
// IdP's groups mapped to roles by the regions file's `groups`.

const SECRET = 'a-client-secret-for-the-test-provider-0123456789'
const GROUPS: Record<string, string[]> = { alice: ['fw-admins'], bob: ['daegu-ops', 'readers'], carol: ['marketing'], dave: ['readers'] }
const NAMES: Record<string, string> = { alice: '앨리스', bob: '밥' }

t.test('roles from groups: per region the highest any group grants; unknown groups grant nothing', async t => {
  const mapping = new Map<string, Map<string, Role>>([['ops', new Map([['대구', 'operator']])], ['readers', new Map([['*', 'viewer'], ['대구', 'viewer']])]])
  t.same([...rolesOfGroups(['readers', 'ops'], mapping)], [['*', 'viewer'], ['대구', 'operator']])
  t.same([...rolesOfGroups(['nobody'], mapping)], [])
})

t.test('OpenID Connect sign-in in headless Chromium against a real provider: groups become roles; no role, a local name or a disabled person is refused', async t => {
  // The provider's port first (its issuer names it), the gateway next (the client's redirect URI names it).
  let handler: http.RequestListener = (_req, res) => { res.statusCode = 503; res.end() }
  const idpServer = http.createServer((req, res) => { handler(req, res) })
  await new Promise<void>(resolve => idpServer.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => { await new Promise(resolve => idpServer.close(resolve)) })
  const issuer = `http://127.0.0.1:${(idpServer.address() as AddressInfo).port}`

  const dir = mkdtempSync(path.join(os.tmpdir(), 'fwoidc-'))
  const secretFile = path.join(dir, 'client-secret')
  writeFileSync(secretFile, SECRET + '\n', { mode: 0o600 })
  const gw = await startGateway(t, {
    regions: [{ name: '대구', cameras: 3 }, { name: '부산', cameras: 2 }],
    patch: doc => { doc.groups = { 'fw-admins': ['*=admin'], 'daegu-ops': ['대구=operator'], readers: ['*=viewer'] } },
    env: { AUTH_MODE: 'accounts', OIDC_ISSUER: issuer, OIDC_CLIENT_ID: 'fwmaint', OIDC_CLIENT_SECRET_FILE: secretFile },
    captureLogs: true
  })
  const origin = await gw.origin()
  const provider = new Provider(issuer, {
    clients: [{ client_id: 'fwmaint', client_secret: SECRET, redirect_uris: [`${origin}/signin/oidc/callback`], response_types: ['code'], grant_types: ['authorization_code'] }],
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email'], groups: ['groups'] },
    scopes: ['openid', 'profile', 'email', 'groups'],
    findAccount: async (_ctx, id) => ({ accountId: id, claims: async () => ({ sub: `idp-${id}`, preferred_username: id, ...(NAMES[id] === undefined ? {} : { name: NAMES[id] }), groups: GROUPS[id] ?? [] }) }),
    cookies: { keys: ['a-cookie-key-for-the-test-provider-0123456789'] },
    features: { devInteractions: { enabled: true } }
  })
  const koa = provider.callback()
  handler = (req, res) => { void koa(req, res) }
  await gw.app.users.add('dave', { roles: new Map([['부산', 'operator']]), password: 'dave-local-pw-1' }, Date.now())

  const browser = await launchChromium(t)
  const callbackTarget = new WeakMap<Page, string>()
  /** The whole dance: the gateway's page, the provider's login and consent, back to the gateway. */
  async function ssoSignIn (login: string): Promise<Page> {
    const context = await browser.newContext()
    t.teardown(async () => { await context.close() })
    const page = await context.newPage()
    // Where the gateway's callback sends the browser (its 303): the console at that address may
    // move on by itself (/incidents without a region chosen → the regions screen), sooner or
    // later depending on the machine, so the redirect is what says "back where she was going".
    page.on('response', r => { if (new URL(r.url()).pathname === '/signin/oidc/callback') callbackTarget.set(page, r.headers().location ?? '') })
    await page.goto(`${origin}/incidents`)
    await page.waitForURL(/\/signin\?next=/)
    await Promise.all([page.waitForURL(u => u.href.startsWith(issuer)), page.click('[data-test=sso]')])
    await page.fill('input[name=login]', login)
    await page.fill('input[name=password]', 'anything')
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')])
    // The provider's consent page, the first time.
    if (page.url().startsWith(issuer)) await Promise.all([page.waitForURL(u => u.href.startsWith(origin)), page.click('button[type=submit]')])
    await page.waitForLoadState()
    return page
  }
  // The browser's own cookies (a refusal page's CSP lets it fetch nothing itself).
  const me = async (page: Page): Promise<{ status: number, body: any }> => {
    const r = await page.request.get(`${origin}/api/auth/me`)
    return { status: r.status(), body: await r.json() }
  }

  const alice = await ssoSignIn('alice')
  t.equal(callbackTarget.get(alice), '/incidents', 'back where she was going')
  t.match(await me(alice), { status: 200, body: { mode: 'accounts', username: 'alice', display_name: '앨리스', roles: { '*': 'admin' } } }, 'fw-admins → admin of every region')
  const stored = await gw.app.users.get('alice')
  t.match(stored, { has_password: false, disabled: false }, 'an account without a password, made at first sign-in')

  const bob = await ssoSignIn('bob')
  t.match(await me(bob), { status: 200, body: { username: 'bob', roles: { 대구: 'operator', '*': 'viewer' } } }, 'daegu-ops and readers → operator of 대구, viewer elsewhere')
  t.equal((await bob.request.get(`${origin}/api/people`)).status(), 403, 'and no more: people are for admins')

  const carol = await ssoSignIn('carol')
  t.match(await carol.content(), /권한이 없습니다/, 'groups that grant nothing: refused, on the page')
  t.equal((await me(carol)).status, 401, 'not signed in')
  t.equal(await gw.app.users.get('carol'), undefined, 'no account made')

  const dave = await ssoSignIn('dave')
  t.match(await dave.content(), /belongs to an account of this gateway/, 'the IdP\'s dave does not become the local dave')
  t.equal((await me(dave)).status, 401)
  t.match(await gw.app.users.get('dave'), { roles: new Map([['부산', 'operator']]) }, 'the local dave untouched')

  await gw.app.users.setDisabled('alice', true, Date.now())
  t.equal((await me(alice)).status, 401, 'disabled: her session is over')
  const again = await ssoSignIn('alice')
  t.match(await again.content(), /사용이 중지된 계정/, 'and single sign-on does not let her back in')

  t.notOk(JSON.stringify(gw.logs).includes(SECRET), 'the client secret is in no log line')

  // The callback takes whatever a browser brings back (or forges): never a 500, never signed in.
  const b = gw.browser()
  const queries = fc.oneof(
    fc.dictionary(fc.constantFrom('code', 'state', 'iss', 'error', 'session_state', 'x'), fc.string({ unit: 'binary', maxLength: 30 }).map(v => v.toWellFormed()), { maxKeys: 4 }),
    fc.constant({ error: 'access_denied', error_description: '<script>alert(1)</script>' })
  )
  await fc.assert(fc.asyncProperty(queries, fc.boolean(), async (q, started) => {
    if (started) {
      const r = await b.get('/signin/oidc?next=%2Ffleet')
      if (r.status !== 303 || !String(r.headers.location).startsWith(issuer)) throw new Error(`start: ${r.status}`)
    }
    const r = await b.get(`/signin/oidc/callback?${new URLSearchParams(q).toString()}`)
    if (r.status >= 500 || r.status === 303) throw new Error(`callback ${JSON.stringify(q)} → ${r.status}`)
    if (/<script>alert/.test(String(r.body))) throw new Error('the IdP\'s words unescaped on the page')
    if ((await b.get('/api/auth/me')).status !== 401) throw new Error('signed in by a forged callback')
  }), { seed: 20261205, numRuns: 60 })
  t.pass('60 forged callbacks: a page each, nobody signed in')
})

t.test('the regions file\'s groups: grants as "<region>=<role>", regions that exist', async t => {
  const regions = new Map([['대구', {} as RegionConfig]])
  t.same([...parseGroups({ regions: {}, groups: { ops: ['대구=operator', '*=viewer'] } } as never, regions).get('ops')!], [['대구', 'operator'], ['*', 'viewer']])
  t.throws(() => parseGroups({ regions: {}, groups: { ops: ['대구=root'] } } as never, regions), /groups\.ops: "대구=root" is not/)
  t.throws(() => parseGroups({ regions: {}, groups: { ops: ['부산=viewer'] } } as never, regions), /groups\.ops: there is no region 부산/)
})
