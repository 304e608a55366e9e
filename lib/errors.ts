import type { ErrorCode } from './error-codes.js'

export type { ErrorCode } from './error-codes.js'

/**
 * Every error the API answers on purpose is one of these. The error handler
 * (plugins/app/error-handler.ts) maps them to `{code, message}` with their status;
 * anything else is a 500 "Internal server error" (code INTERNAL) and gets logged.
 *
 * Messages are part of the client contract (docs/api-contract.md): keep them exact. Codes
 * (lib/error-codes.ts) are what clients act on.
 */
export class ApiError extends Error {
  readonly statusCode: number
  readonly code: ErrorCode
  /** Additive fields merged into the response body next to `message`. */
  readonly extra?: Record<string, unknown>
  /** Response headers the status calls for (e.g. WWW-Authenticate with a 401). */
  headers?: Record<string, string>

  constructor (statusCode: number, code: ErrorCode, message: string, extra?: Record<string, unknown>) {
    super(message)
    this.name = new.target.name
    this.statusCode = statusCode
    this.code = code
    this.extra = extra
  }
}

export class NotConnectedError extends ApiError {
  constructor () { super(400, 'NOT_CONNECTED', 'not connected') }
}

export class AlreadyConnectedError extends ApiError {
  constructor () { super(400, 'ALREADY_CONNECTED', 'already connected') }
}

export class AuthFailedError extends ApiError {
  constructor () { super(401, 'LOGIN_FAILED', 'Authentication failed') }
}

export class RegionNotFoundError extends ApiError {
  constructor () { super(404, 'REGION_NOT_FOUND', 'region not found') }
}

export class NotRegisteredEndpointError extends ApiError {
  constructor () { super(403, 'NOT_A_REGION_ENDPOINT', 'not a registered region endpoint') }
}

export class ContainerNotFoundError extends ApiError {
  constructor () { super(404, 'CONTAINER_NOT_FOUND', 'container not found') }
}

/** The contract: a missing log file is a 404 whose message contains "No such file or directory". */
export class LogNotFoundError extends ApiError {
  constructor (path: string) { super(404, 'LOG_NOT_FOUND', `${path}: No such file or directory`) }
}

export class BadInferenceIdError extends ApiError {
  constructor () { super(400, 'BAD_INFERENCE_ID', 'inference_id is not in the expected format.') }
}

export class BadRequestError extends ApiError {
  constructor (message: string, code: ErrorCode = 'BAD_REQUEST') { super(400, code, message) }
}

/**
 * The gateway or the SSH path failed; `message` says why (e.g. "Timeout"). Whoever knows the
 * kind says it by code (a timer that fired: REMOTE_TIMEOUT); the rest is REMOTE_FAILED.
 */
export class RemoteError extends ApiError {
  constructor (message: string, opts: { status?: number, code?: ErrorCode } = {}) { super(opts.status ?? 500, opts.code ?? 'REMOTE_FAILED', message) }
}

export class SweepRunningError extends ApiError {
  constructor (done: number, total: number) { super(409, 'SWEEP_RUNNING', 'a health sweep is already running for this session', { done, total }) }
}

export class NoSweepError extends ApiError {
  constructor () { super(404, 'NO_SWEEP', 'no completed health sweep yet') }
}

export class CameraNotFoundError extends ApiError {
  constructor () { super(404, 'CAMERA_NOT_FOUND', 'camera not found') }
}

export class TooManyLoginsError extends ApiError {
  constructor (wait: string) { super(429, 'TOO_MANY_LOGINS', `Too many login attempts for this region; try again in ${wait}`) }
}

/** The monitor's API without a session or the token. */
export class MonitorAuthRequiredError extends ApiError {
  constructor () {
    super(401, 'MONITOR_AUTH_REQUIRED', 'log in to a region, or send Authorization: Bearer <MONITOR_TOKEN>')
    this.headers = { 'www-authenticate': 'Bearer realm="fwmaint"' }
  }
}

export class BadMonitorTokenError extends ApiError {
  constructor (why = 'invalid monitor token') {
    super(401, 'BAD_MONITOR_TOKEN', why)
    this.headers = { 'www-authenticate': 'Bearer realm="fwmaint", error="invalid_token"' }
  }
}

/** An operator's session sees its own region's cameras only. */
export class OtherRegionError extends ApiError {
  constructor (own: string) { super(403, 'OTHER_REGION', `this session is logged in to region ${own}; it sees no other region's cameras`, { region: own }) }
}

export class ChannelNotFoundError extends ApiError {
  constructor () { super(404, 'CHANNEL_NOT_FOUND', 'channel not found') }
}

export class WindowNotFoundError extends ApiError {
  constructor () { super(404, 'WINDOW_NOT_FOUND', 'maintenance window not found') }
}

export class ReferenceNotFoundError extends ApiError {
  constructor () { super(404, 'REFERENCE_NOT_FOUND', 'no such reference view for that camera') }
}

export class ReferenceLimitError extends ApiError {
  constructor () { super(409, 'REFERENCE_LIMIT', 'the camera has two reference views already (day and night): delete one first') }
}

export class ReferenceJobRunningError extends ApiError {
  constructor (done: number, total: number) { super(409, 'REFERENCES_RUNNING', 'reference views are being made for this region already', { done, total }) }
}

export class IncidentNotFoundError extends ApiError {
  constructor () { super(404, 'INCIDENT_NOT_FOUND', 'incident not found') }
}

export class IncidentResolvedError extends ApiError {
  constructor () { super(409, 'INCIDENT_RESOLVED', 'the incident is resolved') }
}

export class IncidentAcknowledgedError extends ApiError {
  constructor (by: string, at: number) { super(409, 'INCIDENT_ACKNOWLEDGED', `the incident was acknowledged already, by ${by}`, { acknowledged_by: by, acknowledged_at: new Date(at).toISOString() }) }
}

export class ThumbnailNotFoundError extends ApiError {
  constructor () { super(404, 'THUMBNAIL_NOT_FOUND', 'no frame was kept with that change') }
}

export class FrameLinkError extends ApiError {
  constructor () { super(403, 'FRAME_LINK_INVALID', 'this link to a frame is not valid (changed or cut short): open the camera in the console') }
}

export class FrameLinkExpiredError extends ApiError {
  constructor () { super(410, 'FRAME_LINK_EXPIRED', 'this link to a frame has expired: open the camera in the console') }
}

/** Accounts mode: no one is signed in (and no token was sent). */
export class AuthRequiredError extends ApiError {
  constructor () { super(401, 'AUTH_REQUIRED', 'sign in first (POST /api/auth/login)') }
}

export class SigninFailedError extends ApiError {
  constructor () { super(401, 'SIGNIN_FAILED', 'wrong user name or password') }
}

export class TooManySigninsError extends ApiError {
  constructor (wait: string) { super(429, 'TOO_MANY_SIGNINS', `Too many failed sign-ins; try again in ${wait}`) }
}

/** The signed-in person's role in the region (undefined: in any region) is below what the action needs. */
export class RoleRequiredError extends ApiError {
  constructor (region: string | undefined, needed: string, has: string | undefined) {
    super(403, 'ROLE_REQUIRED', region === undefined
      ? `this needs the ${needed} role in a region; you have it in none`
      : `this needs the ${needed} role in region ${region}; you have ${has === undefined ? 'no role there' : `the ${has} role`}`,
    { region: region ?? null, needed, role: has ?? null })
  }
}

export class CrossSiteError extends ApiError {
  constructor () { super(403, 'CROSS_SITE', 'cross-site request refused: use the gateway\'s own pages') }
}

/** 401, not 400: the original client answers a 400 from ssh_connect with disconnect and retry. */
export class NoHeldLoginError extends ApiError {
  constructor (region: string) { super(401, 'NO_HELD_LOGIN', `region ${region} has no held site login: type the SSH id and password`) }
}

export class UserNotFoundError extends ApiError {
  constructor () { super(404, 'USER_NOT_FOUND', 'no such person') }
}

/** A read-only integration token asked to change something. */
export class TokenReadOnlyError extends ApiError {
  constructor () { super(403, 'TOKEN_READ_ONLY', 'this token reads only: it changes nothing') }
}

export class TokenScopeError extends ApiError {
  constructor (region: string) { super(403, 'TOKEN_SCOPE', `this token does not read region ${region}`, { region }) }
}
