import { SimSite, type SimContainer, type SimUser } from './site.js'

export interface SimRegionOptions {
  /** Region name, e.g. "데모". */
  name: string
  /** Loopback address for server 1 (several regions can use 127.0.0.2, .3, …). */
  host?: string
  port?: number
  /** Site root for server 1 (a temp dir when unset). */
  root?: string
  users?: SimUser[]
  maxSessions?: number
  authFailDelayMs?: number
  pageUrl?: string
  containers?: SimContainer[]
}

export interface SimRegion {
  name: string
  /** The regions-file entry for this simulated region (validated by lib/regions.ts like any other). */
  entry: Record<string, unknown>
  server1: SimSite
  close: () => Promise<void>
}

export const DEMO_USER: SimUser = { username: 'demo', password: 'demo' }

/** A whole simulated region: server 1 (the SSH host), its containers and files. */
export async function startSimRegion (opts: SimRegionOptions): Promise<SimRegion> {
  const server1 = await SimSite.start({
    host: opts.host ?? '127.0.0.1',
    port: opts.port ?? 0,
    root: opts.root,
    users: opts.users ?? [DEMO_USER],
    maxSessions: opts.maxSessions,
    authFailDelayMs: opts.authFailDelayMs,
    containers: opts.containers ?? [
      { name: 'mongo', image: 'mongo:6.0', state: 'running', ports: '0.0.0.0:27017->27017/tcp' },
      { name: 'firewatcher', image: 'firewatcher:v2.1', state: 'running', ports: '' },
      { name: 'hls-server', image: 'bluenviron/mediamtx:1.9', state: 'running', ports: '0.0.0.0:8888->8888/tcp' }
    ]
  })
  const entry = {
    ssh: { host: server1.host, port: server1.port },
    page_url: opts.pageUrl ?? `http://${server1.host}:8080/`,
    docker: { sudo: true },
    servers: { 1: {} },
    logs: {
      gstreamer: `${server1.root}/home/workspace/logs/controller/{date}_{gpu}.log`,
      ffmpeg: `${server1.root}/home/workspace/logs/ffmpeg/{date}_{gpu}.log`
    }
  }
  return {
    name: opts.name,
    entry,
    server1,
    close: async () => { await server1.close() }
  }
}
