import { spawn, type ChildProcess } from 'node:child_process'
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs'
import http from 'node:http'
import type net from 'node:net'
import path from 'node:path'

const TYPES: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.ts': 'video/mp2t',
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4'
}

/**
 * A live HLS stream made by ffmpeg from a test pattern (H.264 baseline, which every
 * browser decodes), written to `dir`. ~5% of a core.
 */
export class LiveEncoder {
  private child?: ChildProcess
  constructor (readonly dir: string) {}

  start (): void {
    mkdirSync(this.dir, { recursive: true })
    const env = { ...process.env }
    delete env.NODE_OPTIONS
    // Through sh, which ends ffmpeg when its stdin closes: at stop(), and when the test process
    // dies without its teardown (an encoder was once found still running 50 minutes after its
    // run, its parent gone).
    this.child = spawn('sh', ['-c', 'ffmpeg "$@" < /dev/null & f=$!; read -r _; kill -9 "$f"', 'sh',
      '-hide_banner', '-loglevel', 'error', '-re',
      '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=10',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p', '-g', '10',
      '-f', 'hls', '-hls_time', '1', '-hls_list_size', '6', '-hls_flags', 'delete_segments+independent_segments',
      '-hls_segment_filename', path.join(this.dir, 'seg%05d.ts'),
      path.join(this.dir, 'index.m3u8')
    ], { stdio: ['pipe', 'ignore', 'ignore'], env })
    this.child.on('error', () => {})
    this.child.stdin?.on('error', () => {})
  }

  /** Resolves once the playlist lists `segments` segments (ffmpeg is up and producing). */
  async ready (segments = 2, timeoutMs = 60_000): Promise<void> {
    const until = Date.now() + timeoutMs
    while (Date.now() < until) {
      const f = path.join(this.dir, 'index.m3u8')
      if (existsSync(f) && (readFileSync(f, 'utf8').match(/#EXTINF/g) ?? []).length >= segments) return
      await new Promise(resolve => setTimeout(resolve, 100))
    }
    throw new Error('the simulated HLS stream did not start (is ffmpeg installed?)')
  }

  stop (): void { this.child?.stdin?.end() }
}

/**
 * An analysis server's HLS server: /cctv<N>/<file> serves the live stream for the
 * cameras in `live`, 404 for any other (a camera the HLS server does not have).
 */
export class HlsOrigin {
  private readonly server: http.Server
  private readonly sockets = new Set<net.Socket>()
  port = 0
  requests = 0

  constructor (private readonly streamDir: string, private readonly live: (cctvId: number) => boolean) {
    this.server = http.createServer((req, res) => { this.handle(req, res) })
    this.server.on('connection', s => { this.sockets.add(s); s.on('close', () => this.sockets.delete(s)) })
  }

  async listen (host = '127.0.0.1'): Promise<void> {
    await new Promise<void>(resolve => this.server.listen(0, host, resolve))
    this.port = (this.server.address() as net.AddressInfo).port
  }

  /** Client connections open right now (keep-alive ones included). */
  get openConnections (): number { return this.sockets.size }

  private handle (req: http.IncomingMessage, res: http.ServerResponse): void {
    this.requests++
    const m = /^\/cctv(\d+)\/([A-Za-z0-9_.-]+)(\?.*)?$/.exec(req.url ?? '')
    const notFound = (): void => { res.writeHead(404, { 'content-type': 'text/plain' }); res.end('404 page not found\n') }
    if (m === null || !this.live(Number(m[1])) || m[2].startsWith('.')) { notFound(); return }
    const file = path.join(this.streamDir, m[2])
    const ext = path.extname(file)
    // The playlist changes every segment, while it is read too: read once, its length from what
    // was read (a stat before the read gave a length the body then outgrew). A segment never changes.
    let playlist: Buffer | undefined
    let size: number
    try {
      if (ext === '.m3u8') { playlist = readFileSync(file); size = playlist.length } else size = statSync(file).size
    } catch { notFound(); return }
    res.writeHead(200, {
      'content-type': TYPES[ext] ?? 'application/octet-stream',
      'content-length': size,
      'cache-control': ext === '.m3u8' ? 'no-cache' : 'max-age=3600'
    })
    if (req.method === 'HEAD') { res.end(); return }
    if (playlist !== undefined) { res.end(playlist); return }
    createReadStream(file).on('error', () => res.destroy()).pipe(res)
  }

  async close (): Promise<void> {
    for (const s of this.sockets) s.destroy()
    await new Promise<void>(resolve => { this.server.close(() => { resolve() }) })
  }
}
