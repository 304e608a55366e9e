import { reactive, watch } from 'vue'
import { api, ApiFailure, errorText, FFPROBE_TIMEOUT_MS } from './api'
import { session } from './session'
import type { CameraHealth, SweepFilter } from '../../lib/ops/health-rows'

type SweepState = 'none' | 'running' | 'done' | 'cancelled' | 'failed'

/**
 * The session's health sweep as the console knows it. Kept outside the Health screen so the
 * events stream stays open while the operator looks at a camera's logs or live view: the
 * server cancels a sweep nobody listens to (HEALTH_ABANDON_SECONDS), not one being watched.
 */
export const health = reactive({
  state: 'none' as SweepState,
  done: 0,
  total: 0,
  /** Rows in arrival order; the view sorts. */
  results: [] as CameraHealth[],
  failure: '',
  error: '',
  /** When the sweep shown ended (ISO), for "swept at". */
  finishedAt: '',
  /** IDs being probed again. */
  reprobing: new Set<string>()
})

let source: EventSource | undefined
let index = new Map<string, number>()

function upsert (r: CameraHealth): void {
  const k = String(r.cctv_ID)
  const i = index.get(k)
  if (i === undefined) {
    index.set(k, health.results.length)
    health.results.push(r)
  } else {
    health.results[i] = r
  }
}

function close (): void {
  source?.close()
  source = undefined
}

function clear (): void {
  health.results = []
  index = new Map()
  health.done = 0
  health.total = 0
  health.failure = ''
  health.finishedAt = ''
}

/**
 * Listens to the session's sweep (a replay of what is known first, then live). A dropped
 * connection is retried by EventSource itself; the replay makes that idempotent (rows by ID).
 */
export function follow (): void {
  close()
  const es = new EventSource('/api/cctv_health/events')
  source = es
  const data = (e: Event): any => JSON.parse((e as MessageEvent<string>).data)
  es.addEventListener('result', e => { upsert(data(e)) })
  es.addEventListener('progress', e => {
    const d = data(e)
    health.done = d.done
    health.total = d.total
    health.state = d.state
  })
  es.addEventListener('end', e => {
    const d = data(e)
    health.state = d.state
    health.done = d.done
    health.total = d.total
    health.failure = d.failure ?? ''
    health.finishedAt = new Date().toISOString()
    // Without this EventSource would reconnect and get the replay again, for ever.
    close()
  })
  // 404 (no sweep in this session yet) or 400 (session gone): the browser gives up; so do we.
  es.onerror = () => { if (es.readyState === EventSource.CLOSED && source === es) close() }
}

/**
 * On the Health screen: pick up a sweep started before a reload (or in another tab). The
 * session's sweep state comes first (one small request): the events stream is opened only for
 * a running sweep, and a finished one's rows come in one answer, not as a replay.
 */
export async function attach (): Promise<void> {
  if (source !== undefined || (health.state !== 'none' && health.state !== 'running')) return
  let s: { state: SweepState, done: number, total: number, finished_at: string | null }
  try {
    s = await api('GET', '/api/cctv_health/state')
  } catch (err) {
    health.error = errorText(err)
    return
  }
  if (s.state === 'running') { follow(); return }
  if (s.state === 'none') return
  try {
    const r = await api<{ state: SweepState, done: number, total: number, finished_at: string | null, failure?: string, results: CameraHealth[] }>('GET', '/api/cctv_health')
    clear()
    for (const row of r.results) upsert(row)
    health.state = r.state
    health.done = r.done
    health.total = r.total
    health.failure = r.failure ?? ''
    health.finishedAt = r.finished_at ?? ''
  } catch (err) {
    // A stopped sweep with no complete one before it: the state says so.
    if (!(err instanceof ApiFailure && err.status === 404)) health.error = errorText(err)
    health.state = s.state
    health.done = s.done
    health.total = s.total
    health.finishedAt = s.finished_at ?? ''
  }
}

export async function start (filter: SweepFilter): Promise<void> {
  health.error = ''
  try {
    await api('POST', '/api/cctv_health', filter)
  } catch (err) {
    // Already running (another tab, or a reload): watch that one.
    if (err instanceof ApiFailure && err.status === 409) { follow(); return }
    health.error = errorText(err)
    return
  }
  clear()
  health.state = 'running'
  follow()
}

export async function stop (): Promise<void> {
  try {
    await api('POST', '/api/cctv_health/stop')
  } catch (err) {
    health.error = errorText(err)
  }
}

/** Probes one camera again; its row (here and in the server's latest result) is replaced. */
export async function reprobe (id: number | string): Promise<void> {
  const k = String(id)
  if (health.reprobing.has(k)) return
  health.reprobing.add(k)
  health.error = ''
  try {
    const r = await api<{ result: CameraHealth }>('POST', '/api/cctv_health/reprobe', { id }, { timeoutMs: FFPROBE_TIMEOUT_MS })
    upsert(r.result)
  } catch (err) {
    health.error = `${k}: ${errorText(err)}`
  } finally {
    health.reprobing.delete(k)
  }
}

// Another region, or no session: what we knew belongs to the old one.
watch(() => session.status?.status === 'connected' ? session.status.region : undefined, (now, before) => {
  if (now === before) return
  close()
  clear()
  health.state = 'none'
  health.error = ''
})
