/*
 * One HTTP request to a channel's receiver. The URL of a webhook (Slack, Teams, Jandi, Discord)
 * and a bot's token are secrets: an error names the channel and says why, never them.
 */

export const SEND_TIMEOUT_MS = 10_000

/** A failed send: its message names the channel and says why, never its URL, token or password. */
export class SendError extends Error {
  /** The receiver asked to wait this long before the next try (HTTP 429's Retry-After, Telegram's and Discord's retry_after). */
  readonly retryAfterMs?: number
  constructor (message: string, retryAfterMs?: number) {
    super(message)
    if (retryAfterMs !== undefined) this.retryAfterMs = retryAfterMs
  }
}

export interface Answer { status: number, text: string, json: unknown }

/** Hides each secret (and its percent-encoded form) in a text. */
export function hide (text: string, secrets: readonly string[]): string {
  let out = text
  for (const s of secrets) if (s.length >= 3) out = out.split(s).join('<secret>').split(encodeURIComponent(s)).join('<secret>')
  return out
}

/** Seconds to wait that a receiver named: the Retry-After header, or a JSON body's retry_after (Discord) / parameters.retry_after (Telegram). */
function retryAfter (res: Response, json: unknown): number | undefined {
  const j = json as { retry_after?: unknown, parameters?: { retry_after?: unknown } } | undefined
  const s = [res.headers.get('retry-after'), j?.retry_after, j?.parameters?.retry_after].map(Number).find(n => Number.isFinite(n) && n >= 0)
  return s === undefined ? undefined : Math.ceil(s * 1000)
}

/** POSTs a body; resolves with a 2xx answer, rejects with SendError (the receiver's status and first 200 characters). */
export async function httpSend (channel: string, url: string, body: string | FormData, headers: Record<string, string>, secrets: readonly string[]): Promise<Answer> {
  let res: Response
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { ...(typeof body === 'string' ? { 'content-type': 'application/json; charset=utf-8' } : {}), 'user-agent': 'fwmaint', ...headers },
      body,
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      redirect: 'error'
    })
  } catch (err) {
    const e = err as Error & { cause?: { code?: string, message?: string } }
    const why = e.name === 'TimeoutError' ? `no answer within ${SEND_TIMEOUT_MS / 1000} s` : e.cause?.code ?? e.cause?.message ?? e.message
    throw new SendError(`${channel}: ${hide(why, [url, ...secrets])}`)
  }
  const text = await res.text().catch(() => '')
  let json: unknown
  try { json = JSON.parse(text) } catch { json = undefined }
  const shown = hide(text, [url, ...secrets]).slice(0, 200).replace(/\s+/g, ' ')
  if (res.status < 200 || res.status >= 300) throw new SendError(`${channel}: HTTP ${res.status}${shown === '' ? '' : ` ${shown}`}`, retryAfter(res, json))
  return { status: res.status, text: shown, json }
}
