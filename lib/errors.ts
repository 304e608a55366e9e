/**
 * Every error the API answers on purpose is one of these. The error handler
 * (plugins/app/error-handler.ts) maps them to `{message}` with their status;
 * anything else is a 500 "Internal server error" and gets logged.
 *
 * Messages are part of the client contract (docs/api-contract.md): keep them exact.
 */
export class ApiError extends Error {
  readonly statusCode: number
  /** Additive fields merged into the response body next to `message`. */
  readonly extra?: Record<string, unknown>
  /** Response headers the status calls for (e.g. WWW-Authenticate with a 401). */
  headers?: Record<string, string>

  constructor (statusCode: number, message: string, extra?: Record<string, unknown>) {
    super(message)
    this.name = new.target.name
    this.statusCode = statusCode
    this.extra = extra
  }
}

export class NotConnectedError extends ApiError {
  constructor () { super(400, 'not connected') }
}

export class AlreadyConnectedError extends ApiError {
  constructor () { super(400, 'already connected') }
}

export class AuthFailedError extends ApiError {
  constructor () { super(401, 'Authentication failed') }
}

export class RegionNotFoundError extends ApiError {
  constructor () { super(404, 'region not found') }
}

export class NotRegisteredEndpointError extends ApiError {
  constructor () { super(403, 'not a registered region endpoint') }
}

export class ContainerNotFoundError extends ApiError {
  constructor () { super(404, 'container not found') }
}

/** The contract: a missing log file is a 404 whose message contains "No such file or directory". */
export class LogNotFoundError extends ApiError {
  constructor (path: string) { super(404, `${path}: No such file or directory`) }
}

export class BadInferenceIdError extends ApiError {
  constructor () { super(400, 'inference_id is not in the expected format.') }
}

export class BadRequestError extends ApiError {
  constructor (message: string) { super(400, message) }
}

/** The gateway or the SSH path failed; `message` says why (e.g. "Timeout"). */
export class RemoteError extends ApiError {
  constructor (message: string, statusCode = 500) { super(statusCode, message) }
}

export class SweepRunningError extends ApiError {
  constructor (done: number, total: number) { super(409, 'a health sweep is already running for this session', { done, total }) }
}

export class NoSweepError extends ApiError {
  constructor () { super(404, 'no completed health sweep yet') }
}

export class CameraNotFoundError extends ApiError {
  constructor () { super(404, 'camera not found') }
}

export class TooManyLoginsError extends ApiError {
  constructor (wait: string) { super(429, `Too many login attempts for this region; try again in ${wait}`) }
}

/** The monitor's API without a session or the token. */
export class MonitorAuthRequiredError extends ApiError {
  constructor () {
    super(401, 'log in to a region, or send Authorization: Bearer <MONITOR_TOKEN>')
    this.headers = { 'www-authenticate': 'Bearer realm="fwmaint"' }
  }
}

export class BadMonitorTokenError extends ApiError {
  constructor (why = 'invalid monitor token') {
    super(401, why)
    this.headers = { 'www-authenticate': 'Bearer realm="fwmaint", error="invalid_token"' }
  }
}

/** An operator's session sees its own region's cameras only. */
export class OtherRegionError extends ApiError {
  constructor (own: string) { super(403, `this session is logged in to region ${own}; it sees no other region's cameras`) }
}

export class ChannelNotFoundError extends ApiError {
  constructor () { super(404, 'channel not found') }
}

export class WindowNotFoundError extends ApiError {
  constructor () { super(404, 'maintenance window not found') }
}

export class ThumbnailNotFoundError extends ApiError {
  constructor () { super(404, 'no frame was kept with that change') }
}
