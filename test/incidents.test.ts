import t from 'tap'
import type { Test } from 'tap'
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { openDatabase, type Database } from '../lib/store/db.js'
import { HistoryStore, type CameraResult, type SweepRecord } from '../lib/store/history.js'
import type { HealthStatus } from '../lib/status.js'
import { IncidentAcknowledgedError, IncidentNotFoundError, IncidentResolvedError } from '../lib/errors.js'
import { startPostgres } from './helpers/postgres.js'
import { eventually, startGateway, testClock } from './helpers/app.js'
import { httpReceiver } from './helpers/receivers.js'
import { AlertStore } from '../lib/store/alerts.js'
import { DEFAULT_INCIDENT_RULES } from '../lib/config/incident-rules.js'
import { lines, title } from '../lib/notify/messages.js'
import { kstMinutes } from '../lib/clock.js'
import { emailBody, webhookBody } from '../lib/notify/channels.js'
import { ackLink } from '../lib/notify/ack-links.js'

// Issue 25, 1: incidents as the store keeps them, written with the sweeps (the rules themselves:
// test/incident-rules.test.ts) and acted on by people — on SQLite and a real PostgreSQL; then
// the API on the simulated site: an analysis server's cameras taken down together are one
// `server` incident, acknowledged, noted and back.

const pgServer = await startPostgres(t)
const engines: Array<[string, () => Promise<Database>]> = [
  ['sqlite', async () => await openDatabase({ file: path.join(mkdtempSync(path.join(os.tmpdir(), 'fwinc-')), 'history.sqlite') })],
  ['postgres', async () => await openDatabase({ url: await pgServer.newDatabase(), file: '' })]
]

const T0 = Date.parse('2026-12-01T00:00:00Z')
/** A time as alert lines write it (Korean time, to the minute). */
const kstAt = (ms: number): string => kstMinutes(ms)
const MIN = 60_000

/** Cameras 1-5 on server 1 in 산격동, 6-10 on server 2 in 복현동 (district "북구/…"). */
function cam (id: number, status: HealthStatus): CameraResult {
  const server = id <= 5 ? 1 : 2
  return { cctv_ID: id, cctv_name: `카메라 ${id}`, inference_id: `svr${server}0`, server, status, flapping: false, error: status === 'online' ? null : `${status} reason`,
    probe_ms: 100, reconnects_today: 0, L2: '북구', L3: id <= 5 ? '산격동' : '복현동' }
}

const ids = Array.from({ length: 10 }, (_, i) => i + 1)
/** Every camera online but those given. */
function sweep (at: number, down: Partial<Record<number, HealthStatus>> = {}, extra: Partial<SweepRecord> = {}): SweepRecord {
  const results = ids.map(id => cam(id, down[id] ?? 'online'))
  return { region: '대구', trigger: 'scheduled', startedBy: null, startedAt: at - 30_000, finishedAt: at, state: 'done', failure: null, total: results.length, results, ...extra }
}
const downs = (list: number[], status: HealthStatus = 'offline'): Partial<Record<number, HealthStatus>> => Object.fromEntries(list.map(id => [id, status]))

async function store (t: Test, open: () => Promise<Database>): Promise<HistoryStore> {
  const db = await open()
  t.teardown(db.close)
  return new HistoryStore(db)
}

for (const [engine, open] of engines) {
  t.test(`${engine}: a server's cameras falling together are one incident; a camera alone its own; a first sweep none`, async t => {
    const h = await store(t, open)
    await h.recordSweep(sweep(T0, downs([3])))
    t.same(await h.incidents.list({ limit: 10 }), [], 'the first sweep: cameras first seen (down or not) are no outage')
    await h.recordSweep(sweep(T0 + MIN, { ...downs([3]), ...downs([6, 7, 8, 9, 10]), 1: 'black' }))
    const list = await h.incidents.list({ limit: 10 })
    t.equal(list.length, 2, 'two incidents, not six lines')
    const server = list.find(i => i.cause === 'server')!
    t.match(server, { region: '대구', key: '2', state: 'open', opened_at: T0 + MIN, cameras: 5, down: 5, by_status: { offline: 5 } })
    t.match(list.find(i => i.cause === 'camera'), { key: '1', cameras: 1, by_status: { black: 1 } }, 'camera 1 alone, with its status')
    const d = (await h.incidents.get(server.id))!
    t.same(d.camera_list.map(c => c.cctv_id), ['6', '7', '8', '9', '10'])
    t.match(d.events, [{ kind: 'opened', by: null, cctv_ids: ['6', '7', '8', '9', '10'] }])
  })

  t.test(`${engine}: an alert tells an incident's cameras in one line, every camera in the webhook body; repeats stop once it is acknowledged`, async t => {
    const h = await store(t, open)
    const alerts = new AlertStore(h.database)
    const alerting = { rules: { downSweeps: 1, upSweeps: 1, flapping: false, repeatEveryMs: 10 * MIN }, channels: ['hook'], windows: [] }
    const last = async (): Promise<any> => (await alerts.recent('all', 1))[0]
    await h.recordSweep(sweep(T0, {}, { alerting }))
    await h.recordSweep(sweep(T0 + MIN, { ...downs([6, 7, 8, 9, 10]), 1: 'black' }, { alerting }))
    const list = await h.incidents.list({ limit: 10 })
    const X = list.find(i => i.cause === 'server')!.id
    const Y = list.find(i => i.cause === 'camera')!.id
    let a = await last()
    t.same(lines(a.body, 'ko', null), [`▼ 다운: 1 카메라 1 (svr1) — black, ${kstAt(T0 + MIN)}부터`, `▼ 장애 #${X} 서버 2 — 카메라 5대 다운 (꺼짐 5): 6, 7, 8, 9, 10`],
      'two lines: camera 1, and server 2\'s five as one')
    t.same(lines(a.body, 'en', null)[1], `▼ incident #${X} server 2 — 5 cameras down (offline 5): 6, 7, 8, 9, 10`)
    const hook = webhookBody(a.body, 'hook')
    t.same((hook.changes as any[]).map(c => [c.cctv_id, c.incident]), [['1', Y], ['6', X], ['7', X], ['8', X], ['9', X], ['10', X]], 'the webhook: every change, with its incident')
    t.match(hook.incidents, [{ id: Y, cause: 'camera', key: '1' }, { id: X, cause: 'server', key: '2', state: 'open', cctv_ids: ['6', '7', '8', '9', '10'], down: 5 }])

    await h.recordSweep(sweep(T0 + 12 * MIN, { ...downs([6, 7, 8, 9, 10]), 1: 'black' }, { alerting }))
    a = await last()
    t.equal(a.sweep_id !== null && a.body.changes.filter((c: any) => c.kind === 'still_down').length, 6, 'not acknowledged: repeated after repeat_every')
    await h.incidents.acknowledge(X, 'kim', T0 + 13 * MIN, '현장 출동', ['hook'])
    a = await last()
    t.match(a, { kind: 'incident', sweep_id: null, at: T0 + 13 * MIN }, 'acknowledged: the channels hear it')
    t.equal(title(a.body, 'ko'), `[fwmaint] 대구: 장애 #${X} 서버 2 확인 — kim`)
    t.same(lines(a.body, 'ko', null), ['✔ kim 님이 확인했습니다: 현장 출동', '카메라 5대 (다운 5대): 6, 7, 8, 9, 10'])
    t.equal(title(a.body, 'en'), `[fwmaint] 대구: incident #${X} server 2 acknowledged by kim`)
    await h.recordSweep(sweep(T0 + 24 * MIN, { ...downs([6, 7, 8, 9, 10]), 1: 'black' }, { alerting }))
    a = await last()
    t.same(a.body.changes.map((c: any) => [c.kind, c.cctv_id]), [['still_down', '1']], 'acknowledged: its cameras are not repeated; camera 1 still is')
    await h.recordSweep(sweep(T0 + 25 * MIN, {}, { alerting }))
    a = await last()
    t.same(lines(a.body, 'ko', null), [`▲ 복구: 1 카메라 1 (svr1)`, `▲ 장애 #${X} 서버 2 — 5대 복구 (해결): 6, 7, 8, 9, 10`], 'back: one line, resolved')
    await h.recordSweep(sweep(T0 + 26 * MIN, downs([2]), { alerting }))
    const Z = (await h.incidents.list({ limit: 1, state: 'open' }))[0].id
    await h.incidents.resolve(Z, 'lee', T0 + 27 * MIN, '철거', ['hook'])
    a = await last()
    t.equal(title(a.body, 'ko'), `[fwmaint] 대구: 장애 #${Z} 카메라 2 수동 종료 — lee`)
    t.same(lines(a.body, 'en', null), ['■ closed by lee: 철거', '1 camera (1 down): 2'])
  })

  t.test(`${engine}: an incident nobody acknowledges is told to the escalation channels once; acknowledged in time, never; reopened, anew`, async t => {
    const h = await store(t, open)
    const alerts = new AlertStore(h.database)
    const alerting = { rules: { downSweeps: 1, upSweeps: 1, flapping: false, repeatEveryMs: null }, channels: ['hook'], windows: [] }
    const incidentRules = { ...DEFAULT_INCIDENT_RULES, escalateAfterMs: 10 * MIN, escalateTo: ['lead'] }
    const at = (m: number, down: Partial<Record<number, HealthStatus>> = {}): SweepRecord => sweep(T0 + m * MIN, down, { alerting, incidentRules })
    const toLead = async (): Promise<any[]> => (await alerts.recent('all', 100)).filter(a => a.deliveries.some(d => d.channel === 'lead'))
    await h.recordSweep(at(0))
    await h.recordSweep(at(1, downs([6, 7, 8, 9, 10, 1])))
    const X = (await h.incidents.list({ limit: 10 })).find(i => i.cause === 'server')!.id
    const Y = (await h.incidents.list({ limit: 10 })).find(i => i.cause === 'camera')!.id
    await h.incidents.acknowledge(Y, 'kim', T0 + 5 * MIN, null)
    await h.recordSweep(at(10, downs([6, 7, 8, 9, 10, 1])))
    t.equal((await toLead()).length, 0, '9 minutes: not yet')
    await h.recordSweep(at(11, downs([6, 7, 8, 9, 10, 1])))
    let lead = await toLead()
    t.equal(lead.length, 1, '10 minutes unacknowledged: the escalation channel hears it')
    t.same(lead[0].deliveries.map((d: any) => d.channel), ['lead'], 'only the escalation channel (the region\'s heard it already)')
    t.equal(title(lead[0].body, 'ko'), `[fwmaint] 대구: 장애 #${X} 서버 2 — 10분째 확인한 사람 없음`)
    t.same(lines(lead[0].body, 'ko', null), ['⚠ 10분 동안 아무도 확인하지 않아 이 채널로 올립니다.', '카메라 5대 (다운 5대): 6, 7, 8, 9, 10'])
    await h.recordSweep(at(20, downs([6, 7, 8, 9, 10, 1])))
    t.equal((await toLead()).length, 1, 'once')
    t.match((await h.incidents.get(X))!.events.map(e => [e.kind, e.text]), [['opened', null], ['escalated', 'lead']])
    t.notOk((await h.incidents.get(Y))!.events.some(e => e.kind === 'escalated'), 'the acknowledged one: never')
    await h.recordSweep(at(21))
    await h.recordSweep(at(30, downs([6, 7, 8, 9, 10])))
    await h.recordSweep(at(39, downs([6, 7, 8, 9, 10])))
    t.equal((await toLead()).length, 1, 'reopened at 30: 9 minutes later, not yet')
    await h.recordSweep(at(40, downs([6, 7, 8, 9, 10])))
    lead = await toLead()
    t.equal(lead.length, 2, 'reopened and unacknowledged for 10 minutes: told again')
    t.equal(lead[0].body.action.since, T0 + 30 * MIN, 'counted from the reopening')
  })

  t.test(`${engine}: the region's rules decide what is shared: with a handful of 6, five cameras falling are five incidents`, async t => {
    const h = await store(t, open)
    const rules = { ...DEFAULT_INCIDENT_RULES, allAtLeast: 6, handful: 6 }
    await h.recordSweep(sweep(T0, {}, { incidentRules: rules }))
    await h.recordSweep(sweep(T0 + MIN, downs([6, 7, 8, 9, 10]), { incidentRules: rules }))
    t.same((await h.incidents.list({ limit: 10 })).map(i => i.cause), ['camera', 'camera', 'camera', 'camera', 'camera'])
  })

  t.test(`${engine}: acknowledged once (who, when, a note); a second acknowledgement is refused with who did; resolved when all are back`, async t => {
    const h = await store(t, open)
    await h.recordSweep(sweep(T0))
    await h.recordSweep(sweep(T0 + MIN, downs([6, 7, 8, 9, 10])))
    const [i] = await h.incidents.list({ limit: 10 })
    await h.incidents.acknowledge(i.id, 'kim', T0 + 2 * MIN, '현장 출동')
    const again = await h.incidents.acknowledge(i.id, 'lee', T0 + 3 * MIN, null).catch((e: unknown) => e)
    t.ok(again instanceof IncidentAcknowledgedError, 'the second: 409')
    t.match((again as IncidentAcknowledgedError).extra, { acknowledged_by: 'kim' })
    await h.recordSweep(sweep(T0 + 4 * MIN, downs([7, 8, 9, 10])))
    let d = (await h.incidents.get(i.id))!
    t.match(d, { state: 'acknowledged', acknowledged_by: 'kim', acknowledged_at: T0 + 2 * MIN, cameras: 5, down: 4 }, 'a camera back: still acknowledged, one fewer down')
    t.match(d.camera_list.find(c => c.cctv_id === '6'), { back_at: T0 + 4 * MIN })
    await h.recordSweep(sweep(T0 + 5 * MIN))
    d = (await h.incidents.get(i.id))!
    t.match(d, { state: 'resolved', resolved_at: T0 + 5 * MIN, resolved_by: null, down: 0 }, 'all back: resolved by the monitor')
    t.same(d.events.map(e => [e.kind, e.by, e.text]), [['opened', null, null], ['acknowledged', 'kim', '현장 출동'], ['resolved', null, null]], 'the timeline')
    t.ok(await h.incidents.acknowledge(i.id, 'lee', T0 + 6 * MIN, null).catch((e: unknown) => e) instanceof IncidentResolvedError, 'a resolved one: nothing to acknowledge')
  })

  t.test(`${engine}: falling again within 30 minutes reopens the incident, no longer acknowledged; later, a new one`, async t => {
    const h = await store(t, open)
    await h.recordSweep(sweep(T0))
    await h.recordSweep(sweep(T0 + MIN, downs([6, 7, 8, 9, 10])))
    const [i] = await h.incidents.list({ limit: 10 })
    await h.incidents.acknowledge(i.id, 'kim', T0 + 2 * MIN, null)
    await h.recordSweep(sweep(T0 + 3 * MIN))
    await h.recordSweep(sweep(T0 + 20 * MIN, downs([6, 7, 8, 9, 10])))
    const list = await h.incidents.list({ limit: 10 })
    t.equal(list.length, 1, 'the same incident')
    t.match(list[0], { id: i.id, state: 'open', acknowledged_by: null, resolved_at: null, down: 5 })
    t.same((await h.incidents.get(i.id))!.events.map(e => e.kind), ['opened', 'acknowledged', 'resolved', 'reopened'])
    await h.recordSweep(sweep(T0 + 21 * MIN))
    await h.recordSweep(sweep(T0 + 60 * MIN, downs([6, 7, 8, 9, 10])))
    t.equal((await h.incidents.list({ limit: 10 })).length, 2, 'after 39 minutes back: a new incident')
  })

  t.test(`${engine}: closed by hand with a note (who); a closed one cannot be closed again; notes in any state`, async t => {
    const h = await store(t, open)
    await h.recordSweep(sweep(T0))
    await h.recordSweep(sweep(T0 + MIN, downs([2])))
    const [i] = await h.incidents.list({ limit: 10 })
    t.match(i, { cause: 'camera', key: '2' })
    await h.incidents.note(i.id, 'park', T0 + 2 * MIN, '교체 요청함')
    await h.incidents.resolve(i.id, 'park', T0 + 3 * MIN, '카메라 철거 예정')
    t.ok(await h.incidents.resolve(i.id, 'kim', T0 + 4 * MIN, 'x').catch((e: unknown) => e) instanceof IncidentResolvedError)
    await h.incidents.note(i.id, 'kim', T0 + 5 * MIN, '철거 완료')
    const d = (await h.incidents.get(i.id))!
    t.match(d, { state: 'resolved', resolved_by: 'park', resolved_at: T0 + 3 * MIN, down: 1 }, 'its camera still down, in the record')
    t.same(d.events.map(e => [e.kind, e.by, e.text]), [['opened', null, null], ['note', 'park', '교체 요청함'], ['closed', 'park', '카메라 철거 예정'], ['note', 'kim', '철거 완료']])
    await h.recordSweep(sweep(T0 + 6 * MIN, downs([2])))
    t.equal((await h.incidents.list({ limit: 10, state: 'active' })).length, 0, 'the camera still down opens nothing new')
    t.ok(await h.incidents.note(99999, 'kim', T0, 'x').catch((e: unknown) => e) instanceof IncidentNotFoundError, 'no such incident: 404')
  })

  t.test(`${engine}: the site unreachable is one region incident, resolved by the next sweep that reaches it`, async t => {
    const h = await store(t, open)
    await h.recordSweep(sweep(T0))
    await h.recordSweep({ ...sweep(T0 + MIN), state: 'failed', failure: 'connect ECONNREFUSED', total: 0, results: [] })
    await h.recordSweep({ ...sweep(T0 + 2 * MIN), state: 'failed', failure: 'connect ECONNREFUSED', total: 0, results: [] })
    let list = await h.incidents.list({ limit: 10 })
    t.match(list, [{ cause: 'region', key: null, state: 'open', opened_at: T0 + MIN, cameras: 0 }], 'one, from the first failure')
    await h.recordSweep({ ...sweep(T0 + 3 * MIN), trigger: 'manual', startedBy: 'kim', state: 'failed', failure: 'x', total: 0, results: [] })
    await h.recordSweep(sweep(T0 + 4 * MIN))
    list = await h.incidents.list({ limit: 10 })
    t.match(list, [{ cause: 'region', state: 'resolved', resolved_at: T0 + 4 * MIN }])
    t.equal((await h.incidents.list({ limit: 10, state: 'active' })).length, 0)
  })

  t.test(`${engine}: two people acknowledging at once — one of them is who did, the other hears it`, async t => {
    const h = await store(t, open)
    await h.recordSweep(sweep(T0))
    await h.recordSweep(sweep(T0 + MIN, downs([4])))
    const [i] = await h.incidents.list({ limit: 10 })
    // Connections open beforehand (PostgreSQL's pool): otherwise the first finishes while the others still connect.
    await Promise.all(Array.from({ length: 8 }, async () => await h.incidents.get(i.id)))
    const tries = await Promise.allSettled(['a', 'b', 'c', 'd'].map(async who => { await h.incidents.acknowledge(i.id, who, T0 + 2 * MIN, null); return who }))
    const won = tries.filter(r => r.status === 'fulfilled')
    t.equal(won.length, 1, 'exactly one acknowledgement')
    t.ok(tries.filter(r => r.status === 'rejected').every(r => (r as PromiseRejectedResult).reason instanceof IncidentAcknowledgedError), 'the others: 409')
    const d = (await h.incidents.get(i.id))!
    t.equal(d.acknowledged_by, (won[0] as PromiseFulfilledResult<string>).value)
    t.equal(d.events.filter(e => e.kind === 'acknowledged').length, 1, 'one line in the timeline')
  })

  t.test(`${engine}: a sweep and an acknowledgement at once — neither undoes the other`, async t => {
    const h = await store(t, open)
    await h.recordSweep(sweep(T0))
    await h.recordSweep(sweep(T0 + MIN, downs([6, 7, 8, 9, 10])))
    const [i] = await h.incidents.list({ limit: 10 })
    await Promise.all(Array.from({ length: 8 }, async () => await h.incidents.get(i.id)))
    await Promise.all([h.recordSweep(sweep(T0 + 2 * MIN, downs([7, 8, 9, 10]))), h.incidents.acknowledge(i.id, 'kim', T0 + 2 * MIN, null)])
    t.match(await h.incidents.get(i.id), { state: 'acknowledged', acknowledged_by: 'kim', down: 4 })
  })

  t.test(`${engine}: the list by state and since, newest first`, async t => {
    const h = await store(t, open)
    await h.recordSweep(sweep(T0))
    await h.recordSweep(sweep(T0 + MIN, downs([1])))
    await h.recordSweep(sweep(T0 + 2 * MIN, downs([1, 2])))
    await h.recordSweep(sweep(T0 + 3 * MIN, downs([2])))
    const all = await h.incidents.list({ limit: 10 })
    t.same(all.map(i => [i.key, i.state]), [['2', 'open'], ['1', 'resolved']])
    t.same((await h.incidents.list({ limit: 10, state: 'resolved' })).map(i => i.key), ['1'])
    t.same((await h.incidents.list({ limit: 10, state: 'open' })).map(i => i.key), ['2'])
    t.same((await h.incidents.list({ limit: 10, since: T0 + 3 * MIN + 1 })).map(i => i.key), ['2'], 'since: what was still active then, or opened after')
    t.same((await h.incidents.list({ limit: 10, regions: ['부산'] })), [])
    t.same((await h.incidents.list({ limit: 1 })).map(i => i.key), ['2'])
  })
}

t.test('an email tells an incident\'s black cameras in one line, each camera\'s frame under it', async t => {
  const change = (id: string): any => ({ kind: 'down', cctv_id: id, name: `카메라 ${id}`, server: 2, status: 'black', since: T0, error: null, incident: 7 })
  const body = { region: '대구', sweep: null, at: T0, changes: [change('6'), change('7'), { ...change('1'), server: 1, incident: 8 }],
    incidents: [{ id: 7, cause: 'server' as const, key: '2', state: 'open' as const, cctv_ids: ['6', '7'], down: 2 }, { id: 8, cause: 'camera' as const, key: '1', state: 'open' as const, cctv_ids: ['1'], down: 1 }] }
  const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xd9])
  const frames = new Map([0, 1, 2].map(i => [i, { frame: { at: T0, jpeg }, references: [] }]))
  const mail = emailBody(body, 'ko', 'mail', '', { frames, links: new Map() })
  t.same(mail.text.trim().split('\n'), ['▼ 장애 #7 서버 2 — 카메라 2대 다운 (검은 화면 2): 6, 7', `▼ 다운: 1 카메라 1 (svr1) — black, ${kstAt(T0)}부터`])
  const paragraphs = mail.html!.split('<p ').slice(1)
  t.equal(paragraphs.length, 2)
  t.match(paragraphs[0], /장애 #7[\s\S]*cid:c6-then@fwmaint[\s\S]*cid:c7-then@fwmaint/, 'the incident\'s line, then both frames')
  t.match(paragraphs[1], /cid:c1-then@fwmaint/)
  t.equal(mail.attachments.length, 3)
})

t.test('API on the simulated site: server 2\'s cameras taken down together are one incident; acknowledged, noted, closed by the right people; 400s and 404s', async t => {
  const TOKEN = 'monitor-token-0123456789abcdef'
  process.env.FWMAINT_TEST_INC_PW = 'demo'
  const hook = await httpReceiver(t)
  const secret = path.join(mkdtempSync(path.join(os.tmpdir(), 'fwinc-')), 'hook.secret')
  writeFileSync(secret, 'incident-secret')
  chmodSync(secret, 0o600)
  const gw = await startGateway(t, {
    // Cameras round four pipelines (svr10, svr11, svr20, svr21): server 2 has 3, 4, 7, 8, 11, 12; of
    // them 7, 8, 11 and 12 stream (3 and 4 have a wrong password and a wrong path from the start).
    regions: [{ name: '대구', cameras: 12, servers: 2, rtsp: true, liveShare: 1 }, { name: '부산', host: '127.0.0.2', cameras: 0 }],
    patch: doc => {
      doc.regions['대구'].monitor = { cron: '0 0 0 1 1 *', id: 'demo', password_env: 'FWMAINT_TEST_INC_PW' }
      doc.alerts = { down_sweeps: 1 }
      doc.notify = [{ type: 'webhook', name: 'hook', url: hook.url('/hook'), secret_file: secret, regions: ['대구'] }]
    },
    env: { MONITOR_TOKEN: TOKEN, HEALTH_PROBE_TIMEOUT_SECONDS: '6', PUBLIC_BASE_URL: 'https://fw.example.kr' }
  })
  const site = gw.regions[0]
  const monitor = gw.app.monitors.get('대구')!
  const bearer = { authorization: `Bearer ${TOKEN}` }
  const server2 = site.inventory.filter(c => c.inference_id.startsWith('svr2')).map(c => c.cctv_ID)
  await monitor.tick()
  const up2 = (await gw.app.history.cameras('대구')).filter(c => c.server === 2 && c.status === 'online').map(c => Number(c.cctv_id))
  t.ok(up2.length >= 2 && up2.every(id => server2.includes(id)), `server 2's cameras up: ${up2.join(', ')}`)
  for (const id of up2) await site.takeDown(id)
  await monitor.tick()

  // One message for the sweep (after the "monitoring started" one): server 2's cameras as one incident.
  t.ok(await eventually(() => hook.got.length >= 2, 30_000), 'the channel heard the sweep')
  const told = hook.got[1].json
  t.equal(told.changes.length, up2.length, 'every camera\'s change in the webhook')
  t.match(told.incidents, [{ cause: 'server', key: '2', state: 'open', down: up2.length }], 'in one incident')
  t.same(told.incidents[0].cctv_ids.map(Number), [...up2].sort((x, y) => x - y), 'with all its cameras')
  t.ok(told.changes.every((c: any) => c.incident === told.incidents[0].id))

  const b = gw.browser()
  const list = await b.request({ method: 'GET', url: '/api/incidents', headers: bearer })
  t.equal(list.status, 200)
  t.match(list.body.incidents, [{ region: '대구', cause: 'server', key: '2', state: 'open', cameras: up2.length, down: up2.length }], 'one server incident, not a line per camera')
  const id: string = list.body.incidents[0].id
  // Query strings are strings (types are not coerced): the limit is digits, checked for its range.
  t.equal((await b.request({ method: 'GET', url: '/api/incidents?limit=1&state=active', headers: bearer })).body.incidents.length, 1, '?limit=1')
  for (const bad of ['0', '1001', 'x']) t.equal((await b.request({ method: 'GET', url: `/api/incidents?limit=${bad}`, headers: bearer })).status, 400, `?limit=${bad}: 400`)
  const one = await b.request({ method: 'GET', url: `/api/incidents/${id}`, headers: bearer })
  t.same(one.body.camera_list.map((c: any) => Number(c.cctv_id)), [...up2].sort((x, y) => x - y))
  t.ok(one.body.camera_list.every((c: any) => typeof c.name === 'string' && c.status === 'offline' && c.back_at === null), 'each camera: its name, status, still down')

  t.equal((await gw.browser().get(`/api/incidents/${id}`)).status, 401, 'no session, no token: 401')
  t.equal((await b.request({ method: 'POST', url: `/api/incidents/${id}/ack`, headers: bearer, payload: {} })).status, 400, 'the token is nobody: acting needs a person\'s session')
  const busan = gw.browser()
  t.equal((await busan.connect(gw.regions[1])).status, 200)
  t.equal((await busan.get(`/api/incidents/${id}`)).status, 403, 'another region\'s session: 403')
  t.equal((await busan.post(`/api/incidents/${id}/ack`, {})).status, 403)
  t.same((await busan.get('/api/incidents')).body.incidents, [], 'its own region\'s only')

  const op = gw.browser()
  t.equal((await op.connect(site)).status, 200)
  const acked = await op.post(`/api/incidents/${id}/ack`, { note: ' 현장 확인 중 ' })
  t.equal(acked.status, 200)
  t.match(acked.body, { state: 'acknowledged', acknowledged_by: 'demo' })
  t.match(acked.body.events.at(-1), { kind: 'acknowledged', by: 'demo', text: '현장 확인 중' }, 'the note, trimmed')
  t.ok(await eventually(() => hook.got.length >= 3, 30_000), 'the channel heard who acknowledged it')
  t.match(hook.got[2].json, { summary: new RegExp(`incident #${id} server 2 acknowledged by demo`), changes: [], incidents: [{ state: 'acknowledged' }] })
  const twice = await op.post(`/api/incidents/${id}/ack`, {})
  t.match([twice.status, twice.body.code, twice.body.acknowledged_by], [409, 'INCIDENT_ACKNOWLEDGED', 'demo'])
  t.match((await op.post(`/api/incidents/${id}/notes`, { text: '   ' })), { status: 400 }, 'a blank note: 400')
  t.match((await op.post(`/api/incidents/${id}/notes`, { text: 'x'.repeat(2001) })), { status: 400 }, 'a note too long: 400')
  t.match((await op.post(`/api/incidents/${id}/notes`, { text: '스위치 재시작' })), { status: 201 })
  t.match((await op.post(`/api/incidents/${id}/resolve`, {})), { status: 400, body: { code: 'INVALID_INPUT' } }, 'closing needs a note')
  t.match((await op.get('/api/incidents/123456')), { status: 404, body: { code: 'INCIDENT_NOT_FOUND' } })
  t.match((await op.get('/api/incidents/abc')), { status: 400 })
  t.match((await op.get('/api/incidents?state=closed')), { status: 400 })
  t.match((await op.get('/api/incidents?since=yesterday')), { status: 400, body: { message: /querystring\.since is not a time/ } })

  for (const cctv of up2) await site.bringBack(cctv)
  await monitor.tick()
  t.ok(await eventually(() => hook.got.length >= 4, 30_000), 'and heard them back')
  t.match(hook.got[3].json.incidents, [{ id: Number(id), state: 'resolved', down: 0 }])
  t.equal(hook.got.length, 4, 'four messages in all, not one per camera')
  const after = await op.get(`/api/incidents/${id}`)
  t.match(after.body, { state: 'resolved', resolved_by: null, down: 0 }, 'all back: resolved')
  t.same(after.body.events.map((e: any) => e.kind), ['opened', 'acknowledged', 'note', 'resolved'])
  t.match(await op.post(`/api/incidents/${id}/resolve`, { note: 'x' }), { status: 409, body: { code: 'INCIDENT_RESOLVED' } })

  // Notes on a camera, shown with who and when.
  const note = await op.post(`/api/monitor/${encodeURIComponent('대구')}/cameras/7/notes`, { text: '렌즈 청소 12-05 예정' })
  t.match(note, { status: 201, body: { by: 'demo', text: '렌즈 청소 12-05 예정' } })
  t.match((await b.request({ method: 'GET', url: `/api/monitor/${encodeURIComponent('대구')}/cameras/7/notes`, headers: bearer })).body.notes, [{ by: 'demo', text: '렌즈 청소 12-05 예정' }])
  t.equal((await busan.post(`/api/monitor/${encodeURIComponent('대구')}/cameras/7/notes`, { text: 'x' })).status, 403)

  // The acknowledge link in a message: opening it changes nothing; its form acknowledges, as who.
  await site.takeDown(1)
  await monitor.tick()
  t.ok(await eventually(() => hook.got.length >= 5, 30_000), 'camera 1 alone: a message')
  const inc = hook.got[4].json.incidents[0]
  t.match(inc, { cause: 'camera', key: '1', state: 'open', ack_url: /^https:\/\/fw\.example\.kr\/ack\/[0-9]+\?exp=[0-9]+&sig=[A-Za-z0-9_-]+$/ })
  const ackPath = (inc.ack_url as string).replace('https://fw.example.kr', '')
  const page = await gw.app.inject({ method: 'GET', url: ackPath })
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /^text\/html/)
  t.match(page.headers['content-security-policy'], /default-src 'none'/, 'no script on the page')
  t.match(page.body, /<form method="post" action="\/ack\/[0-9]+">/)
  t.match((await op.get(`/api/incidents/${inc.id}`)).body, { state: 'open' }, 'opening the link (a preview, a mail scanner) acknowledges nothing')
  const form = (fields: Record<string, string>): string => new URLSearchParams(fields).toString()
  const u = new URL(inc.ack_url)
  const exp = u.searchParams.get('exp')!
  const sig = u.searchParams.get('sig')!
  const post = async (fields: Record<string, string>): Promise<{ statusCode: number, body: string }> =>
    await gw.app.inject({ method: 'POST', url: `/ack/${inc.id}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: form(fields) })
  t.equal((await post({ exp, sig: sig.slice(0, -1) + (sig.endsWith('A') ? 'B' : 'A'), who: '박' })).statusCode, 403, 'a changed signature: refused')
  t.equal((await post({ exp: String(Number(exp) + 1), sig, who: '박' })).statusCode, 403, 'a changed expiry: refused')
  t.equal((await post({ exp, sig, who: '  ' })).statusCode, 400, 'no name: asked for one')
  const old = ackLink('', gw.app.ackLinkKey, Number(inc.id), Math.floor(Date.now() / 1000) - 60)
  t.equal((await gw.app.inject({ method: 'GET', url: old })).statusCode, 410, 'an expired link: gone')
  const yes = await post({ exp, sig, who: '박 <b>' })
  t.equal(yes.statusCode, 200)
  t.match(yes.body, /박 &#60;b&#62; 님이 맡았습니다/, 'the name, as text')
  t.match((await op.get(`/api/incidents/${inc.id}`)).body, { state: 'acknowledged', acknowledged_by: '박 <b> (알림 링크)' })
  t.equal((await post({ exp, sig, who: '최' })).statusCode, 409, 'twice: who did it already')
  t.ok(await eventually(() => hook.got.length >= 6, 30_000), 'the channel heard it')
  t.match(hook.got[5].json.summary, /acknowledged by 박 <b> \(알림 링크\)/)
  const presses = (): any[] => readFileSync(gw.app.config.env.AUDIT_LOG, 'utf8').trim().split('\n').map(l => JSON.parse(l)).filter(r => r.route === '/ack/:id')
  // The audit log is a stream: its last line may still be on its way.
  t.ok(await eventually(() => presses().length >= 5, 10_000), 'five presses in the audit log')
  t.match(presses().map(r => [r.status, r.user ?? null]), [[403, null], [403, null], [400, null], [200, '박 <b> (ack link)'], [409, '최 (ack link)']], 'every press audited, with who')
})

t.test('on the simulated site: not acknowledged, repeated and escalated once; acknowledged, repeats stop; back, resolved', async t => {
  process.env.FWMAINT_TEST_INC_PW = 'demo'
  const hook = await httpReceiver(t)
  const secret = path.join(mkdtempSync(path.join(os.tmpdir(), 'fwinc-')), 'hook.secret')
  writeFileSync(secret, 'incident-secret')
  chmodSync(secret, 0o600)
  // The record's clock moves only when the test says: ten minutes pass in a step, not in real time.
  const clock = testClock({ frozen: true })
  const gw = await startGateway(t, {
    clock: clock.now,
    regions: [{ name: '대구', cameras: 12, servers: 2, rtsp: true, liveShare: 1 }],
    patch: doc => {
      doc.regions['대구'].monitor = { cron: '0 0 0 1 1 *', id: 'demo', password_env: 'FWMAINT_TEST_INC_PW' }
      doc.alerts = { down_sweeps: 1, repeat_every: '5m' }
      doc.incidents = { escalate_after: '10m', escalate_to: ['lead'] }
      doc.notify = [
        { type: 'webhook', name: 'hook', url: hook.url('/hook'), secret_file: secret },
        // Hears no region's alerts: escalations only.
        { type: 'webhook', name: 'lead', url: hook.url('/lead'), secret_file: secret, regions: [] }
      ]
    },
    env: { HEALTH_PROBE_TIMEOUT_SECONDS: '6' }
  })
  const site = gw.regions[0]
  const monitor = gw.app.monitors.get('대구')!
  const heard = async (p: string, n: number): Promise<any[]> => {
    gw.app.outbox.kick()
    t.ok(await eventually(async () => hook.got.filter(r => r.path === p).length >= n && (await gw.app.alerts.pendingChannels()).length === 0, 30_000), `${p}: ${n} message(s)`)
    await gw.app.outbox.idle()
    return hook.got.filter(r => r.path === p).map(r => r.json)
  }
  const step = async (minutes: number): Promise<void> => { clock.advance(minutes * 60_000); await monitor.tick() }
  await monitor.tick()
  const up2 = (await gw.app.history.cameras('대구')).filter(c => c.server === 2 && c.status === 'online').map(c => Number(c.cctv_id))
  for (const id of up2) await site.takeDown(id)
  await step(1)
  let hooks = await heard('/hook', 2)
  const [incident] = hooks[1].incidents
  t.match(incident, { cause: 'server', key: '2', state: 'open', down: up2.length }, 'one server incident')
  const stillDown = (m: any): number => m.changes.filter((c: any) => c.kind === 'still_down' && c.incident === incident.id).length

  await step(6)
  hooks = await heard('/hook', 3)
  t.equal(stillDown(hooks[2]), up2.length, 'not acknowledged: repeated after repeat_every')
  t.equal(hook.got.filter(r => r.path === '/lead').length, 0, '7 minutes: no escalation yet')

  await step(5)
  const lead = await heard('/lead', 1)
  t.match(lead[0], { changes: [], incidents: [{ id: incident.id, state: 'open' }] })
  t.match(lead[0].summary, new RegExp(`incident #${String(incident.id)} server 2 — unacknowledged for 11 min$`), 'the escalation channel: nobody acknowledged it in the 11 minutes since it opened')
  await step(6)
  await heard('/hook', 5)
  t.equal(hook.got.filter(r => r.path === '/lead').length, 1, 'escalated once, not on every sweep')

  const op = gw.browser()
  await op.connect(site)
  t.equal((await op.post(`/api/incidents/${String(incident.id)}/ack`, { note: '출동' })).status, 200)
  hooks = await heard('/hook', 6)
  t.match(hooks[5].summary, /acknowledged by demo/)
  await step(6)
  await step(6)
  gw.app.outbox.kick()
  await gw.app.outbox.idle()
  t.notOk(hook.got.filter(r => r.path === '/hook').slice(6).some(r => stillDown(r.json) > 0), 'acknowledged: its cameras are not repeated')

  for (const id of up2) await site.bringBack(id)
  await step(1)
  hooks = await heard('/hook', 7)
  t.match(hooks.at(-1).incidents, [{ id: incident.id, state: 'resolved', down: 0 }], 'back: resolved')
  t.equal(hook.got.filter(r => r.path === '/lead').length, 1, 'the escalation channel heard it once in all')
})
