import { reactive } from 'vue'
import { api, ApiFailure, errorText, FFPROBE_TIMEOUT_MS } from './api'
import type { ReferenceJobView } from '../../lib/ops/monitor-views'

export type { ReferenceJobView }

/** A camera's reference view as the gateway lists it (routes/api/references.ts). */
export interface Reference { id: string, taken_at: string, taken_by: string, url: string }

const base = (region: string, id: string): string => `/api/monitor/${encodeURIComponent(region)}/cameras/${encodeURIComponent(id)}/references`

export async function listReferences (region: string, id: string): Promise<Reference[]> {
  return (await api<{ references: Reference[] }>('GET', base(region, id))).references
}

/** Takes the camera's current frame (one look: a few seconds, like ffprobe). */
export async function takeReference (region: string, id: string): Promise<Reference> {
  return await api<Reference>('POST', base(region, id), undefined, { timeoutMs: FFPROBE_TIMEOUT_MS })
}

/** 204 (no body: api() answers {}). */
export async function deleteReference (region: string, id: string, rid: string): Promise<void> {
  await api('DELETE', `${base(region, id)}/${encodeURIComponent(rid)}`)
}

/**
 * The region's "기준 화면 만들기": one at a time per region on the gateway; the console polls its
 * progress every second while it runs (a poll per second per open screen is cheap; a stream
 * for a minutes-long action is not worth its own route).
 */
export const referenceJob = reactive<{ region: string, job: ReferenceJobView | null, error: string }>({ region: '', job: null, error: '' })
let timer: ReturnType<typeof setTimeout> | undefined

async function poll (region: string): Promise<void> {
  clearTimeout(timer)
  try {
    referenceJob.job = await api<ReferenceJobView>('GET', `/api/monitor/${encodeURIComponent(region)}/references/job`)
    referenceJob.error = ''
  } catch (err) {
    // None yet (404): nothing to show.
    if (!(err instanceof ApiFailure && err.status === 404)) referenceJob.error = errorText(err)
    return
  }
  if (referenceJob.job.state === 'running' && referenceJob.region === region) timer = setTimeout(() => { void poll(region) }, 1000)
}

/** Shows the region's latest action (running or ended), polling while it runs. */
export async function watchReferenceJob (region: string): Promise<void> {
  if (referenceJob.region !== region) { referenceJob.job = null; referenceJob.error = '' }
  referenceJob.region = region
  await poll(region)
}

export function unwatchReferenceJob (): void {
  clearTimeout(timer)
  referenceJob.region = ''
}

export async function startReferenceJob (region: string): Promise<void> {
  referenceJob.error = ''
  try {
    referenceJob.job = await api<ReferenceJobView>('POST', `/api/monitor/${encodeURIComponent(region)}/references`, { missing_only: true }, { timeoutMs: FFPROBE_TIMEOUT_MS })
    referenceJob.region = region
    timer = setTimeout(() => { void poll(region) }, 1000)
  } catch (err) {
    referenceJob.error = errorText(err)
  }
}
