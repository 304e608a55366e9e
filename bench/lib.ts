import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync, chmodSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { stringify } from 'yaml'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** The machine, for the record. */
export function machine (): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU'
  return `${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.type()} ${os.release()}`
}

/**
 * The gateway as its own process (server.ts with a generated regions file), so its CPU and
 * memory are measured alone and the load generator does not share its event loop.
 */
export class GatewayProcess {
  child!: ChildProcess
  base = ''
  private out = ''
  private partial = ''
  private lines: Array<Record<string, any>> = []

  static async start (regions: Record<string, unknown>, env: Record<string, string> = {}): Promise<GatewayProcess> {
    const g = new GatewayProcess()
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fwbench-'))
    const file = path.join(dir, 'regions.yaml')
    writeFileSync(file, stringify({ regions }))
    const childEnv: NodeJS.ProcessEnv = {
      ...process.env,
      REGIONS_FILE: file,
      PORT: '0',
      LOG_LEVEL: env.LOG_LEVEL ?? 'info',
      SESSION_SECRET: 'bench-secret-bench-secret-bench-secret-123',
      KNOWN_HOSTS_FILE: path.join(dir, 'known_hosts.json'),
      AUDIT_LOG: path.join(dir, 'audit.log'),
      RATE_LIMIT_MAX: '100000000',
      LOGIN_RATE_MAX: '100000',
      ...env
    }
    delete childEnv.NODE_OPTIONS
    // The built server, as in production (`npm run bench` builds first).
    g.child = spawn(process.execPath, [...(process.env.BENCH_GW_NODE_ARGS ?? '').split(' ').filter(Boolean), 'dist/server.js'], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
    const onData = (d: Buffer): void => {
      const text = d.toString()
      if (g.base === '') g.out += text
      const parts = (g.partial + text).split('\n')
      g.partial = parts.pop() ?? ''
      for (const l of parts) if (l.startsWith('{')) { try { g.lines.push(JSON.parse(l)) } catch { /* not JSON */ } }
    }
    g.child.stdout!.on('data', onData)
    g.child.stderr!.on('data', onData)
    const until = Date.now() + 30_000
    while (Date.now() < until) {
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)|"listening":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(g.out)
      if (m !== null) { g.base = m[1] ?? m[2]; return g }
      await sleep(50)
    }
    throw new Error('gateway did not start: ' + g.out.slice(-2000))
  }

  /** Resident memory of the gateway process, MiB. */
  rssMiB (): number {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.child.pid!}/status`, 'utf8'))
    return m === null ? Number.NaN : Number(m[1]) / 1024
  }

  /** CPU seconds (user + system) used by the gateway so far. */
  cpuSeconds (): number {
    const f = readFileSync(`/proc/${this.child.pid!}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(f[11]) + Number(f[12])) / 100
  }

  /** Log lines (JSON) printed since the last clearLog(). */
  logLines (): Array<Record<string, any>> { return this.lines }

  clearLog (): void { this.lines = [] }

  async stop (): Promise<void> {
    const done = new Promise(resolve => this.child.once('exit', resolve))
    this.child.kill('SIGTERM')
    await done
  }
}

export const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

/** A browser session: logs in, keeps its cookie. */
export class Session {
  cookie = ''
  constructor (readonly base: string) {}

  async login (region: string, entry: { ssh: { host: string, port: number } }, id: string, password: string): Promise<void> {
    const r = await this.post('/api/ssh_connect', { host: entry.ssh.host, port: entry.ssh.port, id, password, region })
    if (r.status !== 200) throw new Error(`login ${region}: ${r.status} ${JSON.stringify(r.body)}`)
  }

  async post (url: string, body?: unknown): Promise<{ status: number, body: any, ms: number }> {
    const t0 = performance.now()
    const res = await fetch(this.base + url, {
      method: 'POST',
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(this.cookie ? { cookie: this.cookie } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body)
    })
    const text = await res.text()
    const ms = performance.now() - t0
    const set = res.headers.get('set-cookie')
    if (set !== null) this.cookie = set.split(';')[0]
    let parsed: unknown = text
    try { parsed = JSON.parse(text) } catch { /* not JSON */ }
    return { status: res.status, body: parsed, ms }
  }

  async get (url: string): Promise<{ status: number, bytes: number, ms: number }> {
    const t0 = performance.now()
    const res = await fetch(url.startsWith('http') ? url : this.base + url, { headers: this.cookie ? { cookie: this.cookie } : {} })
    const buf = await res.arrayBuffer()
    return { status: res.status, bytes: buf.byteLength, ms: performance.now() - t0 }
  }
}

export function pct (values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b)
  if (s.length === 0) return Number.NaN
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]
}

export const median = (v: number[]): number => pct(v, 50)

/** Environment for Debian's OpenSSH client to log in with a password, non-interactively. */
export function askpassEnv (password: string): NodeJS.ProcessEnv {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fwaskpass-'))
  const pw = path.join(dir, 'pw')
  writeFileSync(pw, password, { mode: 0o600 })
  const script = path.join(dir, 'askpass.sh')
  writeFileSync(script, `#!/bin/sh\ncat '${pw}'\n`)
  chmodSync(script, 0o700)
  const env: NodeJS.ProcessEnv = { ...process.env, SSH_ASKPASS: script, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' }
  delete env.NODE_OPTIONS
  return env
}

export function sshArgs (host: string, port: number, user: string): string[] {
  return ['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR',
    '-o', 'PubkeyAuthentication=no', '-o', 'PreferredAuthentications=password', '-p', String(port), `${user}@${host}`]
}

/** Runs a command, resolves with its wall time in ms (stdout counted, not kept). */
export async function timed (cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<{ ms: number, code: number | null, bytes: number, stderr: string }> {
  const t0 = performance.now()
  return await new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let bytes = 0
    let stderr = ''
    c.stdout.on('data', (d: Buffer) => { bytes += d.length })
    c.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    c.on('error', reject)
    c.on('close', code => { resolve({ ms: performance.now() - t0, code, bytes, stderr }) })
  })
}

export const f1 = (n: number): string => n.toFixed(1)
export const f2 = (n: number): string => n.toFixed(2)

/** An OpenSSH master connection (ControlMaster) whose later `ssh` runs reuse it. */
export async function sshMaster (host: string, port: number, user: string, env: NodeJS.ProcessEnv): Promise<{ args: string[], close: () => Promise<void> }> {
  const sock = path.join(mkdtempSync(path.join(os.tmpdir(), 'fwcm-')), 'cm')
  const base = ['-o', `ControlPath=${sock}`, ...sshArgs(host, port, user)]
  const r = await timed('ssh', ['-o', 'ControlMaster=yes', '-o', 'ControlPersist=600', '-f', '-N', ...base], env)
  if (r.code !== 0) throw new Error('ssh master: ' + r.stderr)
  return {
    args: ['-o', 'ControlMaster=no', ...base],
    close: async () => { await timed('ssh', ['-O', 'exit', ...base], env) }
  }
}
