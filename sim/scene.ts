import { rng } from './random.js'

/*
 * What the simulated view cameras look at: a hillside as a fire-watch camera sees one — sky with
 * soft clouds, a far ridge, a forested slope, a building with windows and a mast, a road — drawn
 * from a seed, wider than a camera's picture so that a camera can be turned (its window panned).
 * A test pattern would not do: the view checks compare structure, and a flat or periodic picture
 * matches itself shifted. Written as a binary PPM (P6), which GStreamer (pnmdec) and ffmpeg read.
 */

export const SCENE_WIDTH = 640
export const SCENE_HEIGHT = 240

/** Smooth value noise in [0, 1): `octaves` layers of bilinearly interpolated random grids. */
function valueNoise (r: () => number, w: number, h: number, cell: number, octaves: number): Float32Array {
  const out = new Float32Array(w * h)
  let amp = 1
  let total = 0
  for (let o = 0; o < octaves; o++, cell = Math.max(2, cell / 2), amp /= 2) {
    const gw = Math.ceil(w / cell) + 2
    const gh = Math.ceil(h / cell) + 2
    const grid = Float32Array.from({ length: gw * gh }, () => r())
    for (let y = 0; y < h; y++) {
      const fy = y / cell
      const y0 = Math.floor(fy)
      const ty = (fy - y0) * (fy - y0) * (3 - 2 * (fy - y0))
      for (let x = 0; x < w; x++) {
        const fx = x / cell
        const x0 = Math.floor(fx)
        const tx = (fx - x0) * (fx - x0) * (3 - 2 * (fx - x0))
        const a = grid[y0 * gw + x0] + (grid[y0 * gw + x0 + 1] - grid[y0 * gw + x0]) * tx
        const b = grid[(y0 + 1) * gw + x0] + (grid[(y0 + 1) * gw + x0 + 1] - grid[(y0 + 1) * gw + x0]) * tx
        out[y * w + x] += amp * (a + (b - a) * ty)
      }
    }
    total += amp
  }
  for (let i = 0; i < out.length; i++) out[i] /= total
  return out
}

/** The scene as RGB bytes, row by row (SCENE_WIDTH × SCENE_HEIGHT × 3). */
export function sceneRgb (seed = 11): Buffer {
  const W = SCENE_WIDTH
  const H = SCENE_HEIGHT
  const r = rng(seed)
  const px = Buffer.alloc(W * H * 3)
  const set = (x: number, y: number, c: readonly number[]): void => {
    if (x < 0 || y < 0 || x >= W || y >= H) return
    const i = (y * W + x) * 3
    px[i] = clamp(c[0]); px[i + 1] = clamp(c[1]); px[i + 2] = clamp(c[2])
  }
  const clouds = valueNoise(r, W, H, 64, 4)
  const leaves = valueNoise(r, W, H, 8, 3)
  const rock = valueNoise(r, W, H, 16, 3)
  const ridgeNoise = valueNoise(r, W, 1, 48, 5)
  const slopeNoise = valueNoise(r, W, 1, 24, 4)
  const ridge = (x: number): number => 70 + 50 * ridgeNoise[x]
  const slope = (x: number): number => 120 + 40 * slopeNoise[x] + x * 0.05
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = y * W + x
      if (y < ridge(x)) {
        // Sky: a gradient, brighter to the horizon, with soft clouds.
        const c = Math.max(0, clouds[i] - 0.5) * 2
        const t = y / 120
        set(x, y, [110 + 70 * t + 120 * c, 150 + 50 * t + 100 * c, 210 + 20 * t + 40 * c])
      } else if (y < slope(x)) {
        // The far ridge: blue-green, hazier near its top.
        const v = 0.7 + 0.6 * rock[i]
        set(x, y, [60 * v, 90 * v, 100 * v])
      } else {
        // The forested slope: crowns of light and shade.
        const v = 0.35 + 1.1 * leaves[i] * (0.6 + 0.8 * rock[i])
        set(x, y, [35 * v, 95 * v, 40 * v])
      }
    }
  }
  // Trees on the near slope: dark conical crowns with a lit side.
  for (let k = 0; k < 90; k++) {
    const cx = Math.floor(r() * W)
    const base = Math.floor(slope(Math.min(W - 1, cx)) + 10 + r() * (H - slope(Math.min(W - 1, cx)) - 10))
    const h = 12 + Math.floor(r() * 26)
    for (let dy = 0; dy < h; dy++) {
      const half = Math.floor((dy / h) * (h / 3))
      for (let dx = -half; dx <= half; dx++) {
        const lit = dx < 0 ? 1.25 : 0.75
        set(cx + dx, base - h + dy, [20 * lit, 70 * lit, 30 * lit])
      }
    }
    for (let dy = 0; dy < 4; dy++) set(cx, base + dy, [60, 40, 25])
  }
  // A building with windows and a mast: straight edges, as a real view has.
  const bx = 400
  const by = 150
  for (let y = by; y < by + 50; y++) for (let x = bx; x < bx + 70; x++) set(x, y, [200, 196, 185])
  for (let y = by - 8; y < by; y++) for (let x = bx - 4 + (by - y); x < bx + 74 - (by - y); x++) set(x, y, [150, 60, 50])
  for (let wy = by + 8; wy < by + 44; wy += 14) {
    for (let wx = bx + 6; wx < bx + 64; wx += 16) for (let y = wy; y < wy + 8; y++) for (let x = wx; x < wx + 9; x++) set(x, y, [50, 60, 80])
  }
  for (let y = 40; y < by - 8; y++) { set(bx + 55, y, [70, 70, 70]); set(bx + 56, y, [90, 90, 90]) }
  for (let y = 60; y < by - 8; y += 18) for (let x = bx + 50; x < bx + 62; x++) set(x, y, [80, 80, 80])
  // A road across the foot of the slope.
  for (let x = 0; x < W; x++) {
    const y0 = Math.floor(205 + 18 * Math.sin(x / 90))
    for (let y = y0; y < y0 + 12; y++) set(x, y, [150 + 20 * rock[(y % H) * W + x], 145, 135])
    set(x, y0 + 6, [230, 220, 120])
  }
  // Sensor grain: a real picture is never smooth at the pixel level.
  for (let i = 0; i < px.length; i++) px[i] = clamp(px[i] + (r() - 0.5) * 6)
  return px
}

function clamp (v: number): number { return v < 0 ? 0 : v > 255 ? 255 : Math.round(v) }

/** The scene as a binary PPM file's bytes. */
export function scenePpm (seed = 11): Buffer {
  return Buffer.concat([Buffer.from(`P6\n${SCENE_WIDTH} ${SCENE_HEIGHT}\n255\n`, 'ascii'), sceneRgb(seed)])
}
