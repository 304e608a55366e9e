import t from 'tap'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { patient, startGateway } from './helpers/app.js'
import { launchChromium } from './helpers/browser.js'

// "A browser test: headless Chromium loads a page with hls.js pointed at the returned URL
// and the video's currentTime advances."

const require = createRequire(import.meta.url)
const HLS_JS = readFileSync(require.resolve('hls.js/dist/hls.min.js'))

const PAGE = `<!doctype html><meta charset="utf-8"><title>hls</title>
<video id="v" muted autoplay playsinline width="320" height="240"></video>
<script src="/test/hls.js"></script>
<script>
window.play = async (region, host, port) => {
  const post = (url, body) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const login = await post('/api/ssh_connect', { host, port, id: 'demo', password: 'demo', region })
  if (!login.ok) throw new Error('login ' + login.status)
  const { message: url } = await (await post('/api/hls_tunnel', { inference_id: 'svr10', cctv_id: 1 })).json()
  // As the original client does: GET the playlist first (404 = "video connection failed").
  const check = await fetch(url)
  if (!check.ok) throw new Error('playlist ' + check.status)
  if (!Hls.isSupported()) throw new Error('hls.js is not supported here')
  const hls = new Hls()
  hls.on(Hls.Events.ERROR, (_e, d) => { if (d.fatal) window.fatal = d.details })
  hls.loadSource(url)
  hls.attachMedia(document.getElementById('v'))
  return url
}
</script>`

t.test('hls.js in headless Chromium plays the returned URL: currentTime advances', async t => {
  const gw = await startGateway(t, {
    regions: [{ name: '대구', hls: true }],
    extend: app => {
      app.get('/test/player.html', async (_req, reply) => await reply.type('text/html').send(PAGE))
      app.get('/test/hls.js', async (_req, reply) => await reply.type('text/javascript').send(HLS_JS))
    }
  })
  const address = await gw.origin()
  const browser = await launchChromium(t)
  const page = await browser.newPage()
  await page.goto(`${address}/test/player.html`)
  t.ok(await page.evaluate(() => MediaSource.isTypeSupported('video/mp4; codecs="avc1.42E01E"')), 'this Chromium decodes H.264 baseline')
  const { host, port } = gw.regions[0].entry.ssh as { host: string, port: number }
  const url = await page.evaluate(async ([r, h, p]) => await (window as unknown as { play: (...a: unknown[]) => Promise<string> }).play(r, h, p), ['대구', host, port] as const)
  t.match(url, new RegExp(`^${address}/hls/[A-Za-z0-9_-]{32}/cctv1/index\\.m3u8$`), 'an absolute URL on the page\'s own origin')
  await page.waitForFunction(() => (document.getElementById('v') as HTMLVideoElement).currentTime > 2 || (window as unknown as { fatal?: string }).fatal !== undefined, undefined, { timeout: patient(30_000) })
  const state = await page.evaluate(() => ({ time: (document.getElementById('v') as HTMLVideoElement).currentTime, fatal: (window as unknown as { fatal?: string }).fatal }))
  t.equal(state.fatal, undefined, 'no fatal hls.js error')
  t.ok(state.time > 2, `currentTime advanced to ${state.time.toFixed(2)} s`)
  const later = await page.evaluate(async () => await new Promise<number>(resolve => setTimeout(() => resolve((document.getElementById('v') as HTMLVideoElement).currentTime), 1500)))
  t.ok(later > state.time, `and keeps advancing (${later.toFixed(2)} s)`)
})
