import t from 'tap'
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { loadConfigFile, parseChannels, parseRegions, type RegionsFile } from '../lib/config/regions.js'
import { escalationProblem } from '../lib/config/incident-rules.js'
import { inMaintenance, windowOpen } from '../lib/maintenance.js'

// Issue 16, the regions file's alert rules, channels and maintenance windows: a bad entry stops
// the gateway at start with the field named; secrets come from private files or the environment.

const dir = mkdtempSync(path.join(os.tmpdir(), 'fwalertcfg-'))
const secret = path.join(dir, 'hook.secret')
writeFileSync(secret, 'k3y\n')
chmodSync(secret, 0o600)
const base = { ssh: { host: 'h', port: 22 }, page_url: 'http://h/' }
const doc = (extra: Record<string, unknown>, region: Record<string, unknown> = {}): unknown => ({ regions: { 대구: { ...base, ...region }, 부산: base }, ...extra })

t.test('rules: defaults, global, and a region\'s override', async t => {
  t.same(parseRegions(doc({})).get('대구')!.alerts, { downSweeps: 2, upSweeps: 1, flapping: true, repeatEveryMs: null })
  const r = parseRegions(doc({ alerts: { down_sweeps: 3, repeat_every: '4h' } }, { alerts: { up_sweeps: 2, repeat_every: null } }))
  t.same(r.get('대구')!.alerts, { downSweeps: 3, upSweeps: 2, flapping: true, repeatEveryMs: null })
  t.same(r.get('부산')!.alerts, { downSweeps: 3, upSweeps: 1, flapping: true, repeatEveryMs: 4 * 3600_000 })
  t.throws(() => parseRegions(doc({ alerts: { down_sweeps: 0 } })), /field "alerts\.down_sweeps"/)
  t.throws(() => parseRegions(doc({ alerts: { repeat_every: 'often' } })), /field "alerts\.repeat_every"/)
})

t.test('incident rules (issue 25): defaults, global, and a region\'s override', async t => {
  t.same(parseRegions(doc({})).get('대구')!.incidents, { allAtLeast: 2, most: 0.8, handful: 5, reopenWithinMs: 30 * 60_000, escalateAfterMs: null, escalateTo: [] }, 'the documented defaults')
  const r = parseRegions(doc({ incidents: { handful: 3, reopen_within: '10m' } }, { incidents: { most: 0.9, all_at_least: 4 } }))
  t.match(r.get('대구')!.incidents, { allAtLeast: 4, most: 0.9, handful: 3, reopenWithinMs: 10 * 60_000 })
  t.match(r.get('부산')!.incidents, { allAtLeast: 2, most: 0.8, handful: 3, reopenWithinMs: 10 * 60_000 })
  t.throws(() => parseRegions(doc({ incidents: { most: 0.2 } })), /field "incidents\.most"/, 'a "most" under half is no majority')
  t.throws(() => parseRegions(doc({}, { incidents: { reopen_within: 'soon' } })), /field "regions\.대구\.incidents\.reopen_within"|incidents\.reopen_within/)
  t.throws(() => parseRegions(doc({ incidents: { together: 3 } })), /incidents/, 'an unknown field')
  const e = parseRegions(doc({ incidents: { escalate_after: '15m', escalate_to: ['lead'] } }, { incidents: { escalate_after: null } }))
  t.match(e.get('부산')!.incidents, { escalateAfterMs: 15 * 60_000, escalateTo: ['lead'] }, 'escalation: global')
  t.match(e.get('대구')!.incidents, { escalateAfterMs: null, escalateTo: ['lead'] }, 'a region turns it off')
  t.equal(escalationProblem(e.values(), new Set(['lead'])), null)
  t.match(escalationProblem(e.values(), new Set(['hook'])), /region 대구: incidents\.escalate_to names no channel lead/, 'an escalation channel the file does not have')
  t.match(escalationProblem(parseRegions(doc({ incidents: { escalate_after: '15m' } })).values(), new Set()), /escalate_after needs escalate_to/)
  const file = path.join(dir, 'esc.json')
  writeFileSync(file, JSON.stringify(doc({ incidents: { escalate_after: '15m', escalate_to: ['lead'] } })))
  t.throws(() => loadConfigFile(file), /names no channel lead/, 'the gateway does not start with it')
})

t.test('channels: each type\'s fields; secrets from a private file or the environment; unknown regions refused', async t => {
  process.env.FWMAINT_TEST_CFG_PW = 'smtp-pw'
  const d = doc({
    notify: [
      { type: 'webhook', url: 'https://h/hook', secret_file: secret },
      { type: 'slack', url: 'https://hooks.slack.com/x', regions: ['대구'], lang: 'en' },
      { type: 'email', host: 'smtp.h', user: 'u', password_env: 'FWMAINT_TEST_CFG_PW', from: 'a@h', to: ['b@h'] }
    ]
  })
  parseRegions(d)
  const c = parseChannels(d as RegionsFile)
  t.match(c[0], { name: 'webhook-1', type: 'webhook', secret: 'k3y', lang: 'ko' })
  t.match(c[1], { name: 'slack-2', regions: ['대구'], lang: 'en' })
  t.match(c[2], { type: 'email', port: 587, starttls: true, secure: false, password: 'smtp-pw' })
  const bad = (notify: unknown[]): () => void => () => { const x = doc({ notify }); parseRegions(x); parseChannels(x as RegionsFile) }
  t.throws(bad([{ type: 'webhook', url: 'https://h/hook' }]), /field "notify\.0\.secret_file": give exactly one of secret_file, secret_env/)
  t.throws(bad([{ type: 'slack', url: 'https://h/x', regions: ['서울'] }]), /field "notify\.0\.regions": no region 서울/)
  t.throws(bad([{ type: 'slack', url: 'https://h/x', name: 'a' }, { type: 'teams', url: 'https://h/y', name: 'a' }]), /another channel is named a/)
  t.throws(bad([{ type: 'pager', url: 'https://h/x' }]), /field "notify\.0/)
  t.throws(bad([{ type: 'slack', url: 'ftp://h/x' }]), /field "notify\.0/)
  const open = path.join(dir, 'open.secret')
  writeFileSync(open, 'x')
  chmodSync(open, 0o644)
  t.throws(bad([{ type: 'webhook', url: 'https://h/hook', secret_file: open }]), /readable by group or others \(mode 644\)/)
})

t.test('maintenance windows: one-off in Korean time, recurring by cron; open and covering', async t => {
  const servers = { 1: {}, 2: { host: 'h2' } }
  const r = parseRegions(doc({}, { servers, maintenance: [{ from: '2026-12-01T09:00', to: '2026-12-01T12:00', server: 2 }, { cron: '0 0 2 * * 0', duration: '2h', cctv_ids: [12] }] })).get('대구')!
  t.same(r.maintenance[0], { from: Date.parse('2026-12-01T00:00:00Z'), to: Date.parse('2026-12-01T03:00:00Z'), server: 2, cctvIds: undefined, reason: undefined })
  t.match(r.maintenance[1], { cron: '0 0 2 * * 0', durationMs: 7_200_000, cctvIds: ['12'] })
  const sunday0230 = Date.parse('2026-12-06T02:30:00+09:00')
  t.ok(windowOpen(r.maintenance[1], sunday0230), 'Sunday 02:30 KST: inside')
  t.notOk(windowOpen(r.maintenance[1], Date.parse('2026-12-06T04:00:00+09:00')), '04:00: over')
  t.notOk(windowOpen(r.maintenance[1], Date.parse('2026-12-05T02:30:00+09:00')), 'Saturday: not')
  t.ok(inMaintenance(r.maintenance, sunday0230, '12', 1))
  t.notOk(inMaintenance(r.maintenance, sunday0230, '13', 1), 'another camera')
  t.ok(inMaintenance(r.maintenance, Date.parse('2026-12-01T10:00:00+09:00'), '99', 2), 'server 2\'s window covers its cameras')
  t.notOk(inMaintenance(r.maintenance, Date.parse('2026-12-01T10:00:00+09:00'), '99', 1))
  t.notOk(inMaintenance(r.maintenance, Date.parse('2026-12-01T10:00:00+09:00')), 'a server window is not a region window')
  t.throws(() => parseRegions(doc({}, { maintenance: [{ from: '2026-12-01T09:00' }] })), /field "maintenance\.0\.to": a one-off window needs both from and to/)
  t.throws(() => parseRegions(doc({}, { maintenance: [{ from: '2026-12-01T12:00', to: '2026-12-01T09:00' }] })), /ends before it starts/)
  t.throws(() => parseRegions(doc({}, { maintenance: [{ cron: '0 0 2 * * 0' }] })), /needs both cron and duration/)
  t.throws(() => parseRegions(doc({}, { maintenance: [{ from: 'tomorrow morning', to: 'the day after' }] })), /not a time/)
  t.throws(() => parseRegions(doc({}, { maintenance: [{ cron: 'every sunday', duration: '2h' }] })), /field "maintenance\.0\.cron": /, 'a bad cron stops the start, not a sweep later')
  // One validator for the file and the API (lib/config/windows.ts): the API's checks hold here too.
  t.throws(() => parseRegions(doc({}, { maintenance: [{ from: '2026-12-01T09:00', to: '2026-12-01T12:00', server: 3 }] })), /field "maintenance\.0\.server": the region has no server 3/)
  t.throws(() => parseRegions(doc({}, { servers, maintenance: [{ from: '2026-12-01T09:00', to: '2026-12-01T12:00', server: 2, cctv_ids: [1] }] })), /give server or cctv_ids, not both/)
})
