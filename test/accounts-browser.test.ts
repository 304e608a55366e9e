import t from 'tap'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { eventually, patient, startGateway } from './helpers/app.js'
import { artifactPath, axeViolations, launchChromium } from './helpers/browser.js'

// Issue 26, 5: the existing client keeps working in accounts mode when the gateway serves it
// (STATIC_DIR): the gateway's own sign-in page first, then the client's walk — its calls in its
// order, with the same-origin cookie — as the person, with the region's held login or the site's.


/**
 * A stand-in for the original client (its source is not ours to ship): the calls the contract
 * says it makes, in its order, with its bodies, from a page served by the gateway. Returns each
 * call's status and what it needed from the answer.
 */
const CLIENT_JS = `
window.walk = async (region, held) => {
  const out = []
  const call = async (method, url, body) => {
    const res = await fetch(url, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
    const data = await res.json().catch(() => ({}))
    out.push([method + ' ' + url.split('?')[0], res.status])
    return data
  }
  const page = await call('POST', '/api/page_url', { region })
  const list = await call('GET', '/api/db_list')
  const { ip, port } = list[region]
  // The login dialog: empty fields for the held login, else the site's own.
  await call('POST', '/api/ssh_connect', held ? { id: '', password: '', host: ip, port, region } : { id: 'demo', password: 'demo', host: ip, port, region })
  const status = await call('GET', '/api/ssh_status')
  const cams = (await call('POST', '/api/cctv_data')).message
  const cam = cams.find(c => String(c.cctv_ID) === '1')
  await call('POST', '/api/gstreamer_log', { inference_id: cam.inference_id, date: '2025-03-13', find_word: 'Reconnect 1' })
  await call('POST', '/api/ffmpeg_log', { inference_id: cam.inference_id, date: '2025-03-13', find_word: cam.url })
  await call('POST', '/api/run_ffprobe', { inference_id: cam.inference_id, url: cam.url })
  const tunnel = await call('POST', '/api/hls_tunnel', { inference_id: cam.inference_id, cctv_id: 1 })
  const playlist = await fetch(tunnel.message)
  out.push(['GET playlist', playlist.status])
  await call('POST', '/api/hls_tunnel_stop')
  await call('POST', '/api/ssh_disconnect')
  return { out, page: page.message, status, cameras: cams.length }
}
document.getElementById('ready').textContent = 'ready'
`

t.test('accounts mode: the original client behind the gateway\'s sign-in page — its whole walk as the person, with the held login and with the site\'s', async t => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fwclient-'))
  mkdirSync(path.join(dir, 'assets'))
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><html lang="ko"><meta charset="utf-8"><title>original client</title><p id="ready">loading</p><script src="/assets/client.js"></script></html>')
  writeFileSync(path.join(dir, 'assets', 'client.js'), CLIENT_JS)
  const key = path.join(dir, 'credentials.key')
  writeFileSync(key, `k1 ${randomBytes(32).toString('base64')}\n`, { mode: 0o600 })
  const gw = await startGateway(t, {
    regions: [{ name: '대구', servers: 2, cameras: 6, logs: ['2025-03-13'], hls: true }],
    env: { AUTH_MODE: 'accounts', STATIC_DIR: dir, CREDENTIALS_KEY_FILE: key, FFPROBE_TIMEOUT_SECONDS: '6' }
  })
  await gw.app.users.add('kim', { roles: new Map([['대구', 'operator']]), password: 'kim-operator-pw-1' }, Date.now())
  await gw.app.credentials.set('대구', 'demo', 'demo', 'test', Date.now())
  const origin = await gw.origin()
  const browser = await launchChromium(t)
  const page = await (await browser.newContext()).newPage()

  await page.goto(`${origin}/`)
  t.match(page.url(), `${origin}/signin?next=%2F`, 'a page load without a person lands on the sign-in page')
  await page.fill('#username', 'kim')
  await page.fill('#password', 'wrong-password-1')
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')])
  t.match(await page.content(), /role="alert"[^>]*>[^<]*올바르지 않습니다/, 'a wrong password says so, on the page')
  await page.fill('#password', 'kim-operator-pw-1')
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')])
  t.equal(page.url(), `${origin}/`, 'back where it was going')
  await page.waitForFunction(() => document.getElementById('ready')?.textContent === 'ready')
  t.equal(await page.title(), 'original client', 'the client from STATIC_DIR')

  type Walk = { out: Array<[string, number]>, page: string, status: Record<string, unknown>, cameras: number }
  const walk = async (held: boolean): Promise<Walk> => await page.evaluate(async ([r, h]) => await (window as unknown as { walk: (r: string, h: boolean) => Promise<Walk> }).walk(r, h), ['대구', held] as const)
  for (const held of [true, false]) {
    const w = await walk(held)
    const bad = w.out.filter(([, status]) => status !== 200)
    t.same(bad, [], `${held ? 'with the held login' : 'with the site login typed'}: every call of the walk answered 200 (${w.out.length} calls)`)
    t.match(w.status, { status: 'connected', region: '대구', user: 'demo', person: 'kim' })
    t.equal(w.cameras, 6)
    t.match(w.page, /^http:\/\/127\.0\.0\.1:\d+\//, 'page_url is absolute')
  }

  const file = gw.app.config.env.AUDIT_LOG
  t.ok(await eventually(() => readFileSync(file, 'utf8').split('\n').filter(l => l.includes('"/api/ssh_disconnect"')).length === 2, patient(5000)), 'audited')
  const lines = readFileSync(file, 'utf8').trim().split('\n').map(l => JSON.parse(l))
  const walked = lines.filter(l => l.event === 'api' && l.route !== '/signin')
  t.ok(walked.length >= 16 && walked.every(l => l.person === 'kim'), `every call of the walk names kim (${walked.length})`)
  t.match(lines.filter(l => l.route === '/signin'), [{ outcome: 'denied', status: 401, target: { username: 'kim' } }, { outcome: 'ok', person: 'kim', status: 303 }],
    'the sign-in page\'s attempts are recorded: the refused one by the name tried, the other by the person')
  t.ok(lines.filter(l => l.event === 'exec').every(l => l.person === 'kim' && l.user === 'demo'), 'every remote command names kim and the SSH login demo')
  t.equal(gw.app.sites.size, 0, 'nothing left connected')
})

t.test('the console in accounts mode: a viewer reads the monitor\'s screens without SSH; an operator connects with empty fields; names in the header; sign-out', async t => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fwkey-'))
  const key = path.join(dir, 'credentials.key')
  writeFileSync(key, `k1 ${randomBytes(32).toString('base64')}\n`, { mode: 0o600 })
  const gw = await startGateway(t, {
    regions: [{ name: '대구', servers: 2, cameras: 6 }, { name: '부산', servers: 1, cameras: 3 }],
    env: { AUTH_MODE: 'accounts', CREDENTIALS_KEY_FILE: key }
  })
  await gw.app.users.add('lee', { roles: new Map([['*', 'viewer']]), password: 'lee-viewer-pw-22', displayName: '이조회' }, Date.now())
  await gw.app.users.add('kim', { roles: new Map([['대구', 'operator']]), password: 'kim-operator-pw-1', displayName: '김현장' }, Date.now())
  await gw.app.credentials.set('대구', 'demo', 'demo', 'test', Date.now())
  const origin = await gw.origin()
  const browser = await launchChromium(t)

  async function signIn (username: string, password: string): Promise<{ page: import('playwright-core').Page, errors: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'ko-KR', timezoneId: 'Asia/Seoul' })
    t.teardown(async () => { await context.close() })
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', e => { errors.push(`uncaught: ${e.message}`) })
    page.on('console', m => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text()) })
    await page.goto(`${origin}/incidents`)
    await page.waitForURL(/\/signin\?next=/)
    await page.fill('#username', username)
    await page.fill('#password', password)
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')])
    return { page, errors }
  }

  const viewer = await signIn('lee', 'lee-viewer-pw-22')
  // Back at /incidents: no SSH session, so the region screen asks which region to read.
  await viewer.page.locator('.region-card[data-region="대구"]').waitFor()
  t.equal(await viewer.page.locator('.region-card[data-region="대구"] [data-test=role]').innerText(), '권한: 조회', 'the role per region on its card')
  await viewer.page.locator('.region-card[data-region="대구"]').click()
  t.ok(await viewer.page.locator('[data-test=viewer-only]').isVisible(), 'a viewer is told they read, not connect')
  t.equal(await viewer.page.locator('[data-test=login] input[name=id]').count(), 0, 'no SSH fields for a viewer')
  t.same(await axeViolations(viewer.page), [], 'axe-core on the dialog: nothing serious or critical')
  await viewer.page.locator('[data-test=view-only]').click()
  await viewer.page.waitForURL(`${origin}/incidents`)
  t.match(await viewer.page.locator('[data-test=region-name]').innerText(), /대구 \(보기 전용\)/)
  t.equal(await viewer.page.locator('[data-test=person]').innerText(), '이조회', 'the person\'s name in the header')
  t.equal(await viewer.page.locator('[data-test=nav-health]').count(), 0, 'no SSH screens in the menu')
  await viewer.page.locator('[data-test=nav-fleet]').click()
  await viewer.page.waitForURL(`${origin}/fleet`)
  await viewer.page.screenshot({ path: artifactPath('console-32-accounts-viewer.png'), fullPage: true })
  t.same(await axeViolations(viewer.page), [], 'axe-core on the fleet: nothing serious or critical')
  t.same(viewer.errors, [], 'no errors in the page')

  const operator = await signIn('kim', 'kim-operator-pw-1')
  await operator.page.locator('.region-card[data-region="대구"]').click()
  t.ok(await operator.page.locator('[data-test=held-hint]').isVisible(), 'the hint: leave both empty for the held login')
  await operator.page.locator('[data-test=login] button[type=submit]').click()
  await operator.page.waitForURL(`${origin}/incidents`)
  t.match(await operator.page.locator('[data-test=region-name]').innerText(), /^대구$/, 'connected: no "view only"')
  t.ok(await operator.page.locator('[data-test=nav-health]').isVisible(), 'the SSH screens are there')
  t.match(await gw.app.sites.all()[0]?.conn.username, 'demo', 'connected with the held login')
  t.equal(gw.app.sites.all()[0]?.person, 'kim')
  await Promise.all([operator.page.waitForURL(/\/signin/), operator.page.locator('[data-test=sign-out]').click()])
  t.ok(await eventually(() => gw.app.sites.size === 0), 'signing out ends the SSH session')
  t.same(operator.errors, [], 'no errors in the page')
})

t.test('the console\'s People screen (admins of every region): add a person, change roles, disable, end sessions, hold a site login', async t => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fwkey-'))
  const key = path.join(dir, 'credentials.key')
  writeFileSync(key, `k1 ${randomBytes(32).toString('base64')}\n`, { mode: 0o600 })
  const gw = await startGateway(t, { regions: [{ name: '대구', cameras: 3 }, { name: '부산', cameras: 2 }], env: { AUTH_MODE: 'accounts', CREDENTIALS_KEY_FILE: key } })
  await gw.app.users.add('park', { roles: new Map([['*', 'admin']]), password: 'park-admin-pw-333', displayName: '박관리' }, Date.now())
  await gw.app.users.add('kim', { roles: new Map([['대구', 'operator']]), password: 'kim-operator-pw-1' }, Date.now())
  const origin = await gw.origin()
  const browser = await launchChromium(t)
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'ko-KR', timezoneId: 'Asia/Seoul' })
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', e => { errors.push(`uncaught: ${e.message}`) })
  await page.goto(`${origin}/people`)
  await page.fill('#username', 'park')
  await page.fill('#password', 'park-admin-pw-333')
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')])
  // No SSH session: choose a region to read first, then the menu has People.
  await page.locator('.region-card[data-region="대구"]').click()
  await page.locator('[data-test=view-only]').click()
  await page.waitForURL(`${origin}/people`)
  await page.locator('[data-test=people] tr[data-person="kim"]').waitFor()
  t.ok(await page.locator('[data-test=nav-people]').isVisible(), 'People in the menu of an admin of every region')

  const add = page.locator('[data-test=add-person]')
  await add.locator('input[name=username]').fill('jung')
  await add.locator('input[name=display_name]').fill('정현장')
  await add.locator('input[name=password]').fill('short')
  await add.locator('input[name=roles]').fill('대구=viewer')
  await add.locator('button[type=submit]').click()
  t.match(await page.locator('[data-test=people-error]').innerText(), /비밀번호는 10자 이상/, 'a weak password: the reason, in Korean')
  await add.locator('input[name=password]').fill('jung-password-5')
  await add.locator('button[type=submit]').click()
  await page.locator('[data-test=people] tr[data-person="jung"]').waitFor()
  t.match(await gw.app.users.get('jung'), { display_name: '정현장', roles: new Map([['대구', 'viewer']]) }, 'added, in the store')

  const row = page.locator('[data-test=people] tr[data-person="jung"]')
  await row.locator('[data-test=roles]').fill('대구=operator, 부산=viewer')
  await row.locator('[data-test=save-roles]').click()
  await page.locator('[data-test=people-notice]', { hasText: '권한을 저장' }).waitFor()
  t.same([...(await gw.app.users.get('jung'))!.roles], [['대구', 'operator'], ['부산', 'viewer']], 'roles replaced')

  // kim signed in elsewhere: disabled from here, kim's next request is refused.
  const kim = await browser.newContext()
  const kimPage = await kim.newPage()
  const signedIn = await kimPage.request.post(`${origin}/api/auth/login`, { data: { username: 'kim', password: 'kim-operator-pw-1' }, headers: { origin } })
  t.equal(signedIn.status(), 200)
  await page.locator('[data-test=people] tr[data-person="kim"] [data-test=toggle]').click()
  await page.locator('[data-test=people-notice]', { hasText: '사용 중지' }).waitFor()
  t.equal((await kimPage.request.get(`${origin}/api/auth/me`)).status(), 401, 'kim\'s session ended at once')

  const hold = page.locator('[data-test=hold]')
  await hold.locator('select[name=region]').selectOption('대구')
  await hold.locator('input[name=id]').fill('demo')
  await hold.locator('input[name=password]').fill('demo')
  await hold.locator('button[type=submit]').click()
  await page.locator('[data-test=held] td', { hasText: 'demo' }).waitFor()
  t.match(await gw.app.credentials.list(), [{ region: '대구', ssh_id: 'demo', updated_by: 'park' }], 'held, by park')
  await page.screenshot({ path: artifactPath('console-33-people.png'), fullPage: true })
  t.same(await axeViolations(page), [], 'axe-core: nothing serious or critical')
  t.same(errors, [])
  await kim.close()
  await context.close()
})
