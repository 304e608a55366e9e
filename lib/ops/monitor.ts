import { systemClock, type Clock } from '../clock.js'
import { maskSecrets } from '../mask.js'
import type { SweepState } from '../status.js'
import type { RegionConfig } from '../config/regions.js'
import type { Opener, SiteSession } from '../site/session.js'
import type { Alerting, HistoryStore } from '../store/history.js'
import { HealthSweep, type SweepOptions } from './health-sweep.js'
import type { Cron } from 'croner'

/**
 * The slot a scheduled tick fired at `now` is for, the same on every gateway sharing the
 * database: `everyMs` counts intervals since the epoch (gateways started at different times
 * share them); a cron schedule names its own latest instant at or before `now`. A timer fires
 * late on a busy machine: rounding the clock instead named the next second for a tick fired
 * 0.6 s late, so two gateways each claimed "their" slot and one tick was swept twice.
 */
export function tickSlot (schedule: { everyMs: number } | { cron: Cron }, now: number): number {
  if ('everyMs' in schedule) return Math.floor(now / schedule.everyMs) * schedule.everyMs
  return schedule.cron.previousRuns(1, new Date(now + 1))[0]?.getTime() ?? Math.floor(now / 1000) * 1000
}

export interface MonitorDeps {
  /** Logs in as the region's service identity on a connection of its own (never an operator's). */
  connect: (region: RegionConfig, login: { username: string, password: string }, who: Opener) => Promise<SiteSession>
  sweepOptions: () => SweepOptions
  store: HistoryStore
  /** This gateway's name (GATEWAY_ID): unique among the gateways that share the database. */
  gateway: string
  /** The region's alert rules, channels and configured windows (issue 16); none: no alerts. */
  alerting?: () => Alerting
  /** Called after a sweep was kept (the outbox looks at once). */
  kept?: () => void
  /** How long a running sweep's lease lasts without renewal (renewed every third of it). */
  leaseMs?: number
  clock?: Clock
  /** What happened, for the gateway's log (no secret is ever in it). */
  log: (outcome: { region: string, state: string, done: number, total: number, ms: number, failure?: string }) => void
}

/**
 * One region's background sweeps: each tick logs in as the service identity, sweeps every
 * camera, keeps the result (trigger `scheduled`) and logs out. Never two at once for the
 * region: a tick that finds the previous sweep still running is kept as `skipped`. A sweep
 * that cannot start (site unreachable, login refused, Mongo missing) is kept as `failed`
 * with why. `stop()` cancels a running sweep (its remote processes are killed) and waits.
 */
export class RegionMonitor {
  private running: Promise<void> | undefined
  private sweep: HealthSweep | undefined
  private stopped = false
  /** Ticks this gateway acted on / left to another gateway that claimed them first. */
  claimed = 0
  lost = 0

  constructor (readonly region: RegionConfig, private readonly deps: MonitorDeps) {
    if (region.monitor === undefined) throw new Error(`region ${region.name} has no monitor block`)
  }

  get busy (): boolean { return this.running !== undefined }

  /**
   * One scheduled tick; resolves when its sweep has been kept (or skipped). `slot` names the
   * tick the same way on every gateway sharing the database: only the gateway that claims it
   * first acts on it. A sweep still running here or on another gateway makes it a skip.
   */
  async tick (slot?: number): Promise<void> {
    if (this.stopped) return
    const { store, gateway } = this.deps
    const now = this.deps.clock ?? systemClock
    // A tick by hand (no slot) is this gateway's alone.
    if (slot !== undefined) {
      if (!await store.leases.claimTick(this.region.name, slot, gateway, now())) { this.lost++; return }
      this.claimed++
    }
    const skip = async (why: string): Promise<void> => {
      const at = now()
      await this.keep({ startedAt: at, finishedAt: at, state: 'skipped', failure: why, total: 0, results: [] })
    }
    if (this.running !== undefined) { await skip('the previous sweep was still running'); return }
    const leaseMs = this.deps.leaseMs ?? 60_000
    // Marked running before the first await: a tick that comes meanwhile is a skip here.
    this.running = (async () => {
      const token = await store.leases.take(this.region.name, gateway, now() + leaseMs, now())
      if (token === null) { await skip('the previous sweep was still running on another gateway'); return }
      await this.run(leaseMs, token)
    })().finally(() => { this.running = undefined })
    await this.running
  }

  private async run (leaseMs: number, token: string): Promise<void> {
    const m = this.region.monitor!
    const { store } = this.deps
    const now = this.deps.clock ?? systemClock
    const lease = { key: this.region.name, token }
    const startedAt = now()
    let site: SiteSession | undefined
    // Why the lease was lost while the sweep ran (another gateway took it, or renewing failed).
    let lost: string | undefined
    const loseLease = (why: string): void => {
      if (lost !== undefined) return
      lost = why
      this.deps.log({ region: this.region.name, state: 'lost_lease', done: this.sweep?.results.length ?? 0, total: this.sweep?.total ?? 0, ms: now() - startedAt, failure: why })
      // What it would find is no longer this gateway's to record: stop its remote work now.
      this.sweep?.cancel()
    }
    // The lease outlives this process by at most leaseMs: a killed gateway's region is free again soon.
    const renew = setInterval(() => {
      store.leases.renew(this.region.name, token, now() + leaseMs).then(
        held => { if (!held) loseLease('the lease was taken over by another gateway') },
        (err: Error) => { loseLease(`the lease could not be renewed: ${maskSecrets(err.message)}`) })
    }, leaseMs / 3)
    try {
      site = await this.deps.connect(this.region, { username: m.id, password: m.password }, { user: m.id, client: 'monitor' })
      if (this.stopped) return
      if (lost !== undefined) {
        // Lost while logging in: nothing was swept, and the record says why.
        await this.keep({ startedAt, finishedAt: now(), state: 'lost_lease', failure: lost, total: 0, results: [] }, lease)
        return
      }
      const sweep = this.sweep = new HealthSweep(site, {}, this.deps.sweepOptions())
      await sweep.run()
      const state = lost !== undefined ? 'lost_lease' : sweep.state === 'running' ? 'cancelled' : sweep.state
      await this.keep({ startedAt, finishedAt: now(), state, failure: lost ?? sweep.failure, total: sweep.total, results: sweep.results, thumbnails: sweep.frames,
        picture: sweep.picture }, lease)
    } catch (err) {
      if (this.stopped) return
      await this.keep({ startedAt, finishedAt: now(), state: lost !== undefined ? 'lost_lease' : 'failed', failure: lost ?? maskSecrets((err as Error).message), total: 0, results: [] }, lease)
    } finally {
      clearInterval(renew)
      this.sweep = undefined
      await site?.close()
      await store.leases.release(this.region.name, token).catch(() => {})
    }
  }

  private async keep (s: { startedAt: number, finishedAt: number, state: SweepState, failure: string | null, total: number, results: HealthSweep['results'], thumbnails?: ReadonlyMap<string, Buffer>, picture?: boolean }, lease?: { key: string, token: string }): Promise<void> {
    const m = this.region.monitor!
    const kept = await this.deps.store.recordSweep({ region: this.region.name, trigger: 'scheduled', startedBy: null, gateway: this.deps.gateway, alerting: this.deps.alerting?.(),
      monitorPicture: m.picture, incidentRules: this.region.incidents, lease, ...s })
    this.deps.kept?.()
    const failure = kept.state === 'lost_lease' && s.state !== 'lost_lease' ? 'another gateway held the region\'s lease when the sweep was recorded' : s.failure
    this.deps.log({ region: this.region.name, state: kept.state, done: s.results.length, total: s.total, ms: s.finishedAt - s.startedAt, ...(failure === null ? {} : { failure }) })
  }

  /** No more ticks; a running sweep is cancelled (remote processes killed) and kept as cancelled. */
  async stop (): Promise<void> {
    this.stopped = true
    this.sweep?.cancel()
    await this.running?.catch(() => {})
  }
}
