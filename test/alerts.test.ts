import t from 'tap'
import type { Test } from 'tap'
import { createHmac } from 'node:crypto'
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { eventually, startGateway, testClock, type Gateway } from './helpers/app.js'
import { httpReceiver, smtpReceiver } from './helpers/receivers.js'

// Issue 16: alerts that are quiet when nothing changed and never lost. Real receivers on
// loopback (an HTTP server for webhook, Slack and Teams payloads; smtp-server with STARTTLS and
// AUTH for email), cameras taken down and brought back on the simulated site, the monitor's
// scheduled sweeps ticked by hand.

const NEVER = '0 0 0 1 1 *'
const HOOK_SECRET = 'hook-s3cret-0123456789'
const SMTP_PASSWORD = 'smtp-p@ss-0123'
const dir = mkdtempSync(path.join(os.tmpdir(), 'fwalerts-'))
const secretFile = path.join(dir, 'hook.secret')
writeFileSync(secretFile, HOOK_SECRET + '\n')
chmodSync(secretFile, 0o600)
process.env.FWMAINT_TEST_ALERT_PW = 'demo'
process.env.FWMAINT_TEST_SMTP_PW = SMTP_PASSWORD

interface Setup { gw: Gateway, hook: Awaited<ReturnType<typeof httpReceiver>>, smtp: Awaited<ReturnType<typeof smtpReceiver>>, tick: () => Promise<void>,
  clock: ReturnType<typeof testClock> }

async function setup (t: Test, opts: { frozenClock?: boolean, env?: Record<string, string>, historyDb?: string, regionOpts?: Record<string, unknown>,
  rules?: Record<string, unknown>, patchRegion?: (r: Record<string, any>) => void } = {}): Promise<Setup> {
  const hook = await httpReceiver(t)
  const smtp = await smtpReceiver(t, 'alerts', SMTP_PASSWORD)
  const clock = testClock({ frozen: opts.frozenClock })
  const gw = await startGateway(t, {
    clock: clock.now,
    regions: [{ name: '대구', cameras: 2, rtsp: true, ...opts.regionOpts }],
    patch: doc => {
      doc.regions['대구'].monitor = { cron: NEVER, id: 'demo', password_env: 'FWMAINT_TEST_ALERT_PW' }
      if (opts.rules !== undefined) doc.alerts = opts.rules
      opts.patchRegion?.(doc.regions['대구'])
      doc.notify = [
        { type: 'webhook', name: 'hook', url: hook.url('/hook'), secret_file: secretFile },
        { type: 'slack', name: 'slack', url: hook.url('/slack/T000/B000/XXXXSECRETXXXX') },
        { type: 'teams', name: 'teams', url: hook.url('/teams/workflow?sig=TEAMSSECRET'), lang: 'en' },
        { type: 'email', name: 'mail', host: '127.0.0.1', port: smtp.port, user: 'alerts', password_env: 'FWMAINT_TEST_SMTP_PW', ca_file: smtp.ca, from: 'fwmaint@example.kr', to: ['oncall@example.kr'] }
      ]
    },
    env: { NOTIFY_RETRY_BASE_MS: '200', NOTIFY_RETRY_MAX_MS: '1000', HEALTH_PROBE_TIMEOUT_SECONDS: '4', PUBLIC_BASE_URL: 'https://fwmaint.example.kr', ...(opts.historyDb === undefined ? {} : { HISTORY_DB: opts.historyDb }), ...opts.env },
    captureLogs: true
  })
  const monitor = gw.app.monitors.get('대구')!
  return { gw, hook, smtp, clock, tick: async () => { await monitor.tick(); gw.app.outbox.kick() } }
}

/** Whether a received message is the first sweep's "monitoring started" summary (in any format). */
const isStarted = (r: { path: string, json: any }): boolean => r.json?.started !== undefined || /감시 시작|monitoring started/.test(JSON.stringify(r.json))
/** The alerts a receiver got on a path, the "monitoring started" summary aside. */
const bodies = (s: Setup, p: string): any[] => s.hook.got.filter(r => r.path.startsWith(p) && !isStarted(r)).map(r => r.json)
const started = (s: Setup, p: string): any[] => s.hook.got.filter(r => r.path.startsWith(p) && isStarted(r)).map(r => r.json)
const mails = (s: Setup): Array<Setup['smtp']['mails'][number]> => s.smtp.mails.filter(m => !/감시 시작/.test(m.subject ?? ''))
const settled = async (s: Setup): Promise<void> => {
  await eventually(async () => (await s.gw.app.alerts.pendingChannels()).length === 0, 15_000, 50)
  await s.gw.app.outbox.idle()
}

t.test('down for one sweep: nobody hears; for two: one message on every channel; still down: quiet; back: one recovery', async t => {
  const s = await setup(t)
  const daegu = s.gw.regions[0]
  await s.tick()
  await settled(s)
  t.match(started(s, '/hook'), [{ region: '대구', started: { cameras: 2, by_status: { online: 2 } }, changes: [], summary: '[fwmaint] 대구: monitoring started — 2 cameras, 0 down' }], 'the first sweep: one "monitoring started" summary per channel')
  t.match(started(s, '/slack'), [{ text: '[fwmaint] 대구: 감시 시작 — 카메라 2대, 다운 0대' }])
  t.equal(started(s, '/teams').length, 1)
  t.ok(await eventually(() => s.smtp.mails.length === 1, 5000), 'email too')
  t.equal(bodies(s, '/').length + mails(s).length, 0, 'all online: no alert')

  await daegu.takeDown(1)
  await s.tick()
  await settled(s)
  t.equal(bodies(s, '/').length + mails(s).length, 0, 'down for one sweep: nothing sent')

  await s.tick()
  await settled(s)
  t.equal(bodies(s, '/hook').length, 1, 'webhook: one message')
  t.equal(bodies(s, '/slack').length, 1, 'slack: one message')
  t.equal(bodies(s, '/teams').length, 1, 'teams: one message')
  t.ok(await eventually(() => mails(s).length === 1, 5000), 'email: one message')
  const hook = bodies(s, '/hook')[0]
  t.match(hook, { source: 'fwmaint', region: '대구', test: false, changes: [{ kind: 'down', cctv_id: '1', name: '실시간 테스트 카메라', server: 1, status: 'offline' }] })
  t.match(hook.sweep, { id: Number, started_at: String, finished_at: String })

  // Each format's documented shape.
  const slack = bodies(s, '/slack')[0]
  t.match(slack, { text: /^\[fwmaint\] 대구: 카메라 1대 다운$/, blocks: [{ type: 'header', text: { type: 'plain_text' } }, { type: 'section', text: { type: 'mrkdwn', text: /▼ 다운: 1 실시간 테스트 카메라/ } }] })
  // Slack's mrkdwn takes &, < and > as its entities (a name like "<!channel>" must stay text); Slack shows "&".
  t.match(slack.blocks[1].text.text, /https:\/\/fwmaint\.example\.kr\/changes\?region=%EB%8C%80%EA%B5%AC&amp;since=/, 'a link to the console\'s changes view')
  const teams = bodies(s, '/teams')[0]
  t.match(teams, { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: { type: 'AdaptiveCard', version: '1.4', $schema: 'http://adaptivecards.io/schemas/adaptive-card.json' } }] })
  t.match(teams.attachments[0].content.body[0], { type: 'TextBlock', text: '[fwmaint] 대구: 1 camera down' }, 'lang: en')
  t.match(mails(s)[0], { from: 'fwmaint@example.kr', to: ['oncall@example.kr'], subject: '[fwmaint] 대구: 카메라 1대 다운' })
  t.match(mails(s)[0].text, /▼ 다운: 1 실시간 테스트 카메라 \(svr1\) — offline/)

  await s.tick()
  await settled(s)
  t.equal(bodies(s, '/hook').length, 1, 'still down: not repeated')

  await daegu.bringBack(1)
  await s.tick()
  await settled(s)
  t.equal(bodies(s, '/hook').length, 2)
  t.match(bodies(s, '/hook')[1].changes, [{ kind: 'up', cctv_id: '1' }], 'back: one recovery message')
  t.ok(await eventually(() => mails(s).length === 2, 5000))
  t.match(mails(s)[1].subject, '[fwmaint] 대구: 1대 복구')

  // The webhook's signature verifies with the secret, over the exact bytes.
  for (const r of s.hook.got.filter(x => x.path === '/hook')) {
    t.equal(r.headers['x-fwmaint-signature'], 'sha256=' + createHmac('sha256', HOOK_SECRET).update(r.raw).digest('hex'), 'signature verifies')
  }

  // The API shows the alerts and their deliveries; channels without their secrets.
  const api = await s.gw.browser().request({ method: 'GET', url: '/api/alerts', headers: { authorization: '' } })
  t.equal(api.status, 401, 'no session, no token: nothing')
  const op = s.gw.browser()
  await op.connect(daegu)
  const list = (await op.get('/api/alerts')).body
  t.equal(list.alerts.length, 3)
  t.match(list.alerts[0], { region: '대구', kind: 'sweep', title: '[fwmaint] 대구: 1대 복구' })
  t.match(list.alerts[2], { region: '대구', kind: 'started', title: '[fwmaint] 대구: 감시 시작 — 카메라 2대, 다운 0대' })
  t.same(list.alerts[0].deliveries.map((d: any) => [d.channel, d.state]).sort(), [['hook', 'sent'], ['mail', 'sent'], ['slack', 'sent'], ['teams', 'sent']])
  t.same(list.channels.map((c: any) => c.name), ['hook', 'slack', 'teams', 'mail'])
  const text = JSON.stringify(list)
  for (const secret of [HOOK_SECRET, SMTP_PASSWORD, 'XXXXSECRETXXXX', 'TEAMSSECRET']) t.notOk(text.includes(secret), 'no secret or channel URL in the API answer')

  await s.gw.app.close()
  const logs = JSON.stringify(s.gw.logs) + readFileSync(s.gw.app.config.env.AUDIT_LOG, 'utf8')
  t.ok(s.gw.logs.some(l => l.msg === 'alert delivered'), 'deliveries are logged')
  for (const secret of [HOOK_SECRET, SMTP_PASSWORD, 'XXXXSECRETXXXX', 'TEAMSSECRET']) t.notOk(logs.includes(secret), 'no secret in any log line')
})

t.test('a whole region failing is one region alert, not one per camera; one notice when it is back', async t => {
  const s = await setup(t, { regionOpts: { cameras: 6 } })
  const site = s.gw.regions[0].server1
  await s.tick()
  await s.tick()
  await settled(s)
  const before = bodies(s, '/hook').length
  t.equal(before, 0, 'the cameras that are down from the start (3-6) are not news: no down alert for them')
  t.match(started(s, '/hook'), [{ started: { cameras: 6, by_status: { online: 2 } } }], 'they are counted in the "monitoring started" summary')

  site.setContainerState('mongo', 'exited')
  await s.tick()
  await s.tick()
  await settled(s)
  const region = bodies(s, '/hook').slice(before)
  t.equal(region.length, 1, 'two failed sweeps: one message')
  t.match(region[0].changes, [{ kind: 'region_down', cctv_id: null, status: 'failed' }])
  t.equal(region[0].changes.length, 1, 'one region alert, not one per camera')

  site.setContainerState('mongo', 'running')
  await s.tick()
  await settled(s)
  t.match(bodies(s, '/hook').slice(before + 1), [{ changes: [{ kind: 'region_up' }] }], 'back: one notice; the cameras that were down stay quiet')
})

t.test('a maintenance window suppresses; a camera still down when it ends alerts then', async t => {
  const s = await setup(t)
  const daegu = s.gw.regions[0]
  const op = s.gw.browser()
  await op.connect(daegu)
  await s.tick()
  const created = await op.post('/api/maintenance', { from: new Date(Date.now() - 60_000).toISOString(), to: new Date(Date.now() + 3600_000).toISOString(), cctv_ids: [1], reason: '렌즈 청소' })
  t.equal(created.status, 201)
  t.match(created.body, { source: 'api', cctv_ids: ['1'], reason: '렌즈 청소', created_by: 'demo' })
  t.match((await op.get('/api/maintenance')).body.windows, [{ id: created.body.id, source: 'api' }])

  await daegu.takeDown(1)
  await s.tick()
  await s.tick()
  await s.tick()
  await settled(s)
  t.equal(bodies(s, '/').length, 0, 'inside the window: swept, recorded, no alert')
  t.equal((await s.gw.app.history.cameras('대구')).find(c => c.cctv_id === '1')?.status, 'offline', 'but recorded')

  t.match(await op.request({ method: 'DELETE', url: `/api/maintenance/${String(created.body.id)}` }), { status: 200, body: { message: 'maintenance window ended' } })
  await s.tick()
  await settled(s)
  t.match(bodies(s, '/hook'), [{ changes: [{ kind: 'down', cctv_id: '1' }] }], 'the window ended with the camera still down: it alerts now')
  const audit = readFileSync(s.gw.app.config.env.AUDIT_LOG, 'utf8')
  t.match(audit, /"route":"\/api\/maintenance","target":\{[^}]*"reason":"렌즈 청소"/, 'creating is audited')
  t.match(audit, /"route":"\/api\/maintenance\/:id","target":\{"id":"\d+"\}/, 'ending is audited')

  // Bad input: a 400 that says why.
  t.match(await op.post('/api/maintenance', { from: 'soon', to: 'later' }), { status: 400, body: { message: /body\.from is not a time/ } })
  t.match(await op.post('/api/maintenance', { cron: '0 0 2 * * 0' }), { status: 400, body: { message: 'a recurring window needs both cron and duration' } })
  t.match(await op.post('/api/maintenance', { cron: 'every sunday', duration: '2h' }), { status: 400, body: { message: /^body\.cron: / } })
  t.match(await op.post('/api/maintenance', { from: '2026-01-01', to: '2026-01-02' }), { status: 400, body: { message: 'body.to is in the past' } })
  t.match(await op.post('/api/maintenance', { cron: '0 0 2 * * 0', duration: '2h', server: 7 }), { status: 400, body: { message: 'body.server: the region has no server 7' } })
  t.match(await op.request({ method: 'DELETE', url: '/api/maintenance/999' }), { status: 404, body: { message: 'maintenance window not found' } })
  t.match(await s.gw.browser().post('/api/maintenance', { cron: '0 0 2 * * 0', duration: '2h' }), { status: 400, body: { message: 'not connected' } })
})

t.test('a receiver down for a while gets every message, in order, once it is back; each attempt is recorded', async t => {
  const s = await setup(t)
  const daegu = s.gw.regions[0]
  await s.tick()
  await s.hook.down(true)
  await daegu.takeDown(1)
  await s.tick()
  await s.tick() // alert 1: camera 1 down
  await daegu.bringBack(1)
  await s.tick() // alert 2: camera 1 back
  await daegu.takeDown(2)
  await s.tick()
  await s.tick() // alert 3: camera 2 down
  t.ok(await eventually(() => s.hook.failures >= 6, 10_000), `the receiver refused ${s.hook.failures} attempts meanwhile`)
  t.equal(bodies(s, '/').length, 0)
  await s.hook.down(false)
  await settled(s)
  const hooks = bodies(s, '/hook')
  t.same(hooks.map(h => h.changes.map((c: any) => `${String(c.kind)} ${String(c.cctv_id)}`)), [['down 1'], ['up 1'], ['down 2']], 'every message, in order, once')
  const slack = bodies(s, '/slack')
  t.equal(slack.length, 3, 'slack too')
  const list = await s.gw.app.alerts.recent('all', 10)
  // The oldest message waiting when the receiver went down (the "monitoring started" summary, if it had not gone out before).
  const first = list.map(a => a.deliveries.find(d => d.channel === 'hook')!).reverse().find(d => d.attempts > 1)!
  t.ok(first.attempts > 1 && first.attempts_log.filter(a => !a.ok).length === first.attempts - 1, `${first.attempts} attempts recorded, the failed ones with why`)
  t.match(first.attempts_log[0].detail, /^hook: HTTP 503/)
})

t.test('a gateway closed with messages in the outbox sends them after the restart', async t => {
  const db = path.join(mkdtempSync(path.join(os.tmpdir(), 'fwalerts-db-')), 'history.sqlite')
  const a = await setup(t, { historyDb: db })
  await a.tick()
  await a.hook.down('closed')
  await a.gw.regions[0].takeDown(1)
  await a.tick()
  await a.tick()
  // The email's receiver is up: it goes out before the close (waited for, not assumed: the
  // outbox's channels take their turns, and on a busy machine the hook's try came first).
  t.ok(await eventually(async () => mails(a).length === 1 && (await a.gw.app.alerts.recent('all', 10)).some(x => x.deliveries.some(d => d.attempts > 0 && d.channel !== 'mail')), 10_000),
    'the hook tried and failed, the email went out')
  await a.gw.app.close()
  t.equal(bodies(a, '/').length, 0)

  const b = await setup(t, { historyDb: db })
  await settled(b)
  t.match(bodies(b, '/hook'), [{ region: '대구', changes: [{ kind: 'down', cctv_id: '1' }] }], 'the new gateway sent what the old one could not')
  t.equal(mails(a).length, 1, 'the email (its receiver was up) went out before the restart')
  t.equal(b.smtp.mails.length, 0, 'and is not sent twice')
  t.equal(bodies(b, '/slack').length, 1, 'slack (down with the webhook) is sent after it')
})

t.test('rules: the global rules with a region\'s override; a test message through the outbox', async t => {
  const s = await setup(t, { rules: { down_sweeps: 3, flapping: false, repeat_every: '4h' }, patchRegion: r => { r.alerts = { up_sweeps: 2, repeat_every: null } } })
  t.same(s.gw.app.config.regions.get('대구')!.alerts, { downSweeps: 3, upSweeps: 2, flapping: false, repeatEveryMs: null })
  const op = s.gw.browser()
  await op.connect(s.gw.regions[0])
  const r = await op.post('/api/alerts/test', { channel: 'hook' })
  t.match(r, { status: 202, body: { message: 'test message queued' } })
  await settled(s)
  t.match(bodies(s, '/hook'), [{ test: true, region: '대구', changes: [] }])
  t.match(await op.post('/api/alerts/test', { channel: 'nope' }), { status: 404, body: { message: 'channel not found' } })
  t.equal((await s.gw.browser().post('/api/alerts/test', { channel: 'hook' })).status, 400, 'not connected')
})

t.test('repeat_every: a camera that stays down is told again once the interval has passed, not on every sweep', async t => {
  // The record's clock stands still but for the test's own step: however slow the sweeps, only that step crosses the 5 s.
  const s = await setup(t, { frozenClock: true, rules: { down_sweeps: 1, repeat_every: '5s' } })
  await s.tick()
  await s.gw.regions[0].takeDown(1)
  await s.tick()
  await s.tick()
  await settled(s)
  t.same(bodies(s, '/hook').map(h => h.changes[0].kind), ['down'], 'down_sweeps 1: at once; the next sweep within 5 s: quiet')
  // The record's clock moves 5.2 s ahead instead of the test sleeping through them.
  s.clock.advance(5200)
  await s.tick()
  await settled(s)
  t.same(bodies(s, '/hook').map(h => h.changes[0].kind), ['down', 'still_down'], 'after 5 s: told again')
  t.match(s.hook.got.find(r => r.path.startsWith('/slack') && r.json.text.includes('계속'))?.json.blocks[1].text.text, /▼ 계속 다운: 1 실시간 테스트 카메라/)
})
