import { EventEmitter } from 'node:events'
import type { Duplex } from 'node:stream'
import { NodeSSH } from 'node-ssh'
import type { Client, ClientChannel } from 'ssh2'
import pLimit, { type LimitFunction } from 'p-limit'
import { AuthFailedError, RemoteError } from '../errors.js'
import type { KnownHosts } from './known-hosts.js'
import { PID_MARK, killCommand } from './remote-command.js'

export interface SshCredentials {
  host: string
  port: number
  username: string
  password: string
}

export interface SshOptions {
  readyTimeoutMs: number
  keepaliveIntervalMs: number
  keepaliveCountMax: number
  /** Concurrent exec channels on this connection; more work waits in a queue. */
  maxChannels: number
  /** An already-open stream to carry the SSH connection (a hop through server 1). */
  sock?: Duplex
  /** Checks the host's identity against the known-hosts store (or a pinned fingerprint). */
  identity?: { knownHosts: KnownHosts, hostId: string, pinned?: string }
}

export interface ExecOptions {
  stdin?: string
  /** Local limit: the channel is closed and the call fails with "Timeout" after this. */
  timeoutMs: number
  /** stdout beyond this many bytes is dropped and `truncated` set (the channel is closed early). */
  maxStdoutBytes?: number
  maxStderrBytes?: number
  /** Aborting closes the channel (the remote `timeout` wrapper ends the process). */
  signal?: AbortSignal
  /** stdout as it arrives, instead of collected (then `stdout` is empty and no cap applies). */
  onStdout?: (chunk: Buffer) => void
  /** Keeps stdin open after `stdin`: the caller writes more as it goes and ends it. */
  input?: (stdin: { write: (text: string) => void, end: () => void }) => void
}

interface ExitStatus { code: number | null, signal: string | null }

export interface ExecResult {
  code: number | null
  signal: string | null
  stdout: Buffer
  stderr: Buffer
  truncated: boolean
}

const DEFAULT_MAX_STDOUT = 8 * 1024 * 1024
const DEFAULT_MAX_STDERR = 64 * 1024

/**
 * Translates a connection failure into the contract's answer: 401 for refused
 * credentials, 500 with a short cause ("Timeout", "Connection refused") otherwise.
 */
export function connectError (err: unknown): Error {
  const e = err as { level?: string, code?: string, message?: string, reason?: number }
  if (e?.level === 'client-authentication') return new AuthFailedError()
  const msg = e?.message ?? String(err)
  // A refused direct-tcpip channel (RFC 4254 §5.1): OpenSSH says why in the description;
  // other servers may leave it empty, then the reason code is all there is.
  if (/Channel open failure: *$/.test(msg)) {
    switch (e.reason) {
      case 1: return new RemoteError('forwarding refused by the site server (AllowTcpForwarding?)')
      case 2: return new RemoteError('Connection failed', { code: 'SITE_UNREACHABLE' })
      case 4: return new RemoteError('the site server has no channel to spare')
    }
  }
  if (e?.level === 'client-timeout' || /timed out|timeout/i.test(msg) || e?.code === 'ETIMEDOUT') return new RemoteError('Timeout', { code: 'REMOTE_TIMEOUT' })
  switch (e?.code) {
    case 'ECONNREFUSED': return new RemoteError('Connection refused', { code: 'SITE_UNREACHABLE' })
    case 'EHOSTUNREACH': return new RemoteError('Host unreachable', { code: 'SITE_UNREACHABLE' })
    case 'ENETUNREACH': return new RemoteError('Network unreachable', { code: 'SITE_UNREACHABLE' })
    case 'ECONNRESET': return new RemoteError('Connection reset by peer', { code: 'SITE_UNREACHABLE' })
    case 'ENOTFOUND':
    case 'EAI_AGAIN': return new RemoteError('Host not found', { code: 'SITE_UNREACHABLE' })
  }
  if (/Connection refused/i.test(msg)) return new RemoteError('Connection refused', { code: 'SITE_UNREACHABLE' })
  // ssh2 fails requests still waiting when the connection goes away with this text.
  if (/^No response from server$/.test(msg) && e?.code === undefined) return new RemoteError('Connection lost', { code: 'SITE_UNREACHABLE' })
  if (/All configured authentication methods failed/i.test(msg)) return new AuthFailedError()
  return new RemoteError(msg.replace(/^\(SSH\) /, ''))
}

function isChannelOpenFailure (err: unknown): boolean {
  return /Channel open failure|open failed/i.test((err as Error)?.message ?? '')
}

/**
 * One SSH connection to a site server, owned by one browser session.
 * Wraps node-ssh for the handshake and uses its ssh2 Client for everything else.
 */
export class SshConnection extends EventEmitter {
  readonly client: Client
  readonly host: string
  readonly port: number
  readonly username: string
  /** Kept in memory only, for `sudo -S` on stdin and for hops with the same credentials. */
  readonly password: string
  private readonly limit: LimitFunction
  private readonly channels = new Set<ClientChannel>()
  private _alive = true
  closeReason?: string

  private constructor (client: Client, creds: SshCredentials, maxChannels: number) {
    super()
    this.client = client
    this.host = creds.host
    this.port = creds.port
    this.username = creds.username
    this.password = creds.password
    this.limit = pLimit(maxChannels)
    // Request/response traffic of small packets: Nagle + delayed ACK would add ~40 ms to each
    // command (measured in bench/warm-latency.ts). ssh2 leaves it on by default.
    client.setNoDelay(true)
    // After `ready` node-ssh stops listening for errors; an unheard 'error' would crash the process.
    client.on('error', (err: Error) => { this.markClosed(err.message) })
    client.on('end', () => { this.markClosed('connection ended') })
    client.on('close', () => { this.markClosed('connection closed') })
  }

  static async connect (creds: SshCredentials, opts: SshOptions): Promise<SshConnection> {
    const ssh = new NodeSSH()
    const identity = opts.identity === undefined ? undefined : opts.identity.knownHosts.verifier(opts.identity.hostId, opts.identity.pinned)
    try {
      await ssh.connect({
        host: opts.sock ? undefined : creds.host,
        port: creds.port,
        sock: opts.sock as never,
        username: creds.username,
        password: creds.password,
        tryKeyboard: true,
        readyTimeout: opts.readyTimeoutMs,
        keepaliveInterval: opts.keepaliveIntervalMs,
        keepaliveCountMax: opts.keepaliveCountMax,
        hostVerifier: identity?.verify as never
      })
    } catch (err) {
      ssh.dispose()
      // Checked before the password is ever sent: a host that fails it never sees the credentials.
      if (identity?.result.mismatch !== undefined) throw identity.result.mismatch
      throw connectError(err)
    }
    const client = ssh.connection
    if (client === null) throw new RemoteError('Connection closed', { code: 'SITE_UNREACHABLE' })
    return new SshConnection(client, creds, opts.maxChannels)
  }

  get alive (): boolean { return this._alive }
  get activeChannels (): number { return this.channels.size }
  get queuedCommands (): number { return this.limit.pendingCount }

  private markClosed (reason: string): void {
    if (!this._alive) return
    this._alive = false
    this.closeReason = reason
    this.emit('closed', reason)
  }

  close (): void {
    this.markClosed('closed by gateway')
    for (const ch of this.channels) ch.destroy()
    this.channels.clear()
    this.client.end()
    // end() waits for the peer; a frozen peer would keep the socket for ever.
    setTimeout(() => { this.client.destroy() }, 1000).unref()
  }

  private openExec (command: string): Promise<{ ch: ClientChannel, exit: ExitStatus }> {
    return new Promise((resolve, reject) => {
      if (!this._alive) { reject(new RemoteError('not connected', { status: 400, code: 'NOT_CONNECTED' })); return }
      try {
        this.client.exec(command, (err, ch) => {
          if (err) { reject(err); return }
          // A fast command's exec reply, exit-status and close can arrive in one read: ssh2
          // emits 'exit' right after this callback, before any later (promise) continuation
          // could listen. Catch it here, synchronously. (Lost in 1 of 6 runs against sshd.)
          const exit: ExitStatus = { code: null, signal: null }
          ch.once('exit', (c: number | null, s?: string) => { exit.code = c; exit.signal = s ?? null })
          resolve({ ch, exit })
        })
      } catch (err) {
        reject(err)
      }
    })
  }

  /**
   * Runs one command line (built by lib/ssh/remote-command.ts) on its own channel.
   * At most `maxChannels` run at once; the rest queue. A server that still refuses a
   * channel (its MaxSessions is lower than ours) is retried briefly rather than failed.
   */
  exec (command: string, opts: ExecOptions): Promise<ExecResult> {
    return this.limit(async () => {
      let opened: { ch: ClientChannel, exit: ExitStatus } | undefined
      for (let attempt = 0; ; attempt++) {
        if (opts.signal?.aborted) throw new RemoteError('Request aborted')
        try {
          opened = await this.openExec(command)
          break
        } catch (err) {
          if (!isChannelOpenFailure(err) || attempt >= 20 || !this._alive) throw connectError(err)
          await new Promise(resolve => setTimeout(resolve, Math.min(50 * (attempt + 1), 500)))
        }
      }
      return await this.collect(opened.ch, opened.exit, opts)
    })
  }

  private collect (ch: ClientChannel, exit: ExitStatus, opts: ExecOptions): Promise<ExecResult> {
    const maxOut = opts.maxStdoutBytes ?? DEFAULT_MAX_STDOUT
    const maxErr = opts.maxStderrBytes ?? DEFAULT_MAX_STDERR
    this.channels.add(ch)
    return new Promise<ExecResult>((resolve, reject) => {
      const out: Buffer[] = []
      const err: Buffer[] = []
      let outLen = 0
      let errLen = 0
      let truncated = false
      let settled = false
      // The first stderr line of a built command names its process group (lib/ssh/remote-command.ts).
      let pid: number | undefined
      let head: string | undefined = ''
      // Aborted before the PID line arrived: kill as soon as it does.
      let killOnPid = false
      const finish = (error?: Error): void => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        opts.signal?.removeEventListener('abort', onAbort)
        this.off('closed', onLost)
        this.channels.delete(ch)
        if (error) {
          // Closing the channel does not stop a non-pty process: kill its group on the site.
          if (pid !== undefined && exit.code === null && this._alive) this.killRemote(pid)
          if (pid === undefined && head !== undefined && exit.code === null && this._alive) {
            // The PID line is still on its way: keep listening a moment before letting go.
            killOnPid = true
            setTimeout(() => { ch.destroy() }, 3000).unref()
          } else {
            ch.destroy()
          }
          reject(error)
          return
        }
        resolve({ code: exit.code, signal: exit.signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err), truncated })
      }
      const onAbort = (): void => { finish(new RemoteError('Request aborted')) }
      const onLost = (): void => { finish(new RemoteError('Connection lost', { code: 'SITE_UNREACHABLE' })) }
      const timer = setTimeout(() => { finish(new RemoteError('Timeout', { code: 'REMOTE_TIMEOUT' })) }, opts.timeoutMs)
      opts.signal?.addEventListener('abort', onAbort, { once: true })

      ch.on('data', (chunk: Buffer) => {
        if (opts.onStdout !== undefined) { opts.onStdout(chunk); return }
        if (truncated) return
        if (outLen + chunk.length > maxOut) {
          out.push(chunk.subarray(0, maxOut - outLen))
          outLen = maxOut
          truncated = true
          // Enough: stop the remote side instead of draining it.
          ch.close()
          return
        }
        out.push(chunk)
        outLen += chunk.length
      })
      const keepErr = (chunk: Buffer): void => {
        // Read always (a channel whose stderr is not read never closes); keep only the head.
        if (errLen < maxErr) { err.push(chunk.subarray(0, maxErr - errLen)); errLen += chunk.length }
      }
      ch.stderr.on('data', (chunk: Buffer) => {
        if (head === undefined) { keepErr(chunk); return }
        // Login noise (a missing home, a banner) may come before the PID line: look a few lines in.
        head += chunk.toString('latin1')
        const at = head.indexOf(PID_MARK)
        const nl = at === -1 ? -1 : head.indexOf('\n', at)
        if (at !== -1 && nl !== -1) {
          pid = Number(head.slice(at + PID_MARK.length, nl))
          if (killOnPid) { this.killRemote(pid); ch.destroy() }
          const rest = head.slice(0, at) + head.slice(nl + 1)
          if (rest !== '') keepErr(Buffer.from(rest, 'latin1'))
          head = undefined
        } else if (head.length > 4096) {
          keepErr(Buffer.from(head, 'latin1'))
          head = undefined
        }
      })
      ch.on('close', () => {
        if (head !== undefined && head !== '') keepErr(Buffer.from(head.replace(new RegExp(`${PID_MARK}\\d*\\n?`), ''), 'latin1'))
        finish()
      })
      ch.on('error', (e: Error) => { finish(new RemoteError(e.message)) })
      if (!this._alive) { finish(new RemoteError('Connection lost', { code: 'SITE_UNREACHABLE' })); return }
      this.once('closed', onLost)
      if (opts.input !== undefined) {
        if (opts.stdin !== undefined) ch.write(opts.stdin)
        opts.input({
          write: text => { if (!settled) ch.write(text) },
          end: () => { if (!settled) ch.end() }
        })
      } else if (opts.stdin !== undefined) {
        ch.end(opts.stdin)
      } else {
        ch.end()
      }
    })
  }

  /** Stops a command's process group on the site (best effort, in the background). */
  private killRemote (pid: number): void {
    this.exec(killCommand(pid), { timeoutMs: 10_000 }).catch(() => {})
  }

  /** A direct-tcpip channel from the site server to host:port (hops, Mongo, HLS). */
  forwardOut (host: string, port: number): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      if (!this._alive) { reject(new RemoteError('not connected', { status: 400, code: 'NOT_CONNECTED' })); return }
      this.client.forwardOut('127.0.0.1', 0, host, port, (err, ch) => {
        if (err) reject(connectError(err))
        else resolve(ch)
      })
    })
  }
}
