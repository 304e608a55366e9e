import { readFileSync, statSync } from 'node:fs'
import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { Value, ValueErrorType } from '@sinclair/typebox/value'
import { parse as parseYaml } from 'yaml'

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
  cron: Type.Optional(Type.String({ minLength: 9, maxLength: 120, description: 'cron expression (seconds optional), Asia/Seoul unless TZ is set' })),
  id: NonEmpty,
  password_file: Type.Optional(NonEmpty),
  password_env: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }))
}, { additionalProperties: false })

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
  monitor: Type.Optional(MonitorSchema)
}, { additionalProperties: false })

export const RegionsFileSchema = Type.Object({
  regions: Type.Record(Type.String({ minLength: 1, maxLength: 64 }), RegionSchema)
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
}

export interface RegionConfig {
  name: string
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

function normalizeRegion (name: string, raw: RawRegion, source: string): RegionConfig {
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
  let password: string
  if (m.password_file !== undefined) {
    let mode: number
    try {
      mode = statSync(m.password_file).mode
      password = readFileSync(m.password_file, 'utf8').replace(/\r?\n$/, '')
    } catch (err) {
      return fail('monitor.password_file', `cannot read ${m.password_file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`)
    }
    // Like ssh with a private key: a secret others can read is refused, not used.
    if ((mode & 0o077) !== 0) fail('monitor.password_file', `${m.password_file} is readable by group or others (mode ${(mode & 0o777).toString(8)}); chmod 600 it`)
  } else {
    const v = process.env[m.password_env!]
    if (v === undefined || v === '') fail('monitor.password_env', `environment variable ${m.password_env!} is not set`)
    password = v!
  }
  const every = m.every === undefined ? undefined : /^(\d+)(s|m|h)$/.exec(m.every)!
  return {
    everyMs: every === undefined ? undefined : Number(every[1]) * UNIT_MS[every[2] as keyof typeof UNIT_MS],
    cron: m.cron,
    id: m.id,
    password: password!
  }
}

/** Validates an already-parsed regions document (YAML or JSON) and applies the defaults. */
export function parseRegions (doc: unknown, source = 'regions file'): Map<string, RegionConfig> {
  check(RegionsFileSchema, doc, source)
  const regions = new Map<string, RegionConfig>()
  for (const [name, raw] of Object.entries(doc.regions)) regions.set(name, normalizeRegion(name, raw, source))
  if (regions.size === 0) throw new RegionsFileError(`${source}: field "regions": no region is defined`)
  return regions
}

/** Reads the regions file (YAML; JSON is YAML too). */
export function loadRegionsFile (path: string): Map<string, RegionConfig> {
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
  return parseRegions(doc, path)
}
