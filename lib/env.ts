import { envSchema } from 'env-schema'
import os from 'node:os'
import { Type, type Static } from '@sinclair/typebox'

/**
 * Every setting an operator can give through the environment (or a `.env` file).
 * `.env.example` documents each one; keep the two in step.
 */
export const EnvSchema = Type.Object({
  HOST: Type.String({ default: '127.0.0.1' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  REGIONS_FILE: Type.String({ default: '' }),
  LOG_LEVEL: Type.Union([
    Type.Literal('fatal'), Type.Literal('error'), Type.Literal('warn'),
    Type.Literal('info'), Type.Literal('debug'), Type.Literal('trace'), Type.Literal('silent')
  ], { default: 'info' }),
  PUBLIC_BASE_URL: Type.String({ default: '' }),
  TRUST_PROXY: Type.Boolean({ default: false }),
  STATIC_DIR: Type.String({ default: '' }),

  BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, default: 2 * 1024 * 1024 }),
  RATE_LIMIT_MAX: Type.Integer({ minimum: 1, default: 1200 }),
  LOGIN_RATE_MAX: Type.Integer({ minimum: 1, default: 10 }),
  LOGIN_RATE_WINDOW_SECONDS: Type.Integer({ minimum: 1, default: 600 }),
  CORS_ORIGINS: Type.String({ default: '' }),

  /** site: the region's SSH login is the identity (the original contract); accounts: people sign in as themselves (issue 26). */
  AUTH_MODE: Type.Union([Type.Literal('site'), Type.Literal('accounts')], { default: 'site' }),
  /** Key file for held site credentials (lines '<id> <base64 32 bytes>', the first current); empty: none can be held. */
  CREDENTIALS_KEY_FILE: Type.String({ default: '' }),
  /** Single sign-on (accounts mode): the OpenID Connect issuer; empty: passwords only. */
  OIDC_ISSUER: Type.String({ default: '' }),
  OIDC_CLIENT_ID: Type.String({ default: '' }),
  /** A private file (mode 600) holding the client secret. */
  OIDC_CLIENT_SECRET_FILE: Type.String({ default: '' }),
  OIDC_SCOPES: Type.String({ default: 'openid profile email groups' }),
  /** The claim (ID token or UserInfo) listing the person's groups, mapped to roles by the regions file's `groups`. */
  OIDC_GROUPS_CLAIM: Type.String({ minLength: 1, default: 'groups' }),
  SESSION_SECRET: Type.String({ default: '' }),
  SESSION_TTL_SECONDS: Type.Integer({ minimum: 1, default: 86400 }),
  COOKIE_SECURE: Type.Boolean({ default: false }),

  SSH_TTL_SECONDS: Type.Integer({ minimum: 1, default: 86400 }),
  SSH_READY_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 8000 }),
  SSH_KEEPALIVE_INTERVAL_MS: Type.Integer({ minimum: 100, default: 10000 }),
  SSH_KEEPALIVE_COUNT_MAX: Type.Integer({ minimum: 1, default: 3 }),
  SSH_MAX_CHANNELS: Type.Integer({ minimum: 1, maximum: 64, default: 8 }),
  SSH_CHECK_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 3000 }),
  AUDIT_LOG: Type.String({ default: 'var/audit.log' }),
  KNOWN_HOSTS_FILE: Type.String({ minLength: 1, default: 'var/known_hosts.json' }),

  COMMAND_TIMEOUT_SECONDS: Type.Integer({ minimum: 1, maximum: 60, default: 8 }),
  LOG_SEARCH_TIMEOUT_SECONDS: Type.Integer({ minimum: 1, maximum: 60, default: 9 }),
  LOG_MAX_LINES: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 5000 }),
  LOG_MAX_BYTES: Type.Integer({ minimum: 1024, default: 16 * 1024 * 1024 }),
  FFPROBE_TIMEOUT_SECONDS: Type.Integer({ minimum: 2, maximum: 14, default: 11 }),
  MONGO_TIMEOUT_MS: Type.Integer({ minimum: 500, default: 8000 }),
  CCTV_MAX_CAMERAS: Type.Integer({ minimum: 1, default: 50000 }),

  HLS_MODE: Type.Union([Type.Literal('gateway'), Type.Literal('port')], { default: 'gateway' }),
  HLS_IDLE_SECONDS: Type.Integer({ minimum: 1, default: 60 }),
  HLS_STOP_GRACE_MS: Type.Integer({ minimum: 0, maximum: 60_000, default: 1500 }),
  HLS_MAX_SOCKETS: Type.Integer({ minimum: 1, maximum: 64, default: 6 }),
  HLS_RESPONSE_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 8000 }),
  HLS_PORT_RANGE: Type.String({ pattern: '^[0-9]{1,5}-[0-9]{1,5}$', default: '18000-18099' }),
  HLS_PUBLIC_HOST: Type.String({ default: '' }),
  HLS_REQUEST_LOG: Type.Union([Type.Literal('true'), Type.Literal('false')], { default: 'false' }),

  HEALTH_RUNNER: Type.Union([Type.Literal('batch'), Type.Literal('exec')], { default: 'batch' }),
  HEALTH_ANALYZE_MS: Type.Integer({ minimum: 100, maximum: 10_000, default: 2000 }),
  HEALTH_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 32, default: 4 }),
  HEALTH_PROBE_TIMEOUT_SECONDS: Type.Integer({ minimum: 2, maximum: 14, default: 8 }),
  HEALTH_FLAP_MIN: Type.Integer({ minimum: 1, default: 3 }),
  HEALTH_ABANDON_SECONDS: Type.Integer({ minimum: 1, maximum: 600, default: 15 }),

  SNAPSHOT_MAX_WIDTH: Type.Integer({ minimum: 64, maximum: 3840, default: 640 }),
  SNAPSHOT_TIMEOUT_SECONDS: Type.Integer({ minimum: 2, maximum: 30, default: 10 }),
  SNAPSHOT_MAX_BYTES: Type.Integer({ minimum: 16_384, maximum: 16 * 1024 * 1024, default: 2 * 1024 * 1024 }),
  PICTURE_WATCH_SECONDS: Type.Number({ minimum: 1, maximum: 30, default: 3 }),
  PICTURE_BLACK_PIXEL: Type.Number({ minimum: 0, maximum: 1, default: 0.10 }),
  PICTURE_BLACK_RATIO: Type.Number({ minimum: 0, maximum: 1, default: 0.98 }),
  PICTURE_FREEZE_NOISE_DB: Type.Number({ minimum: -120, maximum: 0, default: -60 }),
  PICTURE_SHARE: Type.Number({ minimum: 0.1, maximum: 1, default: 0.75 }),

  HISTORY_DB: Type.String({ minLength: 1, default: 'var/history.sqlite' }),
  DATABASE_URL: Type.String({ default: '' }),
  HISTORY_RAW_DAYS: Type.Integer({ minimum: 1, maximum: 366, default: 7 }),
  HISTORY_DAYS: Type.Integer({ minimum: 1, maximum: 3660, default: 400 }),
  /** Bearer token for the monitor's API across regions and /metrics; empty: neither by token. */
  /** Alert deliveries: the first retry after this, doubling up to the max. */
  NOTIFY_RETRY_BASE_MS: Type.Integer({ minimum: 100, default: 5000 }),
  NOTIFY_RETRY_MAX_MS: Type.Integer({ minimum: 100, default: 900_000 }),
  /** This gateway's name among those sharing one database; empty: <hostname>:<PORT>. */
  GATEWAY_ID: Type.String({ maxLength: 200, default: '' }),
  /** How long a running sweep holds its region without renewing (renewed every third of it): how soon another gateway takes over a dead or paused one. */
  MONITOR_LEASE_SECONDS: Type.Integer({ minimum: 3, maximum: 600, default: 60 }),
  MONITOR_TOKEN: Type.String({ pattern: '^$|^[\\x21-\\x7e]{24,256}$', default: '' }),

  DEMO_SSH_HOST: Type.String({ default: '127.0.0.1' }),
  DEMO_SSH_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 2222 }),
  DEMO_ROOT: Type.String({ default: '' })
})

export type Env = Static<typeof EnvSchema>

/** Reads the environment (and `.env` when `dotenv` is true); throws naming the bad variable. */
export function loadEnv (data: Record<string, string | undefined> = process.env, dotenv = true): Env {
  return envSchema<Env>({ schema: EnvSchema, data, dotenv })
}

/** This gateway's name among those sharing one database: GATEWAY_ID, else <hostname>:<PORT>. */
export function gatewayId (env: Pick<Env, 'GATEWAY_ID' | 'PORT'>): string {
  return env.GATEWAY_ID !== '' ? env.GATEWAY_ID : `${os.hostname()}:${env.PORT}`
}
