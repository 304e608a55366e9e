import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { packageRoot } from './paths.js'
import { freePort } from './net.js'
import { setContainerState, writeContainers, type SimContainer, type SimUser } from './site.js'

/**
 * A simulated site server that is Debian's real OpenSSH `sshd` (own config and host key on
 * 127.0.0.x, MaxSessions 10, password auth for real system users), with docker reachable
 * only through real `sudo` and the user's password. Needs root (it creates the users and a
 * sudoers rule); the test pre-step installs openssh-server and sudo.
 */

/** Where the stand-ins live for real users and sudo (a repo checkout may not be traversable by them). */
export const TOOLS_DIR = '/usr/local/lib/fwmaint-sim'
const SUDOERS = '/etc/sudoers.d/fwmaint-sim'

/** The real users of the OpenSSH sites: passwords with ', " and $ in them, on purpose. */
export const OPENSSH_USER: SimUser = { username: 'fwdemo', password: 'd\'e"m$o 1' }
export const OPENSSH_HOP_USER: SimUser = { username: 'fwops', password: 'o\'p"s$2' }

function run (cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', input, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] })
}

/**
 * The machine's files are shared by every test process (two suites may run at once, CI's Node 20
 * and 24): each is written whole beside its place, then renamed over it, so a `sudo` or an `sh`
 * reading it meanwhile never sees it half written. (A name with a dot: sudo skips such files in
 * sudoers.d.)
 */
function replaceFile (dest: string, write: (tmp: string) => void): void {
  const tmp = `${dest}.${process.pid}.new`
  write(tmp)
  renameSync(tmp, dest)
}

/** useradd, usermod and chpasswd lock /etc/passwd and /etc/shadow: another process's turn is waited out. */
function runLocked (cmd: string, args: string[], input?: string): string {
  for (let i = 0; ; i++) {
    try { return run(cmd, args, input) } catch (err) {
      if (i >= 50 || !/lock/i.test(String((err as { stderr?: unknown }).stderr ?? ''))) throw err
      execFileSync('sleep', ['0.1'])
    }
  }
}

let prepared = false

/** Users, sudoers rule and tools, once per process (idempotent across processes). */
export function prepareOpenSsh (users: SimUser[] = [OPENSSH_USER, OPENSSH_HOP_USER]): void {
  if (prepared) return
  if (process.getuid?.() !== 0) throw new Error('the real-OpenSSH site needs root (to create its test users and sudoers rule)')
  for (const bin of ['/usr/sbin/sshd', '/usr/bin/sudo']) if (!existsSync(bin)) throw new Error(`${bin} is missing: the test pre-step installs openssh-server and sudo`)
  mkdirSync(TOOLS_DIR, { recursive: true, mode: 0o755 })
  for (const [src, dst] of [['sim/openssh/fwsim-exec', 'fwsim-exec'], ['sim/openssh/docker', 'docker'], ['sim/bin/docker', 'docker-sh'], ['sim/tools/docker.mjs', 'docker.mjs']]) {
    replaceFile(path.join(TOOLS_DIR, dst), tmp => { copyFileSync(path.join(packageRoot(), src), tmp); chmodSync(tmp, 0o755) })
  }
  for (const u of users) {
    try { run('id', [u.username]) } catch {
      try { runLocked('useradd', ['--no-create-home', '--home-dir', '/', '--shell', '/bin/sh', u.username]) } catch (err) {
        // another process made it meanwhile
        if (!/already exists/.test(String((err as { stderr?: unknown }).stderr ?? ''))) throw err
      }
    }
    runLocked('usermod', ['--home', '/', u.username])
    runLocked('chpasswd', [], `${u.username}:${u.password}\n`)
  }
  const names = users.map(u => u.username).join(', ')
  replaceFile(SUDOERS, tmp => {
    writeFileSync(tmp, [
      `# fwmaint test sites: docker only, only with the user's password.`,
      `Defaults:${names} secure_path="${TOOLS_DIR}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"`,
      `Defaults:${names} env_keep += "SIM_ROOT SIM_DOCKER_NEEDS_SUDO"`,
      `Defaults:${names} !lecture, passwd_tries=1`,
      ...users.map(u => `${u.username} ALL=(root) ${TOOLS_DIR}/docker`),
      ''
    ].join('\n'), { mode: 0o440 })
    run('visudo', ['-cf', tmp])
  })
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 })
  prepared = true
}

export interface OpenSshSiteOptions {
  host: string
  root: string
  users: SimUser[]
  maxSessions?: number
  containers: SimContainer[]
}

export class OpenSshSite {
  port = 0
  private child?: ChildProcess
  log = ''

  private constructor (readonly host: string, readonly root: string) {}

  static async start (opts: OpenSshSiteOptions): Promise<OpenSshSite> {
    prepareOpenSsh()
    const site = new OpenSshSite(opts.host, opts.root)
    for (const d of ['etc', 'state', 'run', 'home']) mkdirSync(path.join(opts.root, d), { recursive: true })
    // The site's files are read by its (unprivileged) users.
    for (let d = opts.root; d !== path.dirname(d) && d.startsWith(path.dirname(opts.root)); d = path.dirname(d)) chmodSync(d, 0o755)
    writeContainers(opts.root, opts.containers)
    const commands = path.join(opts.root, 'state', 'commands.log')
    writeFileSync(commands, '')
    chmodSync(commands, 0o666)
    const key = path.join(opts.root, 'etc', 'ssh_host_ed25519_key')
    if (!existsSync(key)) run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key])
    site.port = await freePort(opts.host)
    const conf = path.join(opts.root, 'etc', 'sshd_config')
    writeFileSync(conf, [
      `Port ${site.port}`,
      `ListenAddress ${opts.host}`,
      `HostKey ${key}`,
      `PidFile ${path.join(opts.root, 'run', 'sshd.pid')}`,
      'AuthorizedKeysFile none',
      'PubkeyAuthentication no',
      'PasswordAuthentication yes',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'PermitRootLogin no',
      `MaxSessions ${opts.maxSessions ?? 10}`,
      'MaxStartups 100:30:200',
      'AllowTcpForwarding yes',
      'X11Forwarding no',
      'PrintMotd no',
      'StrictModes no',
      'LogLevel VERBOSE',
      `AllowUsers ${opts.users.map(u => u.username).join(' ')}`,
      `SetEnv SIM_ROOT=${opts.root} SIM_DOCKER_NEEDS_SUDO=1 PATH=/usr/local/bin:/usr/bin:/bin`,
      `ForceCommand ${TOOLS_DIR}/fwsim-exec`,
      ''
    ].join('\n'))
    site.child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', conf], { stdio: ['ignore', 'ignore', 'pipe'] })
    site.child.stderr!.on('data', (d: Buffer) => { site.log = (site.log + d.toString()).slice(-20_000) })
    // Until sshd listens or exits; 60 s only for a start that hangs (a busy machine takes seconds).
    const until = Date.now() + 60_000
    while (Date.now() < until) {
      if (await new Promise<boolean>(resolve => {
        const s = net.connect(site.port, opts.host)
        s.once('connect', () => { s.destroy(); resolve(true) })
        s.once('error', () => { resolve(false) })
      })) return site
      if (site.child.exitCode !== null) break
      await new Promise(resolve => setTimeout(resolve, 20))
    }
    throw new Error(`sshd did not start: ${site.log}`)
  }

  setContainerState (name: string, state: SimContainer['state']): void { setContainerState(this.root, name, state) }

  /** Commands sshd ran for this site (recorded by its ForceCommand). */
  get commands (): string[] {
    return readFileSync(path.join(this.root, 'state', 'commands.log'), 'utf8').split('\0').slice(0, -1)
  }

  /** Processes of this site's sessions still running (found by their SIM_ROOT). */
  get runningProcesses (): number {
    let n = 0
    for (const pid of readdirSync('/proc').filter(p => /^\d+$/.test(p))) {
      try {
        if (readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`SIM_ROOT=${this.root}`)) n++
      } catch { /* gone */ }
    }
    return n
  }

  async close (): Promise<void> {
    if (this.child === undefined || this.child.exitCode !== null) return
    const exited = new Promise(resolve => this.child!.once('exit', resolve))
    this.child.kill('SIGTERM')
    await exited
  }
}

export interface OpenSshRegion {
  name: string
  root: string
  entry: Record<string, unknown>
  servers: Map<number, OpenSshSite>
  user: SimUser
  inventory: import('./inventory.js').SimCamera[]
  hls: Map<number, import('./hls-origin.js').HlsOrigin>
  logs: { gstreamer: string, ffmpeg: string }
  close: () => Promise<void>
}

/**
 * The same region as sim/region.ts builds, but every analysis server is a real sshd: hops
 * reach servers 2/3 by their real loopback address, the Mongo container publishes the real
 * port of the inventory server, each HLS server is on its real port.
 */
export async function startOpenSshRegion (opts: import('./region.js').SimRegionOptions): Promise<OpenSshRegion> {
  const { startServices, writeRegionLogs, regionLogs } = await import('./region.js')
  const { mkdtempSync, rmSync } = await import('node:fs')
  const os = await import('node:os')
  prepareOpenSsh()
  const root = mkdtempSync(path.join(os.tmpdir(), 'fwossh-'))
  const host = opts.host ?? '127.0.0.1'
  const serverCount = Math.min(3, Math.max(1, opts.servers ?? 1))
  const started: Array<{ close: () => Promise<void> }> = []
  const close = async (): Promise<void> => {
    for (const s of started.reverse()) await s.close().catch(() => {})
    rmSync(root, { recursive: true, force: true })
  }
  try {
    const { inventory, mongo, hls } = await startServices(opts, root, host, serverCount, started)
    const logs = regionLogs(root)
    const servers = new Map<number, OpenSshSite>()
    const hopOwn = opts.hopUsers !== undefined
    for (let n = 1; n <= serverCount; n++) {
      const users = n > 1 && opts.hopUsers?.[n] !== undefined ? [OPENSSH_HOP_USER] : [OPENSSH_USER]
      const fw: SimContainer = { name: 'firewatcher', image: 'firewatcher:v2.1', state: 'running', ports: '' }
      const containers: SimContainer[] = n === 1 && mongo !== undefined
        ? [{ name: 'mongo', image: 'mongo:6.0', state: 'running', ports: `0.0.0.0:${mongo.port}->27017/tcp` }, fw]
        : [fw]
      const site = await OpenSshSite.start({ host: n === 1 ? host : '127.0.0.1', root: path.join(root, `svr${n}`), users, maxSessions: opts.maxSessions, containers })
      started.push(site)
      servers.set(n, site)
    }
    writeRegionLogs(opts, logs, servers.keys(), inventory)
    // The users read the logs; host keys stay 0600 (sshd refuses world-readable ones).
    for (const n of servers.keys()) run('chmod', ['-R', 'a+rX', path.join(root, `svr${n}`, 'home')])
    const serversEntry: Record<string, unknown> = {}
    for (const [n, site] of servers) {
      const hlsPort = hls.get(n)?.port
      const own = n > 1 && hopOwn && opts.hopUsers?.[n] !== undefined ? { id: OPENSSH_HOP_USER.username, password: OPENSSH_HOP_USER.password } : {}
      serversEntry[n] = {
        ...(n === 1 ? {} : { host: site.host, port: site.port }),
        ...own,
        ...(hlsPort === undefined ? {} : { hls: { port: hlsPort } })
      }
    }
    const entry = {
      ssh: { host: servers.get(1)!.host, port: servers.get(1)!.port },
      page_url: `http://${host}:8080/`,
      docker: { sudo: true },
      mongo: { container: { name: 'mongo' } },
      servers: serversEntry,
      logs
    }
    return { name: opts.name, root, entry, servers, user: OPENSSH_USER, inventory, hls, logs, close }
  } catch (err) {
    await close()
    throw err
  }
}
