import { behaviourOf } from './inventory.js'
import { rng } from './random.js'
import type { ViewChange } from './cameras.js'

export interface ChurnOptions {
  /** How often a camera may go down. */
  everyMs: number
  /** How long a camera stays down: between these two (ms). */
  downMs: [number, number]
  /** At most this many cameras down at once because of the churn. */
  maxDown?: number
  seed?: number
}

/** What the churn does to a view camera's picture now and then (issue 24): turned, half covered, out of focus. */
export const VIEW_CHANGES: readonly ViewChange[] = [{ pan: 0.12 }, { cover: 0.5 }, { blur: 4 }]

export interface Churn {
  /** What happened, oldest first (for tests and the demo's log): a camera down or up, a view changed or back. */
  events: Array<{ at: number, id: number, kind: 'down' | 'up' | 'view' | 'view_back', change?: ViewChange }>
  /** Cameras down right now because of the churn. */
  down: () => number[]
  /** View cameras whose picture the churn has changed right now. */
  changed: () => number[]
  /** Stops, bringing every camera it took down back. */
  stop: () => Promise<void>
}

/**
 * A site that changes over time, as real ones do: every `everyMs` one of the cameras that
 * stream (behaviour live or auth) goes down — its inventory URL now points at a refused port —
 * and comes back after a while, so a monitored demo's history is not flat. With `views`, every
 * other time one of its view cameras is turned, half covered or blurred instead (it keeps
 * streaming, its ball moving: only a look against its reference sees it), and restored later.
 */
export function startChurn (region: { inventory: Array<{ cctv_ID: number }>, takeDown: (id: number) => Promise<void>, bringBack: (id: number) => Promise<void>,
  views?: { ids: number[], set: (id: number, change: ViewChange) => Promise<void> } }, opts: ChurnOptions): Churn {
  const r = rng(opts.seed ?? 15)
  const views = region.views
  const candidates = region.inventory.map(c => c.cctv_ID).filter(id => behaviourOf(id) === 'live' || behaviourOf(id) === 'auth')
  // Per camera down: its timer back, and the takeDown still on its way (the inventory write).
  const down = new Map<number, { timer: NodeJS.Timeout, taking: Promise<void> }>()
  const events: Churn['events'] = []
  let stopped = false
  // Cameras on their way back (a timer fired): stop() waits for them too.
  const returning = new Set<Promise<void>>()
  // A view camera changed is down for the monitor too: it counts towards maxDown.
  const viewed = new Map<number, { timer: NodeJS.Timeout, changing: Promise<void> }>()
  const restore = async (id: number): Promise<void> => {
    const v = viewed.get(id)
    viewed.delete(id)
    await v?.changing
    await views?.set(id, {}).catch(() => {})
    events.push({ at: Date.now(), id, kind: 'view_back' })
  }
  const back = async (id: number): Promise<void> => {
    const p = comeBack(id)
    returning.add(p)
    await p.finally(() => returning.delete(p))
  }
  const comeBack = async (id: number): Promise<void> => {
    const d = down.get(id)
    down.delete(id)
    // After its takeDown has landed: on a busy machine that write could come after this one and
    // leave the camera down for good.
    await d?.taking
    await region.bringBack(id).catch(() => {})
    events.push({ at: Date.now(), id, kind: 'up' })
  }
  const timer = setInterval(() => {
    if (stopped || down.size + viewed.size >= (opts.maxDown ?? 3)) return
    const [lo, hi] = opts.downMs
    const freeViews = views?.ids.filter(id => !viewed.has(id)) ?? []
    if (freeViews.length > 0 && r() < 0.5) {
      const id = freeViews[Math.floor(r() * freeViews.length)]
      const change = VIEW_CHANGES[Math.floor(r() * VIEW_CHANGES.length)]
      const changing = views!.set(id, change).then(() => { events.push({ at: Date.now(), id, kind: 'view', change }) }, () => { viewed.delete(id) })
      viewed.set(id, { timer: setTimeout(() => { const p = restore(id); returning.add(p); void p.finally(() => returning.delete(p)) }, lo + r() * (hi - lo)).unref(), changing })
      return
    }
    const free = candidates.filter(id => !down.has(id))
    if (free.length === 0) return
    const id = free[Math.floor(r() * free.length)]
    const taking = region.takeDown(id).then(() => { events.push({ at: Date.now(), id, kind: 'down' }) }, () => { down.delete(id) })
    down.set(id, { timer: setTimeout(() => { void back(id) }, lo + r() * (hi - lo)).unref(), taking })
  }, opts.everyMs).unref()
  return {
    events,
    down: () => [...down.keys()],
    changed: () => [...viewed.keys()],
    stop: async () => {
      stopped = true
      clearInterval(timer)
      for (const [id, d] of down) { clearTimeout(d.timer); await back(id) }
      for (const [id, v] of viewed) { clearTimeout(v.timer); await restore(id) }
      await Promise.all(returning)
    }
  }
}
