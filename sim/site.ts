import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, mkdirSync, mkdtempSync, openSync, readSync, writeFileSync, existsSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { timingSafeEqual } from 'node:crypto'
import ssh2 from 'ssh2'
import { simBinDir } from './paths.js'
import { installImageTools } from './firewatcher-image.js'

const { Server, utils } = ssh2

export interface SimUser { username: string, password: string }

export interface SimContainer {
  name: string
  image: string
  state: 'running' | 'exited'
  /** docker ps "Ports" column, e.g. "0.0.0.0:27017->27017/tcp". */
  ports?: string
  id?: string
  /** The container's own PATH (default: its bin folder, then the host's): a slim image lacks tools. */
  path?: string
}

export interface SimSiteOptions {
  /** Loopback only: the simulated site never listens elsewhere. */
  host?: string
  port?: number
  /** When `port` is taken, listen on a free port instead (the demo; the caller says so). */
  portFallback?: boolean
  /** The site's file system root (its logs, state, container bins). A temp dir when unset. */
  root?: string
  users: SimUser[]
  /** Like OpenSSH's MaxSessions: the (N+1)th concurrent session channel of one connection is refused. */
  maxSessions?: number
  /** Delay before answering a wrong password (OpenSSH waits ~2.7 s; keep tests fast). */
  authFailDelayMs?: number
  /** Docker refuses without sudo, as on the production sites. */
  dockerNeedsSudo?: boolean
  containers?: SimContainer[]
  /**
   * Where direct-tcpip forwards from this server go: "host:port" as the site sees it →
   * the real loopback address that plays it (hop servers, Mongo on 27017, HLS origins).
   */
  forwards?: Record<string, { host: string, port: number }>
  /**
   * false: only the `forwards` above answer; nothing listens on the server's own loopback
   * (a site whose containers publish on one interface, e.g. 192.168.1.5:27017).
   */
  loopbackForwards?: boolean
}

export interface SimStats {
  execs: number
  commands: string[]
  /** Session channels open right now, all connections together. */
  openSessions: number
  /** Most session channels seen open at once on any one connection. */
  maxOpenSessions: number
  refusedSessions: number
  forwards: number
  connections: number
  /**
   * ffprobe processes of this site running right now, seen in /proc when read (each carries the
   * site's SIM_ROOT): one exec per probe or many under one runner, and orphans a killed command
   * left behind, all count.
   */
  readonly probesRunning: number
  /** The most seen at once since `countProbes()` (sampled every 20 ms while commands run). */
  maxProbesRunning: number
}

function isLoopback (host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)
}

/** Replaces a file at once: a sweep reading it meanwhile sees the old state or the new, never an empty file. */
function replaceFile (file: string, text: string): void {
  writeFileSync(file + '.new', text)
  renameSync(file + '.new', file)
}

/**
 * A container as `docker ps --no-trunc --format '{{json .}}'` prints it: the one home of that
 * shape (sim/tools/docker.mjs filters and formats these rows for every other `ps`).
 */
export function psRow (c: SimContainer & { id: string, status?: string }): Record<string, string> {
  return {
    Command: '"/entrypoint.sh"', CreatedAt: '2025-03-01 09:00:00 +0900 KST', ID: c.id,
    Image: c.image, Labels: '', LocalVolumes: '0', Mounts: '', Names: c.name, Networks: 'bridge',
    Ports: c.ports ?? '', RunningFor: '3 weeks ago', Size: '0B', State: c.state,
    Status: c.status ?? (c.state === 'running' ? 'Up 3 weeks' : 'Exited (137) 2 hours ago')
  }
}

/** The docker stand-in's state ($SIM_ROOT/state/containers.json), shared by both kinds of site. */
export function writeContainers (root: string, list: SimContainer[]): void {
  const withIds = list.map((c, i) => ({ ...c, id: c.id ?? (Buffer.from(c.name).toString('hex') + String(i)).padEnd(64, 'a').slice(0, 64) }))
  const state = path.join(root, 'state')
  replaceFile(path.join(state, 'containers.json'), JSON.stringify(withIds, null, 2))
  // The same for sim/bin/docker's exec in sh: id, name, state, PATH (tab-separated).
  replaceFile(path.join(state, 'containers.tsv'), withIds.map(c => [c.id, c.name, c.state, c.path ?? ''].join('\t') + '\n').join(''))
  // And `docker ps -a --no-trunc --format '{{json .}}'`, what a sweep asks for: sim/bin/docker prints
  // it as is (written here, not by a Node start per write: a tenth of a CPU-second each).
  replaceFile(path.join(state, 'ps-a.jsonl'), withIds.map(c => JSON.stringify(psRow(c)) + '\n').join(''))
}

export function readContainers (root: string): SimContainer[] {
  return JSON.parse(readFileSync(path.join(root, 'state', 'containers.json'), 'utf8'))
}

export function setContainerState (root: string, name: string, state: SimContainer['state']): void {
  writeContainers(root, readContainers(root).map(c => c.name === name ? { ...c, state } : c))
}

/** Sets a container's PATH (undefined: back to the default). */
export function setContainerPath (root: string, name: string, dir: string | undefined): void {
  writeContainers(root, readContainers(root).map(c => c.name === name ? { ...c, path: dir } : c))
}

/**
 * ssh2 1.17's generateKeyPairSync('ed25519') returns a key its own parser rejects about
 * 3 times in 1000 ("Malformed OpenSSH private key"); draw again until it parses.
 */
export function generateHostKey (): string {
  for (;;) {
    const key = utils.generateKeyPairSync('ed25519').private
    if (!(utils.parseKey(key) instanceof Error)) return key
  }
}

function safeEqual (a: string, b: string): boolean {
  const x = Buffer.from(a); const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/**
 * A simulated FireWatcher site server: a real SSH server (ssh2's Server) with password
 * auth that runs each exec request with /bin/sh in the site's root folder, with `sudo`
 * and `docker` stand-ins first on PATH. Real sockets, real processes, real files.
 */
export class SimSite {
  readonly host: string
  readonly root: string
  readonly home: string
  port = 0
  // probesRunning reads /proc when asked (a scan per exec cost more CPU than the tests themselves).
  readonly stats: SimStats = Object.defineProperty({
    execs: 0, commands: [], openSessions: 0, maxOpenSessions: 0, refusedSessions: 0, forwards: 0, connections: 0, maxProbesRunning: 0, probesRunning: 0
  }, 'probesRunning', { get: (): number => this.probePids().length, enumerable: true })
  private readonly server: InstanceType<typeof Server>
  private readonly listener: net.Server
  private readonly sockets = new Set<net.Socket>()
  private readonly children = new Set<ChildProcess>()
  private frozen = false
  private readonly opts: SimSiteOptions
  private readonly ownsRoot: boolean

  private constructor (opts: SimSiteOptions) {
    this.opts = opts
    this.host = opts.host ?? '127.0.0.1'
    if (!isLoopback(this.host)) throw new Error(`simulated site must listen on loopback, not ${this.host}`)
    this.ownsRoot = opts.root === undefined
    this.root = opts.root ?? mkdtempSync(path.join(os.tmpdir(), 'fwsim-'))
    this.home = path.join(this.root, 'home')
    for (const d of ['home', 'state', 'etc', 'containers']) mkdirSync(path.join(this.root, d), { recursive: true })
    this.writeContainers(opts.containers ?? [])
    installImageTools(this.root, opts.containers ?? [])
    this.server = new Server({ hostKeys: [this.hostKey()] }, (client) => { this.onClient(client) })
    this.listener = net.createServer((sock) => {
      this.sockets.add(sock)
      this.stats.connections++
      sock.on('close', () => this.sockets.delete(sock))
      sock.on('error', () => {})
      this.server.injectSocket(sock)
    })
  }

  static async start (opts: SimSiteOptions): Promise<SimSite> {
    const site = new SimSite(opts)
    const listen = async (port: number): Promise<void> => { await new Promise<void>((resolve, reject) => {
      site.listener.once('error', reject)
      site.listener.listen(port, site.host, () => { site.listener.off('error', reject); resolve() })
    }) }
    try {
      await listen(opts.port ?? 0)
    } catch (err) {
      if (opts.portFallback !== true || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err
      await listen(0)
    }
    site.port = (site.listener.address() as net.AddressInfo).port
    return site
  }

  /** A stable host key per site root (as a real server keeps its own). */
  private hostKey (): string {
    const file = path.join(this.root, 'etc', 'ssh_host_ed25519_key')
    if (!existsSync(file)) writeFileSync(file, generateHostKey(), { mode: 0o600 })
    return readFileSync(file, 'utf8')
  }

  private writeContainers (list: SimContainer[]): void { writeContainers(this.root, list) }

  containers (): SimContainer[] { return readContainers(this.root) }

  /** Starts/stops a simulated container (e.g. the Mongo container going down). */
  setContainerState (name: string, state: SimContainer['state']): void { setContainerState(this.root, name, state) }

  setContainerPath (name: string, dir: string | undefined): void { setContainerPath(this.root, name, dir) }

  addForward (siteAddress: string, target: { host: string, port: number }): void {
    this.opts.forwards = { ...this.opts.forwards, [siteAddress]: target }
  }

  private onClient (client: ssh2.Connection): void {
    let user: SimUser | undefined
    // Like OpenSSH's MaxSessions: a limit per connection, not per server.
    let mine = 0
    client.on('error', () => {})
    client.on('authentication', (ctx) => {
      if (ctx.method !== 'password') { ctx.reject(['password']); return }
      const u = this.opts.users.find(x => x.username === ctx.username)
      if (u !== undefined && safeEqual(u.password, ctx.password)) { user = u; ctx.accept(); return }
      setTimeout(() => { ctx.reject(['password']) }, this.opts.authFailDelayMs ?? 200)
    })
    client.on('ready', () => {
      client.on('session', (accept, reject) => {
        if (mine >= (this.opts.maxSessions ?? 10)) { this.stats.refusedSessions++; reject(); return }
        const session = accept()
        mine++
        this.stats.openSessions++
        this.stats.maxOpenSessions = Math.max(this.stats.maxOpenSessions, mine)
        let closed = false
        const release = (): void => { if (!closed) { closed = true; mine--; this.stats.openSessions-- } }
        let child: ChildProcess | undefined
        session.on('close', release)
        session.on('signal', (_a, _r, info) => { child?.kill(`SIG${info.name}` as NodeJS.Signals) })
        session.on('exec', (acceptExec, _rejectExec, info) => {
          const ch = acceptExec()
          if (user === undefined) { ch.exit(1); ch.end(); return }
          child = this.run(info.command, user, ch)
        })
      })
      client.on('tcpip', (acceptFwd, rejectFwd, info) => { this.forward(acceptFwd, rejectFwd, info.destIP, info.destPort) })
    })
  }

  private run (command: string, user: SimUser, ch: ssh2.ServerChannel): ChildProcess {
    this.stats.execs++
    this.stats.commands.push(command)
    if (this.stats.commands.length > 1000) this.stats.commands.shift()
    this.watchProbes()
    const child = spawn('/bin/sh', ['-c', command], {
      cwd: this.home,
      env: {
        PATH: `${simBinDir()}:/usr/local/bin:/usr/bin:/bin`,
        HOME: this.home,
        USER: user.username,
        LOGNAME: user.username,
        SIM_ROOT: this.root,
        SIM_PASSWORD: user.password,
        SIM_DOCKER_NEEDS_SUDO: this.opts.dockerNeedsSudo === false ? '0' : '1'
      },
      stdio: ['pipe', 'pipe', 'pipe']
    })
    this.children.add(child)
    child.stdout!.pipe(ch, { end: false })
    child.stderr!.pipe(ch.stderr, { end: false })
    ch.pipe(child.stdin!)
    for (const s of [child.stdin!, child.stdout!, child.stderr!]) s.on('error', () => {})
    // Like sshd without a pty: a closed channel closes the pipes; the process is not killed
    // (it dies of SIGPIPE on its next write, or runs on: the gateway's `timeout` wrapper matters).
    ch.on('close', () => { child.stdout!.destroy(); child.stderr!.destroy(); child.stdin!.destroy() })
    let outDone = false; let errDone = false; let exit: [number | null, NodeJS.Signals | null] | undefined
    const maybeEnd = (): void => {
      if (!outDone || !errDone || exit === undefined) return
      const [code, signal] = exit
      try {
        if (signal !== null) ch.exit(signal.replace(/^SIG/, ''), false, '')
        else ch.exit(code ?? 0)
        ch.end()
      } catch { /* channel already gone */ }
    }
    child.stdout!.on('end', () => { outDone = true; maybeEnd() })
    child.stderr!.on('end', () => { errDone = true; maybeEnd() })
    child.stdout!.on('close', () => { outDone = true; maybeEnd() })
    child.stderr!.on('close', () => { errDone = true; maybeEnd() })
    child.on('exit', (code, signal) => { exit = [code, signal]; this.children.delete(child); maybeEnd() })
    return child
  }

  private probeTimer: NodeJS.Timeout | undefined

  private countingProbes = false

  /**
   * Starts counting the most ffprobe processes at once (from 0). Off until a test asks: a scan of
   * /proc every few ms on every simulated server was most of what the suite's processes spent.
   */
  countProbes (): void {
    this.stats.maxProbesRunning = 0
    this.countingProbes = true
    if (this.children.size > 0) this.watchProbes()
  }

  private watchProbes (): void {
    if (!this.countingProbes || this.probeTimer !== undefined) return
    this.probeTimer = setInterval(() => {
      const n = this.probePids().length
      this.stats.maxProbesRunning = Math.max(this.stats.maxProbesRunning, n)
      if (n === 0 && this.children.size === 0) { clearInterval(this.probeTimer); this.probeTimer = undefined }
    }, 20)
    this.probeTimer.unref()
  }

  /** An ffprobe's pid → whether it belongs to this server (an ffprobe does not exec again). */
  private probeOwners = new Map<number, boolean>()

  private probePids (): number[] {
    const pids: number[] = []
    const mark = `\0SIM_ROOT=${this.root}\0`
    const seen = new Set<number>()
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue
      const pid = Number(name)
      // comm first (at most 16 bytes, into one small buffer: readFileSync gives a procfs file 64 KiB, which
      // at every 20 ms on hundreds of processes was most of what health.test spent); only an
      // ffprobe's environment is read, once.
      if (readComm(pid) !== 'ffprobe\n') continue
      seen.add(pid)
      let ours = this.probeOwners.get(pid)
      if (ours === undefined) {
        try { ours = ('\0' + readFileSync(`/proc/${pid}/environ`, 'latin1')).includes(mark) } catch { continue }
        this.probeOwners.set(pid, ours)
      }
      if (ours) pids.push(pid)
    }
    for (const pid of this.probeOwners.keys()) if (!seen.has(pid)) this.probeOwners.delete(pid)
    return pids
  }

  private forward (accept: () => ssh2.ServerChannel, reject: () => void, destIP: string, destPort: number): void {
    const mapped = this.opts.forwards?.[`${destIP}:${destPort}`]
    const loopback = this.opts.loopbackForwards !== false && isLoopback(destIP)
    const target = mapped ?? (loopback ? { host: destIP === 'localhost' ? '127.0.0.1' : destIP, port: destPort } : undefined)
    // A real server would try the network; the simulator only ever dials loopback.
    if (target === undefined || !isLoopback(target.host)) { reject(); return }
    const sock = net.connect(target.port, target.host)
    let answered = false
    sock.once('error', () => { if (!answered) { answered = true; reject() } })
    sock.once('connect', () => {
      answered = true
      this.stats.forwards++
      const ch = accept()
      sock.on('error', () => { ch.destroy() })
      ch.on('error', () => { sock.destroy() })
      ch.pipe(sock).pipe(ch)
      ch.on('close', () => sock.destroy())
      sock.on('close', () => { try { ch.end() } catch { /* gone */ } })
    })
  }

  /** The server vanishes for every connected client (like a site server rebooting). */
  dropConnections (): void {
    for (const s of this.sockets) s.destroy()
  }

  /**
   * The link goes silent without closing (a cable pulled, a NAT entry gone): nothing is
   * read or answered, so only the client's keepalive can notice.
   */
  freeze (): void {
    this.frozen = true
    for (const s of this.sockets) s.pause()
  }

  get isFrozen (): boolean { return this.frozen }

  /** Client connections open right now. */
  get openConnections (): number { return this.sockets.size }

  /** Processes started by exec requests that are still running. */
  get runningProcesses (): number { return this.children.size }

  async close (): Promise<void> {
    this.dropConnections()
    clearInterval(this.probeTimer)
    // Probes a runner started in their own process groups (its `timeout`s) go too.
    for (const pid of this.probePids()) { try { process.kill(pid, 'SIGKILL') } catch { /* gone */ } }
    for (const c of this.children) {
      // A command built by the gateway leads its own process group (timeout): take it all.
      try { if (c.pid !== undefined) process.kill(-c.pid, 'SIGKILL') } catch { /* not a group leader */ }
      c.kill('SIGKILL')
    }
    await new Promise<void>(resolve => { this.listener.close(() => { resolve() }) })
    if (this.ownsRoot) rmSync(this.root, { recursive: true, force: true })
  }
}

const commBuffer = Buffer.alloc(64)

/** A process's name as /proc says it (with its newline), or '' when it is gone or not ours to read. */
function readComm (pid: number): string {
  let fd: number | undefined
  try {
    fd = openSync(`/proc/${pid}/comm`, 'r')
    return commBuffer.toString('latin1', 0, readSync(fd, commBuffer, 0, commBuffer.length, 0))
  } catch {
    return ''
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}
