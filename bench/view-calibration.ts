/**
 * The view checks' calibration table (issue 24, 2): a real RTSP view camera (sim/rtsp-camera.py,
 * the hillside scene with a ball moving in it) whose picture is turned, covered, blurred or
 * brightened; for each case a reference frame of the normal view and a current frame, both taken
 * by real ffmpeg as the gateway takes them, compared by lib/ops/view-compare.ts. Prints per case
 * the match share, the detail ratio, the verdict with the default thresholds, what the case
 * should be and the margin to the threshold that decides it; exits 1 when a case the issue names
 * gets the wrong verdict.
 *
 * BENCH_VIEW_ROUNDS (3): frames per case (each against a reference taken before it).
 */
import { spawn } from 'node:child_process'
import { startCameras, type ViewChange } from '../sim/cameras.js'
import { VIEW_DEFAULTS, compareViews, lumaOfJpeg, viewFeatures, viewVerdict, type ViewMatch, type ViewVerdict } from '../lib/ops/view-compare.js'
import { f2, machine } from './lib.js'

const ROUNDS = Number(process.env.BENCH_VIEW_ROUNDS ?? 3)

/** One frame a second into the stream, ≤ 320 wide, as a JPEG (the gateway's own settings). */
async function frame (url: string): Promise<Buffer> {
  const child = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-rtsp_transport', 'tcp', '-i', url, '-an',
    '-vf', "select='gte(t,1)',scale='min(320,iw)':-2", '-frames:v', '1', '-c:v', 'mjpeg', '-q:v', '5', '-f', 'image2pipe', 'pipe:1'], { stdio: ['ignore', 'pipe', 'pipe'] })
  const out: Buffer[] = []
  let err = ''
  child.stdout.on('data', (d: Buffer) => out.push(d))
  child.stderr.on('data', (d: Buffer) => { err += d.toString() })
  const code = await new Promise<number | null>(resolve => child.on('close', resolve))
  if (code !== 0) throw new Error(`ffmpeg ${String(code)}: ${err}`)
  return Buffer.concat(out)
}

const CASES: Array<{ name: string, change: ViewChange, expect?: ViewVerdict }> = [
  { name: 'same view (a ball moving)', change: {}, expect: 'online' },
  { name: '30 % brighter', change: { gain: 1.3 }, expect: 'online' },
  { name: '30 % darker', change: { gain: 0.7 }, expect: 'online' },
  { name: 'turned 5 % of the width', change: { pan: 0.05 } },
  { name: 'turned 10 % right', change: { pan: 0.1 }, expect: 'moved' },
  { name: 'turned 10 % left', change: { pan: -0.1 }, expect: 'moved' },
  { name: 'a quarter covered', change: { cover: 0.25 } },
  { name: 'half covered', change: { cover: 0.5 }, expect: 'moved' },
  { name: 'blur σ 1', change: { blur: 1 } },
  { name: 'blur σ 2', change: { blur: 2 } },
  { name: 'blur σ 3', change: { blur: 3 }, expect: 'blurred' },
  { name: 'blur σ 5', change: { blur: 5 }, expect: 'blurred' },
  { name: 'blur σ 3, 30 % darker', change: { blur: 3, gain: 0.7 }, expect: 'blurred' }
]

console.log(`# view checks: calibration on the simulated hillside — ${machine()}`)
console.log(`thresholds: cell similarity ≥ ${VIEW_DEFAULTS.cellSimilarity}, match share ≥ ${VIEW_DEFAULTS.matchShare}, detail ratio ≥ ${VIEW_DEFAULTS.detailRatio}; ${ROUNDS} frames per case`)
const cams = await startCameras()
const base = `rtsp://${cams.endpoints.open!.host}:${cams.endpoints.open!.port}/view`
let wrong = 0
try {
  // View 0 stays normal: the references. Each case on a view of its own.
  for (const [i, c] of CASES.entries()) await cams.setView(1 + (i % 15), c.change)
  console.log(`${'case'.padEnd(26)} ${'match'.padStart(11)} ${'detail'.padStart(11)}  verdict   expected  margin`)
  for (const [i, c] of CASES.entries()) {
    const matches: ViewMatch[] = []
    const verdicts = new Set<ViewVerdict>()
    for (let r = 0; r < ROUNDS; r++) {
      const ref = viewFeatures(lumaOfJpeg(await frame(`${base}/0`)))
      const cur = viewFeatures(lumaOfJpeg(await frame(`${base}/${1 + (i % 15)}`)))
      const m = compareViews(ref, cur)
      matches.push(m)
      verdicts.add(viewVerdict([m]))
    }
    const range = (k: 'match' | 'detail'): string => `${f2(Math.min(...matches.map(m => m[k])))}–${f2(Math.max(...matches.map(m => m[k])))}`
    const verdict = [...verdicts].join('/')
    // The margin: how far the deciding measure is from its threshold, the worst round's.
    const margin = c.expect === 'moved'
      ? VIEW_DEFAULTS.matchShare - Math.max(...matches.map(m => m.match))
      : c.expect === 'blurred'
        ? Math.min(Math.min(...matches.map(m => m.match)) - VIEW_DEFAULTS.matchShare, VIEW_DEFAULTS.detailRatio - Math.max(...matches.map(m => m.detail)))
        : c.expect === 'online'
          ? Math.min(Math.min(...matches.map(m => m.match)) - VIEW_DEFAULTS.matchShare, Math.min(...matches.map(m => m.detail)) - VIEW_DEFAULTS.detailRatio)
          : undefined
    const bad = c.expect !== undefined && (verdicts.size !== 1 || !verdicts.has(c.expect))
    if (bad) wrong++
    console.log(`${c.name.padEnd(26)} ${range('match').padStart(11)} ${range('detail').padStart(11)}  ${verdict.padEnd(9)} ${(c.expect ?? '(any)').padEnd(9)} ${margin === undefined ? '' : f2(margin)}${bad ? '  WRONG' : ''}`)
  }
} finally {
  await cams.close()
}
if (wrong > 0) { console.log(`${wrong} case(s) with the wrong verdict`); process.exitCode = 1 }
