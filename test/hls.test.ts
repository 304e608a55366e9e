import t from 'tap'
import http from 'node:http'
import type { Test } from 'tap'
import { eventually, startGateway, type Browser } from './helpers/app.js'

// Routes 11 and 12 of docs/api-contract.md and the hls_server flag of route 1.

const gw = await startGateway(t, {
  regions: [{ name: '대구', servers: 2, hls: true }],
  env: { HLS_STOP_GRACE_MS: '0', HLS_MAX_SOCKETS: '4' }
})
const region = gw.regions[0]
const origin1 = region.hls.get(1)!
const origin2 = region.hls.get(2)!

/** GET straight from an HLS origin, bypassing the gateway: the reference bytes. */
function direct (port: number, path: string): Promise<{ status: number, body: Buffer, type?: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent: false }, res => {
      const chunks: Buffer[] = []
      res.on('data', c => chunks.push(c)).on('end', () => { resolve({ status: res.statusCode!, body: Buffer.concat(chunks), type: res.headers['content-type'] }) })
    }).on('error', reject)
  })
}

/** GET through the gateway with this browser's cookie; the body as raw bytes (inject keeps them exact). */
async function rawGateway (b: Browser, url: string): Promise<{ status: number, body: Buffer, headers: Record<string, unknown> }> {
  const res = await b.app.inject({ method: 'GET', url: new URL(url).pathname, headers: { cookie: b.cookieHeader() } })
  return { status: res.statusCode, body: res.rawPayload, headers: res.headers }
}

/** A logged-in browser on the shared gateway that logs out (closing its tunnels) when the test ends. */
async function session (t: Test): Promise<Browser> {
  const b = gw.browser()
  await b.connect(region)
  t.teardown(async () => { await b.post('/api/ssh_disconnect') })
  return b
}

async function open (b: Browser, body: Record<string, unknown> = { inference_id: 'svr10', cctv_id: 1 }): Promise<string> {
  const r = await b.post('/api/hls_tunnel', body)
  if (r.status !== 200) throw new Error(`hls_tunnel: ${r.status} ${JSON.stringify(r.body)}`)
  return r.body.message
}

t.test('without a session: 400 "not connected"; stop answers 200 anyway', async t => {
  const b = gw.browser()
  t.same((await b.post('/api/hls_tunnel', { inference_id: 'svr10', cctv_id: 1 })).body, { code: 'NOT_CONNECTED', message: 'not connected' })
  const s = await b.post('/api/hls_tunnel_stop')
  t.same([s.status, s.body.message], [200, 'HLS tunnel stopped'])
})

t.test('bad inference_id or cctv_id: 400', async t => {
  const b = await session(t)
  t.same((await b.post('/api/hls_tunnel', { inference_id: 'svr30', cctv_id: 1 })).body, { code: 'BAD_INFERENCE_ID', message: 'inference_id is not in the expected format.' })
  for (const id of ['abc', -1, 1.5, null, '1; rm -rf /', '../1', '', '1'.repeat(12), [1]]) {
    const r = await b.post('/api/hls_tunnel', { inference_id: 'svr10', cctv_id: id })
    t.equal(r.status, 400, JSON.stringify(id))
  }
  t.notOk((await b.get('/api/ssh_status')).body.hls_server, 'nothing was opened')
})

t.test('the answer is an absolute URL on the gateway\'s origin; cctv_id as number or string', async t => {
  const b = await session(t)
  const u1 = await open(b, { inference_id: 'svr10', cctv_id: 10 })
  t.match(u1, /^http:\/\/localhost:80\/hls\/[A-Za-z0-9_-]{32}\/cctv10\/index\.m3u8$/, 'from the request\'s Host')
  const u2 = await open(b, { inference_id: 'svr10', cctv_id: '10' })
  t.match(u2, /\/cctv10\/index\.m3u8$/)
  t.not(new URL(u1).pathname.split('/')[2], new URL(u2).pathname.split('/')[2], 'a new tunnel has a new token')
  const withBase = await startGateway(t, { regions: [{ name: 'x', hls: true }], env: { PUBLIC_BASE_URL: 'https://fwmaint.ops.example/' } })
  const c = withBase.browser(); await c.connect(withBase.regions[0])
  t.match(await open(c), /^https:\/\/fwmaint\.ops\.example\/hls\/[A-Za-z0-9_-]{32}\/cctv1\/index\.m3u8$/, 'from PUBLIC_BASE_URL')
})

t.test('playlist and segments through the URL are byte-identical to the origin\'s, with its content type', async t => {
  const b = await session(t)
  const url = await open(b)
  // The playlist is live: compare a fetch through the gateway with a direct one made right after, until they agree.
  let same = false
  for (let i = 0; i < 5 && !same; i++) {
    const g = await rawGateway(b, url)
    const d = await direct(origin1.port, '/cctv1/index.m3u8')
    t.equal(g.status, 200)
    t.equal(g.headers['content-type'], 'application/vnd.apple.mpegurl')
    t.equal(g.headers['cache-control'], 'no-cache', 'the origin\'s caching headers pass through')
    same = g.body.equals(d.body)
  }
  t.ok(same, 'playlist byte-identical')
  const playlist = (await rawGateway(b, url)).body.toString()
  const segments = playlist.split('\n').filter(l => l.endsWith('.ts')).slice(-3)
  t.ok(segments.length >= 2, 'several segments listed')
  for (const seg of segments) {
    const g = await rawGateway(b, url.replace('index.m3u8', seg))
    const d = await direct(origin1.port, `/cctv1/${seg}`)
    t.equal(g.status, 200, seg)
    t.equal(g.headers['content-type'], 'video/mp2t')
    t.ok(g.body.length > 1000, `${seg}: ${g.body.length} bytes`)
    t.ok(g.body.equals(d.body), `${seg}: byte-identical`)
  }
})

t.test('a live playlist advances', async t => {
  const b = await session(t)
  const url = await open(b)
  const seq = async (): Promise<number> => Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec((await rawGateway(b, url)).body.toString())![1])
  const first = await seq()
  t.ok(await eventually(async () => await seq() > first, 6000, 200), 'media sequence went up')
})

t.test('only the owning session can use the token: another cookie or none gets 404', async t => {
  const owner = await session(t)
  const url = await open(owner)
  const other = await session(t)
  await open(other)
  t.equal((await rawGateway(other, url)).status, 404, 'another session')
  t.equal((await rawGateway(gw.browser(), url)).status, 404, 'no session')
  t.equal((await rawGateway(owner, url)).status, 200, 'the owner')
})

t.test('only the camera\'s own folder is reachable through its token', async t => {
  const b = await session(t)
  const url = await open(b)
  for (const p of ['cctv2/index.m3u8', 'cctv1/../cctv2/index.m3u8', 'cctv1/%2e%2e/cctv2/index.m3u8', 'cctv1/', 'cctv1//index.m3u8', 'cctv10/index.m3u8', 'other']) {
    t.equal((await rawGateway(b, url.replace('cctv1/index.m3u8', p))).status, 404, p)
  }
})

t.test('a camera the HLS server does not have: its 404 passes through on the playlist URL', async t => {
  const b = await session(t)
  const url = await open(b, { inference_id: 'svr10', cctv_id: 4 })
  const r = await rawGateway(b, url)
  t.equal(r.status, 404)
  t.equal(r.body.toString(), '404 page not found\n', 'the origin\'s own body')
})

t.test('through the hop: server 2\'s HLS server', async t => {
  const b = await session(t)
  const before = origin2.requests
  const url = await open(b, { inference_id: 'svr21', cctv_id: 7 })
  const r = await rawGateway(b, url)
  t.equal(r.status, 200)
  t.match(r.body.toString(), /^#EXTM3U/)
  t.ok(origin2.requests > before, 'served by server 2\'s origin')
})

t.test('ssh_status.hls_server is true exactly while a tunnel is open', async t => {
  const b = await session(t)
  t.equal((await b.get('/api/ssh_status')).body.hls_server, false)
  await open(b)
  t.equal((await b.get('/api/ssh_status')).body.hls_server, true)
  t.same((await b.post('/api/hls_tunnel_stop')).body, { message: 'HLS tunnel stopped', closed: true })
  t.equal((await b.get('/api/ssh_status')).body.hls_server, false)
  t.same((await b.post('/api/hls_tunnel_stop')).body, { message: 'HLS tunnel stopped', closed: false }, 'stop with none open: still 200')
})

/** Opens a tunnel, fetches through it, and returns a function telling whether its channels are gone. */
async function busyTunnel (g: typeof gw, b: Browser): Promise<{ url: string, closed: () => Promise<boolean> }> {
  const url = await open(b)
  await rawGateway(b, url)
  const o = g.regions[0].hls.get(1)!
  t.ok(o.openConnections >= 1, 'a channel to the origin is open (kept alive)')
  return { url, closed: async () => await eventually(() => o.openConnections === 0, 5000) }
}

t.test('stop closes the tunnel\'s channels and its URL', async t => {
  const b = await session(t)
  const { url, closed } = await busyTunnel(gw, b)
  await b.post('/api/hls_tunnel_stop')
  t.ok(await closed(), 'no channel left')
  t.equal((await rawGateway(b, url)).status, 404)
})

t.test('a new tunnel replaces the previous one, whose channels close', async t => {
  const b = await session(t)
  const { url } = await busyTunnel(gw, b)
  const url2 = await open(b, { inference_id: 'svr21', cctv_id: 7 })
  t.ok(await eventually(() => origin1.openConnections === 0), 'the old tunnel\'s channels closed')
  t.equal((await rawGateway(b, url)).status, 404, 'the old URL is gone')
  t.equal((await rawGateway(b, url2)).status, 200)
  await b.post('/api/hls_tunnel_stop')
})

t.test('disconnect closes the tunnel', async t => {
  const b = await session(t)
  const { url, closed } = await busyTunnel(gw, b)
  await b.post('/api/ssh_disconnect')
  t.ok(await closed())
  t.equal((await rawGateway(b, url)).status, 404)
})

t.test('the SSH TTL closes the tunnel', async t => {
  const g = await startGateway(t, { regions: [{ name: 'x', hls: true }], env: { SSH_TTL_SECONDS: '2' } })
  const b = g.browser(); await b.connect(g.regions[0])
  const { closed } = await busyTunnel(g, b)
  t.ok(await eventually(async () => (await b.get('/api/ssh_status')).body.status === 'disconnected', 5000))
  t.ok(await closed())
})

t.test('an unused tunnel expires by itself (a reload sends no stop)', async t => {
  const g = await startGateway(t, { regions: [{ name: 'x', hls: true }], env: { HLS_IDLE_SECONDS: '1' } })
  const b = g.browser(); await b.connect(g.regions[0])
  const { closed } = await busyTunnel(g, b)
  t.ok(await eventually(async () => (await b.get('/api/ssh_status')).body.hls_server === false, 5000), 'hls_server false again')
  t.ok(await closed())
})

t.test('stop and open sent 1 ms apart, in either order: the newest tunnel survives', async t => {
  const g = await startGateway(t, { regions: [{ name: 'x', hls: true }], env: { HLS_STOP_GRACE_MS: '1500' } })
  const b = g.browser(); await b.connect(g.regions[0])
  await open(b)
  await new Promise(resolve => setTimeout(resolve, 1600))
  // Order 1: the stop arrives first, then the open.
  t.same((await b.post('/api/hls_tunnel_stop')).body.closed, true, 'an old tunnel is closed by the stop')
  const fresh = await open(b, { inference_id: 'svr10', cctv_id: 2 })
  // Order 2: the next open arrives first, then the stop meant for the tunnel before it.
  const newest = await open(b, { inference_id: 'svr10', cctv_id: 7 })
  t.same((await b.post('/api/hls_tunnel_stop')).body.closed, false, 'the stop does not close the tunnel opened just before it arrived')
  t.equal((await rawGateway(b, newest)).status, 200, 'the newest tunnel plays')
  t.equal((await rawGateway(b, fresh)).status, 404, 'the one it replaced is gone')
  t.equal((await b.get('/api/ssh_status')).body.hls_server, true)
})

t.test('the HLS server not answering: 500 with the cause', async t => {
  const g = await startGateway(t, { regions: [{ name: 'x', hls: true }] })
  const b = g.browser(); await b.connect(g.regions[0])
  await g.regions[0].hls.get(1)!.close()
  const r = await b.post('/api/hls_tunnel', { inference_id: 'svr10', cctv_id: 1 })
  t.equal(r.status, 500)
  t.match(r.body.message, /^HLS server \(server 1, port 8888\): Connection (refused|failed)$/)
  t.equal((await b.get('/api/ssh_status')).body.hls_server, false)
})

t.test('20 viewers\' segment fetches at once on one session all succeed within the channel limit', async t => {
  // Channels of earlier tests' (closed) tunnels may still be closing at the origin: start clean.
  t.ok(await eventually(() => origin1.openConnections === 0, 5000), 'no channel left from earlier tests')
  const b = await session(t)
  const url = await open(b)
  const playlist = (await rawGateway(b, url)).body.toString()
  // The newest segment: it stays listed for the playlist's 6 s; the oldest is deleted at the next
  // one (delete_segments), which 10 fetches queued on 4 channels can outlast on a busy machine.
  const seg = playlist.split('\n').filter(l => l.endsWith('.ts')).at(-1)!
  const results = await Promise.all(Array.from({ length: 20 }, async (_, i) =>
    await rawGateway(b, url.replace('index.m3u8', i % 2 === 0 ? seg : 'index.m3u8'))))
  t.same(results.map(r => r.status), Array(20).fill(200))
  t.ok(results.filter((_, i) => i % 2 === 0).every(r => r.body.equals(results[0].body)), 'same segment, same bytes')
  const { currentTunnel } = await import('../lib/ops/live-view.js')
  const live = currentTunnel(gw.app.sites.all().find(s => currentTunnel(s) !== undefined)!)!
  t.equal(live.kind, 'gateway')
  if (live.kind === 'gateway') t.ok(live.tunnel.peakChannels <= 4 && live.tunnel.peakChannels >= 1, `never more than HLS_MAX_SOCKETS (4) channels open at once: ${live.tunnel.peakChannels}`)
  t.ok(origin1.openConnections <= 4, `at most HLS_MAX_SOCKETS (4) connections at the origin: ${origin1.openConnections}`)
  await b.post('/api/hls_tunnel_stop')
})

t.test('port mode (the original deployment\'s shape): a listening port per tunnel, closed by stop', async t => {
  const { freePort } = await import('../sim/net.js')
  const p = await freePort()
  const g = await startGateway(t, { regions: [{ name: 'x', hls: true }], env: { HLS_MODE: 'port', HLS_PORT_RANGE: `${p}-${p + 5}`, HLS_PUBLIC_HOST: '127.0.0.1', HLS_STOP_GRACE_MS: '0' } })
  const b = g.browser(); await b.connect(g.regions[0])
  const url = await open(b)
  t.match(url, new RegExp(`^http://127\\.0\\.0\\.1:${p}\\d*/cctv1/index\\.m3u8$`.replace(`${p}\\d*`, '\\d+')))
  const port = Number(new URL(url).port)
  t.ok(port >= p && port <= p + 5, 'from HLS_PORT_RANGE')
  const d = await direct(port, '/cctv1/index.m3u8')
  t.equal(d.status, 200)
  t.match(d.body.toString(), /^#EXTM3U/)
  t.equal((await b.get('/api/ssh_status')).body.hls_server, true)
  await b.post('/api/hls_tunnel_stop')
  await t.rejects(direct(port, '/cctv1/index.m3u8'), { code: 'ECONNREFUSED' }, 'the port is closed after stop')
})

t.test('gateway shutdown closes tunnels and their channels', async t => {
  const g = await startGateway(t, { regions: [{ name: 'x', hls: true }] })
  const b = g.browser(); await b.connect(g.regions[0])
  const { closed } = await busyTunnel(g, b)
  await g.app.close()
  t.ok(await closed(), 'no channel left open to the origin')
})

t.test('a kept-alive channel the origin closed as it was reused: the request is retried once, not a 500', async t => {
  const g = await startGateway(t, { regions: [{ name: 'x' }] })
  let resets = 0
  const perSocket = new WeakMap<object, number>()
  // An origin that hangs up on every second request of a connection without answering it,
  // like a keep-alive timeout that fires just as the client reuses the connection.
  const origin = http.createServer((req, res) => {
    const n = (perSocket.get(req.socket) ?? 0) + 1
    perSocket.set(req.socket, n)
    if (n >= 2) { resets++; req.socket.destroy(); return }
    res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl', 'cache-control': 'no-cache' })
    res.end('#EXTM3U\n')
  })
  await new Promise<void>(resolve => origin.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { origin.closeAllConnections(); origin.close() })
  g.regions[0].server1.addForward('127.0.0.1:8888', { host: '127.0.0.1', port: (origin.address() as import('node:net').AddressInfo).port })
  const b = g.browser(); await b.connect(g.regions[0])
  const url = await open(b)
  for (let i = 0; i < 4; i++) {
    const r = await rawGateway(b, url)
    t.equal(r.status, 200, `request ${i + 1}`)
  }
  t.ok(resets >= 1, `the origin hung up on reused connections (${resets}×) and the gateway retried`)
})

t.test('a viewer that stops reading pauses the SSH channel (bounded buffering) and still gets every byte', async t => {
  const g = await startGateway(t, { regions: [{ name: 'x' }] })
  const SIZE = 64 * 1024 * 1024
  const CHUNK = Buffer.alloc(64 * 1024, 7)
  let sent = 0
  // An origin that writes a large file only as fast as its client (the SSH channel) takes it.
  const origin = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'video/mp2t', 'content-length': SIZE })
    const more = (): void => {
      while (sent < SIZE) {
        sent += CHUNK.length
        if (!res.write(CHUNK)) { res.once('drain', more); return }
      }
      res.end()
    }
    more()
  })
  await new Promise<void>(resolve => origin.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { origin.closeAllConnections(); origin.close() })
  g.regions[0].server1.addForward('127.0.0.1:8888', { host: '127.0.0.1', port: (origin.address() as import('node:net').AddressInfo).port })
  const b = g.browser(); await b.connect(g.regions[0])
  const url = new URL(await open(b, { inference_id: 'svr10', cctv_id: 1 }))
  const port = Number(new URL(await g.origin()).port)

  const client = (await import('node:net')).connect(port, '127.0.0.1')
  client.pause()
  client.write(`GET ${url.pathname.replace('index.m3u8', 'big.ts')} HTTP/1.1\r\nhost: x\r\ncookie: ${b.cookieHeader()}\r\nconnection: close\r\n\r\n`)
  // Nothing is read for a while: the origin must be held back, not the gateway's memory filled.
  let last = -1
  await eventually(async () => { const same = sent === last; last = sent; return same && sent > 0 }, 10_000, 500)
  t.ok(sent < SIZE / 2, `the origin was held back at ${(sent / 2 ** 20).toFixed(1)} MiB of 64 MiB while the viewer did not read`)

  let received = 0
  let head = ''
  client.on('data', (d: Buffer) => {
    if (head.includes('\r\n\r\n')) { received += d.length; return }
    head += d.toString('latin1')
    const i = head.indexOf('\r\n\r\n')
    if (i !== -1) { received += head.length - i - 4; head = head.slice(0, i + 4) }
  })
  client.resume()
  await new Promise(resolve => client.once('close', resolve))
  t.match(head, /^HTTP\/1\.1 200/)
  t.equal(received, SIZE, 'every byte arrived once the viewer read again')
})

t.test('a stop naming its tunnel (?token=) closes exactly that one at once, even inside the grace period', async t => {
  const g = await startGateway(t, { regions: [{ name: 'x', hls: true }], env: { HLS_STOP_GRACE_MS: '60000' } })
  const b = g.browser(); await b.connect(g.regions[0])
  const token = (url: string): string => new URL(url).pathname.split('/')[2]
  const first = await open(b)
  const second = await open(b, { inference_id: 'svr10', cctv_id: 2 })
  t.same((await b.post('/api/hls_tunnel_stop')).body, { message: 'HLS tunnel stopped', closed: false }, 'without a token the young tunnel survives (the original client\'s race)')
  t.same((await b.post(`/api/hls_tunnel_stop?token=${token(first)}`)).body.closed, false, 'the replaced tunnel\'s token closes nothing')
  t.equal((await b.get('/api/ssh_status')).body.hls_server, true)
  t.same((await b.post(`/api/hls_tunnel_stop?token=${token(second)}`)).body.closed, true, 'its own token closes it')
  t.equal((await b.get('/api/ssh_status')).body.hls_server, false)
  t.equal((await rawGateway(b, second)).status, 404, 'and its URL is gone')
  t.equal((await b.post('/api/hls_tunnel_stop?token=..%2F..')).status, 400, 'a malformed token is a 400')
})
