import { randomBytes } from 'node:crypto'
import { StringDecoder } from 'node:string_decoder'
import { ContainerNotFoundError, RemoteError } from '../errors.js'
import { maskKnown, maskSecrets } from '../mask.js'
import type { ContainerInfo } from '../site/containers.js'
import { SUDO_REFUSED, remoteFailure } from '../site/remote-failure.js'
import type { ServerConfig } from '../config/regions.js'
import type { SiteSession } from '../site/session.js'
import { PROTOCOL_WHITELIST, checkStreamUrl, failureText, noAnswer, retryOverTcp, safeDecode, withNoAnswerNote, summarize, type ProbeResult } from './ffprobe.js'

/*
 * One `docker exec` per server per batch: a POSIX-sh runner inside the FireWatcher container
 * (only sh, timeout, ffprobe and /proc; no other tool assumed) probes the cameras the gateway feeds it
 * on stdin, one line each (`<n> <tcp 0|1> <url>`: URLs never reach a command line). Each line
 * starts one background probe at once; the gateway keeps at most `concurrency` lines
 * outstanding, so the limit is exact and the next camera starts as soon as one ends. Every
 * line the runner prints starts with a per-batch random boundary that camera output cannot
 * guess:
 *   B pid <runner pid>            B start <n>
 *   B end <n> <exit status> <centiseconds>, then ffprobe's output (its last 3,000 bytes), then `B .`
 * The time is the container's own (/proc/uptime around ffprobe): when lines reach the gateway
 * depends on a busy machine, and "did the camera answer within the socket timeout" must not.
 * A container without a readable /proc/uptime prints no time; then the gateway's clock between
 * `start` and `end` stands in.
 * A record stays under PIPE_BUF (4,096 bytes) and is written by one printf, so records from
 * parallel probes never interleave. Cancel: CANCEL_SCRIPT, by a second exec in the container
 * (killing the `docker exec` client alone would orphan the probes on a real Docker), then the
 * runner's channel is closed (its process group on the site is killed as for any command).
 */
export const RUNNER_SCRIPT = `B=$1 L=$2 T=$3 W=$4 A=$5
printf '%s pid %s\\n' "$B" "$$"
probe() {
  case "$3" in rtmp:*) o=-rw_timeout ;; *) o=-timeout ;; esac
  if [ "$2" = 1 ]; then set -- "$1" "$2" "$3" "$o" -rtsp_transport tcp; else set -- "$1" "$2" "$3" "$o"; fi
  printf '%s start %s\\n' "$B" "$1"
  s0= s1= e=
  read -r s0 x 2>/dev/null </proc/uptime
  r=$(timeout -k 1 "$L" ffprobe -hide_banner -v error -protocol_whitelist "$W" "$4" "$T" $5 $6 -analyzeduration "$A" -probesize 1000000 -show_entries 'stream=index,codec_type,codec_name,profile,width,height,pix_fmt,avg_frame_rate,r_frame_rate,sample_rate,channels,bit_rate:format=format_name,bit_rate' -of json=c=1 -i "$3" </dev/null 2>&1)
  c=$?
  read -r s1 x 2>/dev/null </proc/uptime
  case "$s0 $s1" in *.*' '*.*) e=$(( \${s1%.*}\${s1#*.} - \${s0%.*}\${s0#*.} )) ;; esac
  while [ \${#r} -gt 3000 ]; do r=\${r#????????????????????????????????????????????????????????????????}; done
  printf '%s end %s %s %s\\n%s\\n%s .\\n' "$B" "$1" "$c" "$e" "$r" "$B"
}
while IFS=' ' read -r n t u; do
  probe "$n" "$t" "$u" &
done
wait
`

/**
 * Stops a runner (`$1`, its PID in the container) and everything it started, with sh builtins
 * only. PIDs the runner reported would not do: a probe forked after the gateway last read its
 * output would be missed, and `timeout` leads its own process group, so no group kill reaches it.
 * So: stop the runner (no more forks), then walk /proc for its descendants by PPid, stopping
 * each as it is found (a stopped process forks nothing), until a walk finds none new; then
 * SIGKILL them all (a stopped process takes nothing else; ffprobe holds nothing to clean up).
 * No process group is signalled: inside a container the exec's group may reach outside it.
 */
export const CANCEL_SCRIPT = `case "$1" in ''|*[!0-9]*|1) exit 0 ;; esac
kill -STOP "$1" 2>/dev/null || exit 0
F=" $1 " n=1
while [ "$n" -gt 0 ]; do
  n=0
  for d in /proc/[0-9]*; do
    p=\${d#/proc/}
    case "$F" in *" $p "*) continue ;; esac
    q=
    while read -r k v; do [ "$k" = PPid: ] && { q=$v; break; }; done 2>/dev/null <"$d/status"
    case "$F" in *" $q "*) kill -STOP "$p" 2>/dev/null; F="$F$p " n=$((n + 1)) ;; esac
  done
done
kill -KILL $F 2>/dev/null
true
`

export interface BatchOptions {
  /** Probes at once on this server. */
  concurrency: number
  /** Each probe's limit (seconds), as for a single probe. */
  limitSec: number
  /** How much of a live stream ffprobe reads to report it (µs; 2 s, as a single probe, by default). */
  analyzeUs?: number
  signal?: AbortSignal
  /** A camera's result as soon as it is known; `ms` from its probe's start to its end. */
  onResult: (index: number, result: ProbeResult, ms: number) => void
}

/** The container cannot run the runner (no sh or no timeout in it): probe one exec per camera instead. */
export class RunnerUnavailableError extends Error {}

interface Job { url: string, scheme: string, secrets: Array<string | undefined>, socketTimeout: number, startedAt?: number, spentMs: number, tcp: boolean }

/**
 * Probes `urls` from inside `container` on `server` with one runner: resolves when every camera
 * has a result (through `onResult`), rejects when the runner itself fails (the cameras without
 * a result are the caller's to report). A URL that is not a stream URL never reaches the site:
 * its result is that reason.
 */
export async function probeBatch (site: SiteSession, server: ServerConfig, container: ContainerInfo, urls: string[], opts: BatchOptions): Promise<void> {
  const boundary = `fwr-${randomBytes(12).toString('hex')}`
  const socketTimeout = Math.max(1, opts.limitSec - 3)
  const jobs = new Map<number, Job>()
  const queue: Array<{ n: number, tcp: boolean }> = []
  for (const [n, url] of urls.entries()) {
    try {
      const parsed = checkStreamUrl(url)
      jobs.set(n, { url, scheme: parsed.protocol.replace(':', ''), secrets: [parsed.password, safeDecode(parsed.password)], socketTimeout, spentMs: 0, tcp: false })
      queue.push({ n, tcp: false })
    } catch (err) {
      opts.onResult(n, { message: (err as Error).message, reachable: false, summary: { format: null, streams: [] }, transport: 'default', attempts: 0, timed_out: false }, 0)
    }
  }
  if (queue.length === 0) return

  let runnerPid: string | undefined
  // The runner prints its pid first; on a busy machine a cancel can come before the gateway has
  // read that line, though probes already run: the cancel waits for it (a little) instead of
  // closing the channel and orphaning the probes' `timeout`s.
  let pidArrived: () => void = () => {}
  const pidKnown = new Promise<void>(resolve => { pidArrived = resolve })
  let outstanding = 0
  let remaining = jobs.size
  let stdin: { write: (text: string) => void, end: () => void } | undefined
  let records = 0
  const stop = new AbortController()
  let idle: NodeJS.Timeout | undefined
  const watch = (): void => {
    clearTimeout(idle)
    // A runner that prints nothing for longer than any probe can take has hung (or its link has).
    idle = setTimeout(() => { stop.abort(new RemoteError(`the probe runner on server ${server.n} stopped answering`)) }, (opts.limitSec + 15) * 1000)
  }

  const feed = (): void => {
    while (stdin !== undefined && outstanding < opts.concurrency && queue.length > 0) {
      const { n, tcp } = queue.shift()!
      outstanding++
      stdin.write(`${n} ${tcp ? 1 : 0} ${jobs.get(n)!.url}\n`)
    }
    if (stdin !== undefined && remaining === 0) { stdin.end(); stdin = undefined }
  }

  const finish = (n: number, code: number, output: string, cs?: number): void => {
    const job = jobs.get(n)
    if (job === undefined) return
    if (code === 127 && /\b(timeout|ffprobe)\b[^\n]*not found/.test(output)) {
      // The shell is there but a tool is not: no probe can run this way.
      stop.abort(new RunnerUnavailableError(`the container cannot run the probe runner: ${maskSecrets(output.trim().split('\n').pop() ?? '')}`))
      return
    }
    outstanding--
    const ms = cs !== undefined ? cs * 10 : job.startedAt === undefined ? 0 : Date.now() - job.startedAt
    job.spentMs += ms
    const json = output.search(/^\{$/m)
    const errText = json === -1 ? output : output.slice(0, json)
    const summary = summarize(json === -1 ? '' : output.slice(json))
    const ok = code === 0 && summary.streams.length > 0
    const text = ok ? errText.trim() : withNoAnswerNote(failureText(errText, code, opts.limitSec), ms, job.socketTimeout)
    if (!ok && !job.tcp && retryOverTcp(job.scheme, text)) {
      // As a single probe does: a second try over TCP, first in line.
      job.tcp = true
      job.startedAt = undefined
      queue.unshift({ n, tcp: true })
      return
    }
    jobs.delete(n)
    remaining--
    opts.onResult(n, { message: maskKnown(text, job.secrets), reachable: ok, summary, transport: job.tcp ? 'tcp' : 'default', attempts: job.tcp ? 2 : 1, timed_out: !ok && noAnswer(code, ms, job.socketTimeout) }, job.spentMs)
  }

  // The stream of records, parsed as it arrives (a record may span chunks).
  let buf = ''
  const decoder = new StringDecoder('utf8')
  let open: { n: number, code: number, cs: number | undefined, lines: string[] } | undefined
  const onStdout = (chunk: Buffer): void => {
    watch()
    buf += decoder.write(chunk)
    let nl
    while ((nl = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, nl)
      buf = buf.slice(nl + 1)
      if (open !== undefined) {
        if (line === `${boundary} .`) { const r = open; open = undefined; records++; finish(r.n, r.code, r.lines.join('\n'), r.cs) } else if (open.lines.length < 400) open.lines.push(line)
        continue
      }
      if (!line.startsWith(boundary + ' ')) continue
      const [what, a, b, c] = line.slice(boundary.length + 1).split(' ')
      if (what === 'pid') { runnerPid = a; pidArrived() }
      else if (what === 'start') { const j = jobs.get(Number(a)); if (j !== undefined) j.startedAt = Date.now() }
      else if (what === 'end') open = { n: Number(a), code: Number(b), cs: c === undefined || !/^\d+$/.test(c) ? undefined : Number(c), lines: [] }
    }
    feed()
  }

  const kill = async (): Promise<void> => {
    // At most 5 s: a runner that never started prints nothing.
    if (runnerPid === undefined) await Promise.race([pidKnown, new Promise(resolve => setTimeout(resolve, 5000).unref())])
    if (runnerPid === undefined || !/^\d+$/.test(runnerPid)) return
    await site.run(server, {
      argv: ['docker', 'exec', container.id, 'sh', '-c', CANCEL_SCRIPT, 'fwmaint-cancel', runnerPid],
      timeoutSec: 10,
      sudo: server.docker.sudo
    }, { maxStdoutBytes: 1024, maxStderrBytes: 4096 }).catch(() => {})
  }

  const signal = AbortSignal.any([stop.signal, ...(opts.signal === undefined ? [] : [opts.signal])])
  let killing: Promise<void> | undefined
  // The runner's channel is closed (and its process group killed) only once the cancel exec is
  // done: that group kill would take the probes' parents first and leave their `timeout`s
  // (own process groups) orphaned, out of reach of the walk by PPid.
  const close = new AbortController()
  const onAbort = (): void => { killing ??= kill().finally(() => { close.abort(signal.reason) }) }
  signal.addEventListener('abort', onAbort, { once: true })
  watch()
  const rounds = Math.ceil((2 * jobs.size) / opts.concurrency) + 2
  try {
    const r = await site.run(server, {
      argv: ['docker', 'exec', '-i', container.id, 'sh', '-c', RUNNER_SCRIPT, 'fwmaint-runner', boundary, String(opts.limitSec), String(socketTimeout * 1_000_000), PROTOCOL_WHITELIST, String(opts.analyzeUs ?? 2_000_000)],
      // The whole batch's bound: every camera timing out, twice; the idle watch ends it sooner.
      timeoutSec: Math.min(86_400, rounds * (opts.limitSec + 3)),
      sudo: server.docker.sudo
    }, { onStdout, input: s => { stdin = s; feed() }, maxStderrBytes: 64 * 1024, signal: close.signal })
    const stderr = r.stderr.toString('utf8')
    if (remaining === 0) return
    if (r.code !== 0 && /No such container|is not running/.test(stderr)) throw new ContainerNotFoundError()
    if (r.code !== 0 && (SUDO_REFUSED.test(stderr) || /permission denied while trying to connect to the Docker daemon/.test(stderr))) throw remoteFailure('probe runner', stderr, r.code)
    if (records === 0 && (r.code === 126 || r.code === 127 || /executable file not found|not found/.test(stderr))) {
      throw new RunnerUnavailableError(`the container cannot run the probe runner: ${maskSecrets(stderr.trim().split('\n').pop() ?? '')}`)
    }
    throw new RemoteError(`the probe runner on server ${server.n} ended early (exit ${String(r.code)}): ${maskSecrets(stderr.trim().split('\n').slice(-2).join(' ')) || 'no message'}`)
  } catch (err) {
    if (stop.signal.aborted && !(opts.signal?.aborted ?? false)) throw stop.signal.reason
    throw err
  } finally {
    clearTimeout(idle)
    signal.removeEventListener('abort', onAbort)
    await killing
  }
}
