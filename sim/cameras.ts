import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { packageRoot } from './paths.js'
import { freePort, silentServer } from './net.js'
import { CAMERA_PASSWORD, CAMERA_USER, type CameraEndpoints } from './inventory.js'

export interface SimCameras {
  endpoints: CameraEndpoints
  close: () => Promise<void>
}

const PYTHON = '/usr/bin/python3'

function startRtsp (host: string, creds?: string): Promise<{ child: ChildProcess, port: number }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env }
    delete env.NODE_OPTIONS
    const child = spawn(PYTHON, [path.join(packageRoot(), 'sim', 'rtsp-camera.py'), host, '0', ...(creds === undefined ? [] : [creds])], { stdio: ['ignore', 'pipe', 'pipe'], env })
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

/**
 * The cameras behind inventory IDs 1-6: two real RTSP cameras (GStreamer, H.264 test
 * pattern; one needs credentials), a refused port and a port that accepts and never
 * answers. Loopback only.
 */
export async function startCameras (host = '127.0.0.1'): Promise<SimCameras> {
  const children: ChildProcess[] = []
  const servers: Array<{ close: () => Promise<void> }> = []
  const close = async (): Promise<void> => {
    for (const c of children) c.kill('SIGKILL')
    await Promise.all(servers.map(async s => await s.close()))
  }
  try {
    const open = await startRtsp(host)
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
      close
    }
  } catch (err) {
    await close()
    throw err
  }
}
