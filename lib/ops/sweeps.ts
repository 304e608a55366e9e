import pLimit, { type LimitFunction } from 'p-limit'
import { BadRequestError, CameraNotFoundError, NoSweepError, RemoteError, SweepRunningError } from '../errors.js'
import type { SiteSession } from '../site/session.js'
import { HealthSweep, type SweepOptions } from './health-sweep.js'
import type { CameraHealth, SweepFilter } from './health-rows.js'
import type { HistoryStore } from '../store/history.js'

/**
 * Where complete sweeps are kept and found again. The in-memory history below is one
 * session's latest sweep (lost with the session); a persistent store plugs in here.
 */
export interface SweepHistory {
  /** A sweep that has ended, whatever the outcome; one that ended `done` is the latest complete result from now on. */
  ended: (sweep: HealthSweep) => void
  /** The latest complete sweep, or undefined when there is none yet. */
  latest: () => HealthSweep | undefined
  /** One camera probed again: its row replaces the one in the latest result (none is added). */
  replaced: (row: CameraHealth) => void
}

export class InMemorySweepHistory implements SweepHistory {
  private last: HealthSweep | undefined
  ended (sweep: HealthSweep): void { if (sweep.state === 'done') this.last = sweep }
  latest (): HealthSweep | undefined { return this.last }
  replaced (row: CameraHealth): void { this.last?.replace(row) }
}

/**
 * Today's in-memory history, and every ended sweep kept in the history store as well, marked
 * manual with the SSH user who started it. It moves the monitor's record only when it is
 * complete and ran at least the monitor's checks (lib/store/evaluate.ts); it never counts
 * towards uptime or alert rules. A store that fails is logged by `onError`, never the operator's problem.
 */
export class RecordingSweepHistory extends InMemorySweepHistory {
  constructor (private readonly site: SiteSession, private readonly store: HistoryStore, private readonly onError: (err: Error) => void) { super() }

  override ended (sweep: HealthSweep): void {
    super.ended(sweep)
    this.store.recordSweep({
      region: this.site.region.name,
      trigger: 'manual',
      startedBy: this.site.actor,
      startedAt: sweep.startedAt.getTime(),
      finishedAt: (sweep.finishedAt ?? new Date()).getTime(),
      state: sweep.state === 'running' ? 'cancelled' : sweep.state,
      failure: sweep.failure,
      total: sweep.total,
      results: sweep.results,
      thumbnails: sweep.frames,
      picture: sweep.picture,
      monitorPicture: this.site.region.monitor?.picture === true,
      incidentRules: this.site.region.incidents
    }).catch(this.onError)
  }
}

export interface SweepsOptions {
  /** The sweep's settings, read when a sweep starts (`today` moves with the clock); `picture`: with picture checks; the session's region. */
  sweep: (picture: boolean, region: string) => SweepOptions
  /** Re-probes queued at once per session (the per-server limit). */
  reprobeLimit: number
  history: (site: SiteSession) => SweepHistory
}

declare module '../site/session.js' {
  interface SiteSession {
    /** The session's health sweeps (made on first use). */
    sweeps?: Sweeps
  }
}

/**
 * One session's health sweeps: at most one running, the latest complete one in a
 * SweepHistory, re-probes of single cameras queued behind the per-server limit.
 */
export class Sweeps {
  /** The running sweep, or the last one that ran (its events replay to a late listener). */
  current: HealthSweep | undefined
  private readonly reprobes: LimitFunction

  private constructor (private readonly site: SiteSession, private readonly opts: SweepsOptions, readonly history: SweepHistory) {
    this.reprobes = pLimit(opts.reprobeLimit)
    // Logout, the SSH TTL or shutdown: the sweep's remote processes go with the session.
    site.onClose(() => { this.current?.cancel() })
  }

  /** The session's sweeps, made on first use. */
  static of (site: SiteSession, opts: SweepsOptions): Sweeps {
    return site.sweeps ??= new Sweeps(site, opts, opts.history(site))
  }

  /**
   * Starts a sweep; resolves once its cameras are known (before any probe), so a filter that
   * matches nothing is a 400 and the latest result stays. 409 while one runs. `onEnd` is
   * called once when it has ended, whatever the outcome.
   */
  async start (filter: SweepFilter, onEnd?: (sweep: HealthSweep) => void, picture = false): Promise<HealthSweep> {
    this.refuseWhileRunning()
    const sweep = new HealthSweep(this.site, filter, this.opts.sweep(picture, this.site.region.name))
    const previous = this.current
    this.current = sweep
    try {
      if (await sweep.prepare() === 0) throw new BadRequestError('no camera matches the filter (servers, l2, l3, ids)')
    } catch (err) {
      sweep.cancel()
      if (this.current === sweep) this.current = previous
      throw err
    }
    sweep.once('end', () => {
      this.history.ended(sweep)
      this.site.audit({ event: 'health_sweep', region: this.site.region.name, outcome: sweep.state === 'failed' ? 'error' : 'ok', ms: Date.now() - sweep.startedAt.getTime(), detail: `${sweep.state} ${sweep.done}/${sweep.total}` })
      onEnd?.(sweep)
    })
    void sweep.run()
    return sweep
  }

  /** The latest complete sweep, or the 404 that says there is none yet. */
  latestComplete (): HealthSweep {
    const done = this.history.latest()
    if (done === undefined) throw new NoSweepError()
    return done
  }

  /**
   * Probes one camera now and replaces its row in the latest result. `signal`: the client
   * left, the probe goes with it. 409 while a sweep runs (it would exceed the per-server limit).
   */
  async reprobe (id: number | string, signal: AbortSignal): Promise<CameraHealth> {
    this.refuseWhileRunning()
    // As the latest sweep looked: with picture checks if it had them.
    const one = new HealthSweep(this.site, { ids: [id] }, this.opts.sweep(this.history.latest()?.picture ?? false, this.site.region.name))
    const gone = (): void => { one.cancel() }
    signal.addEventListener('abort', gone, { once: true })
    try {
      await this.reprobes(async () => { if (one.state === 'running') await one.run() })
    } finally {
      signal.removeEventListener('abort', gone)
    }
    if (one.state === 'failed') throw new RemoteError(one.failure ?? 'health probe failed')
    const item = one.results[0]
    if (item === undefined) throw new CameraNotFoundError()
    this.history.replaced(item)
    return item
  }

  /** Cancels the running sweep (its remote processes are killed); whether one was running. */
  stop (): boolean {
    const running = this.current?.state === 'running'
    this.current?.cancel()
    return running
  }

  private refuseWhileRunning (): void {
    if (this.current?.state === 'running') throw new SweepRunningError(this.current.done, this.current.total)
  }
}
