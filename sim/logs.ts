import { mkdirSync, writeFileSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { kstDay } from '../lib/clock.js'
import { packageRoot } from './paths.js'
import { pick, rng } from './random.js'
import { behaviourOf, type SimCamera } from './inventory.js'

/** The cameras whose pipelines fail all day in the logs: every known-bad behaviour. */
function failing (c: SimCamera): boolean {
  const b = behaviourOf(c.cctv_ID)
  return b !== undefined && b !== 'live' && b !== 'auth'
}

export const FIXTURE_DAY = '2025-03-13'
/** A day that exists only as a rotated, compressed file (`…_0.log.gz`). */
export const ROTATED_DAY = '2025-03-12'

/** Today and yesterday in Korean time (the sites' clock), plus the fixed days tests use. */
export function simDays (now = new Date()): string[] {
  return [...new Set([ROTATED_DAY, FIXTURE_DAY, '2025-03-14', kstDay(new Date(now.getTime() - 86400_000)), kstDay(now)])]
}


function ts (day: string, secondOfDay: number): string {
  const h = Math.floor(secondOfDay / 3600); const m = Math.floor(secondOfDay / 60) % 60; const s = Math.floor(secondOfDay) % 60
  const ms = Math.floor((secondOfDay % 1) * 1000)
  const p = (n: number, w = 2): string => String(n).padStart(w, '0')
  return `${day} ${p(h)}:${p(m)}:${p(s)},${p(ms, 3)}`
}

/** A controller (gstreamer) log day in the real format of shared/fixtures: multi-line records, Korean text. */
export function controllerLog (day: string, gpu: number, cams: SimCamera[], seed: number): Buffer {
  const r = rng(seed)
  const lines: string[] = []
  const rec = (t: number, level: string, msg: string): void => { lines.push(`${ts(day, t)} - controller_logger - ${gpu} - ${level} - ${msg}`) }
  let t = 120 + r() * 20
  rec(t, 'INFO', '[' + cams.map(c => `{'cctv_id': ${c.cctv_ID}, 'info': True, 'cctv_name': '${c.cctv_name}', 'url': '${c.url}'}`).join(', ') + ']')
  rec(t += 8, 'INFO', 'Starting pipeline')
  for (const c of cams) rec(t += r() * 0.01, 'INFO', `stream_${c.cctv_ID} : add success`)
  // Some cameras flap (reconnect now and then), the known-bad ones fail all day, and the
  // cameras behind credentials (up, as every "auth" camera is) reconnect all day too.
  const flapping = cams.filter((c, i) => failing(c) || i % 7 === 3 || behaviourOf(c.cctv_ID) === 'auth')
  // Even IDs in the production controller's format (the camera only by URL, "stream_<k>" its
  // index in this pipeline), odd IDs in the older "Reconnect <cctv_ID> : <url>".
  const stream = new Map(cams.map((c, k) => [c.cctv_ID, k]))
  const reconnect = (c: SimCamera): string => c.cctv_ID % 2 === 0 ? `Reconnect stream_${stream.get(c.cctv_ID)!} : ${c.url}` : `Reconnect ${c.cctv_ID} : ${c.url}`
  while (t < 86_000 && cams.length > 0) {
    t += 20 + r() * 60
    const roll = r()
    if (roll < 0.25 && flapping.length > 0) {
      const failed = flapping.filter(() => r() < 0.6)
      if (failed.length === 0) continue
      rec(t, 'WARNING', `Connect failed list : [${failed.map(c => `'${c.url}'`).join(', ')}]`)
      for (const c of failed) lines.push(`No supported authentication protocol was found - ${c.url}`)
    } else if (roll < 0.55 && flapping.length > 0) {
      const c = pick(r, flapping)
      rec(t, 'WARNING', reconnect(c))
    } else if (roll < 0.6) {
      const c = pick(r, cams)
      rec(t, 'INFO', `stream_${c.cctv_ID} : 감지 결과 화재 없음 (${c.cctv_name}), fps ${(8 + r() * 2).toFixed(1)}`)
    } else if (roll < 0.61) {
      rec(t, 'ERROR', 'gst-resource-error-quark: Could not open resource for reading and writing. (7)')
      lines.push('Traceback (most recent call last):', '  File "/app/controller.py", line 212, in on_message', '    raise StreamError(err)')
    } else {
      const c = pick(r, cams)
      rec(t, 'INFO', `stream_${c.cctv_ID} : running, queue ${Math.floor(r() * 5)}`)
    }
  }
  rec(86_300, 'INFO', 'Exiting app')
  return Buffer.from(lines.join('\n') + '\n')
}

/** An ffmpeg log day: the camera URLs byte-exact, and one line of bytes that are not UTF-8. */
export function ffmpegLog (day: string, gpu: number, cams: SimCamera[], seed: number): Buffer {
  const r = rng(seed)
  const parts: Buffer[] = []
  const line = (s: string): void => { parts.push(Buffer.from(s + '\n')) }
  let t = 100 + r() * 10
  for (const c of cams) {
    line(`${ts(day, t += r())} - ffmpeg - ${gpu} - INFO - Input #0, rtsp, from '${c.url}':`)
    line('  Stream #0:0: Video: h264 (Main), yuv420p(progressive), 1920x1080, 15 fps, 15 tbr, 90k tbn')
  }
  parts.push(Buffer.concat([Buffer.from(`${ts(day, t += 1)} - ffmpeg - ${gpu} - WARNING - metadata title: `), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from(' (invalid UTF-8)\n')]))
  while (t < 86_000 && cams.length > 0) {
    t += 30 + r() * 90
    const c = pick(r, cams)
    const bad = failing(c) || r() < 0.1
    if (bad) {
      const b = behaviourOf(c.cctv_ID)
      const why = b === 'wrong_password' ? 'method DESCRIBE failed: 401 Unauthorized' : b === 'wrong_path' ? 'method DESCRIBE failed: 404 Not Found' : b === 'silent' ? 'Connection timed out' : 'Connection refused'
      line(`${ts(day, t)} - ffmpeg - ${gpu} - ERROR - [rtsp @ 0x55d5c8a3b240] ${why}`)
      line(`${ts(day, t)} - ffmpeg - ${gpu} - ERROR - ${c.url}: ${why.replace('method DESCRIBE failed: ', 'Server returned ')}`)
    } else {
      line(`${ts(day, t)} - ffmpeg - ${gpu} - INFO - frame=${Math.floor(r() * 100000)} fps=${(14 + r()).toFixed(1)} q=-0.0 size=N/A time=${ts(day, t).slice(11, 19)}.00 bitrate=N/A speed=1x ${c.url}`)
    }
  }
  return Buffer.concat(parts)
}

export interface LogLayout {
  /** Absolute path templates with {server} {gpu} {date}. */
  gstreamer: string
  ffmpeg: string
}

/** Writes every pipeline's logs for `days`; the rotated day only as `.gz`; the fixture for svr10 on its day. */
export function writeLogs (layout: LogLayout, server: number, gpus: number[], days: string[], camerasOf: (gpu: number) => SimCamera[]): void {
  const fixture = readFileSync(path.join(packageRoot(), 'sim', 'fixtures', `controller-${FIXTURE_DAY}_0.log`))
  for (const gpu of gpus) {
    const cams = camerasOf(gpu)
    for (const [di, day] of days.entries()) {
      for (const kind of ['gstreamer', 'ffmpeg'] as const) {
        const file = layout[kind].replaceAll('{server}', String(server)).replaceAll('{gpu}', String(gpu)).replaceAll('{date}', day)
        mkdirSync(path.dirname(file), { recursive: true })
        const seed = server * 1000 + gpu * 100 + di * 10 + (kind === 'ffmpeg' ? 1 : 0)
        let body = kind === 'ffmpeg' ? ffmpegLog(day, gpu, cams, seed) : controllerLog(day, gpu, cams, seed)
        if (kind === 'gstreamer' && server === 1 && gpu === 0 && day === FIXTURE_DAY) body = fixture
        if (day === ROTATED_DAY) writeFileSync(file + '.gz', gzipSync(body))
        else writeFileSync(file, body)
      }
    }
  }
}
