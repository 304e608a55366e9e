import { randomBytes } from 'node:crypto'
import path from 'node:path'
import Fastify from 'fastify'
import closeWithGrace from 'close-with-grace'
import app, { serverOptions } from './app.js'
import { loadEnv } from './lib/env.js'
import { loadConfigFile, parseRegions, type ChannelConfig, type RegionConfig } from './lib/config/regions.js'
import type { Role } from './lib/roles.js'

/** What server.ts uses of the simulator (sim/region.ts; test/server.test.ts checks that it fits). */
export interface DemoSite {
  name: string
  root: string
  entry: Record<string, unknown>
  server1: { host: string, port: number }
  close: () => Promise<void>
}
export interface DemoModule {
  DEMO_USER: { username: string, password: string }
  startSimRegion: (opts: { name: string, host?: string, port?: number, portFallback?: boolean, pageUrl?: string, root?: string, authFailDelayMs?: number,
    servers?: number, cameras?: number, logs?: boolean, rtsp?: boolean, hls?: boolean, picture?: boolean, views?: number, churn?: { everyMs: number, downMs: [number, number] }
  }) => Promise<DemoSite>
}
const DEMO_MODULE = './sim/region.js'

const env = loadEnv()
const fastify = Fastify(serverOptions(env))
const log = fastify.log

let regions: Map<string, RegionConfig>
let channels: ChannelConfig[] = []
let groups = new Map<string, Map<string, Role>>()
/** The demo's simulated site, closed on the way out. */
let demo: { close: () => Promise<void> } | undefined
try {
  if (env.REGIONS_FILE !== '') {
    ({ regions, channels, groups } = loadConfigFile(env.REGIONS_FILE))
  } else {
    // The simulated site is a development tool: loaded only here, and absent from a production
    // build (npm run build leaves sim/ out; npm start builds it when dev dependencies are there).
    // The specifier is a variable so that tsc does not pull sim/ into the production build.
    let sim: DemoModule
    try {
      sim = await import(DEMO_MODULE) as DemoModule
    } catch (err) {
      throw new Error(`REGIONS_FILE is not set, and this build has no demo site (${(err as Error).message.split('\n')[0]}). Set REGIONS_FILE to your regions file, or install the dev dependencies (npm install) and run npm start for the demo.`, { cause: err })
    }
    const { DEMO_USER, startSimRegion } = sim
    let site: DemoSite
    const demoOptions = {
      name: '데모',
      host: env.DEMO_SSH_HOST,
      port: env.DEMO_SSH_PORT,
      // Another program on the demo's SSH port must not stop a first `npm start`.
      portFallback: true,
      // The demo's "FireWatcher page" is the console itself, wherever the gateway listens.
      pageUrl: '/',
      root: env.DEMO_ROOT === '' ? undefined : env.DEMO_ROOT,
      authFailDelayMs: 1000,
      servers: 3,
      cameras: 300,
      logs: true,
      rtsp: true,
      hls: true,
      // Cameras 7-9: a black and two frozen pictures, for the picture checks and the grid.
      picture: true,
      // Cameras 11-14, 16, 17: a hillside each (view checks: take references with 기준 화면 만들기).
      views: 6,
      // Now and then a streaming camera goes down, or a view camera is turned, covered or blurred,
      // for a while: the monitor's history is not flat.
      churn: { everyMs: 10 * 60_000, downMs: [15 * 60_000, 45 * 60_000] as [number, number] }
    }
    try {
      site = await startSimRegion(demoOptions)
    } catch (err) {
      // Without GStreamer's RTSP server or ffmpeg the demo still works; only live video is missing.
      log.warn(`demo: live cameras unavailable (${(err as Error).message.split('\n')[0]}); install ffmpeg gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-{base,good,ugly} python3-gi for them`)
      site = await startSimRegion({ ...demoOptions, rtsp: false, hls: false })
    }
    demo = site
    if (env.DEMO_SSH_PORT !== 0 && site.server1.port !== env.DEMO_SSH_PORT) {
      log.warn(`demo: port ${env.DEMO_SSH_PORT} is taken by another program; the simulated site listens on ${site.server1.port} instead (set DEMO_SSH_PORT to choose)`)
    }
    // The demo is monitored too (every 5 min), as the demo user: its history fills as it runs.
    process.env.FWMAINT_DEMO_MONITOR_PASSWORD = DEMO_USER.password
    regions = parseRegions({ regions: { [site.name]: { ...site.entry, monitor: { every: '5m', id: DEMO_USER.username, password_env: 'FWMAINT_DEMO_MONITOR_PASSWORD', picture: true } } } }, 'built-in demo region')
    // The simulated site makes new host keys when its folder is new: keep its identities with it.
    if (process.env.KNOWN_HOSTS_FILE === undefined) env.KNOWN_HOSTS_FILE = path.join(site.root, 'known_hosts.json')
    log.warn(`REGIONS_FILE is not set: serving the built-in demo region ${site.name} backed by a simulated site at ${site.server1.host}:${site.server1.port}. Log in with SSH id: ${DEMO_USER.username} password: ${DEMO_USER.password}`)
  }
} catch (err) {
  log.fatal((err as Error).message)
  process.exit(1)
}

let sessionSecret = env.SESSION_SECRET
if (sessionSecret === '') {
  sessionSecret = randomBytes(32).toString('base64url')
  log.warn('SESSION_SECRET is not set: using a random secret for this run. Every restart logs all operators out; set SESSION_SECRET (32+ characters) in production.')
} else if (sessionSecret.length < 32) {
  log.fatal('SESSION_SECRET must be at least 32 characters long')
  process.exit(1)
}

await fastify.register(app, { config: { env, regions, channels, groups, sessionSecret } })

// SIGTERM/SIGINT (systemd stop): stop accepting, close every SSH session, then exit.
closeWithGrace({ delay: 10_000, logger: log }, async ({ signal, err }) => {
  if (err !== undefined) log.error({ err }, 'closing after an unexpected error')
  else log.info({ signal }, 'shutting down')
  await fastify.close()
  await demo?.close()
})

try {
  const address = await fastify.listen({ host: env.HOST, port: env.PORT })
  // Said at warn too: tools and operators need the address even with quiet logs.
  if (['warn', 'error', 'fatal', 'silent'].includes(log.level)) log.warn({ listening: address }, 'listening')
  log.info(`fwmaint serving ${regions.size} region(s): ${[...regions.keys()].join(', ')}`)
} catch (err) {
  log.fatal({ err }, 'cannot listen')
  await demo?.close()
  process.exit(1)
}
