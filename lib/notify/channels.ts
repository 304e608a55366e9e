import { createHmac } from 'node:crypto'
import { readFileSync } from 'node:fs'
import nodemailer from 'nodemailer'
import type { ChannelConfig } from '../config/channels.js'
import type { AlertBody } from '../store/history.js'
import { changesUrl, entries, frameWords, title, type Lang } from './messages.js'
import { escapeHtml } from '../html.js'
import { ackLines, fitLines, markedLines, NO_PICTURES, referenceWords, type Pictures } from './compose.js'
import { httpSend, SEND_TIMEOUT_MS, SendError } from './http-send.js'
import { discordSend, jandiSend, kakaoworkSend, telegramSend } from './messengers.js'

export { SendError } from './http-send.js'
export type { Pictures } from './compose.js'

const iso = (ms: number): string => new Date(ms).toISOString()

/** What a webhook receives: every change, for machines. */
export function webhookBody (body: AlertBody, channel: string, pics: Pictures = NO_PICTURES): Record<string, unknown> {
  return {
    source: 'fwmaint',
    channel,
    test: body.test === true,
    region: body.region,
    at: iso(body.at),
    sweep: body.sweep === null ? null : { id: body.sweep.id, started_at: iso(body.sweep.started_at), finished_at: iso(body.sweep.finished_at) },
    summary: title(body, 'en'),
    ...(body.started === undefined ? {} : { started: body.started }),
    changes: body.changes.map((c, i) => {
      const l = pics.links.get(i)
      return { kind: c.kind, cctv_id: c.cctv_id, name: c.name, server: c.server, status: c.status, since: iso(c.since), error: c.error, incident: c.incident ?? null,
        ...(l === undefined ? {} : { ...(l.frame === undefined ? {} : { frame_url: l.frame }), reference_urls: l.references }) }
    }),
    // Each incident a change is in, with every camera in it (not only those that changed now).
    incidents: (body.incidents ?? []).map(i => ({ ...i, ...(pics.acks?.has(i.id) === true ? { ack_url: pics.acks.get(i.id) } : {}) }))
  }
}

/** HMAC-SHA256 of the exact body bytes, as `sha256=<hex>` (X-Fwmaint-Signature). */
export function signature (secret: string, raw: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(raw, 'utf8').digest('hex')
}

/** Slack's three control characters as its documented entities. */
const escapeSlack = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** Slack's incoming-webhook message: `text` (notifications, fallback) and one mrkdwn section. */
export function slackBody (body: AlertBody, lang: 'ko' | 'en', channel: string, publicBase: string, pics: Pictures = NO_PICTURES): Record<string, unknown> {
  const head = title(body, lang, channel)
  const slack = (url: string, words: string): string => `<${url}|${words}>`
  // A camera's name is data: "<!channel>" in it must not notify a whole channel.
  const text = fitLines([...ackLines(pics, lang, slack), ...markedLines(body, lang, changesUrl(publicBase, body), pics, escapeSlack, slack)], 2900)
  // A section's text is at most 3,000 characters.
  return { text: head, blocks: [{ type: 'header', text: { type: 'plain_text', text: head.slice(0, 150) } }, { type: 'section', text: { type: 'mrkdwn', text } }] }
}

/** A Teams workflow / incoming webhook message: one Adaptive Card. */
export function teamsBody (body: AlertBody, lang: 'ko' | 'en', channel: string, publicBase: string, pics: Pictures = NO_PICTURES): Record<string, unknown> {
  return {
    type: 'message',
    attachments: [{
      contentType: 'application/vnd.microsoft.card.adaptive',
      contentUrl: null,
      content: {
        $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
        type: 'AdaptiveCard',
        version: '1.4',
        body: [
          { type: 'TextBlock', text: title(body, lang, channel), weight: 'Bolder', size: 'Medium', wrap: true },
          ...[...ackLines(pics, lang, (url, words) => `[${words}](${url})`), ...markedLines(body, lang, changesUrl(publicBase, body), pics, s => s, (url, words) => `[${words}](${url})`)]
            .map(text => ({ type: 'TextBlock', text, wrap: true, spacing: 'None' }))
        ]
      }
    }]
  }
}

async function post (channel: ChannelConfig & { url: string }, raw: string, headers: Record<string, string>): Promise<string> {
  return `HTTP ${(await httpSend(channel.name, channel.url, raw, headers, [])).status}`
}

interface Inline { filename: string, content: Buffer, cid: string, contentType: string }

export interface Email { subject: string, text: string, html?: string, attachments: Inline[] }

/**
 * An email: the text lines (with the frames' links when there are), and an HTML part that shows
 * each picture change's kept frame beside its reference view(s), inline (cid attachments).
 */
export function emailBody (body: AlertBody, lang: Lang, channel: string, publicBase: string, pics: Pictures = NO_PICTURES): Email {
  const subject = title(body, lang, channel)
  const consoleUrl = changesUrl(publicBase, body)
  const plain = (url: string, words: string): string => `${words}: ${url}`
  const acks = ackLines(pics, lang, plain)
  const text = [...acks, ...markedLines(body, lang, consoleUrl, pics, s => s, plain)].join('\n') + '\n'
  if (pics.frames.size === 0) return { subject, text, attachments: [] }
  const w = frameWords(lang)
  const attachments: Inline[] = []
  const img = (jpeg: Buffer, name: string, caption: string): string => {
    const cid = `${name}@fwmaint`
    attachments.push({ filename: `${name}.jpg`, content: jpeg, cid, contentType: 'image/jpeg' })
    return `<td style="padding:4px;vertical-align:top"><img src="cid:${cid}" width="320" alt="${escapeHtml(caption)}" style="display:block;max-width:100%"><div style="font-size:12px;color:#555">${escapeHtml(caption)}</div></td>`
  }
  // Each line with the frames of the changes it tells (an incident's line: each of its cameras').
  const html = entries(body, lang, consoleUrl).map(e => {
    const cells = e.changes.map(i => {
      const f = pics.frames.get(i)
      const cctv = body.changes[i]?.cctv_id ?? ''
      return f === undefined
        ? ''
        : [...(f.frame === undefined ? [] : [img(f.frame.jpeg, `c${cctv}-then`, w.frame)]), ...f.references.map((r, j) => img(r.jpeg, `c${cctv}-ref${j + 1}`, referenceWords(lang, j, f.references.length)))].join('')
    }).join('')
    return `<p style="margin:8px 0 2px">${escapeHtml(e.text)}</p>${cells === '' ? '' : `<table role="presentation"><tr>${cells}</tr></table>`}`
  }).join('\n')
  const ackHtml = ackLines(pics, lang, (url, words) => `<a href="${escapeHtml(url)}">${escapeHtml(words)}</a>`).map(l => `<p style="margin:8px 0 2px">${l}</p>`).join('\n')
  return { subject, text, html: `<!doctype html><html><body style="font-family:sans-serif">\n<h3>${escapeHtml(subject)}</h3>\n${ackHtml}${html}\n</body></html>`, attachments }
}

/** Sends one alert on one channel; resolves with what the receiver said, rejects with SendError. */
export async function send (channel: ChannelConfig, body: AlertBody, publicBase: string, pics: Pictures = NO_PICTURES): Promise<string> {
  switch (channel.type) {
    case 'webhook': {
      const raw = JSON.stringify(webhookBody(body, channel.name, pics))
      return await post(channel, raw, { 'x-fwmaint-signature': signature(channel.secret, raw) })
    }
    case 'slack': return await post(channel, JSON.stringify(slackBody(body, channel.lang, channel.name, publicBase, pics)), {})
    case 'teams': return await post(channel, JSON.stringify(teamsBody(body, channel.lang, channel.name, publicBase, pics)), {})
    case 'jandi': return await jandiSend(channel, body, publicBase, pics)
    case 'discord': return await discordSend(channel, body, publicBase, pics)
    case 'telegram': return await telegramSend(channel, body, publicBase, pics)
    case 'kakaowork': return await kakaoworkSend(channel, body, publicBase, pics)
    case 'email': {
      const transport = nodemailer.createTransport({
        host: channel.host,
        port: channel.port,
        secure: channel.secure,
        requireTLS: channel.starttls,
        auth: channel.user === undefined ? undefined : { user: channel.user, pass: channel.password ?? '' },
        connectionTimeout: SEND_TIMEOUT_MS,
        greetingTimeout: SEND_TIMEOUT_MS,
        socketTimeout: SEND_TIMEOUT_MS,
        tls: channel.caFile === undefined ? undefined : { ca: readFileSync(channel.caFile) }
      })
      try {
        const mail = emailBody(body, channel.lang, channel.name, publicBase, pics)
        const info = await transport.sendMail({ from: channel.from, to: channel.to, ...mail })
        return `SMTP ${String(info.response ?? 'accepted').slice(0, 120)}`
      } catch (err) {
        const msg = (err as Error).message
        throw new SendError(`${channel.name}: ${channel.password === undefined || channel.password === '' ? msg : msg.split(channel.password).join('***')}`)
      } finally {
        transport.close()
      }
    }
  }
}
