import { behaviourOf } from './inventory.js'
import { rng } from './random.js'

export interface ChurnOptions {
  /** How often a camera may go down. */
  everyMs: number
  /** How long a camera stays down: between these two (ms). */
  downMs: [number, number]
  /** At most this many cameras down at once because of the churn. */
  maxDown?: number
  seed?: number
}

export interface Churn {
  /** What happened, oldest first (for tests and the demo's log). */
  events: Array<{ at: number, id: number, kind: 'down' | 'up' }>
  /** Cameras down right now because of the churn. */
  down: () => number[]
  /** Stops, bringing every camera it took down back. */
  stop: () => Promise<void>
}

/**
 * A site that changes over time, as real ones do: every `everyMs` one of the cameras that
 * stream (behaviour live or auth) goes down — its inventory URL now points at a refused port —
 * and comes back after a while, so a monitored demo's history is not flat.
 */
export function startChurn (region: { inventory: Array<{ cctv_ID: number }>, takeDown: (id: number) => Promise<void>, bringBack: (id: number) => Promise<void> },
  opts: ChurnOptions): Churn {
  const r = rng(opts.seed ?? 15)
  const candidates = region.inventory.map(c => c.cctv_ID).filter(id => behaviourOf(id) === 'live' || behaviourOf(id) === 'auth')
  // Per camera down: its timer back, and the takeDown still on its way (the inventory write).
  const down = new Map<number, { timer: NodeJS.Timeout, taking: Promise<void> }>()
  const events: Churn['events'] = []
  let stopped = false
  // Cameras on their way back (a timer fired): stop() waits for them too.
  const returning = new Set<Promise<void>>()
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
    const free = candidates.filter(id => !down.has(id))
    if (stopped || free.length === 0 || down.size >= (opts.maxDown ?? 3)) return
    const id = free[Math.floor(r() * free.length)]
    const [lo, hi] = opts.downMs
    const taking = region.takeDown(id).then(() => { events.push({ at: Date.now(), id, kind: 'down' }) }, () => { down.delete(id) })
    down.set(id, { timer: setTimeout(() => { void back(id) }, lo + r() * (hi - lo)).unref(), taking })
  }, opts.everyMs).unref()
  return {
    events,
    down: () => [...down.keys()],
    stop: async () => {
      stopped = true
      clearInterval(timer)
      for (const [id, d] of down) { clearTimeout(d.timer); await back(id) }
      await Promise.all(returning)
    }
  }
}
