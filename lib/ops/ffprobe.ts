import { BadRequestError, ContainerNotFoundError } from '../errors.js'
import type { ContainerInfo } from '../site/containers.js'
import { SUDO_REFUSED, remoteFailure } from '../site/remote-failure.js'
import { maskKnown } from '../mask.js'
import type { ServerConfig } from '../config/regions.js'
import type { SiteSession } from '../site/session.js'

export const STREAM_SCHEMES = ['rtsp', 'rtsps', 'rtmp', 'http', 'https', 'srt', 'udp'] as const

/** Protocols ffprobe may use under the allowed schemes (RTSP rides on tcp/udp/rtp, …), nothing else. */
export const PROTOCOL_WHITELIST = 'rtsp,rtsps,rtmp,rtmps,rtp,srtp,http,https,httpproxy,tls,tcp,udp,srt,crypto'

/**
 * Only a stream URL may reach ffprobe: one of the allowed schemes, parseable, no
 * whitespace or control characters, nothing ffprobe could read as an option, a local
 * file or a protocol list ("concat:", "subfile,,", "file:").
 */
export function checkStreamUrl (url: string): URL {
  if (url.startsWith('-')) throw new BadRequestError('url must be a stream URL, not an option')
  // eslint-disable-next-line no-control-regex
  if (/[\s\x00-\x1f\x7f]/.test(url)) throw new BadRequestError('url must not contain spaces or control characters')
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase()
  if (scheme === undefined || !(STREAM_SCHEMES as readonly string[]).includes(scheme)) {
    throw new BadRequestError(`url must start with one of ${STREAM_SCHEMES.map(s => s + '://').join(', ')}`)
  }
  let parsed: URL
  try { parsed = new URL(url) } catch { throw new BadRequestError('url is not a valid URL') }
  if (parsed.hostname === '') throw new BadRequestError('url has no host')
  return parsed
}

export interface StreamSummary {
  index: number
  type: string
  codec: string | null
  profile?: string
  width?: number
  height?: number
  fps?: number
  pix_fmt?: string
  sample_rate?: number
  channels?: number
  bitrate?: number
}

export interface ProbeResult {
  /** ffprobe's human-readable report, or its error text; credentials masked. */
  message: string
  reachable: boolean
  summary: { format: string | null, bitrate?: number, streams: StreamSummary[] }
  /** How the successful (or last) attempt reached the camera. */
  transport: 'default' | 'tcp'
  attempts: number
  /** The camera did not answer in time (the time limit, or the socket timeout spent): a flag, never read from the text. */
  timed_out: boolean
}

function rate (r: unknown): number | undefined {
  if (typeof r !== 'string') return undefined
  const [n, d] = r.split('/').map(Number)
  if (!Number.isFinite(n) || !Number.isFinite(d) || d === 0 || n === 0) return undefined
  return Math.round((n / d) * 100) / 100
}

function num (v: unknown): number | undefined {
  const n = typeof v === 'string' ? Number(v) : v
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined
}

/** The summary from ffprobe's `-of json` output. */
export function summarize (json: string): ProbeResult['summary'] {
  let j: { streams?: Array<Record<string, unknown>>, format?: Record<string, unknown> }
  try { j = JSON.parse(json) } catch { return { format: null, streams: [] } }
  const streams = (j.streams ?? []).map((s): StreamSummary => {
    const out: StreamSummary = { index: Number(s.index), type: String(s.codec_type ?? 'unknown'), codec: typeof s.codec_name === 'string' ? s.codec_name : null }
    if (typeof s.profile === 'string') out.profile = s.profile
    if (s.codec_type === 'video') {
      out.width = num(s.width)
      out.height = num(s.height)
      out.fps = rate(s.avg_frame_rate) ?? rate(s.r_frame_rate)
      if (typeof s.pix_fmt === 'string') out.pix_fmt = s.pix_fmt
    }
    if (s.codec_type === 'audio') {
      out.sample_rate = num(s.sample_rate)
      out.channels = num(s.channels)
    }
    const br = num(s.bit_rate)
    if (br !== undefined) out.bitrate = br
    return out
  })
  const format = typeof j.format?.format_name === 'string' ? j.format.format_name : null
  const bitrate = num(j.format?.bit_rate)
  return bitrate === undefined ? { format, streams } : { format, bitrate, streams }
}

/** The socket timeout option for ffprobe's and ffmpeg's input of `scheme`. */
export function socketTimeoutArgs (scheme: string, socketTimeoutSec: number): string[] {
  // ffmpeg 5: -timeout is the socket I/O timeout for rtsp/http/udp/srt (without it a silent
  // camera hangs ffprobe for ever); for rtmp it would mean "listen", so rtmp gets -rw_timeout.
  return [scheme === 'rtmp' ? '-rw_timeout' : '-timeout', String(socketTimeoutSec * 1_000_000)]
}

function ffprobeArgs (url: string, scheme: string, tcp: boolean, socketTimeoutSec: number): string[] {
  const args = ['-hide_banner', '-v', 'info', '-protocol_whitelist', PROTOCOL_WHITELIST, ...socketTimeoutArgs(scheme, socketTimeoutSec)]
  if (tcp) args.push('-rtsp_transport', 'tcp')
  args.push('-analyzeduration', '2000000', '-probesize', '1000000')
  args.push('-show_streams', '-show_format', '-of', 'json', '-i', url)
  return args
}

/** ffprobe's (or ffmpeg's: `tool`) own explanation when it failed: its error lines, without info noise. */
export function failureText (stderr: string, code: number | null, limitSec: number, tool: 'ffprobe' | 'ffmpeg' = 'ffprobe'): string {
  if (code === 124 || code === 137) return `${tool}: no answer from the camera within ${limitSec} s (timed out)`
  const lines = stderr.split('\n').filter(l => l.trim() !== '')
  return lines.slice(-6).join('\n') || `${tool} exited with status ${String(code)}`
}

/** Whether an attempt ran out of time: killed by its limit (`timeout`'s 124, or 137), or it lasted the socket timeout. */
export function noAnswer (code: number | null, spentMs: number, socketTimeoutSec: number): boolean {
  return code === 124 || code === 137 || spentMs >= socketTimeoutSec * 1000
}

/**
 * ffmpeg reports a camera that accepts and then says nothing as "Invalid data": when the
 * attempt lasted the socket timeout, the text says what happened (for people; programs read
 * the `timed_out` flag).
 */
export function withNoAnswerNote (text: string, spentMs: number, socketTimeoutSec: number): string {
  return spentMs >= socketTimeoutSec * 1000 && !/timed out/.test(text) ? `${text}\n(fwmaint: the camera did not answer within ${socketTimeoutSec} s)` : text
}

/** The site's or the gateway's failure, not the camera's: the container gone, sudo, docker, no such tool in the container. */
export function throwSiteFailure (what: string, stderr: string, code: number | null): void {
  if (code === 0) return
  if (/No such container|is not running/.test(stderr)) throw new ContainerNotFoundError()
  if (SUDO_REFUSED.test(stderr) || /permission denied while trying to connect to the Docker daemon|executable file not found/.test(stderr)) throw remoteFailure(what, stderr, code)
}

/** A failure worth a second try over TCP (UDP blocked or lossy), not one that TCP cannot change. */
export function retryOverTcp (scheme: string, text: string): boolean {
  return (scheme === 'rtsp' || scheme === 'rtsps') && !/401|403|404|Connection refused|Invalid data/i.test(text)
}

/**
 * Probes `url` from inside the FireWatcher container of `server`: the camera's own
 * transport first, then, for RTSP, over TCP (as Frigate does). A camera that is down is
 * a result (reachable: false, ffprobe's text), not an error.
 */
export async function probe (site: SiteSession, server: ServerConfig, container: ContainerInfo, url: string, opts: { limitSec: number,
  signal?: AbortSignal }): Promise<ProbeResult> {
  const parsed = checkStreamUrl(url)
  const scheme = parsed.protocol.replace(':', '')
  const secrets = [parsed.password, safeDecode(parsed.password)]
  const socketTimeout = Math.max(1, opts.limitSec - 3)
  let last: ProbeResult | undefined
  for (const tcp of [false, true]) {
    if (tcp && (last === undefined || !retryOverTcp(scheme, last.message))) break
    const started = Date.now()
    const r = await site.run(server, {
      argv: ['docker', 'exec', container.id, 'ffprobe', ...ffprobeArgs(url, scheme, tcp, socketTimeout)],
      timeoutSec: opts.limitSec,
      sudo: server.docker.sudo
    }, { maxStdoutBytes: 1024 * 1024, maxStderrBytes: 256 * 1024, signal: opts.signal })
    const stderr = r.stderr.toString('utf8')
    throwSiteFailure('ffprobe', stderr, r.code)
    const summary = summarize(r.stdout.toString('utf8'))
    const ok = r.code === 0 && summary.streams.length > 0
    const spent = Date.now() - started
    const text = ok ? stderr.trim() : withNoAnswerNote(failureText(stderr, r.code, opts.limitSec), spent, socketTimeout)
    last = { message: maskKnown(text, secrets), reachable: ok, summary, transport: tcp ? 'tcp' : 'default', attempts: tcp ? 2 : 1, timed_out: !ok && noAnswer(r.code, spent, socketTimeout) }
    if (ok) break
  }
  return last!
}

export function safeDecode (s: string): string | undefined {
  try { return decodeURIComponent(s) } catch { return undefined }
}
