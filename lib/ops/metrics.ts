import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client'
import type { RegionConfig } from '../config/regions.js'
import type { HistoryStore } from '../store/history.js'
import { STATUSES } from './health-rows.js'

/**
 * The monitor in Prometheus' text format (prom-client), read from the history store at each
 * scrape, so every gateway sharing one database answers the same numbers. A registry of its
 * own per gateway (never prom-client's global one): two gateways in one process stay apart.
 */
export function monitorMetrics (store: HistoryStore, regions: ReadonlyMap<string, RegionConfig>, busy: (region: string) => boolean): Registry {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'fwmaint_process_' })
  const monitored = (): RegionConfig[] => [...regions.values()].filter(r => r.monitor !== undefined)

  // One read of the store per scrape, shared by the metrics below.
  let scrape: Promise<Snapshot> | undefined
  const snapshot = async (): Promise<Snapshot> => {
    scrape ??= read(store, monitored().map(r => r.name)).finally(() => { setImmediate(() => { scrape = undefined }) })
    return await scrape
  }

  new Gauge({
    name: 'fwmaint_cameras',
    help: 'Cameras per region by status, as of the latest sweep that saw each',
    labelNames: ['region', 'status'],
    registers: [registry],
    async collect () {
      const s = await snapshot()
      this.reset()
      for (const [region, by] of s.byStatus) for (const status of new Set([...STATUSES, ...by.keys()])) this.set({ region, status }, by.get(status) ?? 0)
    }
  })
  new Gauge({
    name: 'fwmaint_camera_up',
    help: '1 when the camera was online at its latest sweep, else 0',
    labelNames: ['region', 'cctv_id', 'server'],
    registers: [registry],
    async collect () {
      const s = await snapshot()
      this.reset()
      for (const c of s.cameras) this.set({ region: c.region, cctv_id: c.cctv_id, server: c.server === null ? '' : String(c.server) }, c.status === 'online' ? 1 : 0)
    }
  })
  new Gauge({
    name: 'fwmaint_last_sweep_age_seconds',
    help: 'Seconds since the region\'s latest complete sweep ended',
    labelNames: ['region'],
    registers: [registry],
    async collect () {
      const s = await snapshot()
      this.reset()
      for (const [region, sum] of s.summaries) if (sum.lastDoneAt !== null) this.set({ region }, (Date.now() - sum.lastDoneAt) / 1000)
    }
  })
  new Gauge({
    name: 'fwmaint_last_sweep_duration_seconds',
    help: 'How long the region\'s latest sweep ran',
    labelNames: ['region', 'state'],
    registers: [registry],
    async collect () {
      const s = await snapshot()
      this.reset()
      for (const [region, sum] of s.summaries) {
        const l = sum.lastSweep
        if (l !== null && l.finished_at !== null) this.set({ region, state: l.state }, (l.finished_at - l.started_at) / 1000)
      }
    }
  })
  new Counter({
    name: 'fwmaint_sweeps',
    help: 'Sweeps kept per region, trigger (scheduled/manual) and state (done, failed, skipped, cancelled)',
    labelNames: ['region', 'trigger', 'state'],
    registers: [registry],
    async collect () {
      const s = await snapshot()
      this.reset()
      for (const r of s.sweeps) this.inc({ region: r.region, trigger: r.trigger, state: r.state }, r.n)
    }
  })
  new Gauge({
    name: 'fwmaint_monitor_sweep_running',
    help: '1 while this gateway runs the region\'s scheduled sweep',
    labelNames: ['region'],
    registers: [registry],
    collect () {
      this.reset()
      for (const r of monitored()) this.set({ region: r.name }, busy(r.name) ? 1 : 0)
    }
  })
  return registry
}

interface Snapshot {
  byStatus: Map<string, Map<string, number>>
  summaries: Map<string, Awaited<ReturnType<HistoryStore['regionSummary']>>>
  cameras: Awaited<ReturnType<HistoryStore['allCameraStates']>>
  sweeps: Awaited<ReturnType<HistoryStore['sweepCounts']>>
}

async function read (store: HistoryStore, monitored: string[]): Promise<Snapshot> {
  const names = [...new Set([...monitored, ...await store.regions()])]
  const summaries = new Map(await Promise.all(names.map(async n => [n, await store.regionSummary(n)] as const)))
  const byStatus = new Map([...summaries].map(([n, s]) => [n, new Map(Object.entries(s.byStatus))]))
  return { byStatus, summaries, cameras: await store.allCameraStates(), sweeps: await store.sweepCounts() }
}

/**
 * The exposition text for a token that reads some regions only: every sample labelled with another
 * region is left out (gateway-wide samples, without a region, stay); HELP and TYPE lines stay.
 */
export function metricsOfRegions (text: string, regions: readonly string[]): string {
  const keep = new Set(regions)
  return text.split('\n').filter(line => {
    if (line.startsWith('#') || line === '') return true
    const m = /[{,]region="((?:[^"\\]|\\.)*)"/.exec(line)
    if (m === null) return true
    // Label values escape \, " and a line end (Prometheus' text format).
    return keep.has(m[1].replace(/\\(["\\n])/g, (_x, c: string) => (c === 'n' ? '\n' : c)))
  }).join('\n')
}
