import { locale, t } from './i18n'
import { kstDay } from '../../lib/clock'
import { isErrorCode, type ErrorCode } from '../../lib/error-codes'
import { errorKo, serverLinesKo } from './server-text'

/** A failed call: the API's own `code` and `message` (or what the console knows of a timeout / no network). */
export class ApiFailure extends Error {
  readonly code: ErrorCode | undefined
  constructor (readonly status: number, message: string, readonly body: Record<string, unknown> = {}) {
    super(message)
    this.code = isErrorCode(body.code) ? body.code : undefined
  }
}

/** The original client's limits: 10 s, 30 s for ffprobe. No call may leave a spinner forever. */
export const TIMEOUT_MS = 10_000
export const FFPROBE_TIMEOUT_MS = 30_000

type Listener = () => void
const lostListeners = new Set<Listener>()
/** Called when an SSH route answers "not connected" (the session ended under us). */
export function onSessionLost (fn: Listener): void { lostListeners.add(fn) }

/**
 * Calls the gateway's API. Resolves with the JSON body of a 2xx; rejects with an ApiFailure
 * whose message is the server's `message`. Request bodies are never logged anywhere.
 */
export async function api<T = Record<string, unknown>> (method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, opts: { timeoutMs?: number, signal?: AbortSignal } = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? TIMEOUT_MS
  const timeout = AbortSignal.timeout(timeoutMs)
  const signal = opts.signal === undefined ? timeout : AbortSignal.any([timeout, opts.signal])
  let res: Response
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal
    })
  } catch (err) {
    if (timeout.aborted) throw new ApiFailure(0, t('error.timeout', { s: Math.round(timeoutMs / 1000) }))
    if (opts.signal?.aborted === true) throw new ApiFailure(0, 'aborted')
    throw new ApiFailure(0, t('error.network'))
  }
  let data: Record<string, unknown> = {}
  try {
    data = await res.json() as Record<string, unknown>
  } catch {
    if (timeout.aborted) throw new ApiFailure(0, t('error.timeout', { s: Math.round(timeoutMs / 1000) }))
    if (!res.ok) throw new ApiFailure(res.status, `HTTP ${res.status} ${res.statusText}`)
  }
  if (!res.ok) {
    const message = typeof data.message === 'string' ? data.message : `HTTP ${res.status}`
    if (data.code === 'NOT_CONNECTED') for (const fn of lostListeners) fn()
    // Accounts mode: the person's session is over (signed out, disabled, ended by an admin).
    if (data.code === 'AUTH_REQUIRED') toSignIn()
    throw new ApiFailure(res.status, message, data)
  }
  return data as T
}

/** The gateway's sign-in page (accounts mode), coming back here afterwards. */
export function toSignIn (): void {
  window.location.assign(`/signin?next=${encodeURIComponent(window.location.pathname + window.location.search)}`)
}

/** Who is signed in (GET /api/auth/me): a person with roles per region, or the site mode (no people). */
export type Me = { mode: 'site' } | { mode: 'accounts', username: string, display_name: string | null, roles: Record<string, 'viewer' | 'operator' | 'admin'> }

/** A gateway message (an error, a camera's reason) in the UI's language. */
export function serverText (message: string): string {
  return locale.value === 'en' ? message : serverLinesKo(message)
}

/** A message for any error a view catches, in the UI's language: by the gateway's code (see server-text.ts). */
export function errorText (err: unknown): string {
  if (err instanceof ApiFailure && locale.value !== 'en') return errorKo(err.code, err.message)
  return serverText(err instanceof Error ? err.message : String(err))
}

export interface Camera {
  cctv_ID: number | string
  cctv_address?: { L1?: string, L2?: string, L3?: string }
  cctv_name?: string
  inference_id?: string
  url?: string
}

/**
 * Whether a camera matches what the operator typed (lower-cased): its ID, name, address
 * (구/군 and 동 as shown: "산격" finds 북구 산격동) or URL.
 */
export function matchesCamera (c: Camera, q: string): boolean {
  if (q === '') return true
  const a = c.cctv_address
  const hay = [String(c.cctv_ID), c.cctv_name ?? '', a?.L1 ?? '', a?.L2 ?? '', a?.L3 ?? '', `${a?.L2 ?? ''} ${a?.L3 ?? ''}`, c.url ?? '']
  return hay.some(h => h.toLowerCase().includes(q))
}

/** The Cameras and Grid screens' filter: district, neighbourhood, analysis server ('' = any) and the search text. */
export function filterCameras (cameras: Camera[], f: { q: string, l2: string, l3: string, server: string }): Camera[] {
  const q = f.q.trim().toLowerCase()
  return cameras.filter(c =>
    (f.l2 === '' || c.cctv_address?.L2 === f.l2) &&
    (f.l3 === '' || c.cctv_address?.L3 === f.l3) &&
    (f.server === '' || String(serverOf(c.inference_id)) === f.server) &&
    matchesCamera(c, q))
}

export interface SshStatus {
  status: 'connected' | 'disconnected'
  host?: string
  port?: number
  hls_server?: boolean
  region?: string
  user?: string
  person?: string
  expires_at?: string
  expires_in?: number
}

/** "rtsp://admin:pw@host/x" → "rtsp://admin:***@host/x": credentials stay off the screen by default. */
export function maskUrl (url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/@]*)@/i, (_m, scheme: string, cred: string) => {
    const i = cred.indexOf(':')
    return `${scheme}${i === -1 ? '***' : cred.slice(0, i) + ':***'}@`
  })
}

/** Today in Korean time, YYYY-MM-DD (the sites' log files are named by KST dates). */
export function todayKst (now = new Date()): string {
  return kstDay(now)
}

/** svr31 → 3 */
export function serverOf (inferenceId: string | undefined): number | undefined {
  const m = /^svr(\d+)\d$/.exec(inferenceId ?? '')
  return m === null ? undefined : Number(m[1])
}
