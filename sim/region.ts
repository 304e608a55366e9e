import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { SimSite, type SimContainer, type SimUser } from './site.js'
import { makeInventory, viewOf, type SimCamera } from './inventory.js'
import { startCameras, type SimCameras, type ViewChange } from './cameras.js'
import { startMongo, type SimMongo } from './mongo.js'
import { simDays, writeLogs } from './logs.js'
import { HlsOrigin, LiveEncoder } from './hls-origin.js'
import { startChurn, type Churn, type ChurnOptions } from './churn.js'

export interface SimRegionOptions {
  /** Region name, e.g. "데모". */
  name: string
  /** Loopback address for server 1 (several regions can use 127.0.0.2, .3, …). */
  host?: string
  port?: number
  /** When `port` is taken, server 1 listens on a free port instead. */
  portFallback?: boolean
  /** Folder holding every server's files (a temp dir, removed on close, when unset). */
  root?: string
  users?: SimUser[]
  maxSessions?: number
  authFailDelayMs?: number
  pageUrl?: string
  /** Server 1's containers (default: mongo publishing 27017, firewatcher:v2.1, an HLS server). */
  containers?: SimContainer[]
  /** How many analysis servers (1-3); 2 and 3 are reachable only as hops through server 1. */
  servers?: number
  /** A server's own login (then the region file gives it `id`/`password`). */
  hopUsers?: Record<number, SimUser>
  /** Cameras in the Mongo inventory; 0: no Mongo at all. */
  cameras?: number
  /** Start the real RTSP cameras (needs GStreamer's RTSP server and python3-gi). */
  rtsp?: boolean
  /** Write logs for these days (default: none; `true`: the standard simulated days). */
  logs?: boolean | string[]
  /** Run an HLS server on every analysis server, with a live ffmpeg test stream. */
  hls?: boolean
  /**
   * 'own-address': every server's containers publish on that server's own address
   * (server n: 192.168.1.(4+n), as `docker ps` shows it) and nothing answers on its 127.0.0.1,
   * as on sites whose docker binds one interface. Default 'all': 0.0.0.0, as before.
   */
  publishOn?: 'all' | 'own-address'
  /** Cameras go down and come back over time (sim/churn.ts); the demo's history is not flat. */
  churn?: ChurnOptions
  /** The share (0-1) of cameras without a known behaviour that stream: 0 (default) = dead addresses. */
  liveShare?: number
  /** Cameras 7, 8, 9 stream a black, a frozen and a noisy frozen picture (sim/rtsp-camera.py). */
  picture?: boolean
  /** This many cameras from 11 on watch view cameras (sim/inventory.ts viewOf); the churn changes their views too. */
  views?: number
}

/** Server n's own address in a region started with publishOn 'own-address' (never dialled: the simulator maps it). */
export function ownAddress (n: number): string { return `192.168.1.${4 + n}` }

export interface SimRegion {
  name: string
  /** The folder holding every server's files. */
  root: string
  /** The regions-file entry for this simulated region (validated by lib/site/regions.ts like any other). */
  entry: Record<string, unknown>
  server1: SimSite
  /** Every analysis server by number (1 is server1). */
  servers: Map<number, SimSite>
  inventory: SimCamera[]
  mongo?: SimMongo
  cameras?: SimCameras
  /** Each analysis server's HLS server (port 8888 as the server sees it). */
  hls: Map<number, HlsOrigin>
  /** Log path templates (the entry's `logs`). */
  logs: { gstreamer: string, ffmpeg: string }
  /** Camera `id` stops answering (its inventory URL now points at a refused port). */
  takeDown: (id: number) => Promise<void>
  /** Camera `id` answers again at its original URL. */
  bringBack: (id: number) => Promise<void>
  /** The churn, when started with `churn`. */
  churn?: Churn
  close: () => Promise<void>
}

export const DEMO_USER: SimUser = { username: 'demo', password: 'demo' }
export const GPUS = [0, 1]

/** The host name server 1 resolves for analysis server n (never dialled by the gateway itself). */
export function hopHost (n: number): string { return `svr${n}.site.internal` }


type Closable = { close: () => Promise<void> }

/** What every simulated region has around its SSH servers: cameras, inventory, HLS origins. */
export async function startServices (opts: SimRegionOptions, root: string, host: string, serverCount: number, started: Closable[]): Promise<{ cameras?: SimCameras,
  inventory: SimCamera[], mongo?: SimMongo, hls: Map<number, HlsOrigin> }> {
  const cameras = opts.rtsp === true ? await startCameras(host) : undefined
  if (cameras !== undefined) started.push(cameras)
  const pipelines = Array.from({ length: serverCount }, (_, i) => GPUS.map(g => `svr${i + 1}${g}`)).flat()
  const inventory = makeInventory({ region: opts.name, count: opts.cameras ?? 0, pipelines, endpoints: cameras?.endpoints ?? {}, liveShare: opts.liveShare,
    picture: opts.picture, views: opts.views })
  const mongo = (opts.cameras ?? 0) > 0
    ? await startMongo({ host, database: 'firewatcher_v2', collection: 'cctvinfos', cameras: inventory })
    : undefined
  if (mongo !== undefined) started.push(mongo)

  const hls = new Map<number, HlsOrigin>()
  if (opts.hls === true) {
    const encoder = new LiveEncoder(path.join(root, 'hls-stream'))
    encoder.start()
    started.push({ close: async () => { encoder.stop() } })
    await encoder.ready()
    for (let n = 1; n <= serverCount; n++) {
      // A camera is live on its own server's HLS server unless it is one of the dead ones (3-6);
      // with no inventory every camera number is live everywhere.
      const mine = new Set(inventory.filter(c => c.inference_id.startsWith(`svr${n}`)).map(c => c.cctv_ID))
      const origin = new HlsOrigin(encoder.dir, id => !(id >= 3 && id <= 6) && (inventory.length === 0 || mine.has(id)))
      await origin.listen('127.0.0.1')
      started.push(origin)
      hls.set(n, origin)
    }
  }

  return { cameras, inventory, mongo, hls }
}

/** Writes each server's logs for the requested days. */
export function writeRegionLogs (opts: SimRegionOptions, logs: { gstreamer: string, ffmpeg: string }, servers: Iterable<number>, inventory: SimCamera[]): void {
  const days = opts.logs === true ? simDays() : Array.isArray(opts.logs) ? opts.logs : []
  if (days.length === 0) return
  for (const n of servers) writeLogs(logs, n, GPUS, days, gpu => inventory.filter(c => c.inference_id === `svr${n}${gpu}`))
}

/** Log path templates of a region rooted at `root` ({server} picks the server's own folder). */
export function regionLogs (root: string): { gstreamer: string, ffmpeg: string } {
  return {
    gstreamer: path.join(root, 'svr{server}', 'home/workspace/logs/controller/{date}_{gpu}.log'),
    ffmpeg: path.join(root, 'svr{server}', 'home/workspace/logs/ffmpeg/{date}_{gpu}.log')
  }
}

/** A whole simulated region: server 1 (the SSH host), hop-only servers 2/3, Mongo, cameras, logs. */
export async function startSimRegion (opts: SimRegionOptions): Promise<SimRegion> {
  const ownsRoot = opts.root === undefined
  const root = opts.root ?? mkdtempSync(path.join(os.tmpdir(), 'fwregion-'))
  const host = opts.host ?? '127.0.0.1'
  const users = opts.users ?? [DEMO_USER]
  const serverCount = Math.min(3, Math.max(1, opts.servers ?? 1))
  const logs = regionLogs(root)
  const started: Closable[] = []
  const closeAll = async (): Promise<void> => {
    for (const s of started.reverse()) await s.close().catch(() => {})
    if (ownsRoot) rmSync(root, { recursive: true, force: true })
  }
  try {
    const { cameras, inventory, mongo, hls } = await startServices(opts, root, host, serverCount, started)

    const servers = new Map<number, SimSite>()
    for (let n = serverCount; n >= 1; n--) {
      const siteRoot = path.join(root, `svr${n}`)
      mkdirSync(siteRoot, { recursive: true })
      const forwards: Record<string, { host: string, port: number }> = {}
      const own = opts.publishOn === 'own-address'
      const bind = own ? ownAddress(n) : '0.0.0.0'
      const reach = own ? ownAddress(n) : '127.0.0.1'
      const origin = hls.get(n)
      if (origin !== undefined) forwards[`${reach}:8888`] = { host: '127.0.0.1', port: origin.port }
      if (n === 1) {
        if (mongo !== undefined) forwards[`${reach}:27017`] = { host: mongo.host, port: mongo.port }
        for (const [m, s] of servers) forwards[`${hopHost(m)}:22`] = { host: s.host, port: s.port }
      }
      const site = await SimSite.start({
        host: n === 1 ? host : '127.0.0.1',
        port: n === 1 ? (opts.port ?? 0) : 0,
        portFallback: n === 1 ? opts.portFallback : undefined,
        root: siteRoot,
        users: opts.hopUsers?.[n] !== undefined ? [opts.hopUsers[n]] : users,
        maxSessions: opts.maxSessions,
        authFailDelayMs: opts.authFailDelayMs,
        forwards,
        loopbackForwards: !own,
        containers: n === 1
          ? (opts.containers ?? [
              { name: 'mongo', image: 'mongo:6.0', state: 'running', ports: `${bind}:27017->27017/tcp` },
              { name: 'firewatcher', image: 'firewatcher:v2.1', state: 'running', ports: '' },
              { name: 'hls-server', image: 'bluenviron/mediamtx:1.9', state: 'running', ports: `${bind}:8888->8888/tcp` }
            ])
          : [
              { name: 'firewatcher', image: 'firewatcher:v2.1', state: 'running', ports: '' },
              { name: 'hls-server', image: 'bluenviron/mediamtx:1.9', state: 'running', ports: `${bind}:8888->8888/tcp` }
            ]
      })
      started.push(site)
      servers.set(n, site)
    }
    writeRegionLogs(opts, logs, servers.keys(), inventory)
    const server1 = servers.get(1)!
    const serversEntry: Record<string, unknown> = { 1: {} }
    for (let n = 2; n <= serverCount; n++) {
      const own = opts.hopUsers?.[n]
      serversEntry[n] = { host: hopHost(n), port: 22, ...(own === undefined ? {} : { id: own.username, password: own.password }) }
    }
    const entry = {
      ssh: { host: server1.host, port: server1.port },
      page_url: opts.pageUrl ?? `http://${server1.host}:8080/`,
      docker: { sudo: true },
      servers: serversEntry,
      logs
    }
    const setUrl = async (id: number, url: string): Promise<void> => {
      if (mongo === undefined) throw new Error('this simulated region has no inventory')
      await mongo.setUrl(id, url)
    }
    const original = (id: number): string => {
      const c = inventory.find(c => c.cctv_ID === id)
      if (c === undefined) throw new Error(`simulated inventory: no camera ${id}`)
      return c.url
    }
    const refused = cameras?.endpoints.refused ?? { host: '127.0.0.1', port: 1 }
    const takeDown = async (id: number): Promise<void> => { original(id); await setUrl(id, `rtsp://${refused.host}:${refused.port}/down${id}`) }
    const bringBack = async (id: number): Promise<void> => { await setUrl(id, original(id)) }
    let churn: Churn | undefined
    if (opts.churn !== undefined && mongo !== undefined) {
      const viewIds = cameras === undefined ? [] : inventory.map(c => c.cctv_ID).filter(id => viewOf(id, opts.views ?? 0) !== undefined)
      const setView = async (id: number, change: ViewChange): Promise<void> => { await cameras!.setView(viewOf(id, opts.views ?? 0)!, change) }
      const views = viewIds.length === 0 ? undefined : { ids: viewIds, set: setView }
      churn = startChurn({ inventory, takeDown, bringBack, views }, opts.churn)
      const c = churn
      // Stopped before the services it changes go away.
      started.push({ close: async () => { await c.stop() } })
    }
    return {
      name: opts.name,
      root,
      entry,
      server1,
      servers,
      inventory,
      mongo,
      cameras,
      hls,
      logs,
      takeDown,
      bringBack,
      churn,
      close: closeAll
    }
  } catch (err) {
    await closeAll()
    throw err
  }
}
