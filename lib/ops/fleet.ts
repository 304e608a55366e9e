import { Cron } from 'croner'
import { kstDay, systemClock, type Clock } from '../clock.js'
import { maskSecrets } from '../mask.js'
import type { RegionConfig } from '../config/regions.js'
import type { CameraState, Change, HistoryStore, Judged, SweepRow } from '../store/history.js'
import { STATUSES } from './health-rows.js'
import type { CameraStory, CameraUptimeView, CameraView, ChangeView, DayView, RegionOverview, SweepView } from './monitor-views.js'
import type { ChangeKind, HealthStatus, SweepTrigger } from '../status.js'

export type { CameraStory, CameraUptimeView, CameraView, ChangeView, DayView, RegionOverview, SweepView }

/** Who is asking: the monitor token sees every region; an operator's session its own. */
/** Who reads the monitor: every region (the token, a person with a '*' role) or the regions named. */
export type Viewer = { all: true } | { all: false, regions: string[] }

const DAY_MS = 86_400_000
/** Down cameras listed per region in the overview; the rest are counted. */
const DOWN_LIST_MAX = 200
const CHANGES_MAX = 5000

const iso = (ms: number | null): string | null => ms === null ? null : new Date(ms).toISOString()

function sweepView (s: SweepRow, own: boolean): SweepView {
  return {
    id: s.id,
    trigger: s.trigger,
    // An operator's name is their region's business.
    started_by: own ? s.started_by : null,
    state: s.state,
    picture: s.picture,
    started_at: iso(s.started_at)!,
    finished_at: iso(s.finished_at),
    duration_ms: s.finished_at === null ? null : s.finished_at - s.started_at,
    total: s.total,
    done: s.done,
    online: s.online,
    down: s.down,
    failure: s.failure === null ? null : maskSecrets(s.failure),
    gateway: s.gateway
  }
}

function cameraView (c: CameraState, now: number): CameraView {
  return {
    cctv_id: c.cctv_id,
    name: c.name,
    inference_id: c.inference_id,
    server: c.server,
    status: c.status,
    flapping: c.flapping,
    since: iso(c.since)!,
    last_seen: iso(c.last_seen)!,
    error: c.error === null ? null : maskSecrets(c.error),
    // The controller log counts from midnight: a count from an earlier day is not today's.
    reconnects_today: kstDay(new Date(c.last_seen)) === kstDay(new Date(now)) ? c.reconnects_today : 0
  }
}

/** How often the region is meant to be swept (ms), or null when it is not monitored. */
export function sweepPeriodMs (region: RegionConfig): number | null {
  const m = region.monitor
  if (m === undefined) return null
  if (m.everyMs !== undefined) return m.everyMs
  const [a, b] = new Cron(m.cron!, { paused: true }).nextRuns(2)
  return a !== undefined && b !== undefined ? b.getTime() - a.getTime() : null
}

/**
 * The monitor's answers, read from the history store's aggregates (never raw results): the
 * fleet at a glance, a region's cameras with uptime, one camera's story, changes since a time.
 * Who may see what is the caller's (the route's) check; this module shapes what is shown.
 */
export class Fleet {
  constructor (private readonly store: HistoryStore, private readonly regions: ReadonlyMap<string, RegionConfig>, private readonly clock: Clock = systemClock) {}

  /** Monitored regions, and any region with a kept sweep that is still configured. */
  async regionNames (): Promise<string[]> {
    const kept = new Set(await this.store.regions())
    return [...this.regions.values()].filter(r => r.monitor !== undefined || kept.has(r.name)).map(r => r.name)
  }

  async overview (viewer: Viewer, now = this.clock()): Promise<{ generated_at: string, regions: RegionOverview[] }> {
    const names = await this.regionNames()
    const regions = await Promise.all(names.map(async name => await this.regionOverview(this.regions.get(name)!, viewer.all || viewer.regions.includes(name), now)))
    return { generated_at: new Date(now).toISOString(), regions }
  }

  private async regionOverview (region: RegionConfig, own: boolean, now: number): Promise<RegionOverview> {
    const [sum, changes, days] = await Promise.all([
      this.store.regionSummary(region.name),
      this.store.changeCounts(region.name, now - DAY_MS),
      this.store.aggregates.regionDaily(region.name, kstDay(new Date(now - 29 * DAY_MS)))
    ])
    const byStatus = Object.fromEntries(STATUSES.map(s => [s, sum.byStatus[s] ?? 0]))
    for (const [s, n] of Object.entries(sum.byStatus)) if (!(s in byStatus)) byStatus[s] = n
    const cameras = Object.values(sum.byStatus).reduce((a, b) => a + b, 0)
    const down = cameras - (sum.byStatus.online ?? 0)
    const period = sweepPeriodMs(region)
    const age = sum.lastDoneAt === null ? null : Math.max(0, now - sum.lastDoneAt)
    return {
      region: region.name,
      monitored: region.monitor !== undefined,
      schedule: region.monitor === undefined ? null : region.monitor.cron ?? `every ${region.monitor.everyMs! / 1000}s`,
      // What the camera states are as of, and whether that is older than two periods.
      as_of: iso(sum.lastDoneAt),
      age_seconds: age === null ? null : Math.round(age / 1000),
      stale: period !== null && (age === null || age > 2 * period + 60_000),
      last_sweep: sum.lastSweep === null ? null : sweepView(sum.lastSweep, own),
      cameras,
      by_status: byStatus,
      down,
      flapping: sum.flapping,
      // Camera names only for the viewer's own region.
      down_now: own ? (await this.store.downNow(region.name, DOWN_LIST_MAX)).sort((a,
        b) => a.since - b.since || Number(a.cctv_id) - Number(b.cctv_id)).map(c => cameraView(c, now)) : null,
      changes_24h: { first_seen: changes.first_seen ?? 0, down: changes.down ?? 0, up: changes.up ?? 0, status: changes.status ?? 0, flapping: changes.flapping ?? 0,
        steady: changes.steady ?? 0 },
      uptime_days: days.map(d => ({ day: d.day, up: d.up, total: d.total, uptime: d.total === 0 ? null : d.up / d.total }))
    }
  }

  /**
   * Every camera of the region: its state, since when, uptime over 24 h / 7 d / 30 d (the
   * monitor's complete sweeps outside maintenance: null when none was judged, and `judged_*`
   * says how many were), reconnects today.
   */
  async cameras (region: string, now = this.clock()): Promise<{ region: string, as_of: string | null, cameras: CameraUptimeView[] }> {
    const [states, h24, d7, d30, sum] = await Promise.all([
      this.store.cameras(region),
      this.store.aggregates.uptimeHours(region, 24, now),
      this.store.aggregates.uptime(region, 7, now),
      this.store.aggregates.uptime(region, 30, now),
      this.store.regionSummary(region)
    ])
    return {
      region,
      as_of: iso(sum.lastDoneAt),
      cameras: states.map(c => ({
        ...cameraView(c, now),
        uptime_24h: share(h24.get(c.cctv_id)),
        uptime_7d: share(d7.get(c.cctv_id)),
        uptime_30d: share(d30.get(c.cctv_id)),
        judged_24h: h24.get(c.cctv_id)?.total ?? 0,
        judged_7d: d7.get(c.cctv_id)?.total ?? 0,
        judged_30d: d30.get(c.cctv_id)?.total ?? 0
      }))
    }
  }

  /** One camera between two times: its state now, its changes and its days (undefined: never seen). */
  async camera (region: string, cctvId: string, from: number, to: number, now = this.clock()): Promise<CameraStory | undefined> {
    const [state, story] = await Promise.all([this.store.cameraState(region, cctvId), this.store.camera(region, cctvId, from, to)])
    if (state === undefined && story.changes.length === 0) return undefined
    return {
      region,
      cctv_id: cctvId,
      from: iso(from)!,
      to: iso(to)!,
      camera: state === undefined ? null : cameraView(state, now),
      changes: story.changes.map(c => ({ ...changeView(c), ...(c.thumbnail === true ? { thumbnail_url: `/api/monitor/${encodeURIComponent(region)}/cameras/${encodeURIComponent(cctvId)}/thumbnail?at=${c.at}` } : {}) })),
      daily: story.daily.map(d => ({ day: d.day, up: d.up, total: d.total, uptime: d.total === 0 ? null : d.up / d.total, reconnects: d.reconnects }))
    }
  }

  /** The region's kept sweeps since `since`, newest first (the caller checked that the viewer may see the region). */
  async sweeps (region: string, since: number, limit: number): Promise<SweepView[]> {
    return (await this.store.sweeps(region, limit, since)).map(s => sweepView(s, true))
  }

  /** What changed in the region since `since`, newest first, with each camera's name. */
  async changes (region: string, since: number): Promise<{ region: string, since: string, truncated: boolean, changes: Array<ChangeView & { name: string | null }> }> {
    const [rows, states] = await Promise.all([this.store.changes(region, since, CHANGES_MAX + 1), this.store.cameras(region)])
    const names = new Map(states.map(c => [c.cctv_id, c.name]))
    return {
      region,
      since: iso(since)!,
      truncated: rows.length > CHANGES_MAX,
      changes: rows.slice(0, CHANGES_MAX).map(c => ({ ...changeView(c), name: names.get(c.cctv_id) ?? null }))
    }
  }
}

function changeView (c: Change): ChangeView {
  return { cctv_id: c.cctv_id, at: iso(c.at)!, kind: c.kind as ChangeKind, from_status: c.from_status as HealthStatus | null, to_status: c.to_status as HealthStatus,
    trigger: c.trigger as SweepTrigger, started_by: c.started_by }
}

/** The share of judged results that were up; null when nothing was judged (never 0 for "unknown"). */
function share (j: Judged | undefined): number | null {
  return j === undefined || j.total === 0 ? null : j.up / j.total
}
