import { spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { packageRoot } from './paths.js'
import { freePort, silentServer } from './net.js'
import { CAMERA_PASSWORD, CAMERA_USER, type CameraEndpoints } from './inventory.js'
import { scenePpm } from './scene.js'

/** How a view camera's picture differs from its normal view (sim/rtsp-camera.py). */
export interface ViewChange {
  /** Turned: the window panned by this share of the picture's width (−0.5 … 0.5). */
  pan?: number
  /** Covered: this share of the width, from the left, behind a grey board (0 … 1). */
  cover?: number
  /** Out of focus: a Gaussian blur of this sigma (pixels of the 320×240 picture). */
  blur?: number
  /** Brightness: luma times this (1.3: 30 % brighter). */
  gain?: number
}

/** The view cameras an open RTSP camera serves: /view/0 … /view/15. */
export const VIEW_CAMERAS = 16

export interface SimCameras {
  endpoints: CameraEndpoints
  /** Changes view camera `k`'s picture for every client from now on (`{}`: back to normal). */
  setView: (k: number, change: ViewChange) => Promise<void>
  close: () => Promise<void>
}

/** The scene file, written once per machine and generator (concurrent starts rename atomically). */
function sceneFile (): string {
  const bytes = scenePpm()
  const file = path.join(os.tmpdir(), `fwmaint-scene-${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}.ppm`)
  if (!fs.existsSync(file)) {
    const tmp = `${file}.${process.pid}.tmp`
    fs.writeFileSync(tmp, bytes)
    fs.renameSync(tmp, file)
  }
  return file
}

const PYTHON = '/usr/bin/python3'

function startRtsp (host: string, creds?: string, scene?: string): Promise<{ child: ChildProcess, port: number }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env }
    delete env.NODE_OPTIONS
    if (scene !== undefined) env.FWMAINT_CAMERA_SCENE = scene
    const child = spawn(PYTHON, [path.join(packageRoot(), 'sim', 'rtsp-camera.py'), host, '0', ...(creds === undefined ? [] : [creds])], { stdio: ['pipe', 'pipe', 'pipe'], env })
    let out = ''
    let err = ''
    // Generous: GStreamer's start on a busy machine, and a hung start is the only way to reach it.
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error('RTSP camera did not start within 60 s: ' + err)) }, 60_000)
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /READY (\d+)/.exec(out)
      if (m !== null) { clearTimeout(timer); resolve({ child, port: Number(m[1]) }) }
    })
    child.stderr!.on('data', (d: Buffer) => { err += d.toString() })
    child.on('error', e => { clearTimeout(timer); reject(e) })
    child.on('exit', code => { clearTimeout(timer); reject(new Error(`RTSP camera exited (${String(code)}): ${err.trim()}`)) })
  })
}

/** Sends view commands to a camera and waits for each one's answer, in order. */
function viewControl (child: ChildProcess): (k: number, change: ViewChange) => Promise<void> {
  const waiting: Array<{ resolve: () => void, reject: (e: Error) => void }> = []
  let buf = ''
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString()
    let nl
    while ((nl = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, nl)
      buf = buf.slice(nl + 1)
      if (!/^(OK|ERR) /.test(line)) continue
      const w = waiting.shift()
      if (line.startsWith('OK ')) w?.resolve()
      else w?.reject(new Error(`camera: ${line}`))
    }
  })
  child.on('exit', () => { for (const w of waiting.splice(0)) w.reject(new Error('camera: exited')) })
  return async (k, change) => {
    if (!Number.isInteger(k) || k < 0 || k >= VIEW_CAMERAS) throw new RangeError(`no view camera ${k}`)
    const settings = Object.entries(change).filter(([, v]) => v !== undefined).map(([key, v]) => {
      if (!Number.isFinite(v)) throw new RangeError(`view ${key}: ${String(v)}`)
      return `${key}=${String(v)}`
    })
    await new Promise<void>((resolve, reject) => {
      waiting.push({ resolve, reject })
      child.stdin!.write(['view', String(k), ...settings].join(' ') + '\n')
    })
  }
}

/**
 * The cameras behind inventory IDs 1-6: two real RTSP cameras (GStreamer, H.264 test
 * pattern; one needs credentials), a refused port and a port that accepts and never
 * answers. Loopback only. The open camera also serves the view cameras (/view/<k>, a hillside
 * scene that `setView` turns, covers, blurs or brightens).
 */
export async function startCameras (host = '127.0.0.1'): Promise<SimCameras> {
  const children: ChildProcess[] = []
  const servers: Array<{ close: () => Promise<void> }> = []
  const close = async (): Promise<void> => {
    for (const c of children) c.kill('SIGKILL')
    await Promise.all(servers.map(async s => await s.close()))
  }
  try {
    const open = await startRtsp(host, undefined, sceneFile())
    children.push(open.child)
    const auth = await startRtsp(host, `${CAMERA_USER}:${CAMERA_PASSWORD}`)
    children.push(auth.child)
    const silent = await silentServer(host)
    servers.push(silent)
    const refusedPort = await freePort(host)
    return {
      endpoints: {
        open: { host, port: open.port },
        auth: { host, port: auth.port },
        refused: { host, port: refusedPort },
        silent: { host, port: silent.port }
      },
      setView: viewControl(open.child),
      close
    }
  } catch (err) {
    await close()
    throw err
  }
}
