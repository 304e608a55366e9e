import type { ChannelConfig } from '../config/channels.js'
import type { AlertBody } from '../store/history.js'
import { escapeHtml } from '../html.js'
import { ackLines, fitLines, frameLinkList, markedLines, NO_PICTURES, type Pictures } from './compose.js'
import { hide, httpSend, SendError } from './http-send.js'
import { changesUrl, entries, line, title, tone, type Lang, type Tone } from './messages.js'

/*
 * The messengers Korean operations teams live in (issue 25): Jandi's incoming webhook, a
 * Telegram bot, a Discord webhook and a KakaoWork bot — each in its documented wire format and
 * limits, Korean or English. The bots' API address is configurable (`api_base`), which is how
 * the tests reach local receivers that check those formats (test/helpers/messenger-receivers.ts).
 */

type Of<T extends ChannelConfig['type']> = Extract<ChannelConfig, { type: T }>

const HEX: Record<Tone, string> = { down: '#D93025', warn: '#F29900', good: '#1E8E3E', info: '#1A73E8' }

// ── Jandi ─────────────────────────────────────────────────────────────────────────────────────
// POST the webhook URL, Accept: application/vnd.tosslab.jandi-v2+json; `body` (markdown links
// [words](url)), `connectColor` (the bar beside it), `connectInfo` (sections: title, description,
// imageUrl).

/** Jandi shows this many sections; the rest of a long alert is in the console. */
const JANDI_SECTIONS = 10

export function jandiBody (body: AlertBody, lang: Lang, channel: string, publicBase: string, pics: Pictures = NO_PICTURES): Record<string, unknown> {
  const md = (url: string, words: string): string => `[${words}](${url})`
  const consoleUrl = changesUrl(publicBase, body)
  const info: Array<{ title: string, description: string, imageUrl?: string }> = [
    { title: lang === 'ko' ? '내용' : 'What changed', description: markedLines(body, lang, consoleUrl, pics, s => s, md).join('\n') }
  ]
  // A picture change: its own section showing the frame kept with it (a signed link Jandi fetches).
  for (const [i, l] of pics.links) {
    if (info.length >= JANDI_SECTIONS) break
    const c = body.changes[i]
    if (c === undefined || l.frame === undefined) continue
    info.push({ title: line(c, body.at, lang), description: frameLinkList(pics, lang, i).map(([url, words]) => md(url, words)).join(' · '), imageUrl: l.frame })
  }
  return { body: [title(body, lang, channel), ...ackLines(pics, lang, md)].join('\n'), connectColor: HEX[tone(body)], connectInfo: info }
}

export async function jandiSend (channel: Of<'jandi'>, body: AlertBody, publicBase: string, pics: Pictures): Promise<string> {
  const a = await httpSend(channel.name, channel.url, JSON.stringify(jandiBody(body, channel.lang, channel.name, publicBase, pics)),
    { accept: 'application/vnd.tosslab.jandi-v2+json' }, [])
  return `HTTP ${a.status}`
}

// ── Telegram ──────────────────────────────────────────────────────────────────────────────────
// POST <api_base>/bot<token>/sendMessage (JSON: chat_id, text ≤ 4096 characters, parse_mode HTML)
// and /sendPhoto (multipart/form-data: chat_id, photo as a file, caption ≤ 1024). The answer is
// {"ok": true, "result": …} or {"ok": false, "error_code", "description", "parameters"}.

const TELEGRAM_TEXT = 4096
const TELEGRAM_CAPTION = 1024

const tgLink = (url: string, words: string): string => `<a href="${escapeHtml(url)}">${escapeHtml(words)}</a>`

/** The text message: the title in bold, acknowledge links, the lines; link previews off (a preview would fetch the links). */
export function telegramMessage (body: AlertBody, lang: Lang, channel: string, chatId: string, publicBase: string, pics: Pictures = NO_PICTURES): Record<string, unknown> {
  const text = fitLines([`<b>${escapeHtml(title(body, lang, channel))}</b>`, ...ackLines(pics, lang, tgLink),
    ...markedLines(body, lang, changesUrl(publicBase, body), pics, escapeHtml, tgLink)], TELEGRAM_TEXT)
  return { chat_id: chatId, text, parse_mode: 'HTML', link_preview_options: { is_disabled: true } }
}

/** A photo per picture change that has a kept frame: the frame, its line as the caption, the reference views linked. */
export function telegramPhotos (body: AlertBody, lang: Lang, pics: Pictures): Array<{ filename: string, jpeg: Buffer, caption: string }> {
  const out: Array<{ filename: string, jpeg: Buffer, caption: string }> = []
  for (const [i, f] of pics.frames) {
    const c = body.changes[i]
    if (c === undefined || f.frame === undefined) continue
    // The photo is the frame: its link (first, when there are links) is not repeated under it.
    const refs = frameLinkList(pics, lang, i).slice(pics.links.get(i)?.frame === undefined ? 0 : 1).map(([url, words]) => tgLink(url, words))
    out.push({ filename: `cctv${c.cctv_id ?? ''}.jpg`, jpeg: f.frame.jpeg, caption: fitLines([escapeHtml(line(c, body.at, lang)), ...(refs.length === 0 ? [] : [refs.join(' · ')])], TELEGRAM_CAPTION) })
  }
  return out
}

/** Telegram's own answer: `ok` true, else its description as the reason. */
function telegramOk (channel: Of<'telegram'>, json: unknown): void {
  const j = json as { ok?: unknown, description?: unknown } | undefined
  if (j?.ok !== true) throw new SendError(`${channel.name}: Telegram did not say ok${typeof j?.description === 'string' ? `: ${hide(j.description, [channel.token]).slice(0, 200)}` : ''}`)
}

/**
 * The message, then its photos. A photo that fails after the message went through is told in
 * the delivery's detail, not retried: retrying would send the message twice, and the message
 * already links every frame when PUBLIC_BASE_URL is set.
 */
export async function telegramSend (channel: Of<'telegram'>, body: AlertBody, publicBase: string, pics: Pictures): Promise<string> {
  const method = (m: string): string => `${channel.apiBase}/bot${channel.token}/${m}`
  const secrets = [channel.token]
  const first = await httpSend(channel.name, method('sendMessage'), JSON.stringify(telegramMessage(body, channel.lang, channel.name, channel.chatId, publicBase, pics)), {}, secrets)
  telegramOk(channel, first.json)
  const photos = telegramPhotos(body, channel.lang, pics)
  const failed: string[] = []
  for (const p of photos) {
    const form = new FormData()
    form.set('chat_id', channel.chatId)
    form.set('caption', p.caption)
    form.set('parse_mode', 'HTML')
    form.set('photo', new Blob([new Uint8Array(p.jpeg)], { type: 'image/jpeg' }), p.filename)
    try {
      telegramOk(channel, (await httpSend(channel.name, method('sendPhoto'), form, {}, secrets)).json)
    } catch (err) {
      failed.push((err as Error).message)
    }
  }
  return `HTTP ${first.status}${photos.length === 0 ? '' : `, ${photos.length - failed.length} of ${photos.length} photos`}${failed.length === 0 ? '' : ` (${failed[0]})`}`
}

// ── Discord ───────────────────────────────────────────────────────────────────────────────────
// POST the webhook URL (?wait=true: the answer says whether it was posted): JSON, or with files
// multipart/form-data with `payload_json` and `files[n]`, each named in `attachments` and shown
// by an embed as attachment://<filename>. Limits: 10 embeds, title 256, description 4096, 6000
// characters over all embeds.

const DISCORD_DESCRIPTION = 4096
const DISCORD_PICTURE_TITLE = 200

/** Discord's markdown characters in a line's words (a camera's name is data), as literals. */
const escapeDiscord = (s: string): string => s.replace(/[\\*_~`|>[\]()#]/g, '\\$&')

export interface DiscordMessage { payload: Record<string, unknown>, files: Array<{ filename: string, jpeg: Buffer }> }

export function discordMessage (body: AlertBody, lang: Lang, channel: string, publicBase: string, username?: string, pics: Pictures = NO_PICTURES): DiscordMessage {
  const md = (url: string, words: string): string => `[${words}](${url})`
  const consoleUrl = changesUrl(publicBase, body)
  const color = parseInt(HEX[tone(body)].slice(1), 16)
  const files: DiscordMessage['files'] = []
  const pictures: Array<Record<string, unknown>> = []
  for (const [i, f] of pics.frames) {
    const c = body.changes[i]
    if (c === undefined || f.frame === undefined || pictures.length >= 9) continue
    const filename = `cctv${c.cctv_id ?? ''}-${i}.jpg`
    files.push({ filename, jpeg: f.frame.jpeg })
    pictures.push({ title: line(c, body.at, lang).slice(0, DISCORD_PICTURE_TITLE), color, image: { url: `attachment://${filename}` } })
  }
  const main = {
    title: title(body, lang, channel).slice(0, 256),
    description: fitLines([...ackLines(pics, lang, md), ...markedLines(body, lang, consoleUrl, pics, escapeDiscord, md)], DISCORD_DESCRIPTION),
    color,
    timestamp: new Date(body.at).toISOString()
  }
  return {
    payload: {
      ...(username === undefined ? {} : { username }),
      // A name like "@everyone" in a camera's name pings nobody.
      allowed_mentions: { parse: [] },
      embeds: [main, ...pictures],
      ...(files.length === 0 ? {} : { attachments: files.map((f, id) => ({ id, filename: f.filename })) })
    },
    files
  }
}

export async function discordSend (channel: Of<'discord'>, body: AlertBody, publicBase: string, pics: Pictures): Promise<string> {
  const m = discordMessage(body, channel.lang, channel.name, publicBase, channel.username, pics)
  const url = `${channel.url}${channel.url.includes('?') ? '&' : '?'}wait=true`
  let sent: string | FormData = JSON.stringify(m.payload)
  if (m.files.length > 0) {
    const form = new FormData()
    form.set('payload_json', sent)
    m.files.forEach((f, k) => { form.set(`files[${k}]`, new Blob([new Uint8Array(f.jpeg)], { type: 'image/jpeg' }), f.filename) })
    sent = form
  }
  const a = await httpSend(channel.name, url, sent, {}, [channel.url])
  return `HTTP ${a.status}${m.files.length === 0 ? '' : `, ${m.files.length} picture${m.files.length === 1 ? '' : 's'}`}`
}

// ── KakaoWork ─────────────────────────────────────────────────────────────────────────────────
// POST <api_base>/v1/messages.send, Authorization: Bearer <app key>; {conversation_id, text (the
// push notice), blocks}: header ≤ 20 characters (blue / red / yellow), text ≤ 500, buttons ≤ 20
// characters opening a browser, action ≤ 3 buttons, 50 blocks. The answer: {"success": true, …}.

const KW_HEADER = 20
const KW_TEXT = 500
const KW_BUTTON = 20
const KW_BLOCKS = 50

const clip = (s: string, n: number): string => s.length <= n ? s : s.slice(0, n - 1) + '…'
const KW_STYLE: Record<Tone, string> = { down: 'red', warn: 'yellow', good: 'blue', info: 'blue' }

type Block = Record<string, unknown>

function button (words: string, url: string, style = 'default'): Block {
  return { type: 'button', text: clip(words, KW_BUTTON), style, action_type: 'open_system_browser', value: url }
}

export function kakaoworkMessage (body: AlertBody, lang: Lang, channel: string, conversationId: string, publicBase: string, pics: Pictures = NO_PICTURES): Record<string, unknown> {
  const head = title(body, lang, channel)
  const blocks: Block[] = [
    { type: 'header', text: clip(`fwmaint ${body.region}`, KW_HEADER), style: KW_STYLE[tone(body)] },
    { type: 'text', text: clip(head, KW_TEXT), markdown: false }
  ]
  const acks = [...(pics.acks ?? new Map<number, string>())]
  for (const [id, url] of acks.slice(0, 3)) blocks.push(button(lang === 'ko' ? `장애 #${id} 확인` : `Ack #${id}`, url, 'primary'))
  const consoleUrl = changesUrl(publicBase, body)
  // The lines, plain (a camera's name is data); a picture change's frames as buttons under its line.
  const rest: Block[][] = []
  for (const e of entries(body, lang, null)) {
    const group: Block[] = [{ type: 'text', text: clip(e.text, KW_TEXT), markdown: false }]
    const links = e.changes.length === 1 ? frameLinkList(pics, lang, e.changes[0]).slice(0, 3) : []
    if (links.length > 0) group.push({ type: 'action', elements: links.map(([url, words]) => button(words, url)) })
    rest.push(group)
  }
  const tail: Block[] = consoleUrl === null ? [] : [{ type: 'divider' }, button(lang === 'ko' ? '콘솔에서 보기' : 'Open the console', consoleUrl)]
  for (const [k, group] of rest.entries()) {
    if (blocks.length + group.length + tail.length + 1 > KW_BLOCKS) {
      blocks.push({ type: 'text', text: lang === 'ko' ? `외 ${rest.length - k}건` : `and ${rest.length - k} more`, markdown: false })
      break
    }
    blocks.push(...group)
  }
  blocks.push(...tail)
  return { conversation_id: conversationId, text: clip(head, KW_TEXT), blocks }
}

export async function kakaoworkSend (channel: Of<'kakaowork'>, body: AlertBody, publicBase: string, pics: Pictures): Promise<string> {
  const a = await httpSend(channel.name, `${channel.apiBase}/v1/messages.send`, JSON.stringify(kakaoworkMessage(body, channel.lang, channel.name, channel.conversationId, publicBase, pics)),
    { authorization: `Bearer ${channel.appKey}` }, [channel.appKey])
  const j = a.json as { success?: unknown, error?: { code?: unknown, message?: unknown } } | undefined
  const why = `${typeof j?.error?.code === 'string' ? `: ${j.error.code}` : ''}${typeof j?.error?.message === 'string' ? ` ${j.error.message}` : ''}`
  if (j?.success !== true) throw new SendError(`${channel.name}: KakaoWork did not say success${hide(why, [channel.appKey]).slice(0, 200)}`)
  return `HTTP ${a.status}`
}
