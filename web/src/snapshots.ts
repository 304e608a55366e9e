import { ApiFailure, serverText } from './api'

/**
 * Snapshots as the console loads them: at most PER_SERVER at once per analysis server (the
 * gateway holds its own per-server limit too; this keeps a grid's queue in the browser, where a
 * scrolled-away card can leave it), each as an object URL, or the gateway's reason.
 */
const PER_SERVER = 2
const TIMEOUT_MS = 20_000

/** Where a card is on the page: [top, left] (smaller first). */
export type Rank = () => [number, number]
interface Job { id: string, run: () => void, rank?: Rank }
const running = new Map<number, number>()
const waiting = new Map<number, Job[]>()

/**
 * The card nearest the top of the page first (then the leftmost): one observer per card calls in
 * no useful order, and an operator reads a grid from its top-left corner.
 */
function nearest (q: Job[]): number {
  let best = 0
  let bestRank: [number, number] = [Infinity, Infinity]
  q.forEach((job, i) => {
    const r = job.rank?.() ?? [Infinity, Infinity]
    if (r[0] < bestRank[0] || (r[0] === bestRank[0] && r[1] < bestRank[1])) { best = i; bestRank = r }
  })
  return best
}

function next (server: number): void {
  const q = waiting.get(server) ?? []
  while ((running.get(server) ?? 0) < PER_SERVER && q.length > 0) {
    running.set(server, (running.get(server) ?? 0) + 1)
    q.splice(nearest(q), 1)[0].run()
  }
}

export type Snapshot = { url: string } | { error: string }

/**
 * One camera's frame; `signal` aborts it (queued or running); `rank` places it in the queue (see
 * nearest). The caller revokes the URL.
 */
export async function loadSnapshot (id: string, server: number, signal?: AbortSignal, rank?: Rank): Promise<Snapshot> {
  return await new Promise(resolve => {
    const job: Job = {
      id,
      rank,
      run: () => {
        const done = (s: Snapshot): void => { running.set(server, (running.get(server) ?? 1) - 1); next(server); resolve(s) }
        const timeout = AbortSignal.timeout(TIMEOUT_MS)
        fetch(`/api/cctv_snapshot?cctv_id=${encodeURIComponent(id)}`, { credentials: 'same-origin', signal: signal === undefined ? timeout : AbortSignal.any([timeout, signal]) })
          .then(async res => {
            if (res.ok) { done({ url: URL.createObjectURL(await res.blob()) }); return }
            const body = await res.json().catch(() => ({})) as { message?: string }
            done({ error: serverText(body.message ?? new ApiFailure(res.status, `HTTP ${res.status}`).message) })
          })
          .catch((err: Error) => { done({ error: signal?.aborted === true ? '' : serverText(timeout.aborted ? 'Timeout' : err.message) }) })
      }
    }
    signal?.addEventListener('abort', () => {
      const q = waiting.get(server) ?? []
      const i = q.indexOf(job)
      if (i !== -1) { q.splice(i, 1); resolve({ error: '' }) }
    }, { once: true })
    waiting.set(server, [...(waiting.get(server) ?? []), job])
    // After this task: the cards that came into view together are all queued before one starts.
    setTimeout(() => { next(server) }, 0)
  })
}
