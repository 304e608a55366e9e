import { CameraNotFoundError, ReferenceLimitError } from '../errors.js'
import { maskSecrets } from '../mask.js'
import { MAX_REFERENCES, type ReferenceRow, type ReferenceStore } from '../store/references.js'
import type { SiteSession } from '../site/session.js'
import { findContainer, type ContainerInfo } from '../site/containers.js'
import { parseInferenceId } from '../site/inference-id.js'
import { findCamera, readInventory, type Camera } from './inventory.js'
import { SnapshotFailedError, lookAt, pictureShare, pictureSlot, type PictureThresholds } from './picture.js'
import { lumaOfJpeg, viewFeatures, type ViewFeatures } from './view-compare.js'
import type { ReferenceJobView } from './monitor-views.js'

export interface TakeOptions {
  thresholds: PictureThresholds
  probeTimeoutSec: number
  commandTimeoutSec: number
  mongoTimeoutMs: number
  /** Looks at once per server (the exec limit, shared with snapshots and picture sweeps). */
  perServer: number
  signal?: AbortSignal
}

/** Per server, its FireWatcher container, found once (a bulk action looks at hundreds of cameras). */
type Containers = Map<number, Promise<ContainerInfo>>

/**
 * A frame fit to be a camera's reference, from one look (as a picture sweep takes its frames,
 * so both are alike): the camera must stream a picture that is neither black nor frozen, and
 * one with some structure; else the camera's reason, as a snapshot's (502 NO_FRAME).
 */
async function frameOf (site: SiteSession, camera: Camera, opts: TakeOptions, containers: Containers = new Map()): Promise<Buffer> {
  if (camera.url === null || camera.url === '' || camera.inference_id === null) throw new CameraNotFoundError()
  const { server } = parseInferenceId(camera.inference_id, site.region)
  const slot = pictureSlot(site, server, opts.perServer)
  const pic = await site.onServer(server, async () => await slot(async () => {
    let container = containers.get(server.n)
    if (container === undefined) {
      container = findContainer(site, server, site.region.firewatcher.container, opts.commandTimeoutSec)
      containers.set(server.n, container)
      container.catch(() => { containers.delete(server.n) })
    }
    return await lookAt(site, server, await container, camera.url!, opts.thresholds, { limitSec: opts.probeTimeoutSec, signal: opts.signal })
  }))
  if (pic.status !== 'online') {
    const why = pic.status === 'black' || pic.status === 'frozen'
      ? `the picture is ${pictureShare(pic)}: not a view to keep`
      : pic.error ?? pic.status
    throw new SnapshotFailedError(why, pic.status)
  }
  if (pic.frame === null) throw new SnapshotFailedError(`ffmpeg gave no frame in ${pic.watchedSec.toFixed(1)} s of picture`, 'error')
  if (viewFeatures(lumaOfJpeg(pic.frame)).detail === 0) throw new SnapshotFailedError('the picture has no structure to compare with (one colour)', 'error')
  return pic.frame
}

/** One camera's reference frame, the camera found in the inventory by its ID. */
export async function referenceFrame (site: SiteSession, cctvId: number, opts: TakeOptions): Promise<Buffer> {
  const camera = await findCamera(site, cctvId, { commandTimeoutSec: opts.commandTimeoutSec, timeoutMs: opts.mongoTimeoutMs })
  if (camera === undefined) throw new CameraNotFoundError()
  return await frameOf(site, camera, opts)
}

/**
 * Reference features by reference id, computed once (a JPEG's decode is ~6 ms) and kept for the
 * gateway's life, at most `max` of them (~25 KB each; the oldest used go first).
 */
export class ReferenceViews {
  private readonly cache = new Map<number, ViewFeatures>()

  constructor (readonly store: ReferenceStore, private readonly max = 4096) {}

  /** A region's references as a picture sweep compares with them, by cctv_ID. */
  async ofRegion (region: string): Promise<ReadonlyMap<string, readonly ViewFeatures[]>> {
    const out = new Map<string, ViewFeatures[]>()
    for (const [id, rows] of await this.store.ofRegion(region)) {
      const list: ViewFeatures[] = []
      for (const r of rows) {
        const f = this.features(r)
        if (f !== undefined) list.push(f)
      }
      if (list.length > 0) out.set(id, list)
    }
    return out
  }

  /** Takes the camera's current frame as a new reference. */
  async take (site: SiteSession, cctvId: number, takenBy: string, at: number, opts: TakeOptions): Promise<ReferenceRow> {
    // Full before the look, not only after it (the store checks again, under its lock).
    if ((await this.store.list(site.region.name, String(cctvId))).length >= MAX_REFERENCES) throw new ReferenceLimitError()
    const jpeg = await referenceFrame(site, cctvId, opts)
    return await this.store.add({ region: site.region.name, cctvId: String(cctvId), jpeg, takenAt: at, takenBy })
  }

  async remove (region: string, cctvId: string, id: number): Promise<boolean> {
    this.cache.delete(id)
    return await this.store.remove(region, cctvId, id)
  }

  private features (r: ReferenceRow & { jpeg: Buffer }): ViewFeatures | undefined {
    const hit = this.cache.get(r.id)
    if (hit !== undefined) {
      this.cache.delete(r.id)
      this.cache.set(r.id, hit)
      return hit
    }
    let f: ViewFeatures
    // A reference that cannot be read says nothing (the camera is checked as without one).
    try { f = viewFeatures(lumaOfJpeg(r.jpeg)) } catch { return undefined }
    this.cache.set(r.id, f)
    if (this.cache.size > this.max) this.cache.delete(this.cache.keys().next().value!)
    return f
  }
}

/** The job's progress as it runs (times in ms; the API answers them as ISO strings). */
export type JobProgress = Omit<ReferenceJobView, 'started_at' | 'finished_at'> & { started_at: number, finished_at: number | null }

export interface JobOptions extends TakeOptions {
  missingOnly: boolean
  takenBy: string
  clock: () => number
  maxCameras: number
  /** The cameras the monitor last found online (undefined: the region is not monitored; every camera is looked at). */
  online?: ReadonlySet<string>
}

/**
 * The region-wide "make references" action: every camera (the monitor's online ones when the
 * region is monitored) without a reference gets one (or every camera one more, up to the
 * limit, when not `missingOnly`), at the picture checks' per-server limit. Progress is read
 * while it runs; `cancel()` stops it (the looks running are killed with their channel).
 */
export class ReferenceJob {
  readonly progress: JobProgress
  private readonly abort = new AbortController()

  constructor (private readonly views: ReferenceViews, private readonly site: SiteSession, private readonly opts: JobOptions) {
    this.progress = { state: 'running', missing_only: opts.missingOnly, started_by: opts.takenBy, started_at: opts.clock(), finished_at: null, total: 0, done: 0, taken: 0, skipped: 0, failed: [], failure: null }
    site.onClose(() => { this.cancel() })
  }

  cancel (): void {
    if (this.progress.state !== 'running') return
    this.progress.state = 'cancelled'
    this.abort.abort()
  }

  async run (): Promise<void> {
    const p = this.progress
    const signal = AbortSignal.any([this.abort.signal, ...(this.opts.signal === undefined ? [] : [this.opts.signal])])
    try {
      const inventory = await readInventory(this.site, { commandTimeoutSec: this.opts.commandTimeoutSec, timeoutMs: this.opts.mongoTimeoutMs, maxCameras: this.opts.maxCameras })
      const region = this.site.region.name
      const counts = await this.views.store.counts(region)
      const todo = inventory.filter(c => c.cctv_ID !== null && c.url !== null && c.url !== '' &&
        (this.opts.online === undefined || this.opts.online.has(String(c.cctv_ID))))
      p.total = todo.length
      const containers: Containers = new Map()
      await Promise.all(todo.map(async c => {
        const id = String(c.cctv_ID)
        if (signal.aborted) return
        if ((counts.get(id) ?? 0) >= (this.opts.missingOnly ? 1 : MAX_REFERENCES)) { p.skipped++; p.done++; return }
        try {
          const jpeg = await frameOf(this.site, c, { ...this.opts, signal }, containers)
          if (signal.aborted) return
          await this.views.store.add({ region, cctvId: id, jpeg, takenAt: this.opts.clock(), takenBy: this.opts.takenBy })
          p.taken++
        } catch (err) {
          if (signal.aborted) return
          p.failed.push({ cctv_id: id, reason: maskSecrets((err as Error).message).split('\n').pop() ?? '' })
        }
        p.done++
      }))
      if (p.state === 'running') p.state = 'done'
    } catch (err) {
      if (p.state === 'running') { p.state = 'failed'; p.failure = maskSecrets((err as Error).message) }
    } finally {
      p.finished_at = this.opts.clock()
    }
  }
}
