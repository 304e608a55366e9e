/**
 * What a camera is, as every layer says it: one union, no imports, shared by the gateway and
 * the console (web/). `black` and `frozen` are a picture check's findings, `moved` (turned,
 * covered) and `blurred` (focus, fog, dirt) a view check's against the camera's reference: the
 * camera streams but is blind, so they count as down like the probe's failures.
 */
export type HealthStatus = 'online' | 'offline' | 'auth_failed' | 'not_found' | 'timeout' | 'black' | 'frozen' | 'moved' | 'blurred' | 'error'

export const STATUSES: readonly HealthStatus[] = ['online', 'offline', 'auth_failed', 'not_found', 'timeout', 'black', 'frozen', 'moved', 'blurred', 'error']

/** What a look finds in a camera that streams but is blind: each such change keeps the frame that showed it. */
export const PICTURE_STATUSES: ReadonlySet<string> = new Set<HealthStatus>(['black', 'frozen', 'moved', 'blurred'])

export function isHealthStatus (s: unknown): s is HealthStatus {
  return typeof s === 'string' && (STATUSES as readonly string[]).includes(s)
}

/**
 * What a kept change says happened to a camera:
 * - `first_seen`: the monitor's first word on it (never news of an outage);
 * - `down`: was online, is not; `up`: was not online, is; `status`: one down status to another;
 * - `flapping` / `steady`: an online camera started / stopped reconnecting often.
 */
export type ChangeKind = 'first_seen' | 'down' | 'up' | 'status' | 'flapping' | 'steady'

export const CHANGE_KINDS: readonly ChangeKind[] = ['first_seen', 'down', 'up', 'status', 'flapping', 'steady']

/** How a kept sweep ended. `lost_lease`: it ran while another gateway held the region (it moved nothing). */
export type SweepState = 'done' | 'cancelled' | 'failed' | 'skipped' | 'lost_lease'

export type SweepTrigger = 'scheduled' | 'manual'
