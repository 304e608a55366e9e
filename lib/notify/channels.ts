import { createHmac } from 'node:crypto'
import { readFileSync } from 'node:fs'
import nodemailer from 'nodemailer'
import type { ChannelConfig } from '../config/channels.js'
import type { AlertBody } from '../store/history.js'
import { changesUrl, lines, title } from './messages.js'

const SEND_TIMEOUT_MS = 10_000

/** A failed send: its message names the channel and says why, never its URL, token or password. */
export class SendError extends Error {}

const iso = (ms: number): string => new Date(ms).toISOString()

/** What a webhook receives: every change, for machines. */
export function webhookBody (body: AlertBody, channel: string): Record<string, unknown> {
  return {
    source: 'fwmaint',
    channel,
    test: body.test === true,
    region: body.region,
    at: iso(body.at),
    sweep: body.sweep === null ? null : { id: body.sweep.id, started_at: iso(body.sweep.started_at), finished_at: iso(body.sweep.finished_at) },
    summary: title(body, 'en'),
    ...(body.started === undefined ? {} : { started: body.started }),
    changes: body.changes.map(c => ({ kind: c.kind, cctv_id: c.cctv_id, name: c.name, server: c.server, status: c.status, since: iso(c.since), error: c.error }))
  }
}

/** HMAC-SHA256 of the exact body bytes, as `sha256=<hex>` (X-Fwmaint-Signature). */
export function signature (secret: string, raw: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(raw, 'utf8').digest('hex')
}

/** Slack's incoming-webhook message: `text` (notifications, fallback) and one mrkdwn section. */
export function slackBody (body: AlertBody, lang: 'ko' | 'en', channel: string, publicBase: string): Record<string, unknown> {
  const head = title(body, lang, channel)
  const text = lines(body, lang, changesUrl(publicBase, body)).join('\n')
  // A section's text is at most 3,000 characters.
  return { text: head, blocks: [{ type: 'header', text: { type: 'plain_text', text: head.slice(0, 150) } }, { type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 2900) } }] }
}

/** A Teams workflow / incoming webhook message: one Adaptive Card. */
export function teamsBody (body: AlertBody, lang: 'ko' | 'en', channel: string, publicBase: string): Record<string, unknown> {
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
          ...lines(body, lang, changesUrl(publicBase, body)).map(text => ({ type: 'TextBlock', text, wrap: true, spacing: 'None' }))
        ]
      }
    }]
  }
}

async function post (channel: ChannelConfig & { url: string }, raw: string, headers: Record<string, string>): Promise<string> {
  let res: Response
  try {
    res = await fetch(channel.url, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'fwmaint', ...headers }, body: raw, signal: AbortSignal.timeout(SEND_TIMEOUT_MS), redirect: 'error' })
  } catch (err) {
    const e = err as Error & { cause?: { code?: string, message?: string } }
    const why = e.name === 'TimeoutError' ? `no answer within ${SEND_TIMEOUT_MS / 1000} s` : e.cause?.code ?? e.cause?.message ?? e.message
    // The URL is a secret for Slack and Teams: the error names the channel only.
    throw new SendError(`${channel.name}: ${why.split(channel.url).join('<url>')}`)
  }
  const text = (await res.text().catch(() => '')).slice(0, 200).replace(/\s+/g, ' ')
  if (res.status < 200 || res.status >= 300) throw new SendError(`${channel.name}: HTTP ${res.status}${text === '' ? '' : ` ${text}`}`)
  return `HTTP ${res.status}`
}

/** Sends one alert on one channel; resolves with what the receiver said, rejects with SendError. */
export async function send (channel: ChannelConfig, body: AlertBody, publicBase: string): Promise<string> {
  switch (channel.type) {
    case 'webhook': {
      const raw = JSON.stringify(webhookBody(body, channel.name))
      return await post(channel, raw, { 'x-fwmaint-signature': signature(channel.secret, raw) })
    }
    case 'slack': return await post(channel, JSON.stringify(slackBody(body, channel.lang, channel.name, publicBase)), {})
    case 'teams': return await post(channel, JSON.stringify(teamsBody(body, channel.lang, channel.name, publicBase)), {})
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
        const info = await transport.sendMail({
          from: channel.from,
          to: channel.to,
          subject: title(body, channel.lang, channel.name),
          text: lines(body, channel.lang, changesUrl(publicBase, body)).join('\n') + '\n'
        })
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
