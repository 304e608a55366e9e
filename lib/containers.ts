import { ContainerNotFoundError, RemoteError } from './errors.js'
import { maskSecrets } from './mask.js'
import type { ContainerSelectorConfig, ServerConfig } from './regions.js'
import type { SiteSession } from './site-session.js'

export interface ContainerInfo {
  id: string
  name: string
  image: string
  state: string
  ports: string
}

/** What `sudo -S` prints when it refuses the password (or got none). */
export const SUDO_REFUSED = /Sorry, try again|incorrect password attempt|no password was provided/

/** The first useful line of a failed command's stderr, secrets masked, for the 500 message. */
export function remoteFailure (what: string, stderr: Buffer | string, code: number | null, signal?: string | null): RemoteError {
  const text = stderr.toString().trim()
  if (SUDO_REFUSED.test(text)) {
    return new RemoteError(`${what}: sudo refused the session password`)
  }
  if (code === 124 || code === 137) return new RemoteError(`${what}: Timeout`)
  const line = text.split('\n').find(l => l.trim() !== '') ?? (code === null && signal ? `ended by signal ${signal}` : `exit status ${String(code)}`)
  return new RemoteError(`${what}: ${maskSecrets(line).slice(0, 500)}`)
}

function matches (c: ContainerInfo, sel: ContainerSelectorConfig): boolean {
  if (sel.name !== undefined) return c.name.split(',').includes(sel.name)
  if (sel.image !== undefined) return c.image === sel.image
  if (sel.publish !== undefined) return new RegExp(`:${sel.publish}->`).test(c.ports)
  return false
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

/** The host port a container publishes for `containerPort` ("0.0.0.0:27017->27017/tcp" → 27017). */
export function publishedPort (c: ContainerInfo, containerPort: number): number | undefined {
  const m = new RegExp(`:(\\d+)->${containerPort}/tcp`).exec(c.ports)
  return m === null ? undefined : Number(m[1])
}
