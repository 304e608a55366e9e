import t from 'tap'
import type { Test } from 'tap'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { eventually } from './helpers/app.js'
import { startSimRegion } from '../sim/region.js'
import { openDatabase } from '../lib/store/db.js'
import { HistoryStore } from '../lib/store/history.js'
import { AlertStore } from '../lib/store/alerts.js'
import { startPostgres } from './helpers/postgres.js'
import { httpReceiver } from './helpers/receivers.js'
import { spawnServer } from './helpers/server-process.js'
import { chmodSync } from 'node:fs'

// Issue 15: the history survives the process. The real server (server.ts) monitors a simulated
// region every 2 s into an SQLite file, then into a PostgreSQL database; it is killed with
// SIGKILL while a sweep runs: no completed sweep is lost, none is half-written, and a new start
// resumes the schedule on the same history.

const dir = mkdtempSync(path.join(os.tmpdir(), 'fwrestart-'))
const site = await startSimRegion({ name: '대구', cameras: 8, servers: 2, authFailDelayMs: 50 })
t.teardown(site.close)
const regionsFile = path.join(dir, 'regions.json')
// Alerts too: a webhook whose receiver is down while the first process runs.
const hook = await httpReceiver(t)
const hookSecret = path.join(dir, 'hook.secret')
writeFileSync(hookSecret, 'restart-secret')
chmodSync(hookSecret, 0o600)
writeFileSync(regionsFile, JSON.stringify({
  regions: { 대구: { ...site.entry, monitor: { every: '2s', id: 'demo', password_env: 'FWMAINT_TEST_RESTART_PW' } } },
  notify: [{ type: 'webhook', name: 'hook', url: hook.url('/hook'), secret_file: hookSecret }]
}))
const historyDb = path.join(dir, 'history.sqlite')
const pgServer = await startPostgres(t)

function startServer (t: Test, store: { HISTORY_DB: string } | { DATABASE_URL: string }): ChildProcess {
  return spawnServer(t, { dir, name: 'restart', regionsFile, env: { ...store, FWMAINT_TEST_RESTART_PW: 'demo' } })
}

/** The history as another process sees it (SQLite in WAL mode: readers never wait). */
async function history (store: { HISTORY_DB: string } | { DATABASE_URL: string }): Promise<{ sweeps: Awaited<ReturnType<HistoryStore['sweeps']>>, counts: Record<string, number> }> {
  const db = await openDatabase('DATABASE_URL' in store ? { url: store.DATABASE_URL, file: '' } : { file: store.HISTORY_DB })
  try {
    const h = new HistoryStore(db)
    return { sweeps: await h.sweeps('대구', 1000), counts: await h.counts() }
  } finally {
    await db.close()
  }
}

/** Every delivery of every alert, as the record has them. */
async function deliveries (store: { HISTORY_DB: string } | { DATABASE_URL: string }): Promise<Array<{ state: string, attempts_log: Array<{ ok: boolean }> }>> {
  const db = await openDatabase('DATABASE_URL' in store ? { url: store.DATABASE_URL, file: '' } : { file: store.HISTORY_DB })
  try {
    return (await new AlertStore(db).recent('all', 100)).flatMap(a => a.deliveries)
  } finally {
    await db.close()
  }
}

for (const engine of ['sqlite', 'postgres']) {
  t.test(`${engine}: kill -9 during a sweep loses no completed sweep and writes no half of one; a new start resumes the schedule`, async t => {
    const store = engine === 'sqlite' ? { HISTORY_DB: historyDb } : { DATABASE_URL: await pgServer.newDatabase() }
    hook.got.length = 0
    await hook.down('closed')
    const first = startServer(t, store)
    t.ok(await eventually(async () => (await history(store).catch(() => ({ sweeps: [] }))).sweeps.filter(s => s.state === 'done').length >= 2, 60_000, 250), 'two scheduled sweeps kept')
    // Kill it while the next sweep is probing on the site.
    t.ok(await eventually(() => [...site.servers.values()].some(s => s.stats.probesRunning > 0), 20_000, 5), 'a sweep is running')
    first.kill('SIGKILL')
    await new Promise(resolve => first.once('exit', resolve))

    const after = await history(store)
    const done = after.sweeps.filter(s => s.state === 'done')
    t.ok(done.length >= 2, `${done.length} completed sweeps survived`)
    t.ok(done.every(s => s.total === 8 && s.done === 8), 'each of them whole')
    t.equal(after.counts.results, after.sweeps.reduce((n, s) => n + s.done, 0), 'raw results: exactly those of the kept sweeps (nothing half-written)')

    t.equal(hook.got.length, 0, 'the receiver was down: nothing delivered yet')
    await hook.down(false)
    const second = startServer(t, store)
    t.ok(await eventually(async () => (await history(store)).sweeps.filter(s => s.state === 'done').length > done.length, 60_000, 250), 'the schedule resumes after the restart')
    // Every camera is down (dead addresses): one "monitoring started" summary, written with the first sweep before the kill.
    t.ok(await eventually(() => hook.got.length >= 1, 30_000, 100), 'the alert the killed process could not send is sent by the new one')
    // Once: each delivery the record says is sent was sent by one successful attempt (only pending
    // deliveries are ever posted) and reached the receiver once. The second process is stopped
    // first, so that no alert made meanwhile (a busy machine may fail a 2-s sweep: a region alert,
    // told truly) is counted on one side and not the other.
    t.ok(await eventually(async () => (await deliveries(store)).every(d => d.state === 'sent'), 30_000, 100), 'the delivery is recorded as sent')
    second.kill('SIGTERM')
    await new Promise(resolve => second.exitCode !== null ? resolve(null) : second.once('exit', resolve))
    const sent = (await deliveries(store)).filter(d => d.state === 'sent')
    t.same(sent.map(d => d.attempts_log.filter(a => a.ok).length), sent.map(() => 1), 'each sent delivery: one successful attempt')
    t.equal(hook.got.length, sent.length, 'each posted once')
    const starts = hook.got.filter(g => g.json.started !== undefined)
    t.equal(starts.length, 1, 'one "monitoring started" summary')
    t.ok(hook.got.every(g => g.json.started !== undefined || (g.json.changes as Array<{ kind: string }>).every(c => c.kind === 'region_down' || c.kind === 'region_up')),
      'nothing else but a failing sweep told (no camera alert)')
    t.match(starts[0].json, { started: { cameras: 8 }, changes: [] }, 'counting the 8 cameras, not a down alert each')
    t.equal(Object.values(starts[0].json.started.by_status as Record<string, number>).reduce((a, b) => a + b, 0) - (starts[0].json.started.by_status.online ?? 0), 8, 'all 8 down')
    const resumed = await history(store)
    t.ok(done.every(d => resumed.sweeps.some(s => s.id === d.id)), 'the old history is still there')
    t.equal(resumed.counts.camera_state, 8)
  })
}
