import t from 'tap'
import type { Test } from 'tap'
import type { ChildProcess } from 'node:child_process'
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { openDatabase } from '../lib/store/db.js'
import { AlertStore } from '../lib/store/alerts.js'
import { HistoryStore, type SweepRow } from '../lib/store/history.js'
import { startSimRegion } from '../sim/region.js'
import { eventually } from './helpers/app.js'
import { startPostgres } from './helpers/postgres.js'
import { httpReceiver } from './helpers/receivers.js'
import { spawnServer } from './helpers/server-process.js'

// Issue 22, 4: fencing. A gateway paused (kill -STOP) in the middle of a sweep, past its lease;
// a second gateway takes the region over and sweeps meanwhile; kill -CONT: the paused one's
// sweep is kept as lost_lease, moves nothing and alerts nothing, and no two done sweeps of the
// region overlap in time. Real processes (server.ts) on PostgreSQL and on one SQLite file.

const dir = mkdtempSync(path.join(os.tmpdir(), 'fwfence-'))
// Camera 1 streams (RTSP); camera 6 is silent: each sweep waits HEALTH_PROBE_TIMEOUT_SECONDS for it.
const site = await startSimRegion({ name: '대구', cameras: 6, servers: 1, rtsp: true, authFailDelayMs: 50 })
t.teardown(site.close)
const hook = await httpReceiver(t)
const hookSecret = path.join(dir, 'hook.secret')
writeFileSync(hookSecret, 'fence-secret')
chmodSync(hookSecret, 0o600)
const regionsFile = path.join(dir, 'regions.json')
writeFileSync(regionsFile, JSON.stringify({
  regions: { 대구: { ...site.entry, monitor: { every: '2s', id: 'demo', password_env: 'FWMAINT_TEST_FENCE_PW' } } },
  alerts: { down_sweeps: 1 },
  notify: [{ type: 'webhook', name: 'hook', url: hook.url('/hook'), secret_file: hookSecret }]
}))
const pgServer = await startPostgres(t)

function gateway (t: Test, id: string, store: Record<string, string>): ChildProcess {
  return spawnServer(t, {
    dir,
    name: id,
    regionsFile,
    env: { ...store, GATEWAY_ID: id, MONITOR_LEASE_SECONDS: '3', HEALTH_PROBE_TIMEOUT_SECONDS: '4', NOTIFY_RETRY_BASE_MS: '200', FWMAINT_TEST_FENCE_PW: 'demo' }
  })
}

/** The shared history database of a test's gateways, opened for one look. */
async function withStore<T> (store: Record<string, string>, look: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>): Promise<T> {
  const db = await openDatabase(store.DATABASE_URL !== undefined ? { url: store.DATABASE_URL, file: '' } : { file: store.HISTORY_DB })
  try {
    return await look(db)
  } finally {
    await db.close()
  }
}

async function sweeps (store: Record<string, string>): Promise<SweepRow[]> {
  return await withStore(store, async db => await new HistoryStore(db).sweeps('대구', 1000))
}

/** Whether the outbox has sent what the first sweep queued (its "monitoring started" summary) and holds nothing pending. */
async function outboxSettled (store: Record<string, string>): Promise<boolean> {
  return await withStore(store, async db => {
    const alerts = new AlertStore(db)
    return (await alerts.recent('all', 10)).some(a => a.deliveries.some(d => d.state === 'sent')) && (await alerts.pendingChannels()).length === 0
  })
}

for (const engine of ['postgres', 'sqlite']) {
  t.test(`${engine}: a gateway paused past its lease mid-sweep records it as lost_lease; the one that took over is the record`, async t => {
    const store: Record<string, string> = engine === 'postgres' ? { DATABASE_URL: await pgServer.newDatabase() } : { HISTORY_DB: path.join(mkdtempSync(path.join(dir, 'db-')), 'history.sqlite') }
    hook.got.length = 0
    const a = gateway(t, 'gw-a', store)
    t.ok(await eventually(async () => (await sweeps(store).catch(() => [])).some(s => s.state === 'done'), 60_000, 250), 'gw-a swept once')
    // Not inside the outbox's write: on SQLite a process stopped in a write transaction holds the
    // file's one writer, and the other gateway waits for it instead of taking over (README). The
    // sweep's own probing writes nothing but single statements.
    t.ok(await eventually(async () => await outboxSettled(store).catch(() => false), 30_000, 100), 'gw-a sent the first sweep\'s summary')
    // Its next sweep is probing: pause the whole process there.
    t.ok(await eventually(() => [...site.servers.values()].some(s => s.stats.probesRunning > 0), 20_000, 20), 'gw-a is sweeping again')
    a.kill('SIGSTOP')
    const pausedAt = Date.now()
    // Camera 1 dies while gw-a is paused: news that only the region's holder may tell.
    await site.takeDown(1)
    t.teardown(async () => { await site.bringBack(1) })

    gateway(t, 'gw-b', store)
    t.ok(await eventually(async () => (await sweeps(store)).filter(s => s.gateway === 'gw-b' && s.state === 'done').length >= 2, 90_000, 250), 'gw-b took the region over and swept')
    t.ok(Date.now() - pausedAt > 3000, 'gw-a stayed paused past its lease')
    a.kill('SIGCONT')

    t.ok(await eventually(async () => (await sweeps(store)).some(s => s.gateway === 'gw-a' && s.state === 'lost_lease'), 30_000, 250), 'gw-a kept its late sweep as lost_lease')
    // Let both run side by side a little: each tick is claimed once, each sweep holds the lease.
    await eventually(async () => (await sweeps(store)).filter(s => s.state === 'done').length >= 6, 30_000, 250)
    a.kill('SIGKILL')
    const kept = await sweeps(store)
    const lost = kept.filter(s => s.state === 'lost_lease')
    t.ok(lost.length >= 1 && lost.every(s => s.gateway === 'gw-a'), `the late sweep is gw-a's (${lost.length})`)
    const done = kept.filter(s => s.state === 'done').sort((x, y) => x.started_at - y.started_at)
    for (let i = 1; i < done.length; i++) t.ok(done[i].started_at >= done[i - 1].finished_at!, `done sweeps ${done[i - 1].id} (${done[i - 1].gateway}) and ${done[i].id} (${done[i].gateway}) do not overlap`)
    t.ok(done.some(s => s.gateway === 'gw-b'), 'gw-b\'s sweeps are the record')

    // Alerts: what the record moved, once. Camera 6 (silent) and the dead ones went down in the
    // monitor's first sweep (the "monitoring started" summary); nothing comes twice, and no
    // message belongs to a lost sweep.
    // Every message the kept sweeps queued has gone out (the record says so: nothing pending),
    // not "1.5 s after the first one" (CI on Node 24: camera 1's message was still on its way).
    t.ok(await eventually(async () => await outboxSettled(store).catch(() => false), 30_000, 100), 'the outbox has sent everything')
    // At least once: a delivery the receiver got but whose answer came too late for a busy sender
    // is sent again, the same body. Messages are counted, not deliveries.
    const bodies = [...new Map(hook.got.map(r => [JSON.stringify(r.json), r.json])).values()]
    // What each message was, printed with a failure.
    const told = JSON.stringify(bodies.map(b => ({ sweep: b.sweep?.id ?? null, started: b.started?.by_status ?? null, changes: b.changes })))
    t.equal(bodies.filter(b => b.started !== undefined).length, 1, `one "monitoring started" summary: ${told}`)
    const lines = bodies.flatMap(b => (b.changes as Array<{ kind: string, cctv_id: string | null }>).map(c => `${c.kind} ${c.cctv_id ?? ''}`))
    // Camera 1's death as the record has it: online → down once (on a busy machine it may already
    // have timed out in the first sweep; then its state was in the summary and no death is news).
    const camera1 = await withStore(store, async db => await new HistoryStore(db).changes('대구', 0))
    const deaths = camera1.filter(c => c.cctv_id === '1' && c.kind === 'down').length
    const firstSeenOnline = camera1.some(c => c.cctv_id === '1' && c.kind === 'first_seen' && c.to_status === 'online')
    t.equal(deaths, firstSeenOnline ? 1 : 0, `camera 1 died once in the record: ${JSON.stringify(camera1.filter(c => c.cctv_id === '1'))}`)
    t.equal(lines.filter(l => l === 'down 1').length, deaths, `camera 1's death told as often as the record has it: ${lines.join(', ')}`)
    t.equal(new Set(lines).size, lines.length, 'no alert line twice')
    const lostIds = new Set(lost.map(s => s.id))
    t.notOk(bodies.some(b => b.sweep !== null && lostIds.has(b.sweep.id)), 'no message from the lost sweep')
  })
}
