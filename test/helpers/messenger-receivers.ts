import http from 'node:http'
import type { Test } from 'tap'

/*
 * Local stand-ins for the messengers' APIs (issue 25, 5), each checking the wire format its
 * service documents: Jandi's incoming webhook, Telegram's Bot API (sendMessage, sendPhoto as
 * multipart/form-data), Discord's webhook (JSON, or payload_json with files[n]) and KakaoWork's
 * messages.send with its Block Kit limits. A request that breaks a rule is answered as the
 * service answers a bad request and its problems are kept, so a test can say "none".
 * Multipart bodies are parsed by the runtime's own parser (undici's Request.formData).
 */

export interface Got {
  service: 'jandi' | 'telegram' | 'discord' | 'kakaowork'
  path: string
  headers: http.IncomingHttpHeaders
  /** JSON requests: the body; multipart: its text fields (Discord's payload_json parsed). */
  json: any
  files: Array<{ field: string, filename: string, type: string, bytes: Buffer }>
  problems: string[]
}

export interface Messengers {
  base: string
  got: Got[]
  /** Every problem any request had, as "service path: problem". */
  problems: () => string[]
  /** The next `n` requests to a service answer 429 (asking `retryAfter` seconds) or 500. */
  fail: (service: Got['service'], n: number, how: { status: 429, retryAfter: number } | { status: 500 }) => void
  tokens: { telegram: string, kakaowork: string }
}

const JSON_TYPE = /^application\/json(;\s*charset=utf-8)?$/i
const HTTP_URL = /^https?:\/\/[^\s]+$/

/** Telegram's HTML parse mode: its tags only, balanced, and no bare '<' or '&' (https://core.telegram.org/bots/api#html-style). */
export function telegramHtmlProblems (html: string): string[] {
  const problems: string[] = []
  const open: string[] = []
  const tag = /<(\/?)([a-z-]+)((?:\s+[a-z-]+="[^"<>]*")*)\s*>|<|&(?:lt|gt|amp|quot|#[0-9]+|#x[0-9a-f]+);|&/gi
  for (const m of html.matchAll(tag)) {
    if (m[0] === '<') { problems.push(`a bare "<" at ${m.index}`); continue }
    if (m[0] === '&') { problems.push(`a bare "&" at ${m.index}`); continue }
    if (m[0].startsWith('&')) continue
    const [, close, name, attrs] = m
    if (!['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'a', 'code', 'pre', 'blockquote', 'tg-spoiler'].includes(name)) { problems.push(`tag <${name}> is not Telegram's`); continue }
    if (close === '/') { if (open.pop() !== name) problems.push(`</${name}> closes nothing open`); continue }
    if (name === 'a' && !/^\s+href="[^"]+"$/.test(attrs)) problems.push('<a> without one href')
    open.push(name)
  }
  if (open.length > 0) problems.push(`left open: ${open.join(', ')}`)
  return problems
}

/** What the user sees of Telegram HTML (its length is what the limits count). */
export function telegramVisible (html: string): string {
  return html.replace(/<[^>]+>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#([0-9]+);/g, (_m, n: string) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&')
}

function jandi (req: Got): void {
  const p = req.problems
  if (req.headers.accept !== 'application/vnd.tosslab.jandi-v2+json') p.push(`Accept is ${String(req.headers.accept)}, not application/vnd.tosslab.jandi-v2+json`)
  if (!JSON_TYPE.test(String(req.headers['content-type']))) p.push('Content-Type is not application/json')
  const b = req.json
  if (typeof b !== 'object' || b === null) { p.push('the body is not a JSON object'); return }
  for (const k of Object.keys(b)) if (!['body', 'connectColor', 'connectInfo'].includes(k)) p.push(`unknown field ${k}`)
  if (typeof b.body !== 'string' || b.body === '') p.push('body is required text')
  if (b.connectColor !== undefined && !/^#[0-9A-Fa-f]{6}$/.test(b.connectColor)) p.push(`connectColor ${String(b.connectColor)} is not #RRGGBB`)
  if (b.connectInfo !== undefined) {
    if (!Array.isArray(b.connectInfo)) { p.push('connectInfo is not a list'); return }
    for (const [i, s] of (b.connectInfo as any[]).entries()) {
      if (typeof s?.title !== 'string' || typeof s?.description !== 'string') p.push(`connectInfo[${i}] needs title and description`)
      if (s?.imageUrl !== undefined && !HTTP_URL.test(s.imageUrl)) p.push(`connectInfo[${i}].imageUrl is not a URL`)
      for (const k of Object.keys(s ?? {})) if (!['title', 'description', 'imageUrl'].includes(k)) p.push(`connectInfo[${i}] has unknown field ${k}`)
    }
  }
}

function telegram (req: Got, token: string, chat: string): void {
  const p = req.problems
  const m = /^\/telegram\/bot([^/]+)\/(sendMessage|sendPhoto)$/.exec(req.path)
  if (m === null) { p.push(`no such method: ${req.path.replace(token, '<token>')}`); return }
  if (m[1] !== token) { p.push('Unauthorized'); return }
  const b = req.json
  if (String(b?.chat_id) !== chat) p.push(`chat_id ${String(b?.chat_id)} is not the chat`)
  if (m[2] === 'sendMessage') {
    if (!JSON_TYPE.test(String(req.headers['content-type']))) p.push('sendMessage: Content-Type is not application/json')
    if (typeof b.text !== 'string' || b.text === '') p.push('sendMessage: text is required')
    else if (telegramVisible(b.text).length > 4096) p.push(`sendMessage: text is ${telegramVisible(b.text).length} characters (4096 at most)`)
    if (b.parse_mode !== 'HTML') p.push('sendMessage: parse_mode is not HTML')
    else p.push(...telegramHtmlProblems(String(b.text)).map(x => `sendMessage: ${x}`))
    if (b.link_preview_options?.is_disabled !== true) p.push('sendMessage: link previews are on (a preview would fetch the links)')
  } else {
    if (!/^multipart\/form-data; boundary=/.test(String(req.headers['content-type']))) p.push('sendPhoto: not multipart/form-data')
    const photo = req.files.find(f => f.field === 'photo')
    if (photo === undefined) p.push('sendPhoto: no photo file')
    else {
      if (photo.type !== 'image/jpeg') p.push(`sendPhoto: the photo is ${photo.type}`)
      if (photo.bytes.subarray(0, 3).toString('hex') !== 'ffd8ff') p.push('sendPhoto: the photo is not a JPEG')
      if (photo.bytes.length > 10 * 1024 * 1024) p.push('sendPhoto: the photo is over 10 MB')
    }
    if (typeof b.caption === 'string') {
      if (telegramVisible(b.caption).length > 1024) p.push('sendPhoto: the caption is over 1024 characters')
      if (b.parse_mode === 'HTML') p.push(...telegramHtmlProblems(b.caption).map(x => `sendPhoto: ${x}`))
    }
  }
}

function discord (req: Got): void {
  const p = req.problems
  if (!/^\/discord\/\d+\/[\w-]+$/.test(req.path.split('?')[0])) p.push('not a webhook path')
  if (new URL(req.path, 'http://x').searchParams.get('wait') !== 'true') p.push('without ?wait=true the answer does not say whether it was posted')
  const ct = String(req.headers['content-type'])
  const b = req.json
  if (req.files.length > 0 && !ct.startsWith('multipart/form-data')) p.push('files without multipart/form-data')
  if (req.files.length === 0 && !JSON_TYPE.test(ct)) p.push('Content-Type is not application/json')
  if (typeof b !== 'object' || b === null) { p.push('no JSON payload'); return }
  if (b.content !== undefined && (typeof b.content !== 'string' || b.content.length > 2000)) p.push('content over 2000 characters')
  const embeds: any[] = b.embeds ?? []
  if ((b.content ?? '') === '' && embeds.length === 0 && req.files.length === 0) p.push('an empty message')
  if (embeds.length > 10) p.push(`${embeds.length} embeds (10 at most)`)
  let total = 0
  for (const [i, e] of embeds.entries()) {
    if (typeof e.title === 'string') { total += e.title.length; if (e.title.length > 256) p.push(`embeds[${i}].title over 256`) }
    if (typeof e.description === 'string') { total += e.description.length; if (e.description.length > 4096) p.push(`embeds[${i}].description over 4096`) }
    if (e.color !== undefined && !(Number.isInteger(e.color) && e.color >= 0 && e.color <= 0xffffff)) p.push(`embeds[${i}].color is not a colour`)
    if (e.timestamp !== undefined && Number.isNaN(Date.parse(e.timestamp))) p.push(`embeds[${i}].timestamp is not ISO 8601`)
    const img = e.image?.url
    if (typeof img === 'string' && img.startsWith('attachment://')) {
      const name = img.slice('attachment://'.length)
      if (!req.files.some(f => f.filename === name)) p.push(`embeds[${i}] shows ${name}, which was not uploaded`)
    }
  }
  if (total > 6000) p.push(`${total} characters over all embeds (6000 at most)`)
  for (const [k, f] of req.files.entries()) {
    if (!/^files\[\d+\]$/.test(f.field)) p.push(`file field ${f.field} is not files[n]`)
    const id = Number(/\d+/.exec(f.field)?.[0])
    if (!(b.attachments ?? []).some((a: any) => a.id === id && a.filename === f.filename)) p.push(`file ${k} (${f.filename}) is not in attachments`)
    if (f.bytes.subarray(0, 3).toString('hex') !== 'ffd8ff') p.push(`file ${f.filename} is not a JPEG`)
  }
  if (JSON.stringify(b.allowed_mentions) !== JSON.stringify({ parse: [] })) p.push('allowed_mentions does not stop @everyone in a camera\'s name')
}

function kakaowork (req: Got, key: string, conversation: string): void {
  const p = req.problems
  if (req.path !== '/kakaowork/v1/messages.send') { p.push(`no such method: ${req.path}`); return }
  if (req.headers.authorization !== `Bearer ${key}`) { p.push('Authorization is not Bearer <the app key>'); return }
  if (!JSON_TYPE.test(String(req.headers['content-type']))) p.push('Content-Type is not application/json')
  const b = req.json
  if (String(b?.conversation_id) !== conversation) p.push('conversation_id is not the conversation')
  if (typeof b?.text !== 'string' || b.text === '') p.push('text (the push notice) is required')
  const blocks: any[] = b?.blocks ?? []
  if (blocks.length > 50) p.push(`${blocks.length} blocks (50 at most)`)
  const textOk = (v: unknown, n: number): boolean => typeof v === 'string' && v.length >= 1 && v.length <= n
  const buttonProblems = (x: any, where: string): void => {
    if (!textOk(x.text, 20)) p.push(`${where}: button text must be 1-20 characters: ${String(x.text)}`)
    if (!['default', 'primary', 'danger'].includes(x.style)) p.push(`${where}: button style ${String(x.style)}`)
    if (x.action_type === 'open_system_browser' || x.action_type === 'open_inapp_browser') { if (!HTTP_URL.test(String(x.value))) p.push(`${where}: a browser button's value is not a URL`) } else p.push(`${where}: action_type ${String(x.action_type)}`)
  }
  for (const [i, x] of blocks.entries()) {
    const where = `blocks[${i}]`
    switch (x.type) {
      case 'header':
        if (!textOk(x.text, 20)) p.push(`${where}: header text must be 1-20 characters: ${String(x.text)}`)
        if (!['blue', 'red', 'yellow'].includes(x.style)) p.push(`${where}: header style ${String(x.style)}`)
        break
      case 'text':
        if (!textOk(x.text, 500)) p.push(`${where}: text must be 1-500 characters (${String(x.text?.length)})`)
        if (typeof x.markdown !== 'boolean') p.push(`${where}: markdown is not a boolean`)
        break
      case 'button': buttonProblems(x, where); break
      case 'action':
        if (!Array.isArray(x.elements) || x.elements.length < 1 || x.elements.length > 3) p.push(`${where}: an action holds 1-3 buttons`)
        for (const [j, e] of (x.elements ?? []).entries()) buttonProblems(e, `${where}.elements[${j}]`)
        break
      case 'divider': break
      case 'image_link': if (!HTTP_URL.test(String(x.url))) p.push(`${where}: image_link url`); break
      default: p.push(`${where}: unknown block type ${String(x.type)}`)
    }
  }
}

export async function messengerReceivers (t: Test, opts: { telegramChat: string, kakaoworkConversation: string }): Promise<Messengers> {
  const got: Got[] = []
  const tokens = { telegram: '7712345678:AAF-tgSECRETtoken_0123456789abcdefghij', kakaowork: 'b829f770.kwSECRETkey0123456789abcdef' }
  const failing = new Map<Got['service'], { n: number, how: { status: 429, retryAfter: number } | { status: 500 } }>()
  let next = 1
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      void (async () => {
        const path = req.url ?? ''
        const service = path.split('/')[1] as Got['service']
        const raw = Buffer.concat(chunks)
        const r: Got = { service, path, headers: req.headers, json: undefined, files: [], problems: [] }
        const ct = String(req.headers['content-type'] ?? '')
        try {
          if (ct.startsWith('multipart/form-data')) {
            const form = await new Request('http://receiver/', { method: 'POST', headers: { 'content-type': ct }, body: raw }).formData()
            const fields: Record<string, unknown> = {}
            for (const [k, v] of form) {
              if (typeof v === 'string') fields[k] = v
              else r.files.push({ field: k, filename: v.name, type: v.type, bytes: Buffer.from(await v.arrayBuffer()) })
            }
            r.json = service === 'discord' && typeof fields.payload_json === 'string' ? JSON.parse(fields.payload_json) : fields
          } else r.json = JSON.parse(raw.toString('utf8'))
        } catch (err) {
          r.problems.push(`the body does not parse: ${(err as Error).message}`)
        }
        const fail = failing.get(service)
        if (fail !== undefined && fail.n > 0) {
          fail.n--
          if (fail.how.status === 429) {
            const after = fail.how.retryAfter
            const body = service === 'telegram'
              ? { ok: false, error_code: 429, description: `Too Many Requests: retry after ${after}`, parameters: { retry_after: after } }
              : service === 'discord' ? { message: 'You are being rate limited.', retry_after: after, global: false } : { success: false, error: { code: 'too_many_requests', message: 'rate limited' } }
            res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(after) }).end(JSON.stringify(body))
          } else res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error')
          return
        }
        if (r.problems.length === 0) {
          if (service === 'jandi') jandi(r)
          else if (service === 'telegram') telegram(r, tokens.telegram, opts.telegramChat)
          else if (service === 'discord') discord(r)
          else if (service === 'kakaowork') kakaowork(r, tokens.kakaowork, opts.kakaoworkConversation)
          else r.problems.push(`no service at ${path}`)
        }
        got.push(r)
        const ok = r.problems.length === 0
        const id = next++
        switch (service) {
          case 'telegram':
            res.writeHead(ok ? 200 : r.problems.includes('Unauthorized') ? 401 : 400, { 'content-type': 'application/json' })
              .end(JSON.stringify(ok ? { ok: true, result: { message_id: id, chat: { id: opts.telegramChat }, date: Math.floor(Date.now() / 1000) } } : { ok: false, error_code: 400, description: `Bad Request: ${r.problems[0]}` }))
            break
          case 'kakaowork':
            res.writeHead(ok ? 200 : 400, { 'content-type': 'application/json' })
              .end(JSON.stringify(ok ? { success: true, message: { id: String(id), conversation_id: opts.kakaoworkConversation, text: r.json.text } } : { success: false, error: { code: 'invalid_parameter', message: r.problems[0] } }))
            break
          case 'discord':
            res.writeHead(ok ? 200 : 400, { 'content-type': 'application/json' }).end(JSON.stringify(ok ? { id: String(id), type: 0, webhook_id: '1' } : { code: 50035, message: 'Invalid Form Body', errors: r.problems }))
            break
          default:
            res.writeHead(ok ? 200 : 400, { 'content-type': 'application/json' }).end(JSON.stringify(ok ? {} : { code: 40000, msg: r.problems[0] }))
        }
      })()
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => { server.closeAllConnections(); await new Promise(resolve => server.close(resolve)) })
  const port = (server.address() as { port: number }).port
  return {
    base: `http://127.0.0.1:${port}`,
    got,
    tokens,
    problems: () => got.flatMap(g => g.problems.map(p => `${g.service} ${g.path.replace(tokens.telegram, '<token>')}: ${p}`)),
    fail: (service, n, how) => { failing.set(service, { n, how }) }
  }
}
