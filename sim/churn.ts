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
  const down = new Map<number, NodeJS.Timeout>()
  const events: Churn['events'] = []
  let stopped = false
  const back = async (id: number): Promise<void> => {
    down.delete(id)
    await region.bringBack(id).catch(() => {})
    events.push({ at: Date.now(), id, kind: 'up' })
  }
  const timer = setInterval(() => {
    const free = candidates.filter(id => !down.has(id))
    if (stopped || free.length === 0 || down.size >= (opts.maxDown ?? 3)) return
    const id = free[Math.floor(r() * free.length)]
    const [lo, hi] = opts.downMs
    down.set(id, setTimeout(() => { void back(id) }, lo + r() * (hi - lo)).unref())
    region.takeDown(id).then(() => { events.push({ at: Date.now(), id, kind: 'down' }) }, () => { down.delete(id) })
  }, opts.everyMs).unref()
  return {
    events,
    down: () => [...down.keys()],
    stop: async () => {
      stopped = true
      clearInterval(timer)
      for (const [id, t] of down) { clearTimeout(t); await back(id) }
    }
  }
}
