import { decode } from 'jpeg-js'

/*
 * Does a camera still see its view? Pure functions over two frames: the reference an operator
 * took and the frame a sweep just got (both JPEGs from ffmpeg, ≤ 320 wide).
 *
 * Structure, not brightness: both frames are resampled to one small grey grid, and compared
 * cell by cell on their gradients (cosine similarity), which a change of gain or offset (the
 * same view 30 % brighter or darker, dusk) leaves alone, while a turned camera (the gradients
 * moved) or a covered part (the gradients gone or replaced) does not. A few moving objects
 * change a few cells, so the verdict counts the share of cells that match, not one global score.
 * Cells without structure in the reference (clear sky) say nothing either way and are not counted.
 *
 * Detail, not sharpness alone: a defocused, fogged or dirty lens keeps the coarse structure but
 * loses the fine one. `detail` is the fine grid's mean |Laplacian| over the coarse grid's mean
 * |gradient| (both scale with gain, so the ratio does not), and the current frame's over the
 * reference's is the blur measure.
 *
 * The defaults are calibrated on the simulated views (BENCHMARKS.md §11).
 */

/** A grey picture: `data[y * width + x]`, 0–255. */
export interface Luma { width: number, height: number, data: Float32Array }

/** What a frame is reduced to for comparisons (small: a reference's features stay in memory). */
export interface ViewFeatures {
  /** Coarse gradients, per cell: [gx…, gy…] of the cell's pixels. */
  cells: Float32Array[]
  /** Each cell's gradient energy (how much structure it has). */
  energy: Float32Array
  /** Fine detail (mean |Laplacian|) over coarse structure (mean |gradient|). */
  detail: number
}

/** How a current frame compares with one reference. */
export interface ViewMatch {
  /** Of the reference's structured cells, the share whose gradients still match (0–1). */
  match: number
  /** The current frame's detail over the reference's (1: as sharp; small: blurred). */
  detail: number
  /** How many cells had structure in the reference (few: the reference says little). */
  structured: number
}

export interface ViewThresholds {
  /** A cell matches when its gradients' cosine similarity is at least this. */
  cellSimilarity: number
  /** The view is there when at least this share of structured cells match. */
  matchShare: number
  /** Blurred when the detail ratio is under this (and the structure still matches). */
  detailRatio: number
}

export const VIEW_DEFAULTS: ViewThresholds = { cellSimilarity: 0.5, matchShare: 0.65, detailRatio: 0.55 }

export type ViewVerdict = 'online' | 'moved' | 'blurred'

/** The grid everything is resampled to (4:3; frames of another shape are stretched alike). */
const FINE_W = 160
const FINE_H = 120
const COARSE_W = 64
const COARSE_H = 48
const CELLS_X = 8
const CELLS_Y = 6

/** A JPEG's luma, refusing anything larger than a camera frame should be. */
export function lumaOfJpeg (jpeg: Uint8Array): Luma {
  const img = decode(jpeg, { useTArray: true, formatAsRGBA: false, maxResolutionInMP: 40, maxMemoryUsageInMB: 256 })
  const n = img.width * img.height
  const data = new Float32Array(n)
  for (let i = 0, j = 0; i < n; i++, j += 3) data[i] = 0.299 * img.data[j] + 0.587 * img.data[j + 1] + 0.114 * img.data[j + 2]
  return { width: img.width, height: img.height, data }
}

/** Area-average resampling to w × h (each output pixel the mean of the input it covers). */
export function resample (src: Luma, w: number, h: number): Luma {
  const out = new Float32Array(w * h)
  const sx = src.width / w
  const sy = src.height / h
  for (let y = 0; y < h; y++) {
    const y0 = y * sy
    const y1 = y0 + sy
    for (let x = 0; x < w; x++) {
      const x0 = x * sx
      const x1 = x0 + sx
      let sum = 0
      let area = 0
      for (let yy = Math.floor(y0); yy < Math.ceil(y1) && yy < src.height; yy++) {
        const wy = Math.min(y1, yy + 1) - Math.max(y0, yy)
        for (let xx = Math.floor(x0); xx < Math.ceil(x1) && xx < src.width; xx++) {
          const a = wy * (Math.min(x1, xx + 1) - Math.max(x0, xx))
          sum += a * src.data[yy * src.width + xx]
          area += a
        }
      }
      out[y * w + x] = area > 0 ? sum / area : 0
    }
  }
  return { width: w, height: h, data: out }
}

/** Central-difference gradients (interior pixels; the border is 0). */
function gradients (l: Luma): { gx: Float32Array, gy: Float32Array } {
  const { width: w, height: h, data: d } = l
  const gx = new Float32Array(w * h)
  const gy = new Float32Array(w * h)
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x
      gx[i] = (d[i + 1] - d[i - 1]) / 2
      gy[i] = (d[i + w] - d[i - w]) / 2
    }
  }
  return { gx, gy }
}

/** Mean |Laplacian|: the finest detail, what a blur takes first. */
function meanAbsLaplacian (l: Luma): number {
  const { width: w, height: h, data: d } = l
  let s = 0
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x
      s += Math.abs(4 * d[i] - d[i - 1] - d[i + 1] - d[i - w] - d[i + w])
    }
  }
  return s / ((w - 2) * (h - 2))
}

function meanAbsGradient (l: Luma): number {
  const { gx, gy } = gradients(l)
  let s = 0
  for (let i = 0; i < gx.length; i++) s += Math.hypot(gx[i], gy[i])
  return s / ((l.width - 2) * (l.height - 2))
}

/** A frame's features: its cells' coarse gradients and its detail. */
export function viewFeatures (frame: Luma): ViewFeatures {
  const fine = resample(frame, FINE_W, FINE_H)
  const coarse = resample(fine, COARSE_W, COARSE_H)
  const { gx, gy } = gradients(coarse)
  const cw = COARSE_W / CELLS_X
  const ch = COARSE_H / CELLS_Y
  const cells: Float32Array[] = []
  const energy = new Float32Array(CELLS_X * CELLS_Y)
  for (let cy = 0; cy < CELLS_Y; cy++) {
    for (let cx = 0; cx < CELLS_X; cx++) {
      const v = new Float32Array(cw * ch * 2)
      let e = 0
      let k = 0
      for (let y = cy * ch; y < (cy + 1) * ch; y++) {
        for (let x = cx * cw; x < (cx + 1) * cw; x++) {
          const i = y * COARSE_W + x
          v[k] = gx[i]
          v[k + cw * ch] = gy[i]
          e += gx[i] * gx[i] + gy[i] * gy[i]
          k++
        }
      }
      cells.push(v)
      energy[cy * CELLS_X + cx] = Math.sqrt(e / (cw * ch))
    }
  }
  const coarseEnergy = meanAbsGradient(coarse)
  // A picture without any structure (black, one colour) has no detail to lose.
  const detail = coarseEnergy < 0.05 ? 0 : meanAbsLaplacian(fine) / coarseEnergy
  return { cells, energy, detail }
}

function cosine (a: Float32Array, b: Float32Array): number {
  let ab = 0
  let aa = 0
  let bb = 0
  for (let i = 0; i < a.length; i++) { ab += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i] }
  return aa === 0 || bb === 0 ? 0 : ab / Math.sqrt(aa * bb)
}

/** The current frame against one reference. */
export function compareViews (reference: ViewFeatures, current: ViewFeatures, th: ViewThresholds = VIEW_DEFAULTS): ViewMatch {
  // Structured: a cell with at least a quarter of the reference's median cell energy.
  const sorted = Float32Array.from(reference.energy).sort()
  const floor = Math.max(0.05, 0.25 * sorted[Math.floor(sorted.length / 2)])
  let structured = 0
  let matched = 0
  for (let i = 0; i < reference.cells.length; i++) {
    if (reference.energy[i] < floor) continue
    structured++
    if (cosine(reference.cells[i], current.cells[i]) >= th.cellSimilarity) matched++
  }
  return {
    match: structured === 0 ? 0 : matched / structured,
    detail: reference.detail === 0 ? 0 : current.detail / reference.detail,
    structured
  }
}

/**
 * The verdict against a camera's references (day and night: the view is there if either
 * matches). Moved when none matches; blurred when one matches in structure but the detail is lost.
 */
export function viewVerdict (matches: readonly ViewMatch[], th: ViewThresholds = VIEW_DEFAULTS): ViewVerdict {
  let verdict: ViewVerdict = 'moved'
  for (const m of matches) {
    if (m.match < th.matchShare) continue
    if (m.detail >= th.detailRatio) return 'online'
    verdict = 'blurred'
  }
  return verdict
}
