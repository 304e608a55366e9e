import t from 'tap'
import type { Test } from 'tap'
import type { Page, BrowserContext } from 'playwright-core'
import { eventually, patient, startGateway } from './helpers/app.js'
import { artifactPath, axeViolations, launchChromium } from './helpers/browser.js'
import { expectedStatus } from './helpers/health.js'
import { httpReceiver } from './helpers/receivers.js'
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

// Issue 7, end to end: the built console (dist/web) served by the gateway, driven in Debian's
// headless Chromium against a demo-shaped region (real SSH, Mongo-wire inventory, logs, RTSP
// cameras, HLS). Screenshots of each screen go to docs/screenshots/ (linked from the README).

const PASSWORD = 'demo'
process.env.FWMAINT_TEST_CONSOLE_PW = PASSWORD
const receiver = await httpReceiver(t)
const hookSecret = path.join(mkdtempSync(path.join(os.tmpdir(), 'fwconsole-')), 'hook.secret')
writeFileSync(hookSecret, 'console-hook-secret')
chmodSync(hookSecret, 0o600)
const gw = await startGateway(t, {
  // Cameras 7-9 stream a black and two frozen pictures (issue 18).
  regions: [{ name: '데모', cameras: 60, logs: true, rtsp: true, hls: true, picture: true }],
  // One analysis server holds all 60 cameras: 8 probes at once instead of 4 halves each sweep
  // (three monitor ticks and a Health sweep), which waits mostly on the silent cameras' timeouts.
  // A 2-s look (the default is 3): the simulated pictures are black, frozen or moving from the start.
  env: { HEALTH_CONCURRENCY: '8', PICTURE_WATCH_SECONDS: '2' },
  patch: doc => {
    doc.notify = [{ type: 'webhook', name: 'ops-hook', url: receiver.url('/hook'), secret_file: hookSecret }]
    // Monitored, ticked by hand by the fleet test below.
    doc.regions['데모'].monitor = { cron: '0 0 0 1 1 *', id: 'demo', password_env: 'FWMAINT_TEST_CONSOLE_PW', picture: true }
  }
})
const origin = await gw.origin()
const browser = await launchChromium(t)

interface Watch { foreign: string[], consoleText: string[] }

/** A fresh browser context at 1280×800 that records every request and console message. */
async function open (t: Test, width = 1280, height = 800): Promise<{ page: Page, context: BrowserContext, watch: Watch }> {
  const context = await browser.newContext({ viewport: { width, height }, locale: 'ko-KR', timezoneId: 'Asia/Seoul' })
  t.teardown(async () => { await context.close() })
  const page = await context.newPage()
  const watch: Watch = { foreign: [], consoleText: [] }
  page.on('request', r => { const u = r.url(); if (!u.startsWith(origin + '/') && !u.startsWith('blob:') && !u.startsWith('data:')) watch.foreign.push(u) })
  page.on('console', m => { watch.consoleText.push(m.text()) })
  // Issue 22, 10: what the console's own code throws or logs as an error. Chromium's own
  // "Failed to load resource" lines are the gateway's answers (401 for a wrong password, …),
  // which each test checks on the screen instead.
  const errors: string[] = []
  pageErrors.set(page, errors)
  page.on('pageerror', e => { errors.push(`uncaught: ${e.message}`) })
  page.on('console', m => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text()) })
  return { page, context, watch }
}

/** Errors in the browser console per page, and per screenshot (checked by the last test). */
const pageErrors = new WeakMap<Page, string[]>()
const screenErrors = new Map<string, string[]>()

/** Per screenshot: what axe-core found at "serious" and above (rough edge 11), checked by the last test. */
const a11y = new Map<string, string[]>()

async function shot (page: Page, name: string): Promise<void> {
  // The pictures on the screen loaded (or failed) first: a busy machine once shot a camera's
  // frame as an empty black box, its image still on its way.
  await page.waitForFunction(() => Array.from(document.images).filter(i => {
    const r = i.getBoundingClientRect()
    return i.currentSrc !== '' && r.width > 0 && r.bottom > 0 && r.top < window.innerHeight
  }).every(i => i.complete))
  await page.screenshot({ path: artifactPath(`console-${name}.png`) })
  a11y.set(name, await axeViolations(page))
  const errors = pageErrors.get(page)
  if (errors !== undefined) screenErrors.set(name, errors.splice(0))
}

async function login (page: Page, password = PASSWORD): Promise<void> {
  await page.goto(origin + '/')
  await page.locator('.region-card[data-region="데모"]').click()
  await page.locator('[data-test=login] input[name=id]').fill('demo')
  await page.locator('[data-test=login] input[name=password]').fill(password)
  await page.locator('[data-test=login] input[name=password]').press('Enter')
}

/** A fresh context, logged in with the right password, on the cameras screen. */
async function loggedIn (t: Test, width?: number, height?: number): ReturnType<typeof open> {
  const opened = await open(t, width, height)
  await login(opened.page)
  await opened.page.waitForURL(origin + '/cameras')
  return opened
}

/** The searchable camera picker: type, then choose the camera from the list. */
async function pickCamera (page: Page, id: string, typed = id): Promise<void> {
  await page.locator('[data-test=camera-picker]').fill(typed)
  await page.locator(`[data-test=camera-options] li[data-cctv="${id}"]`).click()
}

async function sshStatus (context: BrowserContext): Promise<Record<string, unknown>> {
  return await (await context.request.get(origin + '/api/ssh_status')).json()
}

t.test('regions: the grid shows the region with a live reachability dot; wrong then right password', async t => {
  const { page, context, watch } = await open(t)
  await page.goto(origin + '/')
  await page.locator('.region-card[data-region="데모"] .dot.up').waitFor()
  t.match(await page.locator('.region-card[data-region="데모"] .checked').textContent(), /마지막 확인/, 'last checked time')
  await shot(page, '1-regions')

  await login(page, 'wrong-password')
  const err = page.locator('[data-test=login-error]')
  await err.waitFor()
  t.equal(await err.textContent(), '아이디 또는 비밀번호가 틀렸습니다.', '401 in plain words')
  t.equal(await page.locator('[data-test=login] button[type=submit] .spinner').count(), 0, 'no spinner left turning')
  await shot(page, '2-login-error')

  await page.locator('[data-test=login] input[name=password]').fill(PASSWORD)
  await page.locator('[data-test=login] input[name=password]').press('Enter')
  await page.waitForURL(origin + '/cameras')
  t.equal(await page.locator('[data-test=region-name]').textContent(), '데모', 'the header names the region')
  t.match(await page.locator('[data-test=time-left]').textContent(), /남은 시간 (23:59:\d\d|24:00:00)/, 'time left in the 24 h SSH session')
  t.equal((await sshStatus(context)).status, 'connected')
  t.same(watch.foreign, [], 'nothing was loaded from another origin')
  t.notOk(watch.consoleText.some(l => l.includes('wrong-password')), 'the password never reaches the browser console')
})

t.test('cameras: search, filter, count, masked URL revealed on click', async t => {
  const { page } = await loggedIn(t)
  const count = page.locator('[data-test=camera-count]')
  await page.locator('[data-test=camera-table] tbody tr[data-cctv]').first().waitFor()
  t.equal(await count.textContent(), '60 / 60대')
  t.equal(await page.locator('[data-test=camera-table] tbody tr[data-cctv]').count(), 50, 'first page of 50')
  await shot(page, '3-cameras')

  await page.locator('[data-test=camera-search]').fill('인증 카메라')
  await page.waitForFunction(() => document.querySelector('[data-test=camera-count]')?.textContent === '1 / 60대')
  const url = page.locator('tr[data-cctv="2"] [data-test=url]')
  t.match(await url.textContent(), /^rtsp:\/\/[^:]+:\*\*\*@/, 'credentials masked')
  await url.click()
  t.notMatch(await url.textContent(), /\*\*\*/, 'revealed on click')

  // Rough edge 7: the address columns are searched too ("산격" finds 북구 산격동).
  const sangyeok = gw.regions[0].inventory.filter(c => c.cctv_address.L3 === '산격동').map(c => String(c.cctv_ID))
  t.ok(sangyeok.length > 0, 'the simulated inventory has cameras in 산격동')
  await page.locator('[data-test=camera-search]').fill('산격')
  await page.waitForFunction((n) => document.querySelector('[data-test=camera-count]')?.textContent === `${n} / 60대`, sangyeok.length)
  t.same((await page.locator('[data-test=camera-table] tbody tr[data-cctv]').evaluateAll(trs => trs.map(tr => tr.getAttribute('data-cctv')))).sort(), [...sangyeok].sort(), '"산격" finds exactly the cameras of 산격동')

  await page.locator('[data-test=camera-search]').fill('')
  await page.locator('[data-test=filter-l2]').selectOption({ index: 1 })
  const l2 = await page.locator('[data-test=filter-l2]').inputValue()
  const n = Number((await count.textContent())!.split(' ')[0])
  t.ok(n > 0 && n < 60, `district ${l2}: ${n} cameras`)
  const districts = await page.locator('[data-test=camera-table] tbody tr[data-cctv] td:nth-child(3)').allTextContents()
  t.ok(districts.every(d => d.startsWith(l2)), 'every row is in that district')
  await page.locator('[data-test=filter-l2]').selectOption('')
  await page.locator('[data-test=filter-server]').selectOption('1')
  t.equal(await count.textContent(), '60 / 60대', 'every camera of a one-server region is on server 1')
})

t.test('logs: the controller log searched by the camera\'s URL (production format), "Reconnect <id>" one click away, and the ffmpeg URL search; a missing day says so', async t => {
  const { page } = await loggedIn(t)
  await page.locator('tr[data-cctv="3"] [data-test=to-logs]').click()
  await page.waitForURL(/\/logs\?cctv=3$/)
  const word = page.locator('[data-test=word]')
  await page.waitForFunction(() => (document.querySelector('[data-test=word]') as HTMLInputElement | null)?.value.startsWith('rtsp://') === true)
  const camUrl = await word.inputValue()
  t.equal(await page.locator('[data-test=date]').inputValue(), new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Seoul' }).format(new Date()), 'today, Korean time')
  await page.locator('[data-test=search]').click()
  await page.locator('[data-test=log-lines] mark').first().waitFor()
  const byUrl = await page.locator('[data-test=log-lines] mark').allTextContents()
  t.ok(byUrl.length > 0 && byUrl.every(m => m === camUrl), `${byUrl.length} highlighted URLs in the controller log`)
  t.ok((await page.locator('[data-test=log-lines]').textContent())!.includes('Reconnect '), 'its Reconnect lines among them')
  await shot(page, '4-logs-gstreamer')

  t.equal(await page.locator('[data-test=search-legacy]').textContent(), 'Reconnect 3', 'the older format is one click away')
  await page.locator('[data-test=search-legacy]').click()
  await page.waitForFunction(() => [...document.querySelectorAll('[data-test=log-lines] mark')].some(m => m.textContent === 'Reconnect 3 '))
  const marks = await page.locator('[data-test=log-lines] mark').allTextContents()
  t.ok(marks.length > 0 && marks.every(m => m === 'Reconnect 3 '), `${marks.length} highlighted "Reconnect 3 " (not camera 35's "Reconnect 35")`)
  t.equal(await word.inputValue(), 'Reconnect 3 ')
  t.match(await page.locator('[data-test=line-count]').textContent(), /^\d+줄$/)

  await page.locator('[data-test=type-ffmpeg]').check()
  const url = await word.inputValue()
  t.match(url, /^rtsp:\/\//, 'the ffmpeg search is pre-filled with the camera URL')
  await page.locator('[data-test=search]').click()
  await page.waitForFunction(u => [...document.querySelectorAll('[data-test=log-lines] mark')].some(m => m.textContent === u), url)
  await shot(page, '5-logs-ffmpeg')

  await page.locator('[data-test=date]').fill('2020-01-01')
  await page.locator('[data-test=search]').click()
  await page.locator('[data-test=no-file]').waitFor()
  t.match(await page.locator('[data-test=no-file]').textContent(), /로그 파일이 없습니다/, '"log file not found", not "no lines"')
  await page.locator('[data-test=date]').fill('2025-03-14')
  await word.fill('이 문자열은 없다')
  await page.locator('[data-test=search]').click()
  await page.locator('[data-test=no-lines]').waitFor()
  t.pass('"no logs found" is a different message')
})

t.test('ffprobe: a live camera shows codec/resolution/fps; a dead one the reason', async t => {
  const { page } = await loggedIn(t)
  await page.goto(origin + '/ffprobe?cctv=1')
  await page.locator('[data-test=run]').click()
  const summary = page.locator('[data-test=summary]')
  await summary.waitFor({ timeout: patient(30_000) })
  t.match(await summary.textContent(), /h264/, 'codec badge')
  t.match(await summary.textContent(), /\d+×\d+/, 'resolution badge')
  await shot(page, '6-ffprobe-live')

  await pickCamera(page, '5')
  await page.locator('[data-test=run]').click()
  const down = page.locator('[data-test=down]')
  await down.waitFor({ timeout: patient(30_000) })
  t.match(await down.textContent(), /refused/i, 'why the camera is down')
  t.equal(await page.locator('[data-test=probe-status]').textContent(), '꺼짐', 'the sweep\'s word for it')
  await shot(page, '7-ffprobe-dead')
})

t.test('rough edge 5: the ffprobe dialog tells a 401 and a 404 from a dead camera (the sweep\'s statuses), and says the gateway\'s words in Korean', async t => {
  const { page } = await loggedIn(t)
  await page.goto(origin + '/ffprobe')
  const statusOf = async (id: string): Promise<{ status: string, badge: string, text: string, report: string }> => {
    await pickCamera(page, id)
    await page.locator('[data-test=run]').click()
    const down = page.locator(`[data-test=down][data-cctv-probed="${id}"]`)
    await down.waitFor({ timeout: patient(40_000) })
    return {
      status: (await down.getAttribute('data-status'))!,
      badge: (await page.locator('[data-test=probe-status]').textContent())!,
      text: (await down.textContent())!,
      report: (await page.locator('[data-test=report]').textContent())!
    }
  }
  const auth = await statusOf('3')
  t.same([auth.status, auth.badge], ['auth_failed', '인증 실패'], 'wrong credentials: 인증 실패, not 카메라 응답 없음')
  t.match(auth.text, /401/, 'ffprobe\'s own line stays (401 Unauthorized)')
  const path = await statusOf('4')
  t.same([path.status, path.badge], ['not_found', '경로 없음'], 'a wrong path: 경로 없음')
  const silent = await statusOf('6')
  t.same([silent.status, silent.badge], ['timeout', '응답 없음'])
  t.notMatch(silent.text + silent.report, /fwmaint:|did not answer|no answer from the camera/, 'no English sentence of the gateway\'s')
  t.match(silent.text + silent.report, /초 안에 응답하지 않았습니다/, 'it is said in Korean')
  await shot(page, '19-ffprobe-timeout')

  // A failed call too: the server's English message in Korean.
  await page.route('**/api/run_ffprobe', route => route.fulfill({ status: 404, contentType: 'application/json', body: JSON.stringify({ message: 'container not found' }) }))
  await pickCamera(page, '1')
  await page.locator('[data-test=run]').click()
  await page.locator('[data-test=error]').waitFor()
  t.equal(await page.locator('[data-test=error]').textContent(), 'FireWatcher 컨테이너를 찾을 수 없습니다.')
})

t.test('live: video plays; switching camera; reload and leaving leave no tunnel open', async t => {
  const { page, context } = await loggedIn(t)
  await page.locator('tr[data-cctv="1"] [data-test=to-live]').click()
  await page.waitForFunction(() => ((document.querySelector('[data-test=video]') as HTMLVideoElement | null)?.currentTime ?? 0) > 1.5, undefined, { timeout: patient(30_000) })
  const t1 = await page.evaluate(() => (document.querySelector('[data-test=video]') as HTMLVideoElement).currentTime)
  await page.waitForTimeout(1500)
  const t2 = await page.evaluate(() => (document.querySelector('[data-test=video]') as HTMLVideoElement).currentTime)
  t.ok(t2 > t1, `currentTime advances (${t1.toFixed(2)} → ${t2.toFixed(2)} s)`)
  await shot(page, '8-live')
  t.equal((await sshStatus(context)).hls_server, true)

  // A camera the HLS server has no stream for: said plainly.
  await pickCamera(page, '5')
  await page.locator('[data-test=no-stream]').waitFor()
  t.pass('404 from the origin → "no stream" message')
  // Rough edge 12: the reason in the player's place (no empty black box), with retry and probe.
  const dead = page.locator('.player [data-test=live-dead]')
  t.ok(await dead.isVisible(), 'the reason stands in the player')
  t.notOk(await page.locator('[data-test=video]').isVisible(), 'no empty player under it')
  const box = await page.locator('.player').boundingBox()
  const deadBox = await dead.boundingBox()
  t.ok(box !== null && deadBox !== null && Math.abs(box.height - deadBox.height) < 2, 'it fills the player\'s place')
  await page.locator('[data-test=live-probe]').click()
  const probed = page.locator('[data-test=live-probe-result]')
  await probed.waitFor({ timeout: patient(40_000) })
  t.equal(await probed.getAttribute('data-status'), 'offline', '"probe it": camera 5 refuses, said with the sweep\'s word')
  t.match(await probed.textContent(), /꺼짐/)
  t.match(await probed.textContent(), /Connection refused/, 'and ffprobe\'s own line')
  await shot(page, '22-live-dead')
  let tunnels = 0
  page.on('request', r => { if (r.url().endsWith('/api/hls_tunnel')) tunnels++ })
  await page.locator('[data-test=live-retry]').click()
  await page.locator('[data-test=no-stream]').waitFor()
  t.equal(tunnels, 1, '"retry" asks for the tunnel again')
  t.equal(await page.locator('[data-test=live-to-ffprobe]').getAttribute('href'), '/ffprobe?cctv=5', 'the full report is one click away')

  // Reload: the old tunnel is stopped on pagehide; only the reloaded page's own remains.
  await pickCamera(page, '1')
  await page.waitForFunction(() => ((document.querySelector('[data-test=video]') as HTMLVideoElement | null)?.currentTime ?? 0) > 0.5, undefined, { timeout: patient(30_000) })
  await page.reload()
  await page.waitForFunction(() => ((document.querySelector('[data-test=video]') as HTMLVideoElement | null)?.currentTime ?? 0) > 0.5, undefined, { timeout: patient(30_000) })
  t.equal((await sshStatus(context)).hls_server, true, 'the reloaded page plays again (one tunnel: a new one replaces any other)')
  // A reload that lands elsewhere (the live view is not reopened): nothing may stay open.
  await page.evaluate(() => { history.replaceState(history.state, '', '/cameras') })
  await page.reload()
  await page.locator('[data-test=camera-table]').waitFor()
  t.equal((await sshStatus(context)).hls_server, false, 'reload: the tunnel was stopped on pagehide, not left to HLS_IDLE_SECONDS')
  await page.goto(origin + '/live?cctv=1')
  await page.waitForFunction(() => ((document.querySelector('[data-test=video]') as HTMLVideoElement | null)?.currentTime ?? 0) > 0.5, undefined, { timeout: patient(30_000) })
  await page.goto('about:blank')
  let status: Record<string, unknown> = {}
  for (let i = 0; i < 40; i++) {
    status = await sshStatus(context)
    if (status.hls_server === false) break
    await new Promise(resolve => setTimeout(resolve, 250))
  }
  t.equal(status.hls_server, false, 'leaving the page (pagehide) closed the tunnel at once, not after HLS_IDLE_SECONDS')
})

t.test('health: a sweep streams progress to the total, down cameras first, status filter, re-probe one, jump to its logs, CSV', async t => {
  const { page, context } = await loggedIn(t)
  await page.locator('[data-test=nav-health]').click()
  await page.waitForURL(origin + '/health')
  await page.locator('[data-test=health-empty]').waitFor()
  await page.locator('[data-test=health-start]').click()
  // Three silent cameras take 5 s each: the sweep is still running here.
  await page.locator('[data-test=health-stop]').waitFor()
  await page.waitForFunction(() => Number((document.querySelector('[data-test=health-progress]') as HTMLProgressElement | null)?.value) >= 30, undefined, { timeout: patient(60_000) })
  await shot(page, '11-health-running')
  await page.waitForFunction(() => document.querySelector('[data-test=health-state]')?.textContent?.includes('완료') === true, undefined, { timeout: patient(60_000) })
  t.equal(await page.locator('[data-test=health-count]').textContent(), '60 / 60 (100%)', 'progress reaches the total')
  t.equal(await page.locator('[data-test=health-progress]').evaluate(p => [(p as HTMLProgressElement).value, (p as HTMLProgressElement).max].join('/')), '60/60')

  const rows = await page.locator('[data-test=health-table] tbody tr[data-cctv]').evaluateAll(trs => trs.map(tr => [Number(tr.getAttribute('data-cctv')), tr.getAttribute('data-status')] as [number, string]))
  t.equal(rows.length, 60, 'a row per camera')
  const firstOnline = rows.findIndex(r => r[1] === 'online')
  t.ok(firstOnline > 0 && rows.slice(firstOnline).every(r => r[1] === 'online'), 'down cameras first, online ones last')
  t.same(rows.filter(([id, st]) => st !== expectedStatus(id, { region: true })), [], 'every camera shows the status of its simulated behaviour')
  await shot(page, '12-health')

  const timeouts = rows.filter(r => r[1] === 'timeout').map(r => r[0])
  await page.locator('.chip[data-view=timeout]').click()
  t.same(await page.locator('[data-test=health-table] tbody tr[data-cctv]').evaluateAll(trs => trs.map(tr => Number(tr.getAttribute('data-cctv')))), timeouts, 'the "no answer" filter shows exactly the silent cameras')

  const reprobed = page.waitForResponse(r => r.url().endsWith('/api/cctv_health/reprobe'), { timeout: patient(30_000) })
  await page.locator('tr[data-cctv="6"] [data-test=reprobe]').click()
  t.equal((await reprobed).status(), 200, 're-probe answered')
  await page.waitForFunction(() => document.querySelector('tr[data-cctv="6"] [data-test=reprobe]:not([disabled])') !== null, undefined, { timeout: patient(30_000) })
  t.equal(await page.locator('tr[data-cctv="6"]').getAttribute('data-status'), 'timeout', 'camera 6 probed again: still silent')

  await page.locator('.chip[data-view=all]').click()
  await page.locator('tr[data-cctv="3"] [data-test=to-logs]').click()
  await page.waitForURL(/\/logs\?cctv=3$/)
  await page.waitForFunction(() => (document.querySelector('[data-test=word]') as HTMLInputElement | null)?.value.startsWith('rtsp://') === true)
  t.equal(await page.locator('[data-test=search-legacy]').textContent(), 'Reconnect 3', 'a camera\'s row leads to its logs: its URL pre-filled, "Reconnect 3" one click away')
  await page.goBack()
  await page.locator('[data-test=health-table]').waitFor()
  t.equal(await page.locator('[data-test=health-table] tbody tr[data-cctv]').count(), 60, 'back on the Health screen: the results are still there')

  // Rough edge 8: a reload shows the finished sweep at once (one answer, not a replay), with when it was swept.
  await page.reload()
  await page.locator('[data-test=health-table] tbody tr[data-cctv]').first().waitFor({ timeout: patient(3000) })
  t.equal(await page.locator('[data-test=health-table] tbody tr[data-cctv]').count(), 60, 'after a reload: every row')
  t.match(await page.locator('[data-test=health-swept-at]').textContent(), /^\d\d-\d\d \d\d:\d\d 점검$/, '"swept at" is shown')

  const csv = await context.request.get(origin + '/api/cctv_health.csv')
  t.equal(csv.status(), 200)
  t.equal((await csv.text()).trim().split('\r\n').length, 61, 'CSV: a header and a row per camera')
  t.equal(await page.locator('[data-test=health-csv]').getAttribute('href'), '/api/cctv_health.csv')
})

t.test('alerts: a test message to a channel shows as sent; a maintenance window created and ended from the form', async t => {
  const { page } = await loggedIn(t)
  await page.locator('[data-test=nav-alerts]').click()
  await page.waitForURL(origin + '/alerts')
  await page.locator('[data-test=alerts-none]').waitFor()
  await page.locator('[data-test=maint-none]').waitFor()
  t.equal(await page.locator('[data-test=channel]').count(), 1, 'the channel, by name (no URL, no secret)')
  t.notOk((await page.content()).includes(receiver.url('/hook')), 'the channel\'s URL is not on the page')
  await page.locator('[data-test=test-ops-hook]').click()
  await page.locator('[data-test=alerts-notice]').waitFor()
  t.match(await page.locator('[data-test=alerts-notice]').textContent(), /테스트 메시지를 보냈습니다 \(ops-hook\)/)
  await page.waitForFunction(() => document.querySelector('[data-test=delivery]')?.textContent?.includes('전달됨') === true, undefined, { timeout: patient(15_000) })
  t.ok(receiver.got.some(r => r.path === '/hook' && r.json?.test === true), 'the receiver got it')
  t.match(await page.locator('[data-test=alert-row]').first().textContent(), /테스트 메시지/)

  const later = (h: number): string => new Date(Date.now() + 9 * 3600_000 + h * 3600_000).toISOString().slice(0, 16)
  await page.locator('[data-test=maint-from]').fill(later(0))
  await page.locator('[data-test=maint-to]').fill(later(2))
  await page.locator('[data-test=maint-ids]').fill('3, 5')
  await page.locator('[data-test=maint-reason]').fill('렌즈 청소')
  await page.locator('[data-test=maint-create]').click()
  await page.locator('[data-test=maint-row]').waitFor()
  t.match(await page.locator('[data-test=maint-row]').textContent(), /카메라 3, 5.*렌즈 청소.*demo/)
  await shot(page, '13-alerts')
  await page.locator('[data-test=maint-row] button').click()
  await page.locator('[data-test=maint-none]').waitFor()
  t.pass('ended: the window is gone from the list')
})

t.test('fleet, a region\'s cameras, a camera\'s story, since last night: from the monitor\'s history', async t => {
  // History: a sweep, camera 1 taken down, a sweep, camera 1 back, a sweep.
  const monitor = gw.app.monitors.get('데모')!
  const site = gw.regions[0]
  await monitor.tick()
  await site.takeDown(1)
  await monitor.tick()
  await site.bringBack(1)
  await monitor.tick()
  const cams = await gw.app.history.cameras('데모')
  const downNow = cams.filter(c => c.status !== 'online').length

  const { page } = await loggedIn(t)
  await page.locator('[data-test=nav-fleet]').click()
  await page.waitForURL(origin + '/fleet')
  const row = page.locator('tr[data-region="데모"]')
  await row.waitFor()
  t.equal(await row.locator('[data-test=fleet-down]').textContent(), String(downNow), 'cameras down now, as the history says')
  t.match(await row.locator('[data-test=fleet-age]').textContent(), /(초|분) 전/, 'the age of the last sweep')
  t.equal(await row.locator('.bar span').count(), 1, 'one day of uptime in the bar')
  await shot(page, '14-fleet')

  await row.locator('[data-test=fleet-open]').click()
  await page.waitForURL(/\/fleet\/%EB%8D%B0%EB%AA%A8/)
  await page.locator('[data-test=fleet-cameras] tbody tr[data-cctv]').first().waitFor()
  t.equal(await page.locator('[data-test=fleet-cameras] tbody tr[data-cctv]').count(), 60)
  // Keyboard: Tab to the "24 h" header's button, Enter sorts; aria-sort says how.
  const header = page.locator('[data-test=fleet-cameras] th', { hasText: '24시간' })
  await header.locator('button').focus()
  await page.keyboard.press('Enter')
  t.equal(await header.getAttribute('aria-sort'), 'ascending', 'sorted by keyboard, aria-sort set')
  const first = await page.locator('[data-test=fleet-cameras] tbody tr[data-cctv]').first().getAttribute('data-status')
  t.not(first, 'online', 'lowest 24 h uptime first: a down camera')
  await page.locator('.chip[data-view=down]').click()
  await page.waitForURL(/status=down/)
  t.equal(await page.locator('[data-test=fleet-cameras] tbody tr[data-cctv]').count(), downNow, 'the "down" filter')
  await page.reload()
  await page.locator('[data-test=fleet-cameras] tbody tr[data-cctv]').first().waitFor()
  t.equal(await page.locator('[data-test=fleet-cameras] tbody tr[data-cctv]').count(), downNow, 'a reload keeps the filter (it is in the URL)')
  t.equal(await page.locator('[data-test=fleet-cameras] th[aria-sort=ascending]').textContent(), '24시간 ▲', 'and the sort')
  await shot(page, '15-fleet-cameras')

  await page.goto(origin + '/camera/1')
  await page.locator('[data-test=story-strip]').waitFor()
  t.equal(await page.locator('[data-test=story-strip] .cell').count(), 30, 'thirty days, one cell each')
  const colours = await page.locator('[data-test=story-strip] .cell').evaluateAll(cells => cells.map(c => getComputedStyle(c).backgroundColor))
  t.not(colours[29], colours[0], 'today (swept) is coloured apart from a day without a sweep')
  t.notOk(colours.includes('rgba(0, 0, 0, 0)'), 'every cell is visible')
  // Today's numbers as the store has them (the monitor's sweeps: the operators' own never count towards uptime).
  const today = (await gw.app.history.camera('데모', '1', Date.now() - 86_400_000, Date.now())).daily.at(-1)!
  t.ok(today.total - today.up >= 1, 'camera 1 was down in one sweep today')
  t.match(await page.locator('[data-test=story-strip] .cell').last().getAttribute('title'), `(${today.up}/${today.total}회 정상)`, 'today\'s cell: its numbers, on hover')
  t.same(await page.locator('[data-test=story-changes] li').evaluateAll(lis => lis.map(li => li.getAttribute('data-kind'))), ['up', 'down', 'first_seen'], 'first seen, went down, came back (newest first)')
  await shot(page, '16-camera-story')

  await page.locator('[data-test=nav-changes]').click()
  await page.waitForURL(/\/changes/)
  await page.locator('[data-group=up] li[data-cctv="1"]').waitFor()
  t.ok(await page.locator('[data-group=down] li[data-cctv="1"]').count() === 1, 'camera 1 went down…')
  // The screen shows what the record says since its "since": on a busy machine a live camera may really time out in one of
  // the sweeps above, so the list is compared with the store's, not with a fixed count.
  const sinceMs = Date.parse(`${await page.locator('[data-test=changes-since]').inputValue()}:00+09:00`)
  const recorded = await gw.app.history.changes('데모', sinceMs)
  const recordedDown = recorded.filter(c => c.kind === 'down' || c.kind === 'status')
  const shownDown = await page.locator('[data-group=down] li').evaluateAll(lis => lis.map(li => li.getAttribute('data-cctv')))
  t.same(shownDown.sort(), recordedDown.map(c => c.cctv_id).sort(), 'under 장애 발생: the recorded changes to down, no more')
  t.ok(recordedDown.every(c => c.from_status !== null), 'none of them is a first sighting')
  const firstSeenDown = recorded.filter(c => c.kind === 'first_seen' && c.to_status !== 'online').map(c => c.cctv_id)
  t.ok(firstSeenDown.length >= 1 && firstSeenDown.every(id => !shownDown.includes(id) || recordedDown.some(c => c.cctv_id === id)),
    'the cameras first seen down are not under 장애 발생 (unless they changed again later)')
  t.ok(await page.locator('[data-group=first_seen] li').count() >= firstSeenDown.length, 'they are under 처음 확인')
  t.equal(await page.locator('[data-test=changes-since]').inputValue(), (() => { const d = new Date(Date.now() + 9 * 3600_000 - 86_400_000).toISOString().slice(0, 10); return `${d}T18:00` })(), 'default: 18:00 yesterday, Korean time')
  await shot(page, '17-changes')
  await page.locator('[data-group=up] li[data-cctv="1"] a').click()
  await page.waitForURL(origin + '/camera/1')
  t.pass('a change links to the camera\'s story')
})

t.test('the new screens at 1366×768, 390×844 and 2560×1440: fleet, a region\'s cameras, a camera\'s story, since last night, alerts; a flapping camera shows as such', async t => {
  // The fleet test above left three monitor sweeps in the history.
  const cams = await gw.app.history.cameras('데모')
  const flapping = cams.filter(c => c.flapping).map(c => c.cctv_id)
  t.ok(flapping.length > 0, `the simulated logs make cameras flap (online, reconnecting): ${flapping.join(', ')}`)
  for (const [w, h] of [[1366, 768], [390, 844], [2560, 1440]] as const) {
    const { page } = await loggedIn(t, w, h)
    for (const [path, ready, name] of [
      ['/fleet', 'tr[data-region="데모"]', 'fleet'],
      ['/fleet/데모?status=flapping', '[data-test=fleet-cameras] tbody tr[data-cctv]', 'fleet-flapping'],
      [`/camera/${flapping[0]}`, '[data-test=story-strip]', 'story'],
      ['/changes', '[data-group=flapping]', 'changes'],
      ['/alerts', 'main h1', 'alerts']
    ] as const) {
      await page.goto(origin + encodeURI(path))
      await page.locator(ready).first().waitFor()
      await page.waitForTimeout(200)
      t.equal(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth), 0, `${path} at ${w}×${h}: no horizontal page scroll`)
      const broken = await page.locator('.app-header nav a').evaluateAll(as => as.filter(a => a.getBoundingClientRect().height > 2.5 * parseFloat(getComputedStyle(a).fontSize)).map(a => a.textContent))
      t.same(broken, [], `${path} at ${w}×${h}: every menu word on one line`)
      if (name === 'fleet-flapping') {
        t.same((await page.locator('[data-test=fleet-cameras] tbody tr[data-cctv]').evaluateAll(trs => trs.map(tr => tr.getAttribute('data-cctv')))).sort(), [...flapping].sort(), 'the "flapping" filter: exactly the flapping cameras')
      }
      if (name === 'story') t.equal(await page.locator('[data-test=story-flapping]').textContent(), '불안정', 'the story says the camera flaps')
      await shot(page, `21-${name}-${w}`)
    }
  }
})

t.test('picture health: the grid shows what each camera sees (lazy, a few at a time), a dead one its reason; the black camera\'s story keeps the frame it showed then', async t => {
  const { page } = await loggedIn(t, 1366, 768)
  const snaps: string[] = []
  page.on('request', r => { if (r.url().includes('/api/cctv_snapshot')) snaps.push(r.url()) })
  await page.locator('[data-test=nav-grid]').click()
  await page.waitForURL(origin + '/grid')
  await page.locator('[data-test=grid] li[data-cctv="1"] [data-test=snapshot-img]').waitFor({ timeout: patient(30_000) })
  t.ok(await page.locator('[data-test=grid] li[data-cctv="1"] img').evaluate(img => (img as HTMLImageElement).naturalWidth === 320), 'camera 1: a 320-px frame')
  await page.locator('[data-test=grid] li[data-cctv="5"] [data-test=snapshot-error]').waitFor({ timeout: patient(30_000) })
  t.match(await page.locator('[data-test=grid] li[data-cctv="5"] [data-test=snapshot-error]').textContent(), /Connection refused|연결/, 'a dead camera: its reason in its card')
  t.equal(await page.locator('[data-test=grid] li[data-cctv="7"] [data-test=grid-status]').textContent(), '검은 화면', 'the monitor\'s status on the black camera\'s card')
  await page.waitForTimeout(500)
  t.ok(snaps.length < 60, `lazy: ${snaps.length} of 60 frames asked for, those in view`)
  await page.locator('[data-test=grid] li[data-cctv="7"] [data-test=snapshot-img]').waitFor({ timeout: patient(30_000) })
  await shot(page, '23-grid')
  await page.locator('[data-test=grid-search]').fill('화면')
  await page.waitForURL(/q=/)
  t.same(await page.locator('[data-test=grid] li').evaluateAll(lis => lis.map(li => li.getAttribute('data-cctv'))), ['7', '8', '9'], 'the search filters the grid (and is in the URL)')

  await page.goto(origin + '/camera/7')
  await page.locator('[data-test=story-kept]').first().waitFor()
  t.ok(await page.locator('[data-test=story-kept]').first().evaluate(img => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0), 'the frame kept with the change to black')
  t.ok(await page.locator('[data-test=story-changes] li[data-to=black]').count() >= 1)
  await page.locator('[data-test=story-snapshot] [data-test=snapshot-img]').waitFor({ timeout: patient(30_000) })
  await shot(page, '24-story-black')
})

t.test('view checks (issue 24): references from a story and the Health screen, a turned and a blurred camera in Health and the grid beside their reference, at 1366×768 and 390×844', async t => {
  const site = gw.regions[0]
  const cams = site.cameras!
  const open = cams.endpoints.open!
  // Cameras 11 and 12 (dead addresses in the inventory) now watch view cameras 1 and 2: the hillside, a ball moving in it.
  const before = new Map([11, 12].map(id => [id, site.inventory.find(c => Number(c.cctv_ID) === id)!.url]))
  await site.mongo!.setUrl(11, `rtsp://${open.host}:${open.port}/view/1`)
  await site.mongo!.setUrl(12, `rtsp://${open.host}:${open.port}/view/2`)
  t.teardown(async () => {
    for (const [id, url] of before) await site.mongo!.setUrl(id, url)
    for (const k of [1, 2]) await cams.setView(k, {})
  })
  const refsOf = async (id: number): Promise<number> => (await gw.app.references.store.list('데모', String(id))).length

  const { page, context } = await loggedIn(t, 1366, 768)
  // 기준 화면 만들기 on the Health screen: every camera the monitor last found online without a reference gets one, in the background.
  const online = (await gw.app.history.cameras('데모')).filter(c => c.status === 'online').map(c => c.cctv_id)
  await page.locator('[data-test=nav-health]').click()
  await page.waitForURL(origin + '/health')
  await page.locator('[data-test=ref-job-start]').click()
  await page.locator('[data-test=ref-job][data-state=done]').waitFor({ timeout: patient(60_000) })
  const counted = await page.locator('[data-test=ref-job-count]').textContent()
  t.match(counted, new RegExp(`^${online.length} / ${online.length} — 새로 \\d+`), `기준 화면 만들기: every online camera looked at (${counted ?? ''})`)
  // A simulated camera's stream can stall on a machine busy with the rest of the suite, and the job
  // then rightly refuses its frozen picture as a reference (seen in session 17's full run: camera 9,
  // "멈춘 화면(2.0초 중 95%)"). As an operator would, the button once more: it takes the missing ones only.
  let refCounts = await Promise.all(online.map(async id => [id, await refsOf(Number(id))] as const))
  for (let again = 0; again < 2 && refCounts.some(([, n]) => n === 0); again++) {
    const jobFailed = await page.locator('[data-test=ref-job-failed]').count() > 0 ? await page.locator('[data-test=ref-job-failed]').textContent() : null
    t.comment(`again for ${refCounts.filter(([, n]) => n === 0).map(([id]) => id).join(', ')}: ${jobFailed ?? ''}`)
    const job = async (): Promise<{ state: string, started_at: string }> => await (await page.request.get(`${origin}/api/monitor/${encodeURIComponent('데모')}/references/job`)).json()
    const was = (await job()).started_at
    await page.locator('[data-test=ref-job-start]').click()
    t.ok(await eventually(async () => { const j = await job(); return j.started_at !== was && j.state !== 'running' }, patient(60_000), 250), 'the second job ended')
    refCounts = await Promise.all(online.map(async id => [id, await refsOf(Number(id))] as const))
  }
  t.ok(refCounts.every(([, n]) => n === 1), 'each of them has its reference, in the store', { notOne: refCounts.filter(([, n]) => n !== 1) })

  // The story: none yet; "이 화면을 기준으로" twice (day and night), then one deleted.
  await page.goto(origin + '/camera/11')
  await page.locator('[data-test=references-none]').waitFor()
  await page.locator('[data-test=reference-take]').click()
  await page.locator('[data-test=references][data-count="1"] [data-test=reference-img]').waitFor({ timeout: patient(30_000) })
  t.ok(await page.locator('[data-test=reference-img]').evaluate(img => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth === 320), 'the reference: a 320-px frame')
  await page.locator('[data-test=reference-take]').click()
  await page.locator('[data-test=references][data-count="2"]').waitFor({ timeout: patient(30_000) })
  t.equal(await page.locator('[data-test=reference-take]').count(), 0, 'two references (day and night): no third to take')
  await page.locator('[data-test=story-snapshot] [data-test=snapshot-img]').waitFor({ timeout: patient(30_000) })
  await shot(page, '25-story-references')
  await page.locator('[data-test=reference-delete]').last().click()
  await page.locator('[data-test=references][data-count="1"]').waitFor()
  t.equal(await refsOf(11), 1, 'deleted: one left in the store')
  t.equal((await context.request.post(`${origin}/api/monitor/${encodeURIComponent('데모')}/cameras/12/references`)).status(), 201, 'camera 12\'s, by the API')

  // Turned 10 % and blurred: a Health sweep with pictures says so, and moves the record (the grid's badges).
  await cams.setView(1, { pan: 0.1 })
  await cams.setView(2, { blur: 4 })
  await page.locator('[data-test=nav-health]').click()
  await page.waitForURL(origin + '/health')
  await page.locator('[data-test=health-picture]').check()
  await page.locator('[data-test=health-start]').click()
  await page.locator('[data-test=health-state]', { hasText: '완료' }).waitFor({ timeout: patient(120_000) })
  const row = (id: number): ReturnType<Page['locator']> => page.locator(`[data-test=health-table] tr[data-cctv="${id}"]`)
  t.same([await row(11).getAttribute('data-status'), await row(12).getAttribute('data-status')], ['moved', 'blurred'], 'turned: moved; blurred: blurred')
  t.equal(await row(11).locator('[data-test=status]').textContent(), '화면 틀어짐·가림')
  await row(11).locator('[data-test=row-snapshot]').click()
  await row(11).locator('.row-picture.pair [data-test=snapshot-img]').waitFor({ timeout: patient(30_000) })
  await row(11).locator('.row-picture.pair [data-test=reference-img]').waitFor()
  t.pass('Health: the moved camera\'s frame beside its reference')
  await row(11).scrollIntoViewIfNeeded()
  await shot(page, '26-health-moved')

  // The grid, searched by the view cameras' URLs: each card shows the reference beside what it sees now.
  await page.goto(origin + '/grid?q=%2Fview%2F')
  const card = page.locator('[data-test=grid] li[data-cctv="11"]')
  await card.locator('[data-test=reference-img]').waitFor({ timeout: patient(30_000) })
  t.same(await page.locator('[data-test=grid] li').evaluateAll(lis => lis.map(li => li.getAttribute('data-cctv'))), ['11', '12'])
  t.equal(await card.locator('[data-test=grid-status]').textContent(), '화면 틀어짐·가림', 'the grid: the monitor\'s word on the card')
  t.equal(await page.locator('[data-test=grid] li[data-cctv="12"] [data-test=grid-status]').textContent(), '흐린 화면')
  for (const id of [11, 12]) await page.locator(`[data-test=grid] li[data-cctv="${id}"] [data-test=snapshot-img]`).waitFor({ timeout: patient(30_000) })
  await shot(page, '27-grid-moved')

  // A phone: the story and the grid stack the two frames and fit the width.
  const phone = await loggedIn(t, 390, 844)
  for (const [path, name] of [['/camera/11', 'story-references'], ['/grid?q=%2Fview%2F', 'grid-moved']] as const) {
    await phone.page.goto(origin + path)
    await phone.page.locator('[data-test=reference-img]').first().waitFor({ timeout: patient(30_000) })
    await phone.page.locator('[data-test=snapshot-img]').first().waitFor({ timeout: patient(30_000) })
    t.equal(await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth), 0, `${path} at 390×844: no horizontal page scroll`)
    await shot(phone.page, `28-${name}-390`)
  }
})

t.test('rough edge 7: the camera picker is searchable (by ID, name, address, URL), not a list of every camera', async t => {
  const { page } = await loggedIn(t)
  await page.goto(origin + '/ffprobe')
  const input = page.locator('[data-test=camera-picker]')
  t.equal(await input.evaluate(el => el.tagName), 'INPUT', 'a search field, not a <select>')
  await input.fill('산격')
  const options = page.locator('[data-test=camera-options] li')
  await options.first().waitFor()
  const want = gw.regions[0].inventory.filter(c => c.cctv_address.L3 === '산격동').map(c => String(c.cctv_ID))
  t.same((await options.evaluateAll(lis => lis.map(li => li.getAttribute('data-cctv')))).sort(), [...want].sort(), 'by address')
  await input.fill('인증')
  await page.keyboard.press('ArrowDown')
  await page.keyboard.press('Enter')
  await page.waitForURL(/cctv=2/)
  t.pass('keyboard: arrows and Enter pick the camera; the URL keeps it')
})

t.test('rough edge 6: the cameras\' search, filters, sort and page and the log screen\'s search survive a reload and a shared link; a deep link without a session says why and returns there after login', async t => {
  const { page, context } = await loggedIn(t)
  // Cameras
  await page.locator('[data-test=camera-table] tbody tr[data-cctv]').first().waitFor()
  await page.locator('[data-test=filter-server]').selectOption('1')
  await page.locator('[data-test=camera-table] th', { hasText: '이름' }).locator('button').click()
  await page.locator('[data-test=camera-table] th', { hasText: '이름' }).locator('button').click()
  await page.locator('[data-test=camera-search]').fill('동')
  await page.waitForURL(/q=%EB%8F%99/)
  const count = await page.locator('[data-test=camera-count]').textContent()
  const order = await page.locator('[data-test=camera-table] tbody tr[data-cctv]').evaluateAll(trs => trs.map(tr => tr.getAttribute('data-cctv')))
  const shared = page.url()
  t.match(shared, /server=1/)
  t.match(shared, /sort=name/)
  t.match(shared, /dir=desc/)
  await page.reload()
  await page.locator('[data-test=camera-table] tbody tr[data-cctv]').first().waitFor()
  t.equal(await page.locator('[data-test=camera-search]').inputValue(), '동', 'a reload keeps the search')
  t.equal(await page.locator('[data-test=filter-server]').inputValue(), '1', 'and the filter')
  t.equal(await page.locator('[data-test=camera-count]').textContent(), count)
  t.same(await page.locator('[data-test=camera-table] tbody tr[data-cctv]').evaluateAll(trs => trs.map(tr => tr.getAttribute('data-cctv'))), order, 'and the order (name, descending)')
  t.equal(await page.locator('[data-test=camera-table] th[aria-sort=descending]').count(), 1)

  // Logs: the search that ran is in the URL; a reload runs it again.
  await page.goto(origin + '/logs?cctv=3')
  await page.locator('[data-test=search-legacy]').click()
  await page.locator('[data-test=log-lines] mark').first().waitFor()
  await page.waitForURL(/q=Reconnect/)
  const lines = await page.locator('[data-test=line-count]').textContent()
  const logLink = page.url()
  await page.reload()
  await page.locator('[data-test=log-lines] mark').first().waitFor()
  t.equal(await page.locator('[data-test=word]').inputValue(), 'Reconnect 3 ', 'a reload keeps the word (not the camera\'s URL, the default)')
  t.equal(await page.locator('[data-test=line-count]').textContent(), lines, 'and shows the results again')
  await page.goBack()
  t.pass('Back works')

  // A shared link, opened by a browser without a session.
  const other = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'ko-KR' })
  t.teardown(async () => { await other.close() })
  const fresh = await other.newPage()
  await fresh.goto(logLink)
  await fresh.waitForURL(/\/\?next=\/logs\?cctv=3/)
  t.match(await fresh.locator('[data-test=notice]').textContent(), /로그인해야 볼 수 있습니다/, 'it says why')
  await fresh.locator('.region-card[data-region="데모"]').click()
  await fresh.locator('[data-test=login] input[name=id]').fill('demo')
  await fresh.locator('[data-test=login] input[name=password]').fill(PASSWORD)
  await fresh.locator('[data-test=login] input[name=password]').press('Enter')
  await fresh.waitForURL(logLink)
  await fresh.locator('[data-test=log-lines] mark').first().waitFor()
  t.equal(await fresh.locator('[data-test=line-count]').textContent(), lines, 'after login: back at the link, its search run')
  await shot(fresh, '20-logs-deep-link')
  // Only a path inside the console is followed after login.
  await other.request.post(origin + '/api/ssh_disconnect')
  await fresh.goto(origin + '/?next=//example.com/x')
  await fresh.locator('.region-card[data-region="데모"]').click()
  await fresh.locator('[data-test=login] input[name=id]').fill('demo')
  await fresh.locator('[data-test=login] input[name=password]').fill(PASSWORD)
  await fresh.locator('[data-test=login] input[name=password]').press('Enter')
  await fresh.waitForURL(origin + '/cameras')
  t.pass('?next=//example.com is not followed')
  void context
})

t.test('rough edge 8: a first visit to the Health screen asks for no events stream (no 404 in the browser console)', async t => {
  const { page, watch } = await loggedIn(t)
  const events: string[] = []
  page.on('request', r => { if (r.url().includes('/api/cctv_health/events')) events.push(r.url()) })
  await page.locator('[data-test=nav-health]').click()
  await page.locator('[data-test=health-empty]').waitFor()
  await page.waitForTimeout(500)
  t.same(events, [], 'no events stream without a sweep')
  t.notOk(watch.consoleText.some(m => /404/.test(m)), 'no 404 in the console')
})

t.test('rough edges 9 and 10: every screen fits a 390×844 phone (tables scroll inside themselves); Korean words are not broken mid-word', async t => {
  const { page } = await loggedIn(t, 390, 844)
  for (const path of ['/cameras', '/logs', '/ffprobe', '/health', '/fleet', '/changes', '/alerts']) {
    await page.goto(origin + path)
    await page.locator('main h1').first().waitFor()
    await page.waitForTimeout(300)
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    t.equal(overflow, 0, `${path}: no horizontal page scroll at 390 px`)
    const logout = await page.getByRole('button', { name: '로그아웃' }).boundingBox()
    t.ok(logout !== null && logout.x >= 0 && logout.x + logout.width <= 390, `${path}: the logout button is on the screen`)
  }
  await page.goto(origin + '/cameras')
  await page.locator('[data-test=camera-table] tbody tr[data-cctv]').first().waitFor()
  await shot(page, '18-cameras-390')
  t.equal(await page.locator('[data-test=camera-table] tbody td').nth(2).evaluate(td => getComputedStyle(td).wordBreak), 'keep-all', 'table cells keep Korean words whole')
})

t.test('English toggle, and a 2560-wide control-room screen', async t => {
  const { page } = await loggedIn(t, 2560, 1440)
  await page.locator('[data-test=camera-table] tbody tr[data-cctv]').first().waitFor()
  await page.getByRole('button', { name: 'English' }).click()
  t.equal(await page.locator('[data-test=camera-count]').textContent(), '60 of 60 cameras')
  t.equal(await page.evaluate(() => document.documentElement.lang), 'en')
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
  t.equal(overflow, 0, 'no horizontal scrolling at 2560')
  await shot(page, '9-cameras-2560-en')
  await page.getByRole('button', { name: '한국어' }).click()
})

t.test('logout returns to the regions with a message and closes the SSH session', async t => {
  const { page, context } = await loggedIn(t)
  await page.locator('[data-test=logout]').click()
  await page.waitForURL(origin + '/')
  t.equal(await page.locator('[data-test=notice]').textContent(), '로그아웃했습니다.')
  t.equal((await sshStatus(context)).status, 'disconnected')
  await page.goto(origin + '/logs')
  await page.waitForURL(origin + '/?next=/logs')
  t.pass('a screen that needs SSH sends a logged-out browser to the regions (and back after login)')
})

t.test('an expired SSH session sends the operator back to the regions with a message', async t => {
  const short = await startGateway(t, { regions: [{ name: '데모', cameras: 10 }], env: { SSH_TTL_SECONDS: '4' } })
  const base = await short.origin()
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  t.teardown(async () => { await context.close() })
  const page = await context.newPage()
  await page.goto(base + '/')
  await page.locator('.region-card').first().click()
  await page.locator('[data-test=login] input[name=id]').fill('demo')
  await page.locator('[data-test=login] input[name=password]').fill(PASSWORD)
  await page.locator('[data-test=login] input[name=password]').press('Enter')
  await page.waitForURL(base + '/cameras')
  t.ok(await page.locator('[data-test=time-left].warn').count() === 1, 'under 30 minutes left: the header warns')
  await page.waitForURL(base + '/?next=/cameras', { timeout: patient(15_000) })
  t.equal(await page.locator('[data-test=notice]').textContent(), 'SSH 세션이 끝났습니다. 다시 로그인하세요.')
  await shot(page, '10-expired')
})

t.test('rough edge 11: axe-core finds nothing "serious" or "critical" on any screen (each screenshot above is checked)', async t => {
  t.ok(a11y.size >= 18, `${a11y.size} screens checked: ${[...a11y.keys()].join(', ')}`)
  for (const [name, found] of a11y) t.same(found, [], `${name}: ${found.length === 0 ? 'nothing serious' : found.join('; ')}`)
})

t.test('no screen shows an error in the browser console (each screenshot above is checked)', async t => {
  t.ok(screenErrors.size >= 18, `${screenErrors.size} screens checked`)
  for (const [name, errors] of screenErrors) t.same(errors, [], `${name}: ${errors.length === 0 ? 'no error' : errors.join('; ')}`)
})
