/**
 * The stable `code` beside `message` in every error the gateway answers: clients (the console
 * among them) act and translate by code, never by parsing the English sentence, which stays as
 * the contract fixes it. No imports: the console shares this file with the gateway.
 * docs/api-contract.md lists them; test/envelope.test.ts checks every answer carries one.
 */
export const ERROR_CODES = {
  NOT_CONNECTED: 'the browser session has no SSH session (log in first)',
  ALREADY_CONNECTED: 'the browser session already has an SSH session',
  LOGIN_FAILED: 'the site refused the SSH login',
  TOO_MANY_LOGINS: 'too many failed logins for this region from this client; wait',
  RATE_LIMITED: 'too many requests from this client; wait',
  REGION_NOT_FOUND: 'no such region in the regions file',
  NOT_A_REGION_ENDPOINT: 'the address is not one of the region\'s servers',
  CONTAINER_NOT_FOUND: 'the FireWatcher (or Mongo) container is not running on that server',
  LOG_NOT_FOUND: 'no log file for that day',
  CAMERA_NOT_FOUND: 'no such camera in the inventory (or it has no URL or analysis server)',
  BAD_INFERENCE_ID: 'inference_id is not svr<server><gpu> of a configured server',
  INVALID_INPUT: 'a field of the request does not fit its schema (the message names it)',
  INVALID_BODY: 'the body is not JSON, too large, or of an unsupported type',
  BAD_REQUEST: 'the gateway refused the request; the message says why',
  SWEEP_RUNNING: 'a health sweep is already running for this session',
  NO_SWEEP: 'no completed health sweep yet',
  MONITOR_AUTH_REQUIRED: 'the monitor\'s API needs a session or the monitor token',
  BAD_MONITOR_TOKEN: 'the monitor token is wrong, malformed or not configured',
  OTHER_REGION: 'a session sees its own region\'s cameras only',
  CHANNEL_NOT_FOUND: 'no alert channel of that name',
  WINDOW_NOT_FOUND: 'no maintenance window of that id',
  THUMBNAIL_NOT_FOUND: 'no frame was kept with that change',
  REFERENCE_NOT_FOUND: 'no such reference view for that camera',
  REFERENCE_LIMIT: 'the camera keeps two reference views at most (day and night): delete one first',
  REFERENCES_RUNNING: 'reference views are being made for this region already (its progress: GET …/references/job)',
  INCIDENT_NOT_FOUND: 'no incident of that id',
  INCIDENT_RESOLVED: 'the incident is resolved: nothing to acknowledge or close',
  INCIDENT_ACKNOWLEDGED: 'someone acknowledged the incident already (who and when in the answer)',
  FRAME_LINK_INVALID: 'this link to a frame is not valid (changed or cut short): open the camera in the console',
  FRAME_LINK_EXPIRED: 'this link to a frame has expired: open the camera in the console',
  TUNNEL_NOT_FOUND: 'the live view\'s HLS tunnel is gone (open it again)',
  NOT_IN_STREAM: 'the path is not part of this camera\'s HLS stream',
  HOST_KEY_MISMATCH: 'the site server\'s host key is not the one known or pinned: refused',
  SITE_UNREACHABLE: 'the site server (or a hop) refused or did not answer the connection',
  SUDO_REFUSED: 'sudo on the site refused the session\'s password',
  REMOTE_TIMEOUT: 'a remote command or service did not answer in time',
  REMOTE_FAILED: 'a remote command or service failed; the message carries its words',
  NO_FRAME: 'the camera gave no frame (its status and reason in the answer)',
  AUTH_REQUIRED: 'this gateway has accounts (AUTH_MODE=accounts): sign in first',
  SIGNIN_FAILED: 'wrong user name or password, or the account is disabled',
  TOO_MANY_SIGNINS: 'too many failed sign-ins for this account or from this client; wait',
  ROLE_REQUIRED: 'the person\'s role in that region does not allow it (the message names the role needed)',
  CROSS_SITE: 'a state-changing request from another site was refused',
  NO_HELD_LOGIN: 'the region has no held site login: type the SSH id and password',
  USER_NOT_FOUND: 'no person of that name',
  TOKEN_READ_ONLY: 'a read-only integration token asked to change something',
  TOKEN_SCOPE: 'the integration token does not read that region',
  ROUTE_NOT_FOUND: 'no such route',
  INTERNAL: 'the gateway failed unexpectedly (logged)'
} as const

export type ErrorCode = keyof typeof ERROR_CODES

export function isErrorCode (s: unknown): s is ErrorCode {
  return typeof s === 'string' && Object.hasOwn(ERROR_CODES, s)
}
