import { readFileSync } from 'node:fs'
import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { Value, ValueErrorType } from '@sinclair/typebox/value'
import { parse as parseYaml } from 'yaml'
import { AlertRulesSchema, DEFAULT_ALERT_RULES, alertRules, type AlertRules } from './alert-rules.js'
import { IncidentRulesSchema, DEFAULT_INCIDENT_RULES, escalationProblem, incidentRules, type IncidentRules } from './incident-rules.js'
import { ChannelSchema, parseChannels, type ChannelConfig } from './channels.js'
import { MonitorSchema, monitorConfig, type MonitorConfig } from './monitor.js'
import { ConfigProblem, RegionsFileError } from './problem.js'
import { parseRoleGrant, type Role } from '../roles.js'
import { MaintenanceSchema, checkWindow, type WindowConfig } from './windows.js'

export { DEFAULT_ALERT_RULES, parseChannels, RegionsFileError }
export type { AlertRules, ChannelConfig, MonitorConfig, WindowConfig }

/*
 * The regions file: exactly the shape of the "Configuration" section of
 * docs/api-contract.md. Validated at start-up; a bad file stops the server with
 * a message naming the region and the field. Its parts live beside it (lib/config/): the
 * monitor block, alert rules, channels, maintenance windows, durations, secrets.
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
  incidents: Type.Optional(IncidentRulesSchema),
  maintenance: Type.Optional(Type.Array(MaintenanceSchema, { maxItems: 1000 }))
}, { additionalProperties: false })

export const RegionsFileSchema = Type.Object({
  regions: Type.Record(Type.String({ minLength: 1, maxLength: 64 }), RegionSchema),
  alerts: Type.Optional(AlertRulesSchema),
  incidents: Type.Optional(IncidentRulesSchema),
  notify: Type.Optional(Type.Array(ChannelSchema, { maxItems: 100 })),
  /** Single sign-on (issue 26): an IdP group → the roles its members get, as "<region>=<role>" ('*' for every region). */
  groups: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 200 }), Type.Array(Type.String({ minLength: 3, maxLength: 80 }), { minItems: 1, maxItems: 100 })))
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

export interface RegionConfig {
  name: string
  /** Resolved alert rules (issue 16). */
  alerts: AlertRules
  /** Resolved incident rules (issue 25). */
  incidents: IncidentRules
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

function normalizeRegion (name: string, raw: RawRegion, source: string, globalRules: AlertRules = DEFAULT_ALERT_RULES,
  globalIncidents: IncidentRules = DEFAULT_INCIDENT_RULES): RegionConfig {
  const fail = (field: string, message: string): never => {
    throw new RegionsFileError(`${source}: region "${name}": field "${field}": ${message}`)
  }
  // A part's problem (lib/config/*.ts) names its field within the part.
  const within = <T>(part: string, read: () => T): T => {
    try {
      return read()
    } catch (err) {
      if (err instanceof ConfigProblem) return fail(err.field === '' ? part : `${part}.${err.field}`, err.message)
      throw err
    }
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
    alerts: alertRules(raw.alerts, globalRules),
    incidents: incidentRules(raw.incidents, globalIncidents),
    maintenance: (raw.maintenance ?? []).map((w, i) => within(`maintenance.${i}`, () => checkWindow(w, { servers: new Set(servers.keys()) }))),
    monitor: raw.monitor === undefined ? undefined : within('monitor', () => monitorConfig(raw.monitor!)),
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

/** Validates an already-parsed regions document (YAML or JSON) and applies the defaults. */
export function parseRegions (doc: unknown, source = 'regions file'): Map<string, RegionConfig> {
  check(RegionsFileSchema, doc, source)
  const globalRules = alertRules(doc.alerts, DEFAULT_ALERT_RULES)
  const globalIncidents = incidentRules(doc.incidents, DEFAULT_INCIDENT_RULES)
  const regions = new Map<string, RegionConfig>()
  for (const [name, raw] of Object.entries(doc.regions)) regions.set(name, normalizeRegion(name, raw, source, globalRules, globalIncidents))
  if (regions.size === 0) throw new RegionsFileError(`${source}: field "regions": no region is defined`)
  return regions
}

/** Reads the regions file (YAML; JSON is YAML too). */
export function loadRegionsFile (path: string): Map<string, RegionConfig> {
  return loadConfigFile(path).regions
}

/** Reads the regions file: its regions, its notification channels and its single sign-on groups. */
export function loadConfigFile (path: string): { regions: Map<string, RegionConfig>, channels: ChannelConfig[], groups: Map<string, Map<string, Role>> } {
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
  const channels = parseChannels(doc as RegionsFile, path)
  const problem = escalationProblem(regions.values(), new Set(channels.map(c => c.name)))
  if (problem !== null) throw new RegionsFileError(`${path}: ${problem}`)
  return { regions, channels, groups: parseGroups(doc as RegionsFile, regions, path) }
}

/** The regions file's `groups`: each IdP group's grants, checked against the regions named. */
export function parseGroups (doc: RegionsFile, regions: ReadonlyMap<string, RegionConfig>, source = 'regions file'): Map<string, Map<string, Role>> {
  const out = new Map<string, Map<string, Role>>()
  for (const [group, grants] of Object.entries(doc.groups ?? {})) {
    const roles = new Map<string, Role>()
    for (const g of grants) {
      const parsed = parseRoleGrant(g)
      if (parsed === undefined) throw new RegionsFileError(`${source}: groups.${group}: "${g}" is not <region>=<viewer|operator|admin>`)
      if (parsed[0] !== '*' && !regions.has(parsed[0])) throw new RegionsFileError(`${source}: groups.${group}: there is no region ${parsed[0]}`)
      roles.set(parsed[0], parsed[1])
    }
    out.set(group, roles)
  }
  return out
}
