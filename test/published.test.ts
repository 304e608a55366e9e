import t from 'tap'
import { startGateway, type Browser } from './helpers/app.js'
import { published, publisherOf, type ContainerInfo } from '../lib/site/containers.js'
import { parseRegions } from '../lib/config/regions.js'
import { ownAddress } from '../sim/region.js'
import { expectedStatus } from './helpers/health.js'

// Issue 13, 1: services where docker publishes them. In this region every server's containers
// publish on that server's own address (192.168.1.5:27017->27017/tcp …) and nothing answers on
// its 127.0.0.1: the inventory (Mongo), the live view (HLS, on server 1 and through the hop to
// server 2) and a health sweep must work all the same, and a forced 127.0.0.1 must not.

const gw = await startGateway(t, {
  regions: [
    { name: 'own', servers: 2, cameras: 16, rtsp: true, logs: true, hls: true, publishOn: 'own-address' },
    { name: 'forced', host: '127.0.0.2', cameras: 5, hls: true, publishOn: 'own-address' }
  ],
  patch: doc => {
    doc.regions.forced.mongo = { host: '127.0.0.1' }
    doc.regions.forced.hls = { host: '127.0.0.1' }
  },
  env: { HEALTH_CONCURRENCY: '2', HEALTH_PROBE_TIMEOUT_SECONDS: '5' }
})
const [region, forced] = gw.regions

async function session (r = region): Promise<Browser> {
  const b = gw.browser()
  t.equal((await b.connect(r)).status, 200)
  return b
}

const container = (ports: string, state = 'running'): ContainerInfo => ({ id: 'x', name: 'x', image: 'x', state, ports })

t.test('published(): the address and port of each published entry of docker ps\'s Ports column', async t => {
  t.same(published(container('192.168.1.5:27017->27017/tcp')), [{ host: '192.168.1.5', port: 27017, containerPort: 27017 }], 'one interface')
  t.same(published(container('0.0.0.0:8888->8888/tcp, :::8888->8888/tcp')).map(p => p.host), ['127.0.0.1', '127.0.0.1'], '0.0.0.0 and :: are every interface: 127.0.0.1')
  t.same(published(container('[::]:27018->27017/tcp')), [{ host: '127.0.0.1', port: 27018, containerPort: 27017 }])
  t.same(published(container('27017->27017/tcp')), [{ host: '127.0.0.1', port: 27017, containerPort: 27017 }], 'no address')
  t.same(published(container('[fd00::5]:9000->80/tcp')), [{ host: 'fd00::5', port: 9000, containerPort: 80 }])
  t.same(published(container('27017/tcp, 8554/udp')), [], 'exposed, not published')
  t.equal(publisherOf([container('10.0.0.9:8888->8888/tcp', 'exited'), container('10.0.0.7:8888->80/tcp')], 8888), '10.0.0.7', 'the running container that publishes the port')
  t.equal(publisherOf([container('0.0.0.0:1935->1935/tcp')], 8888), undefined, 'none: the caller falls back to 127.0.0.1')
})

t.test('mongo.host and hls.host (region-wide and per server) are read from the regions file', async t => {
  const regions = parseRegions({ regions: { r: { ssh: { host: 'h', port: 22 }, page_url: 'http://h/', mongo: { host: '10.1.1.1' }, hls: { host: '10.1.1.2' }, servers: { 1: {}, 2: { host: 'b', hls: { host: '10.1.1.3' } } } } } })
  const r = regions.get('r')!
  t.equal(r.mongo.host, '10.1.1.1')
  t.same([r.servers.get(1)!.hls.host, r.servers.get(2)!.hls.host], ['10.1.1.2', '10.1.1.3'])
  t.throws(() => parseRegions({ regions: { r: { ssh: { host: 'h', port: 22 }, page_url: 'http://h/', mongo: { host: 'a b' } } } }), /region "r": field "mongo\.host"/)
})

t.test('the camera inventory from a Mongo published on server 1\'s own address', async t => {
  const b = await session()
  const r = await b.post('/api/cctv_data')
  t.equal(r.status, 200, JSON.stringify(r.body).slice(0, 200))
  t.same(r.body.message, region.inventory, 'exactly the stored cameras')
  t.ok(region.server1.containers().some(c => c.ports === `${ownAddress(1)}:27017->27017/tcp`), `docker ps shows ${ownAddress(1)}:27017`)
  region.server1.setContainerState('mongo', 'exited')
  t.same((await b.post('/api/cctv_data')).body, { code: 'CONTAINER_NOT_FOUND', message: 'container not found' }, 'a stopped container is still a 404')
  region.server1.setContainerState('mongo', 'running')
  t.equal((await b.post('/api/cctv_data')).status, 200)
})

t.test('the live view from the container that publishes hls.port on each server (server 2 through the hop); one docker ps per server per session', async t => {
  const b = await session()
  const dockerPs = (n: number): number => region.servers.get(n)!.stats.commands.filter(c => c.includes("'docker' 'ps'")).length
  const before = [dockerPs(1), dockerPs(2)]
  // Cameras the HLS server of their own server has (3-6 are the dead ones): two on each server.
  const live = (n: number): Array<{ cctv_ID: number, inference_id: string }> => region.inventory.filter(c => c.inference_id.startsWith(`svr${n}`) && !(c.cctv_ID >= 3 && c.cctv_ID <= 6)).slice(0, 2)
  for (const { inference_id: inference, cctv_ID: cam } of [...live(1), ...live(2)]) {
    const open = await b.post('/api/hls_tunnel', { inference_id: inference, cctv_id: cam })
    t.equal(open.status, 200, `${inference} camera ${cam}: ${JSON.stringify(open.body)}`)
    const playlist = await b.get(new URL(open.body.message).pathname)
    t.match([playlist.status, playlist.body], [200, /^#EXTM3U/], 'its playlist, through the gateway')
  }
  t.same([dockerPs(1) - before[0], dockerPs(2) - before[1]], [1, 1], 'four tunnels, one docker ps on each server')
})

t.test('a health sweep of the whole region: every camera its behaviour\'s status', async t => {
  const b = await session()
  t.equal((await b.post('/api/cctv_health')).status, 202)
  let report: any
  for (let i = 0; i < 240; i++) {
    report = await b.get('/api/cctv_health')
    if (report.status === 200) break
    await new Promise(resolve => setTimeout(resolve, 250))
  }
  t.equal(report.status, 200, 'the sweep completed')
  t.equal(report.body.results.length, 16)
  for (const r of report.body.results) t.equal(r.status, expectedStatus(r.cctv_ID), `camera ${r.cctv_ID}: ${r.status} ${r.error ?? ''}`)
})

t.test('forcing 127.0.0.1 on such a site (mongo.host, hls.host): nothing answers there, with the cause', async t => {
  const b = await session(forced)
  const inv = await b.post('/api/cctv_data')
  t.equal(inv.status, 500)
  t.match(inv.body.message, /^MongoDB: /)
  const live = await b.post('/api/hls_tunnel', { inference_id: 'svr10', cctv_id: 1 })
  t.equal(live.status, 500)
  t.match(live.body.message, /^HLS server \(server 1, port 8888\): /)
})
