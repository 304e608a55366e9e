import pLimit, { type LimitFunction } from 'p-limit'
import { RemoteError } from '../errors.js'
import { maskKnown } from '../mask.js'
import { STDIN_URL, withUrlFromStdin } from '../ssh/remote-command.js'
import type { ContainerInfo } from '../site/containers.js'
import type { ServerConfig } from '../config/regions.js'
import type { SiteSession } from '../site/session.js'
import { PROTOCOL_WHITELIST, checkStreamUrl, failureText, noAnswer, safeDecode, socketTimeoutArgs, throwSiteFailure, withNoAnswerNote } from './ffprobe.js'
import { classify, type HealthStatus } from './health-rows.js'

/*
 * What a camera sees: one frame (a snapshot), and one look (lookAt): a few seconds watched with
 * ffmpeg's blackdetect and freezedetect, the stream's codec, size and rate, and a frame. Both run
 * ffmpeg inside the camera's own analysis server's FireWatcher container, the URL on stdin (never
 * on a command line).
 */

export interface PictureThresholds {
  /** Seconds of picture watched per camera. */
  watchSec: number
  /** blackdetect pix_th: a pixel darker than this (0–1 of the luma range) is black. */
  blackPixel: number
  /** blackdetect pic_th: a frame with at least this share of black pixels is black. */
  blackRatio: number
  /** freezedetect n (dB): two frames whose mean difference is under this are the same picture. */
  freezeNoiseDb: number
  /** The share of the watched time a camera must be black (or frozen) to be called so. */
  share: number
}

function inputArgs (scheme: string, socketTimeoutSec: number): string[] {
  const args = ['-hide_banner', '-nostdin', '-protocol_whitelist', PROTOCOL_WHITELIST, ...socketTimeoutArgs(scheme, socketTimeoutSec)]
  // TCP for RTSP: a picture is lost to UDP packet loss as grey smears, which would read as motion.
  if (scheme === 'rtsp' || scheme === 'rtsps') args.push('-rtsp_transport', 'tcp')
  return args
}

export interface SnapshotOptions { limitSec: number, maxWidth: number, maxBytes: number, signal?: AbortSignal }

/** A camera that could not give a frame: why (ffmpeg's words, credentials masked), as a 502. */
export class SnapshotFailedError extends RemoteError {
  constructor (message: string, readonly status: HealthStatus) { super(message, { status: 502, code: 'NO_FRAME' }) }
}

/** One current frame of the camera as a JPEG, at most `maxWidth` wide. */
export async function snapshot (site: SiteSession, server: ServerConfig, container: ContainerInfo, url: string, opts: SnapshotOptions): Promise<Buffer> {
  const parsed = checkStreamUrl(url)
  const secrets = [parsed.password, safeDecode(parsed.password)]
  const socketTimeout = Math.max(1, opts.limitSec - 2)
  const started = Date.now()
  const r = await site.run(server, {
    argv: ['docker', 'exec', '-i', container.id, ...withUrlFromStdin(['ffmpeg', ...inputArgs(parsed.protocol.replace(':', ''), socketTimeout),
      '-loglevel', 'error', '-i', STDIN_URL, '-an', '-sn', '-dn', '-frames:v', '1',
      '-vf', `scale='min(${opts.maxWidth},iw)':-2`, '-c:v', 'mjpeg', '-q:v', '5', '-f', 'image2pipe', 'pipe:1'])],
    timeoutSec: opts.limitSec,
    sudo: server.docker.sudo
  }, { input: s => { s.write(url + '\n'); s.end() }, maxStdoutBytes: opts.maxBytes, maxStderrBytes: 64 * 1024, signal: opts.signal })
  const stderr = r.stderr.toString('utf8')
  throwSiteFailure('snapshot', stderr, r.code)
  const jpeg = r.stdout
  if (r.truncated) throw new SnapshotFailedError(`the camera's frame is larger than ${opts.maxBytes} bytes`, 'error')
  if (r.code === 0 && jpeg.length > 4 && jpeg[0] === 0xff && jpeg[1] === 0xd8) return jpeg
  const spent = Date.now() - started
  const text = withNoAnswerNote(maskKnown(failureText(stderr, r.code, opts.limitSec, 'ffmpeg'), secrets), spent, socketTimeout)
  throw new SnapshotFailedError(text === '' ? `ffmpeg gave no frame (exit ${String(r.code)})` : text, classify(false, text, noAnswer(r.code, spent, socketTimeout)))
}

export interface PictureResult {
  /** `online` when the picture moves and is not black; else `black`/`frozen`; a failure's status when the camera gave no picture. */
  status: HealthStatus
  watchedSec: number
  blackShare: number
  frozenShare: number
  /** ffmpeg's reason when it failed (credentials masked). */
  error: string | null
  /** The video stream as ffmpeg opened it (what a probe reports), when it did. */
  video: { codec: string | null, width?: number, height?: number, fps?: number } | null
  /** One frame of the watch (JPEG, ≤ FRAME_WIDTH wide), when the watch lasted long enough to have it. */
  frame: Buffer | null
  /** Whether the gateway's limit (not the camera's answer) ended it. */
  timedOut: boolean
}

/** A black or frozen look in words: "black for 100% of 3.0 s" (the share of the watch it was so). */
export function pictureShare (pic: Pick<PictureResult, 'status' | 'blackShare' | 'frozenShare' | 'watchedSec'>): string {
  return `${pic.status} for ${Math.round((pic.status === 'black' ? pic.blackShare : pic.frozenShare) * 100)}% of ${pic.watchedSec.toFixed(1)} s`
}

/** How wide the frame a look keeps is (kept with a change, compared with references). */
export const FRAME_WIDTH = 320

/** Sums blackdetect's and freezedetect's intervals in ffmpeg's log over `watched` seconds. */
export function readDetections (log: string, watched: number): { black: number, frozen: number } {
  let black = 0
  for (const m of log.matchAll(/black_start:\s*([\d.]+)\s+black_end:\s*([\d.]+)/g)) black += Math.max(0, Math.min(watched, Number(m[2])) - Number(m[1]))
  let frozen = 0
  let open: number | undefined
  for (const m of log.matchAll(/lavfi\.freezedetect\.freeze_(start|end):\s*([\d.]+)/g)) {
    const at = Number(m[2])
    if (m[1] === 'start') open = at
    else if (open !== undefined) { frozen += Math.max(0, Math.min(watched, at) - open); open = undefined }
  }
  // A freeze still on when the watch ended has no end line.
  if (open !== undefined) frozen += Math.max(0, watched - open)
  return { black, frozen }
}

/**
 * The input's first video stream as ffmpeg's log describes it (`Stream #0:0: Video: h264
 * (Constrained Baseline), yuv420p(progressive), 320x240, 10 fps, …`): what ffprobe would report,
 * without a second connection to the camera. Only the `Input #0` section counts (the outputs'
 * streams are described alike).
 */
export function readInputVideo (log: string): PictureResult['video'] {
  const input = /^Input #0,[^\n]*\n([\s\S]*?)(?=^(?:Output #|Stream mapping:)|(?![\s\S]))/m.exec(log)
  if (input === null) return null
  const line = /^\s*Stream #0:\d+[^:]*: Video: ([^\n]*)$/m.exec(input[1])
  if (line === null) return null
  const codec = /^([A-Za-z0-9_]+)/.exec(line[1])?.[1] ?? null
  const size = /(?:^|[ ,])(\d{2,5})x(\d{2,5})(?=[ ,[]|$)/.exec(line[1])
  const fps = /, ([\d.]+)(k?) fps\b/.exec(line[1])
  return {
    codec,
    ...(size === null ? {} : { width: Number(size[1]), height: Number(size[2]) }),
    ...(fps === null ? {} : { fps: Number(fps[1]) * (fps[2] === 'k' ? 1000 : 1) })
  }
}

/**
 * One look at a camera (issue 24, 3): a single ffmpeg run that opens the stream once and gives
 * what the probe reports (codec, size, fps), whether the picture is black or frozen over
 * `watchSec`, and one frame (a JPEG on stdout, taken a second in, or half-way through a shorter
 * watch) for the view checks and to keep with a change. Its failures read as a probe's (the
 * same classification), so a picture sweep needs no ffprobe first.
 */
export async function lookAt (site: SiteSession, server: ServerConfig, container: ContainerInfo, url: string, th: PictureThresholds, opts: { limitSec: number,
  signal?: AbortSignal }): Promise<PictureResult> {
  const parsed = checkStreamUrl(url)
  const secrets = [parsed.password, safeDecode(parsed.password)]
  const socketTimeout = Math.max(1, opts.limitSec - 3)
  const limitSec = Math.ceil(th.watchSec + opts.limitSec)
  const frameAt = Math.min(1, th.watchSec / 2)
  const started = Date.now()
  const r = await site.run(server, {
    argv: ['docker', 'exec', '-i', container.id, ...withUrlFromStdin(['ffmpeg', ...inputArgs(parsed.protocol.replace(':', ''), socketTimeout),
      '-loglevel', 'info', '-nostats', '-progress', 'pipe:2', '-t', String(th.watchSec), '-i', STDIN_URL,
      '-filter_complex', `[0:v:0]split=2[w][f];[w]blackdetect=d=0.5:pix_th=${th.blackPixel}:pic_th=${th.blackRatio},freezedetect=n=${th.freezeNoiseDb}dB:d=0.5[wo];` +
        `[f]select='gte(t,${frameAt})',scale='min(${FRAME_WIDTH},iw)':-2[fo]`,
      '-map', '[wo]', '-f', 'null', '-',
      '-map', '[fo]', '-frames:v', '1', '-c:v', 'mjpeg', '-q:v', '5', '-f', 'image2pipe', 'pipe:1'])],
    timeoutSec: limitSec,
    sudo: server.docker.sudo
  }, { input: s => { s.write(url + '\n'); s.end() }, maxStdoutBytes: 512 * 1024, maxStderrBytes: 512 * 1024, signal: opts.signal })
  const stderr = r.stderr.toString('utf8')
  throwSiteFailure('picture check', stderr, r.code)
  // -progress: the last out_time_us is how much picture was actually watched.
  const times = [...stderr.matchAll(/^out_time_us=(\d+)$/gm)]
  const watched = times.length === 0 ? 0 : Number(times[times.length - 1][1]) / 1e6
  const video = readInputVideo(stderr)
  const jpeg = r.stdout
  const frame = !r.truncated && jpeg.length > 4 && jpeg[0] === 0xff && jpeg[1] === 0xd8 ? Buffer.from(jpeg) : null
  if (r.code !== 0 || watched < Math.min(1, th.watchSec / 2)) {
    const spent = Date.now() - started
    const timedOut = noAnswer(r.code, spent, socketTimeout)
    const log = stderr.split('\n').filter(l => !/^\[(blackdetect|freezedetect) @/.test(l) && !/^\s*(Input|Output|Stream|Duration|Metadata|encoder|Press|[a-z_]+=)/.test(l)).join('\n')
    const text = withNoAnswerNote(maskKnown(failureText(log, r.code, limitSec, 'ffmpeg'), secrets), spent, socketTimeout)
    return { status: r.code === 0 ? 'error' : classify(false, text, timedOut), watchedSec: watched, blackShare: 0, frozenShare: 0, error: text === '' ? `ffmpeg ended after ${watched.toFixed(1)} s of picture (exit ${String(r.code)})` : text, video, frame, timedOut }
  }
  const { black, frozen } = readDetections(stderr, watched)
  const blackShare = black / watched
  const frozenShare = frozen / watched
  // A black picture is also a frozen one: black says more.
  const status: HealthStatus = blackShare >= th.share ? 'black' : frozenShare >= th.share ? 'frozen' : 'online'
  return { status, watchedSec: watched, blackShare, frozenShare, error: null, video, frame, timedOut: false }
}

declare module '../site/session.js' {
  interface SiteSession {
    /** Per server: the slots snapshots and picture checks share (made on first use). */
    pictureSlots?: Map<number, LimitFunction>
  }
}

/**
 * The session's per-server limit for ffmpeg work (snapshots, picture checks): `n` at once per
 * analysis server, as a sweep's probes, so a grid of thumbnails cannot flood a site.
 */
export function pictureSlot (site: SiteSession, server: ServerConfig, n: number): LimitFunction {
  site.pictureSlots ??= new Map()
  let limit = site.pictureSlots.get(server.n)
  if (limit === undefined) { limit = pLimit(Math.max(1, n)); site.pictureSlots.set(server.n, limit) }
  return limit
}
