import type { Clock } from '../../lib/clock.js'
import Fastify, { type FastifyInstance, type InjectOptions } from 'fastify'
import fp from 'fastify-plugin'
import { Writable } from 'node:stream'
import { mkdtempSync } from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import type { Test } from 'tap'
import app, { serverOptions } from '../../app.js'
import { loadEnv, type Env } from '../../lib/env.js'
import { parseChannels, parseGroups, parseRegions, type RegionsFile } from '../../lib/config/regions.js'
import { startSimRegion, type SimRegion, type SimRegionOptions } from '../../sim/region.js'
import { startOpenSshRegion, type OpenSshRegion } from '../../sim/openssh.js'

process.env.FASTIFY_AUTOLOAD_TYPESCRIPT = '1'

/**
 * A sweep's probe reads 0.5 s of a stream, not 2: the simulated cameras' codec, size and fps are
 * known within it (measured with ffprobe), and each monitor tick of a test is 1.6 s, not 3.2.
 * For the gateways in the test's process (testEnv) and those it spawns (spawnServer).
 */
export const SWEEP_TEST_ENV = { HEALTH_ANALYZE_MS: '500' } as const

/** The gateway's environment for a test: defaults, quiet logs, overrides. */
export function testEnv (overrides: Record<string, string> = {}): Env {
  // Each gateway its own known-hosts file: simulated sites get new keys on every run.
  const state = mkdtempSync(path.join(os.tmpdir(), 'fwstate-'))
  return loadEnv({
    LOG_LEVEL: 'silent',
    KNOWN_HOSTS_FILE: path.join(state, 'known_hosts.json'),
    AUDIT_LOG: path.join(state, 'audit.log'),
    HISTORY_DB: path.join(state, 'history.sqlite'),
    LOGIN_RATE_MAX: '1000',
    ...SWEEP_TEST_ENV,
    ...overrides
  }, false)
}

export interface Gateway {
  app: FastifyInstance
  regions: SimRegion[]
  /** Regions whose servers are real OpenSSH sshd processes (startGateway's `openssh`). */
  openssh: OpenSshRegion[]
  /** A new browser: its own cookie jar. */
  browser: () => Browser
  /** Parsed log lines, when started with `captureLogs`. */
  logs: Array<Record<string, any>>
  /** Listens on loopback (once; later calls reuse it) and returns `http://127.0.0.1:<port>`. */
  origin: () => Promise<string>
  /** A JSON POST over a real socket whose client can leave before the answer (`req.destroy()`). */
  postThenLeave: (b: Browser, url: string, body: unknown) => Promise<http.ClientRequest>
}

/**
 * Starts simulated regions (real SSH servers on loopback) and builds the gateway on
 * them, without listening: requests go through `inject`, SSH over real sockets.
 */
/**
 * A clock that can be moved ahead: rule timing without sleeping through it. `frozen`: it moves
 * only when told (a busy machine's slow sweeps cannot cross a rule's interval by themselves);
 * otherwise it runs with the system's (outbox retries need time to pass).
 */
export function testClock (opts: { frozen?: boolean } = {}): { now: Clock, advance: (ms: number) => void } {
  let offset = 0
  const start = Date.now()
  return { now: () => (opts.frozen === true ? start : Date.now()) + offset, advance: ms => { offset += ms } }
}

export interface GatewayOptions {
  regions?: Array<Partial<SimRegionOptions>>
  env?: Record<string, string>
  extraRegions?: Record<string, unknown>
  captureLogs?: boolean
  patch?: (doc: {
    regions: Record<string, any>, alerts?: Record<string, unknown>, incidents?: Record<string, unknown>, notify?: Array<Record<string, unknown>>, groups?: Record<string, string[]>
  }) => void
  extend?: (app: FastifyInstance) => void
  openssh?: SimRegionOptions[]
  clock?: Clock
}

export async function startGateway (t: Test, opts: GatewayOptions = {}): Promise<Gateway> {
  const specs = opts.regions ?? (opts.openssh === undefined ? [{ name: '데모' }] : [])
  const sims: SimRegion[] = []
  const real: OpenSshRegion[] = []
  // Set once built; the teardown is registered first so a failed start still closes what it began.
  // eslint-disable-next-line prefer-const
  let fastify: FastifyInstance | undefined
  // One teardown, in order: the gateway first (it closes its SSH sessions), then the sites.
  t.teardown(async () => {
    await fastify?.close()
    for (const s of [...sims, ...real]) await s.close()
  })
  for (const [i, spec] of specs.entries()) {
    sims.push(await startSimRegion({ name: `region${i}`, authFailDelayMs: 50, ...spec }))
  }
  for (const spec of opts.openssh ?? []) real.push(await startOpenSshRegion(spec))
  const doc = { regions: { ...Object.fromEntries([...sims, ...real].map(s => [s.name, structuredClone(s.entry)])), ...opts.extraRegions } }
  opts.patch?.(doc)
  const env = testEnv({ ...(opts.captureLogs === true ? { LOG_LEVEL: 'debug' } : {}), ...opts.env })
  const logs: Array<Record<string, any>> = []
  const options = serverOptions(env)
  if (opts.captureLogs === true) {
    options.logger.stream = new Writable({
      write (chunk, _enc, cb) { for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line)); cb() }
    })
  }
  // No plugin timeout in tests: tap's own timeout bounds a start that hangs, and a busy machine
  // compiling the TypeScript plugins on the fly must not fail a file with 0 tests.
  options.pluginTimeout = 0
  fastify = Fastify(options)
  // fp: the test sees the app's decorators (sites, sessionStore), as in fastify/demo's helper.
  const regions = parseRegions(doc, 'test')
  await fastify.register(fp(app), {
    config: { env, regions, channels: parseChannels(doc as RegionsFile, 'test'), groups: parseGroups(doc as RegionsFile, regions, 'test'), sessionSecret: 'a-test-secret-that-is-long-enough-1234567890', clock: opts.clock }
  })
  opts.extend?.(fastify)
  await fastify.ready()
  const instance = fastify
  let listening: Promise<string> | undefined
  const origin = async (): Promise<string> => await (listening ??= instance.listen({ host: '127.0.0.1', port: 0 }))
  const postThenLeave = async (b: Browser, url: string, body: unknown): Promise<http.ClientRequest> => {
    const req = http.request(`${await origin()}${url}`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', cookie: b.cookieHeader() } })
    req.on('error', () => {})
    req.end(JSON.stringify(body))
    return req
  }
  return { app: instance, regions: sims, openssh: real, browser: () => new Browser(instance), logs, origin, postThenLeave }
}

export interface Reply {
  status: number
  body: any
  headers: Record<string, unknown>
  /** The body's bytes (an image, a download). */
  raw: Buffer
}

/** One browser: keeps its cookies between requests, like the real client. */
export class Browser {
  private readonly cookies = new Map<string, string>()
  constructor (readonly app: FastifyInstance) {}

  cookieHeader (): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  }

  async request (opts: InjectOptions): Promise<Reply> {
    const cookie = this.cookieHeader()
    const res = await this.app.inject({ ...opts, headers: { ...(cookie ? { cookie } : {}), ...opts.headers } })
    for (const c of res.cookies as Array<{ name: string, value: string }>) this.cookies.set(c.name, c.value)
    let body: unknown = res.body
    try { body = JSON.parse(res.body) } catch { /* not JSON */ }
    return { status: res.statusCode, body, headers: res.headers, raw: res.rawPayload }
  }

  get (url: string): Promise<Reply> { return this.request({ method: 'GET', url }) }
  delete (url: string): Promise<Reply> { return this.request({ method: 'DELETE', url }) }
  post (url: string, payload?: unknown): Promise<Reply> {
    return this.request({ method: 'POST', url, ...(payload === undefined ? {} : { payload: payload as object }) })
  }

  /** Logs in to a simulated region with its demo credentials (or the given ones). */
  async connect (region: { name: string, entry: Record<string, unknown> }, id = 'demo', password = 'demo'): Promise<Reply> {
    const { host, port } = region.entry.ssh as { host: string, port: number }
    return this.post('/api/ssh_connect', { host, port, id, password, region: region.name })
  }
}

/**
 * How much longer than its nominal bound a condition may take before a test gives up: the
 * bounds are "it never happened" limits, not timings (no test asserts speed), and a machine
 * busy with a second suite or a browser takes several times as long (FWMAINT_TEST_PATIENCE).
 */
export const PATIENCE = Math.max(1, Number(process.env.FWMAINT_TEST_PATIENCE ?? 3) || 3)

/** A give-up limit stretched for a busy machine (Playwright's `{ timeout }` in the browser tests). */
export function patient (ms: number): number { return ms * PATIENCE }

/** Polls `check` until it returns true or `ms` × PATIENCE pass. */
export async function eventually (check: () => boolean | Promise<boolean>, ms = 5000, every = 25): Promise<boolean> {
  const until = Date.now() + ms * PATIENCE
  while (Date.now() < until) {
    if (await check()) return true
    await new Promise(resolve => setTimeout(resolve, every))
  }
  return await check()
}

/**
 * A browser over real sockets (fetch to the listening gateway): its own cookie jar, the headers a
 * browser sends when asked (Origin, Sec-Fetch-Site), redirects not followed (a test looks at them).
 */
export class HttpBrowser {
  private readonly cookies = new Map<string, string>()
  constructor (readonly origin: string, readonly headers: Record<string, string> = {}) {}

  cookie (name: string): string | undefined { return this.cookies.get(name) }
  setCookie (name: string, value: string): void { this.cookies.set(name, value) }

  async request (method: string, url: string, opts: { json?: unknown, form?: Record<string, string>, headers?: Record<string, string> } = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...this.headers, ...opts.headers }
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
    let body: string | undefined
    if (opts.json !== undefined) { body = JSON.stringify(opts.json); headers['content-type'] = 'application/json' }
    if (opts.form !== undefined) { body = new URLSearchParams(opts.form).toString(); headers['content-type'] = 'application/x-www-form-urlencoded' }
    const res = await fetch(this.origin + url, { method, headers, body, redirect: 'manual' })
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(';')
      const i = pair.indexOf('=')
      const name = pair.slice(0, i).trim()
      const value = pair.slice(i + 1).trim()
      // A cleared cookie (sign-out) leaves the jar, as a browser's does.
      if (value === '' || attrs.some(a => /^\s*expires=Thu, 01 Jan 1970/i.test(a))) this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
    const raw = Buffer.from(await res.arrayBuffer())
    let parsed: unknown = raw.toString('utf8')
    try { parsed = JSON.parse(parsed as string) } catch { /* not JSON */ }
    return { status: res.status, body: parsed, headers: Object.fromEntries(res.headers), raw }
  }

  get (url: string, headers?: Record<string, string>): Promise<Reply> { return this.request('GET', url, { headers }) }
  post (url: string, json?: unknown, headers?: Record<string, string>): Promise<Reply> { return this.request('POST', url, { json, headers }) }
  put (url: string, json?: unknown): Promise<Reply> { return this.request('PUT', url, { json }) }
  delete (url: string): Promise<Reply> { return this.request('DELETE', url) }

  async signIn (username: string, password: string): Promise<Reply> {
    return await this.post('/api/auth/login', { username, password })
  }

  async connect (region: { name: string, entry: Record<string, unknown> }, id = 'demo', password = 'demo'): Promise<Reply> {
    const { host, port } = region.entry.ssh as { host: string, port: number }
    return await this.post('/api/ssh_connect', { host, port, id, password, region: region.name })
  }
}
