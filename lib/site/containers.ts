import { ContainerNotFoundError, RemoteError } from '../errors.js'
import { remoteFailure } from './remote-failure.js'
import type { ContainerSelectorConfig, ServerConfig } from '../config/regions.js'
import type { SiteSession } from './session.js'

export interface ContainerInfo {
  id: string
  name: string
  image: string
  state: string
  ports: string
}

function matches (c: ContainerInfo, sel: ContainerSelectorConfig): boolean {
  if (sel.name !== undefined) return c.name.split(',').includes(sel.name)
  if (sel.image !== undefined) return c.image === sel.image
  if (sel.publish !== undefined) return published(c).some(p => p.port === sel.publish)
  return false
}

/**
 * The server's containers as this session last listed them; lists them (once) when it has not.
 * For discovery only (where a service listens): whether a container runs now is `findContainer`'s.
 */
export async function knownContainers (site: SiteSession, server: ServerConfig, timeoutSec: number): Promise<ContainerInfo[]> {
  return site.containerListings.get(server.n) ?? await listContainers(site, server, timeoutSec)
}

/** Lists the server's containers (`docker ps -a`, through sudo when the region says so). */
export async function listContainers (site: SiteSession, server: ServerConfig, timeoutSec: number): Promise<ContainerInfo[]> {
  const r = await site.run(server, {
    argv: ['docker', 'ps', '-a', '--no-trunc', '--format', '{{json .}}'],
    timeoutSec,
    sudo: server.docker.sudo
  }, { maxStdoutBytes: 4 * 1024 * 1024 })
  if (r.code !== 0) throw remoteFailure('docker ps', r.stderr, r.code)
  const out: ContainerInfo[] = []
  for (const line of r.stdout.toString('utf8').split('\n')) {
    if (line.trim() === '') continue
    try {
      const j = JSON.parse(line) as Record<string, string>
      out.push({ id: j.ID, name: j.Names, image: j.Image, state: j.State, ports: j.Ports ?? '' })
    } catch {
      throw new RemoteError('docker ps: unexpected output')
    }
  }
  site.containerListings.set(server.n, out)
  return out
}

/**
 * The running container that `sel` names on `server`; 404 "container not found" when it
 * is missing or not running (a stopped Mongo is as useless as a missing one).
 */
export async function findContainer (site: SiteSession, server: ServerConfig, sel: ContainerSelectorConfig, timeoutSec: number): Promise<ContainerInfo> {
  const all = (await listContainers(site, server, timeoutSec)).filter(c => matches(c, sel))
  const running = all.find(c => c.state === 'running')
  if (running === undefined) throw new ContainerNotFoundError()
  return running
}

export interface Published { host: string, port: number, containerPort: number }

/**
 * What a container publishes, from docker ps's Ports column: "192.168.1.5:27017->27017/tcp",
 * "0.0.0.0:8888->8888/tcp, :::8888->8888/tcp", "[::]:80->80/tcp"; an exposed port without
 * "->" is not published. Every interface (0.0.0.0, ::, no address) is reached at 127.0.0.1.
 */
export function published (c: ContainerInfo): Published[] {
  const out: Published[] = []
  for (const entry of c.ports.split(',')) {
    const m = /^\s*(?:(\[[^\]]*\]|[^\s]*):)?(\d+)(?:-\d+)?->(\d+)(?:-\d+)?\/tcp\s*$/.exec(entry)
    if (m === null) continue
    const raw = (m[1] ?? '').replace(/^\[|\]$/g, '')
    const host = raw === '' || raw === '0.0.0.0' || raw === '::' || raw === ':' ? '127.0.0.1' : raw
    out.push({ host, port: Number(m[2]), containerPort: Number(m[3]) })
  }
  return out
}

/**
 * Where a server reaches the service a running container publishes on host port `port`: the
 * address docker ps shows (127.0.0.1 for every interface), or undefined when none publishes it.
 */
export function publisherOf (containers: ContainerInfo[], port: number): string | undefined {
  for (const c of containers) {
    if (c.state !== 'running') continue
    const p = published(c).find(x => x.port === port)
    if (p !== undefined) return p.host
  }
  return undefined
}
