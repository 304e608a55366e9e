import t from 'tap'
import { startGateway } from './helpers/app.js'
import { plain } from '../lib/plain-json.js'
import { toCamera } from '../lib/ops/inventory.js'
import { Long, Int32, Double, Decimal128, ObjectId } from 'mongodb'

// Route 6 of docs/api-contract.md: the camera inventory from the site's MongoDB.

t.test('POST /api/cctv_data without a session: 400 "not connected"', async t => {
  const gw = await startGateway(t)
  const r = await gw.browser().post('/api/cctv_data')
  t.same([r.status, r.body], [400, { code: 'NOT_CONNECTED', message: 'not connected' }])
})

t.test('the inventory as plain JSON: documented fields only, numbers as numbers, sorted by cctv_ID', async t => {
  const gw = await startGateway(t, { regions: [{ name: '대구', servers: 3, cameras: 300 }] })
  const b = gw.browser()
  await b.connect(gw.regions[0])
  const r = await b.post('/api/cctv_data')
  t.equal(r.status, 200)
  const cams = r.body.message
  t.equal(cams.length, 300)
  t.same(cams.map((c: { cctv_ID: number }) => c.cctv_ID), Array.from({ length: 300 }, (_, i) => i + 1), 'sorted by cctv_ID (stored out of order)')
  t.same(cams, gw.regions[0].inventory, 'exactly the stored cameras')
  for (const c of cams) {
    t.same(Object.keys(c).sort(), ['cctv_ID', 'cctv_address', 'cctv_name', 'inference_id', 'url'])
    if (typeof c.cctv_ID !== 'number') t.fail(`cctv_ID ${JSON.stringify(c.cctv_ID)} is not a number`)
  }
  t.notMatch(JSON.stringify(r.body), /\$number|\$oid|_bsontype/, 'no extended-JSON wrapper leaks')
  t.ok(cams.some((c: { url: string }) => c.url.includes('mn%2F1418%21%40%23@')), 'URLs come back byte-exact')
  t.equal(cams[0].cctv_address.L1, '대구')
})

t.test('the Mongo client is reused by later requests of the session', async t => {
  const gw = await startGateway(t, { regions: [{ name: '대구', cameras: 50 }] })
  const b = gw.browser()
  await b.connect(gw.regions[0])
  await b.post('/api/cctv_data')
  const forwards = gw.regions[0].server1.stats.forwards
  for (let i = 0; i < 3; i++) t.equal((await b.post('/api/cctv_data')).body.message.length, 50)
  t.equal(gw.regions[0].server1.stats.forwards, forwards, 'no new SSH forward for later requests')
  await b.post('/api/ssh_disconnect')
  const { eventually } = await import('./helpers/app.js')
  t.ok(await eventually(() => gw.regions[0].server1.openConnections === 0), 'the forward closed with the session')
})

t.test('the Mongo container stopped or missing: 404 "container not found"', async t => {
  const gw = await startGateway(t, { regions: [{ name: '대구', cameras: 10 }] })
  const b = gw.browser()
  await b.connect(gw.regions[0])
  t.equal((await b.post('/api/cctv_data')).status, 200)
  gw.regions[0].server1.setContainerState('mongo', 'exited')
  const r = await b.post('/api/cctv_data')
  t.same([r.status, r.body], [404, { code: 'CONTAINER_NOT_FOUND', message: 'container not found' }])
  gw.regions[0].server1.setContainerState('mongo', 'running')
  t.equal((await b.post('/api/cctv_data')).status, 200, 'back when it runs again')
})

t.test('a region whose Mongo container is named: found by name; an absent name is 404', async t => {
  const gw = await startGateway(t, {
    regions: [{ name: 'a', cameras: 5 }, { name: 'b', host: '127.0.0.2', cameras: 5 }],
    patch: doc => {
      doc.regions.a.mongo = { container: { name: 'mongo' } }
      doc.regions.b.mongo = { container: { name: 'mongodb-prod' } }
    }
  })
  const a = gw.browser(); await a.connect(gw.regions[0])
  t.equal((await a.post('/api/cctv_data')).body.message.length, 5)
  const b = gw.browser(); await b.connect(gw.regions[1])
  t.same((await b.post('/api/cctv_data')).body, { code: 'CONTAINER_NOT_FOUND', message: 'container not found' })
})

t.test('the Mongo server gone while its container runs: 500 with the cause, not a hang', async t => {
  const gw = await startGateway(t, { regions: [{ name: '대구', cameras: 5 }], env: { MONGO_TIMEOUT_MS: '1500' } })
  const b = gw.browser()
  await b.connect(gw.regions[0])
  await gw.regions[0].mongo!.close()
  const r = await b.post('/api/cctv_data')
  t.equal(r.status, 500)
  t.match(r.body.message, /^MongoDB: /)
})

t.test('2,000 cameras come back as plain JSON', async t => {
  const gw = await startGateway(t, { regions: [{ name: '대구', servers: 3, cameras: 2000 }] })
  const b = gw.browser()
  await b.connect(gw.regions[0])
  const r = await b.post('/api/cctv_data')
  t.equal(r.status, 200)
  t.equal(r.body.message.length, 2000)
  t.equal(r.body.message[1999].cctv_ID, 2000)
  t.ok(r.body.message.every((c: { cctv_ID: unknown }) => typeof c.cctv_ID === 'number'))
})

t.test('plain(): BSON types and extended-JSON wrappers become plain numbers and strings', async t => {
  t.equal(plain(new Int32(156)), 156)
  t.equal(plain(Long.fromNumber(156)), 156)
  t.equal(plain(new Double(1.5)), 1.5)
  t.equal(plain(Decimal128.fromString('12.25')), 12.25)
  t.equal(plain(new ObjectId('65f1c0ffee0000000000beef')), '65f1c0ffee0000000000beef')
  t.equal(plain(10n), 10)
  t.same(plain({ $numberInt: '156' }), 156)
  t.same(plain({ $numberLong: '9007199254740991' }), 9007199254740991)
  t.same(plain({ $numberDouble: '2.5' }), 2.5)
  t.same(plain({ $oid: 'abc' }), 'abc')
  t.same(plain({ $date: { $numberLong: '0' } }), '1970-01-01T00:00:00.000Z')
  t.same(plain({ a: [{ $numberInt: '1' }, new Int32(2)], b: { c: Long.fromNumber(3) } }), { a: [1, 2], b: { c: 3 } })
  t.same(toCamera({ cctv_ID: { $numberInt: '156' }, cctv_address: { L1: '대구', L2: '수성구', L3: '황금동' }, cctv_name: '우경', inference_id: 'svr31', url: 'rtsp://x', extra: 1 }),
    { cctv_ID: 156, cctv_address: { L1: '대구', L2: '수성구', L3: '황금동' }, cctv_name: '우경', inference_id: 'svr31', url: 'rtsp://x' })
  t.same(toCamera({ cctv_ID: '42' }).cctv_ID, 42, 'a numeric string ID is a number')
  t.same(toCamera({}), { cctv_ID: null, cctv_address: { L1: null, L2: null, L3: null }, cctv_name: null, inference_id: null, url: null }, 'missing fields are null, not absent')
})
