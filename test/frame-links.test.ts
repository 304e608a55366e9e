import t from 'tap'
import fc from 'fast-check'
import { checkFrameLink, frameLink, frameLinkKey, parseFrameSegment, frameSegment } from '../lib/notify/frame-links.js'
import { alertFrames, frameLinks, FRAMES_MAX } from '../lib/notify/frames.js'
import { emailBody, slackBody, webhookBody } from '../lib/notify/channels.js'
import type { AlertBody, AlertChange } from '../lib/store/history.js'

// Issue 24, 5: the links an alert gives to its frames (lib/notify/frame-links.ts) and which
// changes show pictures (lib/notify/frames.ts). Pure: no server; the signed route is tested end
// to end in reference-views.test.ts.

const key = frameLinkKey('a-session-secret-that-is-long-enough-0123456789')
const parts = (link: string): { region: string, id: string, segment: string, exp: number, sig: string } => {
  const u = new URL(link)
  const [, , , region, id, segment] = u.pathname.split('/')
  return { region: decodeURIComponent(region), id: decodeURIComponent(id), segment, exp: Number(u.searchParams.get('exp')), sig: u.searchParams.get('sig') ?? '' }
}

t.test('a link opens its frame until it expires, and then no more', async t => {
  const now = Date.parse('2026-12-04T00:00:00Z')
  const link = frameLink('https://fw.example.kr/', key, '대구', '12', { kind: 'frame', at: 1764806400000 }, now / 1000 + 60)
  t.match(link, /^https:\/\/fw\.example\.kr\/api\/frames\/%EB%8C%80%EA%B5%AC\/12\/f1764806400000\?exp=\d+&sig=[\w-]{43}$/)
  const p = parts(link)
  t.equal(checkFrameLink(key, p.region, p.id, p.segment, p.exp, p.sig, now), 'ok')
  t.equal(checkFrameLink(key, p.region, p.id, p.segment, p.exp, p.sig, now + 61_000), 'expired')
  t.equal(checkFrameLink(frameLinkKey('another-secret-another-secret-another-secret'), p.region, p.id, p.segment, p.exp, p.sig, now), 'bad', 'another key: refused')
})

t.test('any change to what a link names (region, camera, frame, expiry, signature) is refused', async t => {
  const now = 1_800_000_000_000
  fc.assert(fc.property(
    // A region named "." or ".." is a dot segment to every URL parser (as for every /api/monitor/:region path): not a name to link.
    fc.string({ minLength: 1, maxLength: 8 }).filter(r => r !== '.' && r !== '..'), fc.integer({ min: 1, max: 999_999_999 }), fc.integer({ min: 0, max: 2 ** 40 }), fc.boolean(),
    fc.constantFrom('region', 'id', 'segment', 'exp', 'sig'), fc.nat(),
    (region, id, n, isFrame, field, at) => {
      const p = parts(frameLink('http://h', key, region, String(id), isFrame ? { kind: 'frame', at: n } : { kind: 'reference', id: n }, now / 1000 + 3600))
      const changed = { ...p }
      if (field === 'exp') changed.exp = p.exp + 1
      else {
        const s = p[field]
        const i = at % s.length
        // Another character at one place (a base64url or digit alphabet character for the signature and segment).
        const other = s[i] === 'A' ? 'B' : 'A'
        changed[field] = s.slice(0, i) + (field === 'segment' && i > 0 ? (s[i] === '1' ? '2' : '1') : field === 'segment' ? (s[0] === 'f' ? 'r' : 'f') : other) + s.slice(i + 1)
      }
      return checkFrameLink(key, changed.region, changed.id, changed.segment, changed.exp, changed.sig, now) === 'bad' &&
        checkFrameLink(key, p.region, p.id, p.segment, p.exp, p.sig, now) === 'ok'
    }), { numRuns: 2000 })
  t.pass('2,000 links, each changed at one place: all refused, all originals open')
})

t.test('a frame segment names one frame: f<at> or r<id>, nothing else', async t => {
  t.same(parseFrameSegment('f1764806400000'), { kind: 'frame', at: 1764806400000 })
  t.same(parseFrameSegment('r7'), { kind: 'reference', id: 7 })
  for (const bad of ['', 'f', 'x12', 'f-1', 'f1e3', 'r1.5', 'f0123456789012345', '../r1']) t.equal(parseFrameSegment(bad), undefined, JSON.stringify(bad))
  t.equal(frameSegment({ kind: 'reference', id: 3 }), 'r3')
})

const change = (c: Partial<AlertChange>): AlertChange => ({ kind: 'down', cctv_id: '1', name: '카메라', server: 1, status: 'moved', since: 1000, error: null, ...c })
const body = (changes: AlertChange[], extra: Partial<AlertBody> = {}): AlertBody => ({ region: '대구', at: 2000, sweep: null, changes, ...extra }) as AlertBody
const jpeg = (n: number): Buffer => Buffer.from([0xff, 0xd8, n])
const source = {
  thumbnail: async (_r: string, id: string, at: number) => at === 1000 ? jpeg(Number(id)) : undefined,
  references: async (_r: string, id: string) => id === '3' ? [] : [{ id: 10 + Number(id), jpeg: jpeg(100 + Number(id)) }]
}

t.test('pictures go with camera alerts about the picture (black, frozen, moved, blurred), down or still down; at most FRAMES_MAX', async t => {
  const b = body([
    change({ cctv_id: '1', status: 'moved' }),
    change({ cctv_id: '2', status: 'offline' }),
    change({ cctv_id: '3', status: 'black', kind: 'still_down' }),
    change({ cctv_id: '4', status: 'online', kind: 'up' }),
    change({ cctv_id: null, status: 'failed', kind: 'region_down' }),
    change({ cctv_id: '5', status: 'frozen', since: 999 })
  ])
  const frames = await alertFrames(b, source)
  t.same([...frames.keys()], [0, 2, 5], 'moved, black (still down) and frozen; not offline, a return or a region')
  t.same(frames.get(0), { frame: { at: 1000, jpeg: jpeg(1) }, references: [{ id: 11, jpeg: jpeg(101) }] })
  t.same(frames.get(2), { frame: { at: 1000, jpeg: jpeg(3) }, references: [] }, 'no reference: the kept frame alone')
  t.same(frames.get(5), { references: [{ id: 15, jpeg: jpeg(105) }] }, 'no frame kept at its time: the reference alone')
  const many = await alertFrames(body(Array.from({ length: 30 }, (_, i) => change({ cctv_id: String(i + 1) }))), source)
  t.equal(many.size, FRAMES_MAX)
  t.equal((await alertFrames(body([change({})], { started: { cameras: 1, by_status: { moved: 1 } } } as Partial<AlertBody>), source)).size, 0, 'a "monitoring started" summary: none')

  t.equal(frameLinks(b, frames, '', key, 0).size, 0, 'no public base: no links')
  const sent = Date.parse('2026-12-04T00:00:00Z')
  const links = frameLinks(b, frames, 'https://fw.example.kr', key, sent)
  t.match(links.get(0), { frame: new RegExp(`/api/frames/%EB%8C%80%EA%B5%AC/1/f1000\\?exp=${sent / 1000 + 7 * 86_400}&sig=`), references: [/\/1\/r11\?/] }, 'seven days from the send')
  t.same(webhookBody(b, 'hook', { frames, links }).changes, b.changes.map((c, i) => ({
    kind: c.kind, cctv_id: c.cctv_id, name: c.name, server: c.server, status: c.status, since: new Date(c.since).toISOString(), error: c.error, incident: c.incident ?? null,
    ...(links.has(i) ? { ...(links.get(i)!.frame === undefined ? {} : { frame_url: links.get(i)!.frame }), reference_urls: links.get(i)!.references } : {})
  })), 'the webhook: frame_url and reference_urls on exactly those changes')
  const slack = JSON.stringify(slackBody(b, 'ko', 'slack', 'https://fw.example.kr', { frames, links }))
  t.ok(slack.includes(`<${links.get(0)!.frame!}|그때 화면>`), 'Slack links them in its markup')
  const mail = emailBody(b, 'en', 'mail', '', { frames, links: new Map() })
  t.same(mail.attachments.map(a => a.cid), ['c1-then@fwmaint', 'c1-ref1@fwmaint', 'c3-then@fwmaint', 'c5-ref1@fwmaint'], 'the email: each picture inline')
  t.ok(mail.attachments.every(a => mail.html!.includes(`src="cid:${a.cid}"`)), 'each shown in the HTML part')
  t.equal(emailBody(body([change({ status: 'offline' })]), 'en', 'mail', '').html, undefined, 'no pictures: a plain text email, as before')
  t.notMatch(emailBody(body([change({ name: '<b>x</b>' })]), 'en', 'mail', '', { frames: await alertFrames(body([change({ name: '<b>x</b>' })]), source), links: new Map() }).html, /<b>x<\/b>/,
    'a camera\'s name is escaped in the HTML')
})
