import { toCsv as csv, type Cell } from '../csv.js'
import { EventEmitter, setMaxListeners } from 'node:events'
import { kstDay } from '../clock.js'
import type { Env } from '../env.js'
import pLimit from 'p-limit'
import { findContainer } from '../site/containers.js'
import { probe, type ProbeResult } from './ffprobe.js'
import { RunnerUnavailableError, probeBatch } from './probe-runner.js'
import { lookAt, pictureShare, pictureSlot, type PictureResult, type PictureThresholds } from './picture.js'
import { compareViews, lumaOfJpeg, viewFeatures, viewVerdict, type ViewFeatures, type ViewThresholds } from './view-compare.js'
import { STATUSES, classify, type CameraHealth, type HealthStatus, type SweepFilter } from './health-rows.js'
import { parseInferenceId } from '../site/inference-id.js'
import { PICTURE_STATUSES } from '../status.js'
import { readInventory, type Camera } from './inventory.js'
import { logPath, searchLog } from './log-search.js'
import { maskSecrets } from '../mask.js'
import type { ServerConfig } from '../config/regions.js'
import type { SiteSession } from '../site/session.js'

/** A camera with where it runs, parsed once from its inference_id. */
interface Target { camera: Camera, server: ServerConfig | null, gpu: number | null }

export interface SweepOptions {
  concurrency: number
  probeTimeoutSec: number
  commandTimeoutSec: number
  logTimeoutSec: number
  mongoTimeoutMs: number
  maxCameras: number
  flapMin: number
  /** Today as the sites name their log files (KST). */
  today: string
  /** 'batch': one runner per server (lib/ops/probe-runner.ts); 'exec': one docker exec per camera. */
  runner: 'batch' | 'exec'
  /** How long ffprobe reads a live stream in a batched sweep (ms). */
  analyzeMs?: number
  /** Execs at once per server when probing one exec per camera (the SSH channel bound). */
  execConcurrency?: number
  /**
   * Picture checks with these thresholds (undefined: none): each camera is looked at once with
   * ffmpeg instead of probed (black / frozen, and moved / blurred against its references).
   */
  picture?: PictureThresholds
  /** The region's reference views by cctv_ID, read when a picture sweep starts (none: no view checks). */
  references?: () => Promise<ReadonlyMap<string, readonly ViewFeatures[]>>
  /** The view checks' thresholds (lib/ops/view-compare.ts defaults when undefined). */
  view?: ViewThresholds
}

type PictureEnv = 'PICTURE_WATCH_SECONDS' | 'PICTURE_BLACK_PIXEL' | 'PICTURE_BLACK_RATIO' | 'PICTURE_FREEZE_NOISE_DB' | 'PICTURE_SHARE'

/**
 * The picture checks' thresholds from the environment (defaults in lib/env.ts), calibrated on
 * the simulated cameras (BENCHMARKS.md §9).
 */
export function pictureThresholds (env: Pick<Env, PictureEnv>): PictureThresholds {
  return { watchSec: env.PICTURE_WATCH_SECONDS, blackPixel: env.PICTURE_BLACK_PIXEL, blackRatio: env.PICTURE_BLACK_RATIO, freezeNoiseDb: env.PICTURE_FREEZE_NOISE_DB,
    share: env.PICTURE_SHARE }
}

/** A sweep's settings from the environment, today's date read now (the sites' clock). */
export function sweepOptions (env: Pick<Env, 'HEALTH_RUNNER' | 'HEALTH_ANALYZE_MS' | 'HEALTH_CONCURRENCY' | 'SSH_MAX_CHANNELS' | 'HEALTH_PROBE_TIMEOUT_SECONDS' | 'COMMAND_TIMEOUT_SECONDS' | 'LOG_SEARCH_TIMEOUT_SECONDS' | 'MONGO_TIMEOUT_MS' | 'CCTV_MAX_CAMERAS' | 'HEALTH_FLAP_MIN' | PictureEnv>, picture = false): SweepOptions {
  return {
    picture: picture ? pictureThresholds(env) : undefined,
    concurrency: perServerLimit(env.HEALTH_CONCURRENCY, env.SSH_MAX_CHANNELS, env.HEALTH_RUNNER),
    probeTimeoutSec: env.HEALTH_PROBE_TIMEOUT_SECONDS,
    commandTimeoutSec: env.COMMAND_TIMEOUT_SECONDS,
    logTimeoutSec: env.LOG_SEARCH_TIMEOUT_SECONDS,
    mongoTimeoutMs: env.MONGO_TIMEOUT_MS,
    maxCameras: env.CCTV_MAX_CAMERAS,
    flapMin: env.HEALTH_FLAP_MIN,
    today: kstDay(),
    runner: env.HEALTH_RUNNER,
    analyzeMs: env.HEALTH_ANALYZE_MS,
    execConcurrency: perServerLimit(env.HEALTH_CONCURRENCY, env.SSH_MAX_CHANNELS, 'exec')
  }
}

/**
 * Probes at once per server. One exec per camera costs an SSH channel each: as configured, but
 * one channel per connection stays free for the operator's own requests. The batched runner
 * needs one channel for all, so HEALTH_CONCURRENCY alone bounds it.
 */
export function perServerLimit (healthConcurrency: number, sshMaxChannels: number, runner: 'batch' | 'exec' = 'exec'): number {
  return runner === 'batch' ? Math.max(1, healthConcurrency) : Math.max(1, Math.min(healthConcurrency, sshMaxChannels - 1))
}


/**
 * Per camera id: how many of today's controller-log `Reconnect` lines are its own, and the last
 * one's time. The production controller writes `Reconnect stream_<k> : <url>` (k is the
 * pipeline's stream index, not the cctv_ID), older builds `Reconnect <id>`: a line is a
 * camera's when it names its ID (`Reconnect 156` not followed by a digit) or ends with
 * ` : <its URL>`; one line counts once per camera. `urls`: camera URL → its cctv_ID(s).
 */
export function countReconnects (lines: string[], urls: ReadonlyMap<string, string[]> = new Map()): Map<string, { count: number, last: string }> {
  const out = new Map<string, { count: number, last: string }>()
  for (const line of lines) {
    const m = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)[,.]?\d*\s.*?\bReconnect (\S+)/.exec(line)
    if (m === null) continue
    const ids = new Set<string>()
    const byId = /^(\d+)$/.exec(m[2])
    if (byId !== null) ids.add(String(Number(byId[1])))
    // The URL is what follows the last " : " after the word that follows "Reconnect".
    const sep = line.lastIndexOf(' : ')
    if (sep >= m[0].length - m[2].length) for (const id of urls.get(line.slice(sep + 3).trimEnd()) ?? []) ids.add(id)
    for (const id of ids) {
      const e = out.get(id) ?? { count: 0, last: '' }
      e.count++
      e.last = m[1]
      out.set(id, e)
    }
  }
  return out
}

/**
 * One health sweep of a session's region: every selected camera probed from the FireWatcher
 * container of its own analysis server, at most `concurrency` at a time per server, plus
 * today's reconnect count from that pipeline's controller log. Emits 'result' per camera and
 * 'end' once; `cancel()` (or the session closing) aborts every remote process it started.
 */
export class HealthSweep extends EventEmitter {
  readonly startedAt = new Date()
  finishedAt: Date | null = null
  state: 'running' | 'done' | 'cancelled' | 'failed' = 'running'
  failure: string | null = null
  total = 0
  readonly results: CameraHealth[] = []
  private readonly abort = new AbortController()
  /** The cameras to probe, once the inventory has been read (see prepare). */
  private targets: Target[] | undefined
  private followers = 0
  private abandonTimer: NodeJS.Timeout | undefined

  /** Whether cameras are looked at (black / frozen / moved / blurred) instead of probed. */
  readonly picture: boolean
  /** A frame of each camera the picture check found black, frozen, moved or blurred, by cctv_ID (the monitor keeps it with the change). */
  readonly frames = new Map<string, Buffer>()

  constructor (private readonly site: SiteSession, private readonly filter: SweepFilter, private readonly opts: SweepOptions) {
    super()
    this.picture = opts.picture !== undefined
    this.setMaxListeners(100)
    // Each running remote command listens on the sweep's signal (lib/ssh/connection.ts): a
    // picture sweep runs more than Node's default ten at once, each removed when it ends.
    setMaxListeners(100, this.abort.signal)
  }

  get done (): number { return this.results.length }

  cancel (): void {
    clearTimeout(this.abandonTimer)
    if (this.state !== 'running') return
    this.state = 'cancelled'
    this.abort.abort()
  }

  /**
   * An events listener arrived; call the returned function when it leaves. When the last one
   * has left and none is back within `graceMs` (a reload, a dropped Wi-Fi), the client is
   * gone: the sweep is cancelled and its remote processes killed.
   */
  follow (graceMs: number): () => void {
    this.followers++
    clearTimeout(this.abandonTimer)
    let left = false
    return () => {
      if (left) return
      left = true
      if (--this.followers > 0 || this.state !== 'running') return
      this.abandonTimer = setTimeout(() => { this.cancel() }, graceMs)
      this.abandonTimer.unref()
    }
  }

  /** A camera probed again on its own: its row replaces the old one (same ID), if it had one. */
  replace (item: CameraHealth): boolean {
    const i = this.results.findIndex(r => String(r.cctv_ID) === String(item.cctv_ID))
    if (i !== -1) this.results[i] = item
    return i !== -1
  }

  /**
   * Reads the inventory and picks the sweep's cameras; resolves with how many, before any
   * probe runs (a filter that matches nothing is the caller's 400, not an empty result).
   */
  async prepare (): Promise<number> {
    if (this.targets === undefined) {
      const inventory = await readInventory(this.site, { commandTimeoutSec: this.opts.commandTimeoutSec, timeoutMs: this.opts.mongoTimeoutMs, maxCameras: this.opts.maxCameras })
      this.targets = this.select(inventory.map(camera => ({ camera, ...this.target(camera) })))
      this.total = this.targets.length
    }
    return this.total
  }

  /** Reads the inventory (unless prepared) and runs the sweep; resolves when it has ended, whatever the outcome. */
  async run (): Promise<void> {
    try {
      await this.prepare()
      if (this.picture && this.opts.references !== undefined) {
        // Without them every turned camera would pass as online: the sweep fails and says why instead.
        try {
          this.references = await this.opts.references()
        } catch (err) {
          throw new Error(`the cameras' reference views could not be read: ${(err as Error).message}`, { cause: err })
        }
      }
      const cameras = this.targets ?? []
      this.emit('progress')
      const byServer = new Map<ServerConfig | null, Target[]>()
      for (const t of cameras) {
        const list = byServer.get(t.server)
        if (list === undefined) byServer.set(t.server, [t])
        else list.push(t)
      }
      await Promise.all([...byServer].map(async ([server, list]) => { await this.probeServer(server, list) }))
      if (this.state === 'running') this.state = 'done'
    } catch (err) {
      if (this.state === 'running') { this.state = 'failed'; this.failure = maskSecrets((err as Error).message) }
    } finally {
      clearTimeout(this.abandonTimer)
      this.finishedAt = new Date()
      this.emit('end')
    }
  }

  /** The camera's analysis server and GPU, once (null when its inference_id names none of the region's). */
  private target (c: Camera): { server: ServerConfig | null, gpu: number | null } {
    try {
      const { server, gpu } = parseInferenceId(c.inference_id, this.site.region)
      return { server, gpu }
    } catch {
      return { server: null, gpu: null }
    }
  }

  private select (all: Target[]): Target[] {
    const f = this.filter
    const ids = f.ids === undefined ? undefined : new Set(f.ids.map(String))
    return all.filter(({ camera: c, server }) =>
      (ids === undefined || ids.has(String(c.cctv_ID))) &&
      (f.l2 === undefined || c.cctv_address.L2 === f.l2) &&
      (f.l3 === undefined || c.cctv_address.L3 === f.l3) &&
      (f.servers === undefined || (server !== null && f.servers.includes(server.n))))
  }

  /** The references of the cameras a picture sweep looks at, read once per sweep. */
  /** The cameras' reference views (picture sweeps), read once before the first look. */
  private references: ReadonlyMap<string, readonly ViewFeatures[]> = new Map()

  private async probeServer (server: ServerConfig | null, targets: Target[]): Promise<void> {
    const cameras = targets.map(t => t.camera)
    if (server === null) {
      for (const c of cameras) this.record(c, null, { status: 'error', error: `inference_id ${String(c.inference_id)} is not a server of this region` })
      return
    }
    const signal = this.abort.signal
    let container
    let reconnects = new Map<string, { count: number, last: string }>()
    try {
      container = await this.site.onServer(server, async () => await findContainer(this.site, server, this.site.region.firewatcher.container, this.opts.commandTimeoutSec))
      reconnects = await this.reconnects(server, targets)
    } catch (err) {
      if (signal.aborted) return
      // The whole server is unreachable (hop refused, container stopped): every camera says why.
      const why = maskSecrets((err as Error).message)
      for (const c of cameras) this.record(c, server, { status: 'error', error: why })
      return
    }
    const extra = (c: Camera): Pick<CameraHealth, 'reconnects_today' | 'last_reconnect'> => {
      const r = reconnects.get(String(c.cctv_ID))
      return { reconnects_today: r?.count ?? 0, last_reconnect: r?.last ?? null }
    }
    const probed = (c: Camera, p: ProbeResult, ms: number): void => {
      const v = p.summary.streams.find(s => s.type === 'video')
      const status = classify(p.reachable, p.message, p.timed_out)
      const e = extra(c)
      const row = {
        status,
        flapping: status === 'online' && e.reconnects_today >= this.opts.flapMin,
        codec: v?.codec ?? null,
        width: v?.width ?? null,
        height: v?.height ?? null,
        fps: v?.fps ?? null,
        error: status === 'online' ? null : lastLine(p.message),
        probe_ms: ms,
        ...e
      }
      this.record(c, server, row)
    }
    let todo: Camera[] = []
    for (const c of cameras) {
      if (c.url === null || c.url === '') this.record(c, server, { status: 'error', error: 'no URL in the inventory', ...extra(c) })
      else todo.push(c)
    }
    const th = this.opts.picture
    if (th !== undefined) {
      // One look per camera (issue 24, 3): ffmpeg opens each stream once, no probe first; as
      // many at once per server as the picture checks always had (the exec limit).
      const slot = pictureSlot(this.site, server, this.opts.execConcurrency ?? this.opts.concurrency)
      await Promise.all(todo.map(async c => await slot(async () => {
        if (signal.aborted) return
        const started = Date.now()
        try {
          const pic = await this.site.onServer(server, async () => await lookAt(this.site, server, container, c.url!, th, { limitSec: this.opts.probeTimeoutSec, signal }))
          if (signal.aborted) return
          this.looked(c, server, pic, this.references.get(String(c.cctv_ID)), Date.now() - started, extra(c))
        } catch (err) {
          if (signal.aborted) return
          this.record(c, server, { status: 'error', error: maskSecrets((err as Error).message), probe_ms: Date.now() - started, ...extra(c) })
        }
      })))
      return
    }
    if (this.opts.runner === 'batch' && todo.length > 0) {
      const done = new Set<Camera>()
      try {
        await this.site.onServer(server, async () => {
          await probeBatch(this.site, server, container, todo.map(c => c.url!), {
            concurrency: this.opts.concurrency,
            limitSec: this.opts.probeTimeoutSec,
            analyzeUs: (this.opts.analyzeMs ?? 2000) * 1000,
            signal,
            onResult: (i, p, ms) => { if (!signal.aborted) { done.add(todo[i]); probed(todo[i], p, ms) } }
          })
        })
        return
      } catch (err) {
        if (signal.aborted) return
        todo = todo.filter(c => !done.has(c))
        if (!(err instanceof RunnerUnavailableError)) {
          // The runner died (the server went away, the container stopped): the rest say why.
          const why = maskSecrets((err as Error).message)
          for (const c of todo) this.record(c, server, { status: 'error', error: why, ...extra(c) })
          return
        }
        // No sh or no timeout in the container: one exec per camera, as before the runner.
      }
    }
    const limit = pLimit(Math.min(this.opts.concurrency, this.opts.execConcurrency ?? this.opts.concurrency))
    await Promise.all(todo.map(async c => await limit(async () => {
      if (signal.aborted) return
      const started = Date.now()
      try {
        const p = await this.site.onServer(server, async () => await probe(this.site, server, container, c.url!, { limitSec: this.opts.probeTimeoutSec, signal }))
        if (signal.aborted) return
        probed(c, p, Date.now() - started)
      } catch (err) {
        if (signal.aborted) return
        this.record(c, server, { status: 'error', error: maskSecrets((err as Error).message), probe_ms: Date.now() - started, ...extra(c) })
      }
    })))
  }

  /**
   * A look's row: black / frozen as ffmpeg saw them, then (for a picture that is alive) the view
   * against the camera's references. A camera without a reference is checked as before them.
   * The frame is kept for the change when the picture is not what it should be.
   */
  private looked (c: Camera, server: ServerConfig, pic: PictureResult, refs: readonly ViewFeatures[] | undefined, ms: number,
    extra: Pick<CameraHealth, 'reconnects_today' | 'last_reconnect'>): void {
    let status = pic.status
    let error = pic.status === 'online' ? null : pic.error ?? pictureShare(pic)
    if (status === 'online' && refs !== undefined && refs.length > 0) {
      if (pic.frame === null) {
        status = 'error'
        error = `no frame to compare with the reference after ${pic.watchedSec.toFixed(1)} s of picture`
      } else {
        let current: ViewFeatures | undefined
        try { current = viewFeatures(lumaOfJpeg(pic.frame)) } catch (err) { status = 'error'; error = `the camera's frame could not be read: ${(err as Error).message}` }
        if (current !== undefined) {
          const matches = refs.map(r => compareViews(r, current, this.opts.view))
          const verdict = viewVerdict(matches, this.opts.view)
          if (verdict !== 'online') {
            status = verdict
            const best = matches.reduce((a, b) => (b.match > a.match || (b.match === a.match && b.detail > a.detail) ? b : a))
            error = verdict === 'moved'
              ? `view moved: ${Math.round(best.match * 100)}% of the reference's structure matches`
              : `view blurred: ${Math.round(best.detail * 100)}% of the reference's detail`
          }
        }
      }
    }
    if (PICTURE_STATUSES.has(status) && pic.frame !== null) this.frames.set(String(c.cctv_ID), pic.frame)
    this.record(c, server, {
      status,
      flapping: status === 'online' && extra.reconnects_today >= this.opts.flapMin,
      codec: pic.video?.codec ?? null,
      width: pic.video?.width ?? null,
      height: pic.video?.height ?? null,
      fps: pic.video?.fps ?? null,
      error: error === null ? null : lastLine(error),
      probe_ms: ms,
      ...extra
    })
  }

  /** Today's `Reconnect` lines of each of the server's pipelines (one grep per GPU log), per camera. */
  private async reconnects (server: ServerConfig, targets: Target[]): Promise<Map<string, { count: number, last: string }>> {
    const lines: string[] = []
    for (const gpu of new Set(targets.map(t => t.gpu ?? 0))) {
      const path = logPath(server.logs.gstreamer, server.n, gpu, this.opts.today)
      try {
        const r = await this.site.onServer(server, async () => await searchLog(this.site, server, path, 'Reconnect ', { maxLines: 200_000, maxBytes: 32 * 1024 * 1024, timeoutSec: this.opts.logTimeoutSec, signal: this.abort.signal }))
        lines.push(...r.lines)
      } catch (err) {
        // No log yet today is not a reason to skip the probes.
        if (!/No such file or directory/.test((err as Error).message)) throw err
      }
    }
    const urls = new Map<string, string[]>()
    for (const { camera: c } of targets) if (c.url !== null && c.url !== '') urls.set(c.url, [...urls.get(c.url) ?? [], String(c.cctv_ID)])
    return countReconnects(lines, urls)
  }

  private record (c: Camera, server: ServerConfig | null, r: Partial<CameraHealth> & { status: HealthStatus }): void {
    if (this.state !== 'running') return
    const item: CameraHealth = {
      cctv_ID: c.cctv_ID ?? '',
      cctv_name: c.cctv_name,
      inference_id: c.inference_id,
      server: server?.n ?? null,
      L2: c.cctv_address.L2,
      L3: c.cctv_address.L3,
      flapping: false,
      codec: null,
      width: null,
      height: null,
      fps: null,
      error: null,
      probe_ms: 0,
      reconnects_today: 0,
      last_reconnect: null,
      ...r
    }
    this.results.push(item)
    this.emit('result', item)
    this.emit('progress')
  }

  /** Counts per status, per server, and flapping cameras. */
  summary (): { by_status: Record<HealthStatus, number>, by_server: Record<string, Record<HealthStatus, number>>, flapping: number } {
    const zero = (): Record<HealthStatus, number> => Object.fromEntries(STATUSES.map(s => [s, 0])) as Record<HealthStatus, number>
    const byStatus = zero()
    const byServer: Record<string, Record<HealthStatus, number>> = {}
    let flapping = 0
    for (const r of this.results) {
      byStatus[r.status]++
      const k = r.server === null ? 'unknown' : String(r.server)
      byServer[k] ??= zero()
      byServer[k][r.status]++
      if (r.flapping) flapping++
    }
    return { by_status: byStatus, by_server: byServer, flapping }
  }
}

function lastLine (text: string): string {
  const lines = text.split('\n').map(l => l.trim()).filter(Boolean)
  return lines[lines.length - 1] ?? ''
}

const CSV_COLUMNS: Array<keyof CameraHealth> = ['cctv_ID', 'cctv_name', 'inference_id', 'server', 'L2', 'L3', 'status', 'flapping', 'codec', 'width', 'height', 'fps', 'reconnects_today', 'last_reconnect', 'probe_ms', 'error']

/** The sweep as CSV (lib/csv.ts: Excel's UTF-8, formulas defused). */
export function toCsv (rows: CameraHealth[]): string {
  return csv([CSV_COLUMNS, ...rows.map(r => CSV_COLUMNS.map(k => r[k] as Cell))])
}
