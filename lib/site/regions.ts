import { readFileSync, statSync } from 'node:fs'
import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { Value, ValueErrorType } from '@sinclair/typebox/value'
import { parse as parseYaml } from 'yaml'
import { parseKstTime } from '../clock.js'
import { cronProblem } from '../maintenance.js'

/*
 * The regions file: exactly the shape of the "Configuration" section of
 * docs/api-contract.md. Validated at start-up; a bad file stops the server with
 * a message naming the region and the field.
 */

const Port = Type.Integer({ minimum: 1, maximum: 65535 })
const NonEmpty = Type.String({ minLength: 1 })

const DockerSchema = Type.Object({ sudo: Type.Optional(Type.Boolean()) }, { additionalProperties: false })
const LogsSchema = Type.Object({
  gstreamer: Type.Optional(NonEmpty),
  ffmpeg: Type.Optional(NonEmpty)
}, { additionalProperties: false })
const HostOverride = Type.String({ minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9.:_-]+$', description: 'address as the site server reaches it; overrides discovery from docker ps' })
const HlsSchema = Type.Object({
  host: Type.Optional(HostOverride),
  port: Type.Optional(Port),
  path: Type.Optional(Type.String({ pattern: '^/' }))
}, { additionalProperties: false })

const Fingerprint = Type.String({ pattern: '^SHA256:[A-Za-z0-9+/]{43}$', description: 'OpenSSH host key fingerprint (ssh-keygen -lf)' })

const ServerSchema = Type.Object({
  host: Type.Optional(NonEmpty),
  fingerprint: Type.Optional(Fingerprint),
  port: Type.Optional(Port),
  id: Type.Optional(NonEmpty),
  password: Type.Optional(Type.String()),
  docker: Type.Optional(DockerSchema),
  logs: Type.Optional(LogsSchema),
  hls: Type.Optional(HlsSchema)
}, { additionalProperties: false })

const ContainerSelector = Type.Object({
  publish: Type.Optional(Port),
  name: Type.Optional(NonEmpty),
  image: Type.Optional(NonEmpty)
}, { additionalProperties: false })

const MonitorSchema = Type.Object({
  every: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,5}(s|m|h)$', description: 'interval, e.g. 15m, 30s, 1h' })),
  cron: Type.Optional(Type.String({ minLength: 9, maxLength: 120, description: 'cron expression (seconds optional), Asia/Seoul, the sites\' clock' })),
  id: NonEmpty,
  password_file: Type.Optional(NonEmpty),
  password_env: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' })),
  picture: Type.Optional(Type.Boolean({ description: 'also watch each online camera\'s picture (black, frozen); adds PICTURE_WATCH_SECONDS per camera' }))
}, { additionalProperties: false })

const Duration = Type.String({ pattern: '^[1-9][0-9]{0,5}(s|m|h|d)$', description: 'a duration, e.g. 30m, 4h, 1d' })

const AlertRulesSchema = Type.Object({
  down_sweeps: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'consecutive scheduled sweeps down before a camera alerts (2)' })),
  up_sweeps: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'consecutive scheduled sweeps up before the recovery notice (1)' })),
  flapping: Type.Optional(Type.Boolean({ description: 'alert when a camera starts or stops flapping (true)' })),
  repeat_every: Type.Optional(Type.Union([Duration, Type.Null()], { description: 'repeat a camera that stays down this often (off)' }))
}, { additionalProperties: false })

const Time = Type.String({ minLength: 10, maxLength: 40, description: 'ISO 8601; without an offset it is Korean time' })

const MaintenanceSchema = Type.Object({
  from: Type.Optional(Time),
  to: Type.Optional(Time),
  cron: Type.Optional(Type.String({ minLength: 9, maxLength: 120, description: 'recurring: when each window starts (Asia/Seoul, the sites\' clock)' })),
  duration: Type.Optional(Duration),
  server: Type.Optional(Type.Integer({ minimum: 1, maximum: 999 })),
  cctv_ids: Type.Optional(Type.Array(Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: '^[0-9]{1,9}$' })]), { minItems: 1, maxItems: 10_000 })),
  reason: Type.Optional(Type.String({ maxLength: 500 }))
}, { additionalProperties: false })

const SecretSource = {
  secret_file: Type.Optional(NonEmpty),
  secret_env: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }))
}
const ChannelCommon = {
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' })),
  regions: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1 })),
  lang: Type.Optional(Type.Union([Type.Literal('ko'), Type.Literal('en')]))
}
const HttpUrl = Type.String({ pattern: '^https?://[^\\s]+$', maxLength: 2000 })
export const ChannelSchema = Type.Union([
  Type.Object({ type: Type.Literal('webhook'), url: HttpUrl, ...SecretSource, ...ChannelCommon }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('slack'), url: HttpUrl, ...ChannelCommon }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('teams'), url: HttpUrl, ...ChannelCommon }, { additionalProperties: false }),
  Type.Object({
    type: Type.Literal('email'),
    host: NonEmpty,
    port: Type.Optional(Port),
    starttls: Type.Optional(Type.Boolean({ description: 'require STARTTLS (true unless secure)' })),
    secure: Type.Optional(Type.Boolean({ description: 'TLS from the first byte (port 465)' })),
    ca_file: Type.Optional(Type.String({ minLength: 1, description: 'PEM file of the CA that signed the SMTP server\'s certificate (a private CA)' })),
    user: Type.Optional(NonEmpty),
    password_file: Type.Optional(NonEmpty),
    password_env: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' })),
    from: NonEmpty,
    to: Type.Array(NonEmpty, { minItems: 1, maxItems: 100 }),
    ...ChannelCommon
  }, { additionalProperties: false })
])

export const RegionSchema = Type.Object({
  ssh: Type.Object({ host: NonEmpty, port: Port, fingerprint: Type.Optional(Fingerprint) }, { additionalProperties: false }),
  page_url: Type.String({ pattern: '^(https?://|/)', description: 'http(s) URL of the FireWatcher page, or a path on the gateway itself' }),
  docker: Type.Optional(DockerSchema),
  mongo: Type.Optional(Type.Object({
    host: Type.Optional(HostOverride),
    container: Type.Optional(ContainerSelector),
    database: Type.Optional(NonEmpty),
    collection: Type.Optional(NonEmpty)
  }, { additionalProperties: false })),
  firewatcher: Type.Optional(Type.Object({
    container: Type.Optional(ContainerSelector)
  }, { additionalProperties: false })),
  servers: Type.Optional(Type.Record(Type.String(), ServerSchema)),
  logs: Type.Optional(LogsSchema),
  hls: Type.Optional(HlsSchema),
  monitor: Type.Optional(MonitorSchema),
  alerts: Type.Optional(AlertRulesSchema),
  maintenance: Type.Optional(Type.Array(MaintenanceSchema, { maxItems: 1000 }))
}, { additionalProperties: false })

export const RegionsFileSchema = Type.Object({
  regions: Type.Record(Type.String({ minLength: 1, maxLength: 64 }), RegionSchema),
  alerts: Type.Optional(AlertRulesSchema),
  notify: Type.Optional(Type.Array(ChannelSchema, { maxItems: 100 }))
}, { additionalProperties: false })

export type RegionsFile = Static<typeof RegionsFileSchema>
type RawRegion = Static<typeof RegionSchema>

export interface ContainerSelectorConfig { publish?: number, name?: string, image?: string }

export interface ServerConfig {
  /** The N of inference_id `svr<N><gpu>`. */
  n: number
  /** Undefined for server 1: it is the region's SSH host itself. */
  host?: string
  port: number
  /** Own credentials; undefined means "the session's". */
  id?: string
  password?: string
  /** Pinned host key fingerprint (else: trust on first use). */
  fingerprint?: string
  docker: { sudo: boolean }
  logs: { gstreamer: string, ffmpeg: string }
  /** `host`: where the HLS server listens as this server reaches it; unset = found with docker ps. */
  hls: { host?: string, port: number, path: string }
}

/** The region's background sweeps: when, and the service identity they log in as. */
export interface MonitorConfig {
  /** Milliseconds between sweeps (`every`), or a cron expression (`cron`). */
  everyMs?: number
  cron?: string
  id: string
  /** Read from password_file or password_env at start-up; never logged or answered. */
  password: string
  /** Picture checks in every scheduled sweep (black, frozen). */
  picture: boolean
}

/** When a camera (or a region) alerts: the global rules with the region's overrides. */
export interface AlertRules {
  downSweeps: number
  upSweeps: number
  flapping: boolean
  /** Repeat a camera that stays down this often; null: never. */
  repeatEveryMs: number | null
}

export const DEFAULT_ALERT_RULES: AlertRules = { downSweeps: 2, upSweeps: 1, flapping: true, repeatEveryMs: null }

/** A maintenance window: one-off (from, to) or recurring (cron + duration); region-wide, one server, or some cameras. */
export interface WindowConfig {
  from?: number
  to?: number
  cron?: string
  durationMs?: number
  server?: number
  cctvIds?: string[]
  reason?: string
}

interface ChannelBase { name: string, regions?: string[], lang: 'ko' | 'en' }
export type ChannelConfig =
  | ChannelBase & { type: 'webhook', url: string, secret: string }
  | ChannelBase & { type: 'slack' | 'teams', url: string }
  | ChannelBase & { type: 'email', host: string, port: number, secure: boolean, starttls: boolean, user?: string, password?: string, from: string, to: string[], caFile?: string }

export interface RegionConfig {
  name: string
  /** Resolved alert rules (issue 16). */
  alerts: AlertRules
  /** Maintenance windows from the regions file (more come through the API). */
  maintenance: WindowConfig[]
  /** Undefined: the region is not swept in the background. */
  monitor?: MonitorConfig
  ssh: { host: string, port: number, fingerprint?: string }
  pageUrl: string
  /** `host`: where Mongo listens as server 1 reaches it; unset = the address its container publishes on. */
  mongo: { host?: string, container: ContainerSelectorConfig, database: string, collection: string }
  firewatcher: { container: ContainerSelectorConfig }
  servers: Map<number, ServerConfig>
}

export const REGION_DEFAULTS = {
  docker: { sudo: true },
  mongo: { container: { publish: 27017 }, database: 'firewatcher_v2', collection: 'cctvinfos' },
  firewatcher: { container: { image: 'firewatcher:v2.1' } },
  logs: {
    gstreamer: '/home/workspace/logs/controller/{date}_{gpu}.log',
    ffmpeg: '/home/workspace/logs/ffmpeg/{date}_{gpu}.log'
  },
  hls: { port: 8888, path: '/cctv{cctv_id}/index.m3u8' }
} as const

export class RegionsFileError extends Error {}

/** "/regions/대구/ssh/port" → region "대구", field "ssh.port". */
function describe (path: string, source: string, message: string): string {
  const parts = path.split('/').slice(1).map(p => p.replace(/~1/g, '/').replace(/~0/g, '~'))
  if (parts[0] === 'regions' && parts.length >= 2) {
    const field = parts.slice(2).join('.') || '(region entry)'
    return `${source}: region "${parts[1]}": field "${field}": ${message}`
  }
  return `${source}: field "${parts.join('.') || '(top level)'}": ${message}`
}

function check<T extends TSchema> (schema: T, value: unknown, source: string): asserts value is Static<T> {
  const first = Value.Errors(schema, value).First()
  if (first !== undefined) {
    let message = first.message
    // An unknown key is the most common typo; the error's path is that key, its schema the parent's.
    if (first.type === ValueErrorType.ObjectAdditionalProperties) {
      const known = Object.keys((first.schema as { properties?: object }).properties ?? {})
      message = `unknown field (expected one of: ${known.join(', ')})`
    }
    throw new RegionsFileError(describe(first.path, source, message))
  }
}

function normalizeRegion (name: string, raw: RawRegion, source: string, globalRules: AlertRules = DEFAULT_ALERT_RULES): RegionConfig {
  const fail = (field: string, message: string): never => {
    throw new RegionsFileError(`${source}: region "${name}": field "${field}": ${message}`)
  }
  const servers = new Map<number, ServerConfig>()
  const rawServers = raw.servers ?? { 1: {} }
  if (!('1' in rawServers)) fail('servers', 'server 1 (the SSH host itself) must be listed')
  for (const [key, s] of Object.entries(rawServers)) {
    if (!/^[1-9][0-9]{0,2}$/.test(key)) fail(`servers.${key}`, 'server keys are the server number N of inference_id svr<N><gpu> (1, 2, 3, …)')
    const n = Number(key)
    if (n !== 1 && s.host === undefined) fail(`servers.${key}.host`, 'servers other than 1 are reached by SSH through server 1 and need a host')
    if (n === 1 && (s.host !== undefined || s.port !== undefined || s.fingerprint !== undefined)) fail(`servers.${key}.host`, 'server 1 is the region\'s ssh host itself; set ssh.host/ssh.port/ssh.fingerprint instead')
    if ((s.id === undefined) !== (s.password === undefined)) fail(`servers.${key}.id`, 'give both id and password, or neither (then the session\'s credentials are used)')
    servers.set(n, {
      n,
      host: s.host,
      port: n === 1 ? raw.ssh.port : (s.port ?? 22),
      id: s.id,
      password: s.password,
      fingerprint: n === 1 ? raw.ssh.fingerprint : s.fingerprint,
      docker: { sudo: s.docker?.sudo ?? raw.docker?.sudo ?? REGION_DEFAULTS.docker.sudo },
      logs: {
        gstreamer: s.logs?.gstreamer ?? raw.logs?.gstreamer ?? REGION_DEFAULTS.logs.gstreamer,
        ffmpeg: s.logs?.ffmpeg ?? raw.logs?.ffmpeg ?? REGION_DEFAULTS.logs.ffmpeg
      },
      hls: {
        host: s.hls?.host ?? raw.hls?.host,
        port: s.hls?.port ?? raw.hls?.port ?? REGION_DEFAULTS.hls.port,
        path: s.hls?.path ?? raw.hls?.path ?? REGION_DEFAULTS.hls.path
      }
    })
  }
  for (const [n, s] of servers) {
    for (const kind of ['gstreamer', 'ffmpeg'] as const) {
      const t = s.logs[kind]
      if (!t.startsWith('/')) fail(`servers.${n}.logs.${kind}`, 'log path templates must be absolute')
      // The date is the only client-chosen part of a log path: it must be in the file name.
      if (!t.includes('{date}')) fail(`logs.${kind}`, 'the template needs a {date} placeholder')
      const unknown = t.match(/\{(?!server\}|gpu\}|date\})[^}]*\}/)
      if (unknown) fail(`logs.${kind}`, `unknown placeholder ${unknown[0]} (allowed: {server} {gpu} {date})`)
    }
    if (!s.hls.path.includes('{cctv_id}')) fail(`servers.${n}.hls.path`, 'the path needs a {cctv_id} placeholder')
  }
  const mongoContainer = raw.mongo?.container ?? REGION_DEFAULTS.mongo.container
  const fwContainer = raw.firewatcher?.container ?? REGION_DEFAULTS.firewatcher.container
  if (Object.keys(mongoContainer).length !== 1) fail('mongo.container', 'give exactly one of publish, name, image')
  if (Object.keys(fwContainer).length !== 1) fail('firewatcher.container', 'give exactly one of publish, name, image')
  return {
    name,
    alerts: alertRules(raw.alerts, globalRules, (f, m) => fail(`alerts.${f}`, m)),
    maintenance: (raw.maintenance ?? []).map((w, i) => windowConfig(w, (f, m) => fail(`maintenance.${i}.${f}`, m))),
    monitor: raw.monitor === undefined ? undefined : monitorConfig(raw.monitor, fail),
    ssh: { host: raw.ssh.host, port: raw.ssh.port, fingerprint: raw.ssh.fingerprint },
    pageUrl: raw.page_url,
    mongo: {
      host: raw.mongo?.host,
      container: { ...mongoContainer },
      database: raw.mongo?.database ?? REGION_DEFAULTS.mongo.database,
      collection: raw.mongo?.collection ?? REGION_DEFAULTS.mongo.collection
    },
    firewatcher: { container: { ...fwContainer } },
    servers
  }
}

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000 } as const

function monitorConfig (m: Static<typeof MonitorSchema>, fail: (field: string, message: string) => never): MonitorConfig {
  if ((m.every === undefined) === (m.cron === undefined)) fail('monitor', 'give exactly one of every, cron')
  if ((m.password_file === undefined) === (m.password_env === undefined)) fail('monitor', 'give exactly one of password_file, password_env')
  const password = readSecret(m.password_file, m.password_env, 'monitor.password', fail)
  const every = m.every === undefined ? undefined : /^(\d+)(s|m|h)$/.exec(m.every)!
  return {
    everyMs: every === undefined ? undefined : Number(every[1]) * UNIT_MS[every[2] as keyof typeof UNIT_MS],
    cron: m.cron,
    id: m.id,
    password: password!,
    picture: m.picture === true
  }
}

/** A secret from a private file (mode 600, one trailing newline dropped) or an environment variable. */
function readSecret (file: string | undefined, envName: string | undefined, field: string, fail: (field: string, message: string) => never): string {
  if (file !== undefined) {
    let mode: number
    let secret: string
    try {
      mode = statSync(file).mode
      secret = readFileSync(file, 'utf8').replace(/\r?\n$/, '')
    } catch (err) {
      return fail(`${field}_file`, `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`)
    }
    // Like ssh with a private key: a secret others can read is refused, not used.
    if ((mode & 0o077) !== 0) fail(`${field}_file`, `${file} is readable by group or others (mode ${(mode & 0o777).toString(8)}); chmod 600 it`)
    return secret
  }
  const v = process.env[envName!]
  if (v === undefined || v === '') fail(`${field}_env`, `environment variable ${envName!} is not set`)
  return v!
}

const DURATION_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const
function durationMs (text: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(text)!
  return Number(m[1]) * DURATION_MS[m[2] as keyof typeof DURATION_MS]
}

function alertRules (raw: Static<typeof AlertRulesSchema> | undefined, base: AlertRules, _fail: (field: string, message: string) => never): AlertRules {
  if (raw === undefined) return { ...base }
  return {
    downSweeps: raw.down_sweeps ?? base.downSweeps,
    upSweeps: raw.up_sweeps ?? base.upSweeps,
    flapping: raw.flapping ?? base.flapping,
    repeatEveryMs: raw.repeat_every === undefined ? base.repeatEveryMs : raw.repeat_every === null ? null : durationMs(raw.repeat_every)
  }
}

function windowConfig (w: Static<typeof MaintenanceSchema>, fail: (field: string, message: string) => never): WindowConfig {
  const oneOff = w.from !== undefined || w.to !== undefined
  const recurring = w.cron !== undefined || w.duration !== undefined
  if (oneOff === recurring) fail('from', 'give from and to (one-off), or cron and duration (recurring)')
  const out: WindowConfig = { server: w.server, cctvIds: w.cctv_ids?.map(id => String(Number(id))), reason: w.reason }
  if (oneOff) {
    if (w.from === undefined || w.to === undefined) fail(w.from === undefined ? 'from' : 'to', 'a one-off window needs both from and to')
    out.from = parseKstTime(w.from!) ?? fail('from', 'not a time (ISO 8601, e.g. 2026-12-01T09:00+09:00)')
    out.to = parseKstTime(w.to!) ?? fail('to', 'not a time (ISO 8601, e.g. 2026-12-01T12:00+09:00)')
    if (out.to <= out.from) fail('to', 'ends before it starts')
  } else {
    if (w.cron === undefined || w.duration === undefined) fail(w.cron === undefined ? 'cron' : 'duration', 'a recurring window needs both cron and duration')
    // Checked here: a bad expression would otherwise fail inside a sweep's transaction.
    const problem = cronProblem(w.cron!)
    if (problem !== undefined) fail('cron', problem)
    out.cron = w.cron
    out.durationMs = durationMs(w.duration!)
  }
  return out
}

/** The notification channels of a validated regions document (`notify`), secrets read. */
export function parseChannels (doc: RegionsFile, source = 'regions file'): ChannelConfig[] {
  const names = new Set<string>()
  return (doc.notify ?? []).map((c, i) => {
    const fail = (field: string, message: string): never => { throw new RegionsFileError(`${source}: field "notify.${i}.${field}": ${message}`) }
    const name = c.name ?? `${c.type}-${i + 1}`
    if (names.has(name)) fail('name', `another channel is named ${name}`)
    names.add(name)
    for (const r of c.regions ?? []) if (!(r in doc.regions)) fail('regions', `no region ${r} in this file`)
    const base = { name, regions: c.regions, lang: c.lang ?? 'ko' as const }
    switch (c.type) {
      case 'webhook':
        if ((c.secret_file === undefined) === (c.secret_env === undefined)) fail('secret_file', 'give exactly one of secret_file, secret_env (the HMAC key)')
        return { ...base, type: 'webhook', url: c.url, secret: readSecret(c.secret_file, c.secret_env, 'secret', fail) }
      case 'slack':
      case 'teams':
        return { ...base, type: c.type, url: c.url }
      case 'email': {
        if (c.password_file !== undefined && c.password_env !== undefined) fail('password_file', 'give at most one of password_file, password_env')
        const password = c.password_file !== undefined || c.password_env !== undefined ? readSecret(c.password_file, c.password_env, 'password', fail) : undefined
        if (password !== undefined && c.user === undefined) fail('user', 'a password needs a user')
        const secure = c.secure ?? false
        return { ...base, type: 'email', host: c.host, port: c.port ?? (secure ? 465 : 587), secure, starttls: c.starttls ?? !secure, user: c.user, password, from: c.from, to: c.to, caFile: c.ca_file }
      }
    }
    return fail('type', 'unknown channel type')
  })
}

/** Validates an already-parsed regions document (YAML or JSON) and applies the defaults. */
export function parseRegions (doc: unknown, source = 'regions file'): Map<string, RegionConfig> {
  check(RegionsFileSchema, doc, source)
  const globalRules = alertRules(doc.alerts, DEFAULT_ALERT_RULES, (f, m) => { throw new RegionsFileError(`${source}: field "alerts.${f}": ${m}`) })
  const regions = new Map<string, RegionConfig>()
  for (const [name, raw] of Object.entries(doc.regions)) regions.set(name, normalizeRegion(name, raw, source, globalRules))
  if (regions.size === 0) throw new RegionsFileError(`${source}: field "regions": no region is defined`)
  return regions
}

/** Reads the regions file (YAML; JSON is YAML too). */
export function loadRegionsFile (path: string): Map<string, RegionConfig> {
  return loadConfigFile(path).regions
}

/** Reads the regions file: its regions and its notification channels. */
export function loadConfigFile (path: string): { regions: Map<string, RegionConfig>, channels: ChannelConfig[] } {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new RegionsFileError(`cannot read regions file ${path}: ${(err as Error).message}`)
  }
  let doc: unknown
  try {
    doc = parseYaml(text)
  } catch (err) {
    throw new RegionsFileError(`${path}: not valid YAML/JSON: ${(err as Error).message}`)
  }
  const regions = parseRegions(doc, path)
  return { regions, channels: parseChannels(doc as RegionsFile, path) }
}
