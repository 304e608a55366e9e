import t from 'tap'
import fc from 'fast-check'
import { encode } from 'jpeg-js'
import { SCENE_HEIGHT, SCENE_WIDTH, sceneRgb } from '../sim/scene.js'
import { VIEW_DEFAULTS, compareViews, lumaOfJpeg, resample, viewFeatures, viewVerdict, type Luma, type ViewMatch } from '../lib/ops/view-compare.js'

// Issue 24, 2: the view rules as pure functions, on the simulated hillside (sim/scene.ts) cut
// and changed here in memory. What real ffmpeg on a real RTSP camera makes of the same cases is
// bench/view-calibration.ts (BENCHMARKS.md §11) and the sweep tests.

const scene = sceneRgb()
const sceneLuma: Luma = { width: SCENE_WIDTH, height: SCENE_HEIGHT, data: new Float32Array(SCENE_WIDTH * SCENE_HEIGHT) }
for (let i = 0; i < sceneLuma.data.length; i++) sceneLuma.data[i] = 0.299 * scene[3 * i] + 0.587 * scene[3 * i + 1] + 0.114 * scene[3 * i + 2]

/** The camera's 320×240 window, `pan` of its width off the normal one. */
function view (pan = 0): Luma {
  const left = Math.round(160 + 320 * pan)
  const data = new Float32Array(320 * 240)
  for (let y = 0; y < 240; y++) for (let x = 0; x < 320; x++) data[y * 320 + x] = sceneLuma.data[y * SCENE_WIDTH + left + x]
  return { width: 320, height: 240, data }
}

const map = (l: Luma, f: (v: number, x: number, y: number) => number): Luma => ({ ...l, data: l.data.map((v, i) => f(v, i % l.width, Math.floor(i / l.width))) })
const clamp = (v: number): number => Math.max(0, Math.min(255, v))

/** A separable Gaussian blur. */
function blur (l: Luma, sigma: number): Luma {
  const r = Math.ceil(3 * sigma)
  const k = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)))
  const sum = k.reduce((a, b) => a + b)
  const pass = (src: Luma, dx: number, dy: number): Luma => map(src, (_, x, y) => {
    let s = 0
    for (let i = -r; i <= r; i++) {
      const xx = Math.min(src.width - 1, Math.max(0, x + i * dx))
      const yy = Math.min(src.height - 1, Math.max(0, y + i * dy))
      s += k[i + r] * src.data[yy * src.width + xx]
    }
    return s / sum
  })
  return pass(pass(l, 1, 0), 0, 1)
}

/** A moving object: a bright disc of radius `r` at (cx, cy). */
const withObject = (l: Luma, cx: number, cy: number, r = 12): Luma => map(l, (v, x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r ? 235 : v)

const features = (l: Luma): ReturnType<typeof viewFeatures> => viewFeatures(l)
const reference = features(withObject(view(), 60, 170))
const verdictOf = (l: Luma): string => viewVerdict([compareViews(reference, features(l))])

t.test('the same view against itself: everything matches, as much detail', async t => {
  const m = compareViews(reference, reference)
  t.equal(m.match, 1)
  t.equal(m.detail, 1)
  t.ok(m.structured >= 24, `${m.structured} of 48 cells have structure (the sky has little)`)
})

t.test('the same view with its moving objects elsewhere is online', async t => {
  t.equal(verdictOf(withObject(withObject(view(), 250, 200), 120, 60)), 'online')
})

t.test('30 % brighter or darker (gain, clipped as a sensor clips) is online', async t => {
  t.equal(verdictOf(map(withObject(view(), 250, 200), v => clamp(v * 1.3))), 'online')
  t.equal(verdictOf(map(withObject(view(), 250, 200), v => clamp(v * 0.7))), 'online')
  t.equal(verdictOf(map(withObject(view(), 250, 200), v => clamp(v + 40))), 'online', 'an offset too')
})

t.test('turned by 10 % of the width, either way, is moved', async t => {
  t.equal(verdictOf(view(0.1)), 'moved')
  t.equal(verdictOf(view(-0.1)), 'moved')
})

t.test('half covered, left or bottom, is moved', async t => {
  t.equal(verdictOf(map(view(), (v, x) => x < 160 ? 80 : v)), 'moved')
  t.equal(verdictOf(map(view(), (v, _x, y) => y >= 120 ? 48 : v)), 'moved')
})

t.test('a Gaussian blur of σ 3 or more is blurred, darker or not', async t => {
  t.equal(verdictOf(blur(view(), 3)), 'blurred')
  t.equal(verdictOf(blur(view(), 5)), 'blurred')
  t.equal(verdictOf(map(blur(view(), 3), v => v * 0.7)), 'blurred')
})

t.test('a black or one-colour picture is moved (it has none of the view), never online', async t => {
  t.equal(verdictOf(map(view(), () => 0)), 'moved')
  t.equal(verdictOf(map(view(), () => 128)), 'moved')
})

t.test('frames of another size compare alike (a camera whose stream was reconfigured)', async t => {
  t.equal(viewVerdict([compareViews(reference, features(resample(withObject(view(), 250, 200), 160, 120)))]), 'online')
})

t.test('day and night: the view is there when either reference matches', async t => {
  const night = features(map(view(), v => clamp(v * 0.4 + 10)))
  const turned = features(view(0.1))
  t.equal(viewVerdict([compareViews(reference, turned), compareViews(night, turned)]), 'moved')
  const darkNow = features(map(withObject(view(), 250, 200), v => clamp(v * 0.45 + 8)))
  t.equal(viewVerdict([compareViews(reference, darkNow), compareViews(night, darkNow)]), 'online')
  t.equal(viewVerdict([]), 'moved', 'no reference: the caller does not ask (a camera without one is checked as before)')
})

t.test('the verdict over several references is the best of each one alone', async t => {
  const order: Record<string, number> = { moved: 0, blurred: 1, online: 2 }
  const match = fc.record({ match: fc.double({ min: 0, max: 1, noNaN: true }), detail: fc.double({ min: 0, max: 3, noNaN: true }), structured: fc.integer({ min: 1, max: 48 }) })
  fc.assert(fc.property(fc.array(match, { minLength: 1, maxLength: 4 }), (ms: ViewMatch[]) => {
    const best = Math.max(...ms.map(m => order[viewVerdict([m])]))
    return order[viewVerdict(ms)] === best
  }), { seed: 24, numRuns: 500 })
  t.pass('500 random sets of matches')
})

t.test('any gain from 0.7 to 1.3 and offset to ±30 keeps a view online; any pan of 8 % or more moves it', async t => {
  fc.assert(fc.property(fc.double({ min: 0.7, max: 1.3, noNaN: true }), fc.integer({ min: -30, max: 30 }), fc.integer({ min: 20, max: 300 }), (gain, offset, ox) => {
    return verdictOf(map(withObject(view(), ox, 200), v => clamp(v * gain + offset))) === 'online'
  }), { seed: 241, numRuns: 25 })
  fc.assert(fc.property(fc.double({ min: 0.08, max: 0.45, noNaN: true }), fc.boolean(), (pan, left) => verdictOf(view(left ? -pan : pan)) === 'moved'), { seed: 242, numRuns: 25 })
  t.pass('25 + 25 random cases')
})

t.test('lumaOfJpeg reads a JPEG as ffmpeg writes it, and refuses what is not one', async t => {
  const rgba = Buffer.alloc(320 * 240 * 4)
  const v = view()
  for (let i = 0; i < v.data.length; i++) { rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = v.data[i]; rgba[4 * i + 3] = 255 }
  const jpeg = encode({ width: 320, height: 240, data: rgba }, 75).data
  const l = lumaOfJpeg(jpeg)
  t.same([l.width, l.height], [320, 240])
  t.equal(viewVerdict([compareViews(reference, viewFeatures(l))]), 'online', 'the JPEG of the view matches the view')
  t.throws(() => lumaOfJpeg(Buffer.from('not a jpeg')))
})

t.test('the defaults are the documented ones (BENCHMARKS.md §11)', async t => {
  t.same(VIEW_DEFAULTS, { cellSimilarity: 0.5, matchShare: 0.65, detailRatio: 0.55 })
})
