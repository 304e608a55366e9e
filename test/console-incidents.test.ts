import t from 'tap'
import type { Page } from 'playwright-core'
import { startGateway } from './helpers/app.js'
import { artifactPath, axeViolations, launchChromium } from './helpers/browser.js'
import { generateHistory, regionName } from '../sim/history.js'
import { kstLastMonth } from '../lib/clock.js'

// Issue 25, 7 in the built console (dist/web) in headless Chromium: the Fleet screen's down list
// grouped by incident, the Incidents screen (acknowledge and a note in place), and the monthly
// report printed at A4 (a PDF of its pages, and the screenshot in the README). The region's
// history is a generated month (sim/history: shared outages, incidents, people acknowledging)
// and then the real monitor on the simulated site, with server 2's cameras taken down.

process.env.FWMAINT_TEST_CONSOLE_INC_PW = 'demo'
const REGION = regionName(0)
const gw = await startGateway(t, {
  regions: [{ name: REGION, cameras: 12, servers: 2, rtsp: true, liveShare: 1 }],
  patch: doc => { doc.regions[REGION].monitor = { cron: '0 0 0 1 1 *', id: 'demo', password_env: 'FWMAINT_TEST_CONSOLE_INC_PW' } },
  env: { HEALTH_PROBE_TIMEOUT_SECONDS: '6' }
})
const site = gw.regions[0]
// Forty days up to half an hour ago: all of last month, and the days since.
await generateHistory(gw.app.history.database,
  { regions: 1, camerasPerRegion: 12, days: 40, everyMinutes: 15, rawDays: 1, now: Date.now() - 30 * 60_000, seed: 5, sharedOutages: 3, incidents: true })
const monitor = gw.app.monitors.get(REGION)!
await monitor.tick()
const server2 = site.inventory.filter(c => c.inference_id.startsWith('svr2')).map(c => c.cctv_ID)
const up2 = (await gw.app.history.cameras(REGION)).filter(c => c.status === 'online' && server2.includes(Number(c.cctv_id))).map(c => Number(c.cctv_id))
for (const id of up2) await site.takeDown(id)
await monitor.tick()

const origin = await gw.origin()
const browser = await launchChromium(t)
const lastMonth = kstLastMonth(Date.now())

async function loggedIn (width = 1280, height = 800): Promise<{ page: Page, errors: string[] }> {
  const context = await browser.newContext({ viewport: { width, height }, locale: 'ko-KR', timezoneId: 'Asia/Seoul' })
  t.teardown(async () => { await context.close() })
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', e => { errors.push(`uncaught: ${e.message}`) })
  page.on('console', m => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text()) })
  await page.goto(origin + '/')
  await page.locator(`.region-card[data-region="${REGION}"]`).click()
  await page.locator('[data-test=login] input[name=id]').fill('demo')
  await page.locator('[data-test=login] input[name=password]').fill('demo')
  await page.locator('[data-test=login] input[name=password]').press('Enter')
  await page.waitForURL(origin + '/cameras')
  return { page, errors }
}

t.test('fleet: the down cameras grouped by incident — server 2 is one heading with its count and statuses, not a line per camera', async t => {
  t.ok(up2.length >= 2, `server 2's cameras taken down: ${up2.join(', ')}`)
  const { page, errors } = await loggedIn()
  await page.locator('[data-test=nav-fleet]').click()
  const group = page.locator('.down-group', { hasText: '분석 서버 2' }).first()
  await group.waitFor()
  t.match(await group.locator('summary').innerText(), new RegExp(`#\\d+ 분석 서버 2 — ${up2.length}대 \\(꺼짐 ${up2.length}\\)`), 'one line: the incident, how many, per status in Korean')
  t.same((await group.locator('li').allInnerTexts()).map(x => Number(x.split(' ')[0])).sort((a, b) => a - b), [...up2].sort((a, b) => a - b), 'its cameras under it')
  await page.screenshot({ path: artifactPath('console-29-fleet-incidents.png'), fullPage: true })
  t.same(await axeViolations(page), [], 'axe-core: nothing serious or critical')
  t.same(errors, [])
})

t.test('incidents: the server incident opens with its cameras and timeline; acknowledged and noted in place; the timeline says who', async t => {
  const { page, errors } = await loggedIn()
  await page.locator('[data-test=nav-incidents]').click()
  const row = page.locator('[data-test=incident-list] > li', { hasText: '분석 서버 2' }).first()
  await row.waitFor()
  t.match(await row.locator('.badge').innerText(), '미확인')
  await row.locator('.incident-head').click()
  const detail = row.locator('[data-test=incident-detail]')
  await detail.locator('[data-test=incident-timeline] li[data-kind=opened]').waitFor()
  t.equal(await detail.locator('[data-test=incident-cameras] li').count(), up2.length, 'every camera of it')
  await detail.locator('[data-test=ack-form] input').fill('현장 출동합니다')
  await detail.locator('[data-test=ack-form] button').click()
  await row.locator('.badge', { hasText: '확인됨' }).waitFor()
  await detail.locator('[data-test=note-form] input').fill('스위치 교체 예정')
  await detail.locator('[data-test=note-form] button').click()
  await detail.locator('[data-test=incident-timeline] li[data-kind=note]').waitFor()
  const timeline = await detail.locator('[data-test=incident-timeline]').innerText()
  t.match(timeline, /확인 — demo[\s\S]*현장 출동합니다[\s\S]*메모 — demo[\s\S]*스위치 교체 예정/, 'acknowledged and the note, by the session\'s person')
  const [stored] = await gw.app.history.incidents.list({ regions: [REGION], state: 'acknowledged', limit: 1 })
  t.match(stored, { cause: 'server', key: '2', acknowledged_by: 'demo' }, 'in the record')
  await page.screenshot({ path: artifactPath('console-30-incidents.png'), fullPage: true })
  t.same(await axeViolations(page), [], 'axe-core: nothing serious or critical')

  // A camera of it: its story, where a note on the camera stays with who and when.
  await detail.locator('[data-test=incident-cameras] li a').first().click()
  const notes = page.locator('[data-test=camera-notes]')
  await notes.locator('input').fill('렌즈 청소 12-05 예정')
  await notes.locator('button').click()
  await notes.locator('li', { hasText: '렌즈 청소 12-05 예정' }).waitFor()
  t.match(await notes.locator('li').first().innerText(), /^\d\d-\d\d \d\d:\d\d · demo — 렌즈 청소 12-05 예정$/, 'the note in the camera\'s story: when, who, what')
  t.same(await axeViolations(page), [], 'axe-core on the story with its notes')
  t.same(errors, [])
})

t.test('the monthly report: last month on screen, its charts as SVG; printed at A4 it is a PDF of whole pages, black on white, without the console around it', async t => {
  const { page, errors } = await loggedIn()
  await page.locator('[data-test=nav-report]').click()
  await page.locator('[data-test=report]').waitFor()
  t.equal(await page.locator('[data-test=report-month]').inputValue(), lastMonth, 'last month by default')
  const stored = (await gw.app.history.reports.monthly(REGION, lastMonth))!
  t.equal(await page.locator('[data-test=report-daily] rect').count(), stored.daily.length, 'a bar per day')
  t.equal(await page.locator('[data-test=report-worst] tbody tr').count(), 10)
  t.equal(await page.locator('[data-test=report-list] tbody tr').count(), stored.incidents.total, 'a row per incident')
  t.match(await page.locator('[data-test=report-uptime] .big').innerText(), `${stored.uptime.percent!.toFixed(2)}%`)
  t.match(await page.locator('[data-test=report-csv]').getAttribute('href'), `/api/reports/${encodeURIComponent(REGION)}?month=${lastMonth}&format=csv&table=cameras`)
  t.same(await axeViolations(page), [], 'axe-core: nothing serious or critical on screen')

  await page.emulateMedia({ media: 'print' })
  t.equal(await page.locator('.app-header').isVisible(), false, 'printed: no console header')
  t.equal(await page.locator('.toolbar.no-print').isVisible(), false, 'nor the month picker and buttons')
  t.equal(await page.evaluate(() => getComputedStyle(document.querySelector('.sheet')!).backgroundColor), 'rgb(255, 255, 255)', 'white paper')
  const pdf = await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true })
  const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length
  t.ok(pdf.subarray(0, 5).toString() === '%PDF-' && pages >= 1 && pages <= 4, `a PDF of ${pages} A4 page(s), ${pdf.length} bytes`)
  const mediaBox = /\/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]/.exec(pdf.toString('latin1'))
  t.same(mediaBox?.slice(1).map(n => Math.round(Number(n))), [595, 842], 'A4 in points')
  // The README's picture: the first printed page as the browser lays it out (A4 at 96 dpi).
  await page.setViewportSize({ width: 794, height: 1123 })
  await page.screenshot({ path: artifactPath('console-31-report-a4.png') })
  t.same(errors, [])
})
