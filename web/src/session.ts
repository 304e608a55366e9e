import { computed, reactive } from 'vue'
import { api, onSessionLost, toSignIn, type Camera, type Me, type SshStatus } from './api'

/**
 * What the console knows of this browser session: the SSH status (polled), when it ends, and
 * the region's camera list (read once per login; the views share it).
 */
export const session = reactive({
  status: null as SshStatus | null,
  /** Local clock time (ms) the SSH connection will be cut. */
  expiresAt: 0,
  cameras: null as Camera[] | null,
  camerasError: '',
  camerasLoading: false,
  pageUrl: '',
  /** Why the operator was sent back to the region screen. */
  notice: '',
  /** Who is signed in (accounts mode), or { mode: 'site' }; null until asked. */
  me: null as Me | null,
  /** Accounts mode: the region the monitor's screens show without an SSH session ("view only"). */
  viewRegion: ''
})

/** The region the console works in: the SSH session's, else (accounts mode) the one chosen to view. */
export const workRegion = computed(() => session.status?.region ?? (session.viewRegion || ''))

/** Accounts mode: the person's role in a region ('*' grants every region); undefined in site mode or without one. */
export function roleIn (region: string): 'viewer' | 'operator' | 'admin' | undefined {
  const me = session.me
  if (me?.mode !== 'accounts') return undefined
  return me.roles[region] ?? me.roles['*']
}

export async function loadMe (): Promise<void> {
  try {
    session.me = await api<Me>('GET', '/api/auth/me')
  } catch {
    // A gateway older than accounts answers 404: the site mode.
    session.me ??= { mode: 'site' }
  }
}

/** Accounts mode: the person signs out (their SSH session ends with it) and lands on the sign-in page. */
export async function signOut (): Promise<void> {
  try { await api('POST', '/api/auth/logout') } catch { /* over already */ }
  toSignIn()
}

const lostHandlers: Array<(why: 'expired') => void> = []
export function whenLost (fn: (why: 'expired') => void): void { lostHandlers.push(fn) }

function lost (): void {
  const was = session.status?.status === 'connected'
  session.status = { status: 'disconnected' }
  forget()
  if (was) for (const fn of lostHandlers) fn('expired')
}
onSessionLost(lost)

function forget (): void {
  session.cameras = null
  session.camerasError = ''
  session.pageUrl = ''
}

export async function refreshStatus (): Promise<SshStatus> {
  const s = await api<SshStatus>('GET', '/api/ssh_status')
  if (s.status !== 'connected') {
    lost()
    return s
  }
  const changed = session.status?.region !== s.region
  session.status = s
  // expires_in is the server's count: immune to a wrong clock on the operator's PC.
  if (typeof s.expires_in === 'number') session.expiresAt = Date.now() + s.expires_in * 1000
  if (changed) { forget(); void loadPageUrl() }
  return s
}

async function loadPageUrl (): Promise<void> {
  const region = session.status?.region
  if (region === undefined) return
  try {
    session.pageUrl = (await api<{ message: string }>('POST', '/api/page_url', { region })).message
  } catch { session.pageUrl = '' }
}

export async function loadCameras (force = false): Promise<void> {
  if (session.camerasLoading || (session.cameras !== null && !force)) return
  session.camerasLoading = true
  session.camerasError = ''
  try {
    session.cameras = (await api<{ message: Camera[] }>('POST', '/api/cctv_data')).message
  } catch (err) {
    session.camerasError = (err as Error).message
  } finally {
    session.camerasLoading = false
  }
}

export function cameraById (id: unknown): Camera | undefined {
  return session.cameras?.find(c => String(c.cctv_ID) === String(id))
}

export async function logout (): Promise<void> {
  try { await api('POST', '/api/ssh_disconnect') } catch { /* already gone: same result */ }
  session.status = { status: 'disconnected' }
  forget()
}

/** Status every 30 s while connected, so an expired or cut session is noticed. */
let timer: ReturnType<typeof setInterval> | undefined
export function startPolling (): void {
  if (timer !== undefined) return
  timer = setInterval(() => {
    if (session.status?.status === 'connected') refreshStatus().catch(() => {})
  }, 30_000)
}
