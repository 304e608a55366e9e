import t from 'tap'
import { execFileSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseChannels, type ChannelConfig } from '../lib/config/channels.js'
import { RegionsFileError } from '../lib/config/problem.js'
import { send, type Pictures } from '../lib/notify/channels.js'
import { fitLines } from '../lib/notify/compose.js'
import type { AlertBody, AlertChange } from '../lib/store/history.js'
import { eventually, startGateway, testClock } from './helpers/app.js'
import { messengerReceivers, telegramHtmlProblems, telegramVisible } from './helpers/messenger-receivers.js'

// Issue 25, 5: Jandi, Telegram, Discord and KakaoWork, each against a local receiver that checks
// its service's documented wire format (test/helpers/messenger-receivers.ts): headers, body
// shape and limits, multipart for photos. First each channel's messages as sent (real HTTP,
// real multipart), then through the outbox on the simulated site.

const CHAT = '-1001234567890'
const CONVERSATION = '4242'
const dir = mkdtempSync(path.join(os.tmpdir(), 'fwmsg-'))
const secretFile = (name: string, value: string): string => {
  const f = path.join(dir, name)
  writeFileSync(f, value + '\n')
  chmodSync(f, 0o600)
  return f
}
/** A real JPEG (ffmpeg), as the monitor keeps a frame. */
const JPEG = execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=black:s=64x36', '-frames:v', '1', '-f', 'mjpeg', '-'])

function channels (base: string, tokens: { telegram: string, kakaowork: string }, lang: 'ko' | 'en' = 'ko'): ChannelConfig[] {
  return parseChannels({
    regions: { 대구: {} },
    notify: [
      { type: 'jandi', name: 'jandi', url: `${base}/jandi/T123/JANDISECRETtoken`, lang },
      { type: 'telegram', name: 'tg', chat_id: CHAT, token_file: secretFile('tg.token', tokens.telegram), api_base: `${base}/telegram`, lang },
      { type: 'discord', name: 'discord', url: `${base}/discord/1234567890/DISCORDsecret-token`, username: 'fwmaint', lang },
      { type: 'kakaowork', name: 'kw', conversation_id: Number(CONVERSATION), app_key_file: secretFile('kw.key', tokens.kakaowork), api_base: `${base}/kakaowork/`, lang }
    ]
  })
}

const T0 = Date.parse('2026-12-04T21:58:00+09:00')
const change = (c: Partial<AlertChange>): AlertChange => ({ kind: 'down', cctv_id: '1', name: '수성구 황금동 1', server: 2, status: 'offline', since: T0, error: null, ...c })
const PUBLIC = 'https://fwmaint.example.kr'

/** Server 2's five cameras down as one incident, and a black camera with its kept frame and reference view. */
function serverDown (): { body: AlertBody, pics: Pictures } {
  const body: AlertBody = {
    region: '대구',
    at: T0 + 60_000,
    sweep: { id: 7, started_at: T0, finished_at: T0 + 50_000 },
    changes: [
      ...[6, 7, 8, 9, 10].map(id => change({ cctv_id: String(id), name: `카메라 ${id}`, incident: 12 })),
      change({ cctv_id: '3', name: '동대구역 <광장> & "출구"', server: 1, status: 'black', incident: 13 })
    ],
    incidents: [
      { id: 12, cause: 'server', key: '2', state: 'open', cctv_ids: ['6', '7', '8', '9', '10'], down: 5 },
      { id: 13, cause: 'camera', key: '3', state: 'open', cctv_ids: ['3'], down: 1 }
    ]
  }
  const pics: Pictures = {
    frames: new Map([[5, { frame: { at: T0, jpeg: JPEG }, references: [{ id: 4, jpeg: JPEG }] }]]),
    links: new Map([[5, { frame: `${PUBLIC}/api/frames/%EB%8C%80%EA%B5%AC/3/f${T0}?exp=1&sig=AAA`, references: [`${PUBLIC}/api/frames/%EB%8C%80%EA%B5%AC/3/r4?exp=1&sig=BBB`] }]]),
    acks: new Map([[12, `${PUBLIC}/ack/12?exp=1&sig=CCC`], [13, `${PUBLIC}/ack/13?exp=1&sig=DDD`]])
  }
  return { body, pics }
}

t.test('each channel\'s message passes its service\'s wire format: headers, body, limits, the frame as a photo or a file', async t => {
  const rx = await messengerReceivers(t, { telegramChat: CHAT, kakaoworkConversation: CONVERSATION })
  const { body, pics } = serverDown()
  const details: Record<string, string> = {}
  for (const c of channels(rx.base, rx.tokens)) details[c.name] = await send(c, body, PUBLIC, pics)
  t.same(rx.problems(), [], 'no receiver found a problem')
  t.match(details, { jandi: 'HTTP 200', tg: 'HTTP 200, 1 of 1 photos', discord: 'HTTP 200, 1 picture', kw: 'HTTP 200' }, 'what each delivery records')
  const by = (s: string): any[] => rx.got.filter(g => g.service === s)

  const [jandi] = by('jandi')
  t.match(jandi.json.body, /^\[fwmaint\] 대구: 카메라 6대 다운\n☞ 장애 #12 확인하기: \[확인\(담당\)\]\(https:\/\/fwmaint\.example\.kr\/ack\/12\?exp=1&sig=CCC\)/, 'Jandi: title and acknowledge links (markdown) in the body')
  t.equal(jandi.json.connectColor, '#D93025', 'red: something went down')
  t.match(jandi.json.connectInfo[0].description, /▼ 장애 #12 서버 2 — 카메라 5대 다운 \(꺼짐 5\): 6, 7, 8, 9, 10/, 'one line for the incident')
  t.match(jandi.json.connectInfo[1], { title: /▼ 다운: 3 동대구역 <광장> & "출구" \(svr1\) — black/, imageUrl: /\/api\/frames\/.+\/3\/f\d+\?exp=1&sig=AAA$/ }, 'the black camera\'s kept frame as the section\'s image')

  const tg = by('telegram')
  t.same(tg.map(g => g.path.split('/').pop()), ['sendMessage', 'sendPhoto'], 'Telegram: the message, then the photo')
  t.match(telegramVisible(tg[0].json.text), /^\[fwmaint\] 대구: 카메라 6대 다운\n☞ 장애 #12 확인하기: 확인\(담당\)\n/)
  t.match(tg[0].json.text, /동대구역 &#60;광장&#62; &#38; &#34;출구&#34;/, 'a camera\'s name is text, not markup')
  t.match(tg[0].json.text, /<a href="https:\/\/fwmaint\.example\.kr\/ack\/12\?exp=1&#38;sig=CCC">확인\(담당\)<\/a>/)
  t.same(tg[1].files.map((f: { field: string, type: string, bytes: Buffer }) => [f.field, f.type, f.bytes.equals(JPEG)]), [['photo', 'image/jpeg', true]], 'the kept frame, byte for byte')
  t.match(telegramVisible(tg[1].json.caption), /^▼ 다운: 3 동대구역 <광장> & "출구" \(svr1\) — black.*\n기준 화면$/s, 'its line as the caption, the reference view linked')

  const [discord] = by('discord')
  t.match(discord.headers['content-type'], /^multipart\/form-data/, 'Discord: multipart with the frame')
  t.match(discord.json, { username: 'fwmaint', embeds: [{ title: '[fwmaint] 대구: 카메라 6대 다운', color: 0xD93025 }, { image: { url: 'attachment://cctv3-5.jpg' } }], attachments: [{ id: 0, filename: 'cctv3-5.jpg' }] })
  t.ok(discord.json.embeds[0].description.includes('동대구역 <광장\\> & "출구" \\(svr1\\)'), 'markdown characters in the name are literals')
  t.ok(discord.files[0].bytes.equals(JPEG))

  const [kw] = by('kakaowork')
  t.match(kw.json, { conversation_id: CONVERSATION, text: '[fwmaint] 대구: 카메라 6대 다운' })
  t.match(kw.json.blocks.slice(0, 4), [{ type: 'header', text: 'fwmaint 대구', style: 'red' }, { type: 'text', text: '[fwmaint] 대구: 카메라 6대 다운' },
    { type: 'button', text: '장애 #12 확인', style: 'primary', action_type: 'open_system_browser', value: `${PUBLIC}/ack/12?exp=1&sig=CCC` }, { type: 'button', text: '장애 #13 확인' }])
  t.match(kw.json.blocks.find((b: any) => b.type === 'action'), { elements: [{ text: '그때 화면', value: /\/3\/f\d+/ }, { text: '기준 화면', value: /\/3\/r4/ }] }, 'the frames as buttons under their line')
  t.match(kw.json.blocks.at(-1), { type: 'button', text: '콘솔에서 보기', value: /^https:\/\/fwmaint\.example\.kr\/changes\?region=/ })
})

t.test('English, a long alert at each service\'s limits, and a hostile camera name', async t => {
  const rx = await messengerReceivers(t, { telegramChat: CHAT, kakaoworkConversation: CONVERSATION })
  const long: AlertBody = {
    region: '대구',
    at: T0,
    sweep: null,
    changes: Array.from({ length: 300 }, (_, i) => change({ cctv_id: String(i + 1), name: `${'긴 이름 '.repeat(40)}<b>@everyone</b> *${i}* <!channel>`, server: null }))
  }
  for (const c of channels(rx.base, rx.tokens, 'en')) await send(c, long, PUBLIC)
  t.same(rx.problems(), [], 'within every limit: Telegram 4096, Discord 4096 / 6000, KakaoWork 500 a block and 50 blocks')
  const tg = rx.got.find(g => g.service === 'telegram')!
  t.match(telegramVisible(tg.json.text), /^\[fwmaint\] 대구: 300 cameras down\n▼ down: 1 /, 'English')
  t.notMatch(tg.json.text, /<b>@everyone/, 'the name\'s tags are text')
  const kw = rx.got.find(g => g.service === 'kakaowork')!
  t.match(kw.json.blocks.findLast((b: any) => b.type === 'text').text, /^and \d+ more/, 'KakaoWork: the rest counted')
  const discord = rx.got.find(g => g.service === 'discord')!
  t.same(discord.json.allowed_mentions, { parse: [] }, 'Discord pings nobody')
  t.ok(discord.json.embeds[0].description.includes('<b\\>@everyone</b\\> \\*0\\* <!channel\\>'), 'the name is escaped, not markup')

  // The receivers' own checks can fail: each refuses what breaks its format.
  t.ok(telegramHtmlProblems('<b>x</i> a < b & c <script>').length >= 4, 'the Telegram check sees bad HTML')
  const bad = await messengerReceivers(t, { telegramChat: CHAT, kakaoworkConversation: CONVERSATION })
  const post = async (p: string, body: unknown, headers: Record<string, string> = {}): Promise<number> =>
    (await fetch(bad.base + p, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })).status
  t.equal(await post('/jandi/T1/x', { body: 'hi', connectColor: 'red' }), 400, 'Jandi: no v2 Accept, a colour name')
  t.equal(await post(`/telegram/bot${bad.tokens.telegram}/sendMessage`, { chat_id: CHAT, text: 'a <i>b', parse_mode: 'HTML' }), 400, 'Telegram: an open tag, previews on')
  t.equal(await post('/discord/1/x?wait=true', { embeds: [{ title: 'x'.repeat(257), image: { url: 'attachment://a.jpg' } }] }), 400, 'Discord: a long title, a picture never uploaded')
  t.equal(await post('/kakaowork/v1/messages.send', { conversation_id: CONVERSATION, text: 'x', blocks: [{ type: 'header', text: 'x'.repeat(21), style: 'green' }] },
    { authorization: `Bearer ${bad.tokens.kakaowork}` }), 400, 'KakaoWork: a header over 20 characters, a style it has not')
  t.same(bad.problems().map(p => p.replace(/^(\w+) \S+: /, '$1: ')).sort(), [
    'discord: allowed_mentions does not stop @everyone in a camera\'s name', 'discord: embeds[0] shows a.jpg, which was not uploaded', 'discord: embeds[0].title over 256',
    'jandi: Accept is */*, not application/vnd.tosslab.jandi-v2+json', 'jandi: connectColor red is not #RRGGBB',
    'kakaowork: blocks[0]: header style green', 'kakaowork: blocks[0]: header text must be 1-20 characters: ' + 'x'.repeat(21),
    'telegram: sendMessage: left open: i', 'telegram: sendMessage: link previews are on (a preview would fetch the links)'
  ].sort(), 'each problem named')
  t.equal(fitLines(['a'.repeat(10), 'b'.repeat(10)], 15), 'a'.repeat(10) + '\n…', 'whole lines, then …')
})

t.test('a refusal is a failed send that names the channel and the service\'s reason, never the token or the webhook URL', async t => {
  const rx = await messengerReceivers(t, { telegramChat: CHAT, kakaoworkConversation: CONVERSATION })
  const { body } = serverDown()
  const wrong = channels(rx.base, { telegram: '999:WRONGtoken-abcdef', kakaowork: 'wrong.KEYabcdef' })
  for (const c of wrong.filter(c => c.type === 'telegram' || c.type === 'kakaowork')) {
    const err = await send(c, body, PUBLIC).then(() => undefined, (e: Error) => e)
    t.ok(err !== undefined, `${c.name}: refused`)
    t.notMatch(String(err?.message), /WRONGtoken|KEYabcdef/, 'no secret in the error')
    t.match(String(err?.message), new RegExp(`^${c.name}: HTTP (401|400)`))
  }
  rx.fail('discord', 1, { status: 429, retryAfter: 3 })
  const discord = channels(rx.base, rx.tokens).find(c => c.type === 'discord')!
  const limited = await send(discord, body, PUBLIC).then(() => undefined, (e: Error & { retryAfterMs?: number }) => e)
  t.match(limited, { message: /^discord: HTTP 429/, retryAfterMs: 3000 }, 'a 429 says how long to wait')
  t.notMatch(String(limited?.message), /DISCORDsecret/)
  t.equal(await send(discord, body, PUBLIC), 'HTTP 200', 'and then it goes')
})

t.test('the regions file: each messenger\'s settings checked at start, secrets from files or the environment', async t => {
  const doc = (c: Record<string, unknown>): { regions: Record<string, unknown>, notify: any[] } => ({ regions: { 대구: {} }, notify: [c] })
  const problem = (c: Record<string, unknown>): string => { try { parseChannels(doc(c)); return 'accepted' } catch (err) { return err instanceof RegionsFileError ? err.message : String(err) } }
  t.match(problem({ type: 'telegram', chat_id: CHAT }), /notify\.0\.token_file": give exactly one of token_file, token_env/)
  t.match(problem({ type: 'kakaowork', conversation_id: 1, app_key_env: 'A', app_key_file: '/x' }), /notify\.0\.app_key_file": give exactly one/)
  process.env.FWMAINT_TEST_KW_KEY = 'kw-key-from-env'
  const [kw] = parseChannels(doc({ type: 'kakaowork', conversation_id: '77', app_key_env: 'FWMAINT_TEST_KW_KEY' }))
  t.match(kw, { type: 'kakaowork', conversationId: '77', appKey: 'kw-key-from-env', apiBase: 'https://api.kakaowork.com', lang: 'ko' }, 'the documented API address by default')
  const [tg] = parseChannels(doc({ type: 'telegram', chat_id: -100123, token_env: 'FWMAINT_TEST_KW_KEY' }))
  t.match(tg, { chatId: '-100123', apiBase: 'https://api.telegram.org' })
})

t.test('through the outbox on the simulated site: a camera down is one message on each messenger; a 429 waits as asked, then it goes; no secret anywhere', async t => {
  const rx = await messengerReceivers(t, { telegramChat: CHAT, kakaoworkConversation: CONVERSATION })
  process.env.FWMAINT_TEST_MSG_PW = 'demo'
  const clock = testClock()
  const gw = await startGateway(t, {
    clock: clock.now,
    regions: [{ name: '대구', cameras: 2, rtsp: true }],
    patch: doc => {
      doc.regions['대구'].monitor = { cron: '0 0 0 1 1 *', id: 'demo', password_env: 'FWMAINT_TEST_MSG_PW' }
      doc.notify = [
        { type: 'jandi', name: 'jandi', url: `${rx.base}/jandi/T123/JANDISECRETtoken` },
        { type: 'telegram', name: 'tg', chat_id: CHAT, token_file: secretFile('tg2.token', rx.tokens.telegram), api_base: `${rx.base}/telegram` },
        { type: 'discord', name: 'discord', url: `${rx.base}/discord/1234567890/DISCORDsecret-token`, lang: 'en' },
        { type: 'kakaowork', name: 'kw', conversation_id: CONVERSATION, app_key_file: secretFile('kw2.key', rx.tokens.kakaowork), api_base: `${rx.base}/kakaowork` }
      ]
    },
    env: { NOTIFY_RETRY_BASE_MS: '100', NOTIFY_RETRY_MAX_MS: '60000', HEALTH_PROBE_TIMEOUT_SECONDS: '4', PUBLIC_BASE_URL: PUBLIC },
    captureLogs: true
  })
  const monitor = gw.app.monitors.get('대구')!
  const tick = async (): Promise<void> => { await monitor.tick(); gw.app.outbox.kick() }
  const settled = async (): Promise<void> => {
    t.ok(await eventually(async () => (await gw.app.alerts.pendingChannels()).length === 0, 20_000, 50), 'the outbox drained')
    await gw.app.outbox.idle()
  }
  await tick()
  await settled()
  t.equal(rx.got.filter(g => g.service !== 'telegram' || g.path.endsWith('sendMessage')).length, 4, '"monitoring started": once on each')

  // Telegram says "too many requests, retry after 2 s" once: the outbox waits that long (not its 100 ms), then sends.
  rx.fail('telegram', 1, { status: 429, retryAfter: 2 })
  await gw.regions[0].takeDown(1)
  await tick()
  await tick()
  const told = (s: string): any[] => rx.got.filter(g => g.service === s).slice(1)
  t.ok(await eventually(() => told('jandi').length === 1 && told('discord').length === 1 && told('kakaowork').length === 1, 20_000), 'the others at once')
  const tgNow = async (): Promise<Awaited<ReturnType<typeof gw.app.alerts.recent>>[number]['deliveries'][number]> =>
    (await gw.app.alerts.recent('all', 1))[0].deliveries.find(d => d.channel === 'tg')!
  t.ok(await eventually(async () => (await tgNow()).attempts === 1, 20_000, 50), 'Telegram: tried')
  const tgDelivery = await tgNow()
  t.match(tgDelivery, { state: 'pending', attempts: 1, last_error: /^tg: HTTP 429 / }, 'Telegram: refused once, waiting')
  t.ok(tgDelivery.next_at - (tgDelivery.attempts_log[0]?.at ?? 0) >= 2000, `the next try no sooner than Telegram asked (${tgDelivery.next_at - (tgDelivery.attempts_log[0]?.at ?? 0)} ms)`)
  clock.advance(2000)
  gw.app.outbox.kick()
  await settled()
  t.equal(told('telegram').length, 1, 'then it went, once')
  t.same(rx.problems(), [], 'every request in its service\'s format')
  t.match(telegramVisible(told('telegram')[0].json.text), /^\[fwmaint\] 대구: 카메라 1대 다운\n☞ 장애 #\d+ 확인하기: 확인\(담당\)\n▼ 다운: 1 실시간 테스트 카메라 \(svr1\) — offline/)
  t.match(told('discord')[0].json.embeds[0], { title: '[fwmaint] 대구: 1 camera down' }, 'Discord in English')

  const op = gw.browser()
  await op.connect(gw.regions[0])
  const api = JSON.stringify((await op.get('/api/alerts')).body)
  t.match(api, /"name":"kw","type":"kakaowork"/, 'the channels listed by name and type')
  await gw.app.close()
  const logs = JSON.stringify(gw.logs) + readFileSync(gw.app.config.env.AUDIT_LOG, 'utf8') + api
  for (const secret of [rx.tokens.telegram, rx.tokens.kakaowork, 'JANDISECRETtoken', 'DISCORDsecret-token']) t.notOk(logs.includes(secret), 'no token or webhook URL in a log line, the audit or the API')
})
