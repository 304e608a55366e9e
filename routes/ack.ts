import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import { ApiError } from '../lib/errors.js'
import { escapeHtml } from '../lib/html.js'
import { kstMinutes } from '../lib/clock.js'
import { checkAckLink } from '../lib/notify/ack-links.js'
import type { IncidentRow } from '../lib/store/incidents.js'

/** The page's own CSP: no script at all, a form that posts to this origin only. */
const CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

const CAUSE: Record<IncidentRow['cause'], (key: string | null) => string> = {
  region: () => '권역 전체 (region)',
  server: k => `분석 서버 ${k ?? ''} (server)`,
  district: k => `${k ?? ''} 지역 (district)`,
  camera: k => `카메라 ${k ?? ''} (camera)`
}

function page (title: string, body: string): string {
  return `<!doctype html><html lang="ko"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title>
<style>body{font-family:sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;line-height:1.5}input,button{font-size:1rem;padding:.4rem}label{display:block;margin:.8rem 0 .2rem}.en{color:#555;font-size:.9rem}</style>
</head><body><h1>${escapeHtml(title)}</h1>
${body}
</body></html>`
}

function summary (i: IncidentRow): string {
  return `<p>${escapeHtml(i.region)} — ${escapeHtml(CAUSE[i.cause](i.key))}<br>카메라 ${i.cameras}대, 지금 다운 ${i.down}대 · ${escapeHtml(kstMinutes(i.opened_at))} (KST)부터</p>`
}

/**
 * The acknowledge link of an alert (issue 25, lib/notify/ack-links.ts). GET shows a confirmation
 * page and changes nothing (a link preview or a mail scanner fetches links); the page's form
 * POSTs the signed link back with the person's name, which acknowledges the incident as
 * "<name> (알림 링크)", audited. Pages, not JSON: a person opens them from a phone.
 */
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)))
  })
  const store = fastify.history.incidents
  const Link = { exp: Type.String({ pattern: '^[0-9]{1,12}$' }), sig: Type.String({ minLength: 1, maxLength: 100 }) }
  const Params = Type.Object({ id: Type.String({ pattern: '^[0-9]{1,12}$' }) })

  async function send (reply: FastifyReply, status: number, title: string, body: string): Promise<FastifyReply> {
    return await reply.code(status).header('content-type', 'text/html; charset=utf-8').header('content-security-policy', CSP)
      .header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').send(page(title, body))
  }

  /** The incident the link names, when the link is as signed and in time; else undefined, the page that says why sent. */
  async function opened (reply: FastifyReply, id: string, exp: string, sig: string): Promise<IncidentRow | undefined> {
    const check = checkAckLink(fastify.ackLinkKey, Number(id), Number(exp), sig, fastify.clock())
    if (check === 'bad') return void await send(reply, 403, '링크가 올바르지 않습니다', '<p>바뀌었거나 잘린 링크입니다. 콘솔의 장애 화면에서 확인하세요.</p><p class="en">This link is not valid (changed or cut short): acknowledge in the console.</p>')
    if (check === 'expired') return void await send(reply, 410, '링크의 유효 기간이 지났습니다', '<p>콘솔의 장애 화면에서 확인하세요.</p><p class="en">This link has expired: acknowledge in the console.</p>')
    const [i] = await store.list({ ids: [Number(id)], limit: 1 })
    if (i === undefined) return void await send(reply, 404, '장애를 찾을 수 없습니다', '<p class="en">No such incident.</p>')
    return i
  }

  function stateWords (i: IncidentRow): string | null {
    if (i.state === 'resolved') return `<p>이미 해결된 장애입니다${i.resolved_by === null ? '' : ` (${escapeHtml(i.resolved_by)})`}.</p><p class="en">It is resolved.</p>`
    if (i.state === 'acknowledged') return `<p>${escapeHtml(i.acknowledged_by ?? '')} 님이 ${escapeHtml(kstMinutes(i.acknowledged_at))}에 이미 확인했습니다.</p><p class="en">Acknowledged already by ${escapeHtml(i.acknowledged_by ?? '')}.</p>`
    return null
  }

  fastify.get('/ack/:id', {
    schema: { hide: true, params: Params, querystring: Type.Object(Link) }
  }, async (request, reply) => {
    const i = await opened(reply, request.params.id, request.query.exp, request.query.sig)
    if (i === undefined) return reply
    const done = stateWords(i)
    if (done !== null) return await send(reply, 200, `장애 #${i.id}`, summary(i) + done)
    return await send(reply, 200, `장애 #${i.id} 확인`, `${summary(i)}
<form method="post" action="/ack/${i.id}">
<input type="hidden" name="exp" value="${escapeHtml(request.query.exp)}"><input type="hidden" name="sig" value="${escapeHtml(request.query.sig)}">
<label for="who">누가 맡나요? (이름) <span class="en">Your name</span></label>
<input id="who" name="who" required maxlength="64" autocomplete="name">
<p><button type="submit">제가 확인합니다 <span class="en">— I am on it</span></button></p>
</form>
<p class="en">Opening this page changes nothing; the button acknowledges the incident: repeats of its cameras stop, and the region's channels hear who.</p>`)
  })

  fastify.post('/ack/:id', {
    schema: { hide: true, params: Params, body: Type.Object({ ...Link, who: Type.Optional(Type.String({ maxLength: 200 })) }) }
  }, async (request, reply) => {
    const started = Date.now()
    const i = await opened(reply, request.params.id, request.body.exp, request.body.sig)
    const audit = (who: string | undefined, region: string | undefined): void => {
      fastify.audit.write({ event: 'api', user: who === undefined ? undefined : `${who} (ack link)`, client: request.ip, region, route: '/ack/:id', target: { id: request.params.id },
        outcome: reply.statusCode < 400 ? 'ok' : reply.statusCode === 403 || reply.statusCode === 410 ? 'denied' : 'error', status: reply.statusCode, ms: Date.now() - started })
    }
    if (i === undefined) { audit(undefined, undefined); return reply }
    const who = (request.body.who ?? '').trim()
    if (who === '' || who.length > 64) {
      await send(reply, 400, '이름을 적어 주세요', `${summary(i)}<p>누가 맡는지 이름(64자까지)을 적고 다시 누르세요.</p><p class="en">Give your name (up to 64 characters) and press again.</p>`)
      audit(undefined, i.region)
      return reply
    }
    const region = fastify.config.regions.get(i.region)
    try {
      await store.acknowledge(i.id, `${who} (알림 링크)`, fastify.clock(), null, region === undefined ? [] : fastify.channelsOf(region).map(c => c.name))
    } catch (err) {
      if (!(err instanceof ApiError) || err.statusCode !== 409) throw err
      const [now] = await store.list({ ids: [i.id], limit: 1 })
      await send(reply, 409, `장애 #${i.id}`, summary(now) + (stateWords(now) ?? ''))
      audit(who, i.region)
      return reply
    }
    fastify.outbox.kick()
    await send(reply, 200, `장애 #${i.id}: 확인했습니다`, `${summary(i)}<p>${escapeHtml(who)} 님이 맡았습니다. 이 장애의 카메라 반복 알림은 멈추고, 지역 채널에 알렸습니다.</p><p class="en">Acknowledged: repeats stop and the region's channels were told.</p>`)
    audit(who, i.region)
    return reply
  })
}

export default routes

