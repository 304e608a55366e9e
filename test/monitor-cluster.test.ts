import t from 'tap'
import type { Test } from 'tap'
import { eventually, startGateway, type Gateway } from './helpers/app.js'
import { startPostgres } from './helpers/postgres.js'
import { startSimRegion, type SimRegion } from '../sim/region.js'
import { Cron } from 'croner'
import { tickSlot } from '../lib/ops/monitor.js'

// Issue 15, 7: two gateways, one PostgreSQL. Each scheduled tick is claimed by exactly one of
// them (a row per tick, first writer wins); a sweep running on one makes the other's tick a
// skip (a lease renewed while it runs); the history one writes, the other reads.

const TOKEN = 'monitor-token-0123456789abcdef'
const pgServer = await startPostgres(t)
process.env.FWMAINT_TEST_CLUSTER_PW = 'demo'

async function pair (t: Test, site: SimRegion, monitor: Record<string, unknown>, env: Record<string, string> = {}): Promise<[Gateway, Gateway]> {
  const url = await pgServer.newDatabase()
  const one = async (id: string): Promise<Gateway> => await startGateway(t, {
    regions: [],
    extraRegions: { 대구: { ...structuredClone(site.entry), monitor: { ...monitor, id: 'demo', password_env: 'FWMAINT_TEST_CLUSTER_PW' } } },
    env: { DATABASE_URL: url, GATEWAY_ID: id, MONITOR_TOKEN: TOKEN, ...env }
  })
  // Both at once: both migrate the same empty database concurrently.
  return await Promise.all([one('gw-a'), one('gw-b')])
}

t.test('ticks by hand: a tick is acted on once; a sweep running on one gateway makes the other\'s tick a skip', async t => {
  const site = await startSimRegion({ name: '대구', cameras: 6, servers: 1, rtsp: true, authFailDelayMs: 50 })
  t.teardown(site.close)
  const [a, b] = await pair(t, site, { cron: '0 0 0 1 1 *' }, { HEALTH_PROBE_TIMEOUT_SECONDS: '6' })
  const ma = a.app.monitors.get('대구')!
  const mb = b.app.monitors.get('대구')!
  await Promise.all([ma.tick(1000), mb.tick(1000)])
  t.equal(ma.claimed + mb.claimed, 1, 'the same tick on both: claimed once')
  t.equal(ma.lost + mb.lost, 1, 'and left alone by the other')
  let kept = await a.app.history.sweeps('대구')
  t.equal(kept.length, 1)
  t.match(kept[0], { state: 'done', total: 6 })

  // A slow sweep on a (camera 6 is silent: 6 s); b's next tick finds it running.
  const slowFrom = Date.now()
  const slow = ma.tick(2000)
  t.ok(await eventually(() => ma.busy, 5000))
  await mb.tick(3000)
  await slow
  kept = await b.app.history.sweeps('대구')
  t.match(kept.find(s => s.state === 'skipped'), { gateway: 'gw-b', failure: 'the previous sweep was still running on another gateway' })
  t.equal(kept.filter(s => s.state === 'done').length, 2)
  t.match(kept.find(s => s.state === 'done' && s.started_at >= slowFrom), { gateway: 'gw-a' }, 'the slow sweep ran on a')

  // The lease is free again once the sweep ended: b runs the next one.
  await mb.tick(4000)
  t.match((await a.app.history.sweeps('대구'))[0], { state: 'done', gateway: 'gw-b' })

  // What one wrote, the other serves.
  const get = async (gw: Gateway, url: string): Promise<any> => (await gw.browser().request({ method: 'GET', url, headers: { authorization: `Bearer ${TOKEN}` } })).body
  t.same(await get(a, '/api/monitor/대구/cameras'), await get(b, '/api/monitor/대구/cameras'), 'the same cameras from either gateway')
  t.match((await get(a, '/api/monitor')).regions[0].last_sweep, { gateway: 'gw-b' })
})

t.test('a late timer names the tick it fired for: the schedule\'s own instant, never the next second', async t => {
  const every2s = new Cron('*/2 * * * * *', { timezone: 'Asia/Seoul', paused: true })
  const at = Date.UTC(2026, 11, 4, 1, 0, 2)
  for (const late of [0, 1, 499, 500, 600, 1999]) t.equal(tickSlot({ cron: every2s }, at + late), at, `fired ${late} ms late: the 2-s instant`)
  t.equal(tickSlot({ cron: every2s }, at + 2000), at + 2000, 'the next instant is the next slot')
  const daily = new Cron('0 0 3 * * *', { timezone: 'Asia/Seoul', paused: true })
  t.equal(tickSlot({ cron: daily }, Date.UTC(2026, 11, 3, 18, 0, 0, 700)), Date.UTC(2026, 11, 3, 18), '03:00 KST fired 0.7 s late: 03:00 KST')
  t.equal(tickSlot({ everyMs: 60_000 }, Date.UTC(2026, 11, 4, 1, 0, 59, 900)), Date.UTC(2026, 11, 4, 1), 'an interval: its period since the epoch')
})

t.test('on a real schedule (every 2 s on both, firing at the same instants): one sweep per tick', async t => {
  const site = await startSimRegion({ name: '대구', cameras: 8, servers: 2, authFailDelayMs: 50 })
  t.teardown(site.close)
  const [a, b] = await pair(t, site, { cron: '*/2 * * * * *' })
  const ma = a.app.monitors.get('대구')!
  const mb = b.app.monitors.get('대구')!
  t.ok(await eventually(() => ma.claimed + mb.claimed >= 6, 40_000, 100), 'six ticks acted on')
  await Promise.all([a.app.close(), b.app.close()])
  const db = await (await import('../lib/store/db.js')).openDatabase({ url: a.app.config.env.DATABASE_URL, file: '' })
  t.teardown(db.close)
  // How many times each gateway's timer fired depends on how busy the machine is (a late timer
  // fires once for the ticks it missed); what must hold is the record: each tick slot claimed
  // once, by one gateway, and every claim counted by the gateway that made it.
  const ticks = await db.db.selectFrom('monitor_ticks').selectAll().where('region', '=', '대구').execute()
  t.equal(ticks.length, ma.claimed + mb.claimed, `each tick acted on once: ${ma.claimed} + ${mb.claimed} claims, ${ticks.length} slots`)
  t.equal(new Set(ticks.map(x => Number(x.slot))).size, ticks.length, 'no slot claimed twice')
  t.ok(ticks.every(x => Number(x.slot) % 2000 === 0), 'the slots are the schedule\'s instants (every 2 s), the same on both gateways')
  t.ok(ma.lost + mb.lost >= 1, `the gateways raced for the same ticks: ${ma.lost} + ${mb.lost} lost to the other`)
  const { HistoryStore } = await import('../lib/store/history.js')
  const kept = (await new HistoryStore(db).sweeps('대구', 1000)).filter(s => s.trigger === 'scheduled')
  // A tick claimed as the gateways close may end before its sweep began (nothing to keep).
  t.ok(kept.length <= ma.claimed + mb.claimed && kept.length >= ma.claimed + mb.claimed - 1, `one kept sweep (or skip) per claimed tick: ${kept.length} of ${ma.claimed + mb.claimed}`)
  const ran = kept.filter(s => s.state !== 'skipped').sort((x, y) => x.started_at - y.started_at)
  for (let i = 1; i < ran.length; i++) t.ok(ran[i].started_at >= ran[i - 1].finished_at!, `sweeps ${ran[i - 1].id} and ${ran[i].id} did not overlap`)
  t.ok(kept.every(s => s.gateway === 'gw-a' || s.gateway === 'gw-b'), 'each names the gateway that ran it')
})

t.test('alerts with two gateways on one database: each message is sent once', async t => {
  const { httpReceiver } = await import('./helpers/receivers.js')
  const { chmodSync, mkdtempSync, writeFileSync } = await import('node:fs')
  const os = await import('node:os')
  const path = await import('node:path')
  const hook = await httpReceiver(t)
  const secret = path.join(mkdtempSync(path.join(os.tmpdir(), 'fwcluster-')), 'hook.secret')
  writeFileSync(secret, 'cluster-secret')
  chmodSync(secret, 0o600)
  const site = await startSimRegion({ name: '대구', cameras: 2, servers: 1, authFailDelayMs: 50 })
  t.teardown(site.close)
  const url = await pgServer.newDatabase()
  const one = async (id: string): Promise<Gateway> => await startGateway(t, {
    regions: [],
    extraRegions: { 대구: { ...structuredClone(site.entry), monitor: { cron: '0 0 0 1 1 *', id: 'demo', password_env: 'FWMAINT_TEST_CLUSTER_PW' } } },
    patch: doc => { doc.notify = [{ type: 'webhook', name: 'hook', url: hook.url('/hook'), secret_file: secret }] },
    env: { DATABASE_URL: url, GATEWAY_ID: id, NOTIFY_RETRY_BASE_MS: '200', NOTIFY_RETRY_MAX_MS: '500' }
  })
  const [a, b] = await Promise.all([one('gw-a'), one('gw-b')])
  // Ten messages, queued alternately on each; both workers poll the same outbox.
  for (let i = 0; i < 10; i++) {
    const gw = i % 2 === 0 ? a : b
    await gw.app.history.enqueueTest('대구', 'hook', { region: '대구', sweep: null, at: Date.now(), changes: [], test: true })
    a.app.outbox.kick()
    b.app.outbox.kick()
  }
  t.ok(await eventually(async () => (await a.app.alerts.pendingChannels()).length === 0, 20_000, 50), 'all sent')
  // Nothing pending and neither outbox in a pass: no POST can still come (no fixed wait).
  await Promise.all([a.app.outbox.idle(), b.app.outbox.idle()])
  t.equal(hook.got.length, 10, 'ten messages, ten deliveries: none sent twice')
  const sent = (await a.app.alerts.recent('all', 20)).flatMap(x => x.deliveries)
  t.ok(sent.every(d => d.state === 'sent' && d.attempts === 1), 'each sent at the first attempt, by one gateway')
})
