import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { ApiError } from '../lib/errors.js'
import { escapeHtml, sendPage } from '../lib/html.js'
import { addFormParser } from '../lib/http/form-body.js'
import { kstMinutes } from '../lib/clock.js'
import { checkAckLink } from '../lib/notify/ack-links.js'
import type { IncidentRow } from '../lib/store/incidents.js'


const CAUSE: Record<IncidentRow['cause'], (key: string | null) => string> = {
  region: () => '권역 전체 (region)',
  server: k => `분석 서버 ${k ?? ''} (server)`,
  district: k => `${k ?? ''} 지역 (district)`,
  camera: k => `카메라 ${k ?? ''} (camera)`
}

function summary (i: IncidentRow): string {
  return `<p>${escapeHtml(i.region)} — ${escapeHtml(CAUSE[i.cause](i.key))}<br>카메라 ${i.cameras}대, 지금 다운 ${i.down}대 · ${escapeHtml(kstMinutes(i.opened_at))} (KST)부터</p>`
}

/**
 * The acknowledge link of an alert (issue 25, lib/notify/ack-links.ts). GET shows a confirmation
 * page and changes nothing (a link preview or a mail scanner fetches links); the page's form
 * POSTs the signed link back with the person's name, which acknowledges the incident as
 * "<name> (알림 링크)", audited. In accounts mode the name is the signed-in person's (an operator of
 * the region; the page sends anyone else to sign in first). Pages, not JSON: a person opens them from a phone.
 */
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  addFormParser(fastify)
  const store = fastify.history.incidents
  const Link = { exp: Type.String({ pattern: '^[0-9]{1,12}$' }), sig: Type.String({ minLength: 1, maxLength: 100 }) }
  const Params = Type.Object({ id: Type.String({ pattern: '^[0-9]{1,12}$' }) })

  /** The incident the link names, when the link is as signed and in time; else undefined, the page that says why sent. */
  async function opened (reply: FastifyReply, id: string, exp: string, sig: string): Promise<IncidentRow | undefined> {
    const check = checkAckLink(fastify.ackLinkKey, Number(id), Number(exp), sig, fastify.clock())
    if (check === 'bad') return void await sendPage(reply, 403, '링크가 올바르지 않습니다', '<p>바뀌었거나 잘린 링크입니다. 콘솔의 장애 화면에서 확인하세요.</p><p class="en">This link is not valid (changed or cut short): acknowledge in the console.</p>')
    if (check === 'expired') return void await sendPage(reply, 410, '링크의 유효 기간이 지났습니다', '<p>콘솔의 장애 화면에서 확인하세요.</p><p class="en">This link has expired: acknowledge in the console.</p>')
    const [i] = await store.list({ ids: [Number(id)], limit: 1 })
    if (i === undefined) return void await sendPage(reply, 404, '장애를 찾을 수 없습니다', '<p class="en">No such incident.</p>')
    return i
  }

  /** Accounts mode: why this browser may not acknowledge (not signed in, or not an operator of the region); undefined when it may. */
  function personRefusal (request: FastifyRequest, region: string): string | undefined {
    if (request.person === undefined) {
      const here = `/signin?next=${encodeURIComponent(request.url)}`
      return `<p><a href="${escapeHtml(here)}">로그인하고 확인하세요.</a></p><p class="en">Sign in to acknowledge: the page comes back.</p>`
    }
    try {
      request.requireRole(region, 'operator')
      return undefined
    } catch {
      return `<p>${escapeHtml(request.person.username)} 님은 이 지역의 장애를 확인할 권한(운영)이 없습니다.</p><p class="en">Acknowledging needs the operator role in ${escapeHtml(region)}.</p>`
    }
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
    if (done !== null) return await sendPage(reply, 200, `장애 #${i.id}`, summary(i) + done)
    // Accounts mode: the person signed in is who acknowledges (an operator of the region), not a typed name.
    let whoField = `<label for="who">누가 맡나요? (이름) <span class="en">Your name</span></label>
<input id="who" name="who" required maxlength="64" autocomplete="name">`
    if (fastify.accounts) {
      const refusal = personRefusal(request, i.region)
      if (refusal !== undefined) return await sendPage(reply, 200, `장애 #${i.id} 확인`, summary(i) + refusal)
      whoField = `<p>${escapeHtml(request.person!.username)} 님으로 확인합니다. <span class="en">(as ${escapeHtml(request.person!.username)})</span></p>`
    }
    return await sendPage(reply, 200, `장애 #${i.id} 확인`, `${summary(i)}
<form method="post" action="/ack/${i.id}">
<input type="hidden" name="exp" value="${escapeHtml(request.query.exp)}"><input type="hidden" name="sig" value="${escapeHtml(request.query.sig)}">
${whoField}
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
      fastify.audit.write({ event: 'api', person: request.person?.username, user: who === undefined || fastify.accounts ? undefined : `${who} (ack link)`, client: request.ip, region, route: '/ack/:id', target: { id: request.params.id },
        outcome: reply.statusCode < 400 ? 'ok' : reply.statusCode === 403 || reply.statusCode === 410 ? 'denied' : 'error', status: reply.statusCode, ms: Date.now() - started })
    }
    if (i === undefined) { audit(undefined, undefined); return reply }
    if (fastify.accounts) {
      const refusal = personRefusal(request, i.region)
      if (refusal !== undefined) {
        await sendPage(reply, request.person === undefined ? 401 : 403, `장애 #${i.id} 확인`, summary(i) + refusal)
        audit(undefined, i.region)
        return reply
      }
    }
    const who = fastify.accounts ? request.person!.username : (request.body.who ?? '').trim()
    if (who === '' || who.length > 64) {
      await sendPage(reply, 400, '이름을 적어 주세요', `${summary(i)}<p>누가 맡는지 이름(64자까지)을 적고 다시 누르세요.</p><p class="en">Give your name (up to 64 characters) and press again.</p>`)
      audit(undefined, i.region)
      return reply
    }
    const region = fastify.config.regions.get(i.region)
    try {
      await store.acknowledge(i.id, fastify.accounts ? who : `${who} (알림 링크)`, fastify.clock(), null, region === undefined ? [] : fastify.channelsOf(region).map(c => c.name))
    } catch (err) {
      if (!(err instanceof ApiError) || err.statusCode !== 409) throw err
      const [now] = await store.list({ ids: [i.id], limit: 1 })
      await sendPage(reply, 409, `장애 #${i.id}`, summary(now) + (stateWords(now) ?? ''))
      audit(who, i.region)
      return reply
    }
    fastify.outbox.kick()
    await sendPage(reply, 200, `장애 #${i.id}: 확인했습니다`, `${summary(i)}<p>${escapeHtml(who)} 님이 맡았습니다. 이 장애의 카메라 반복 알림은 멈추고, 지역 채널에 알렸습니다.</p><p class="en">Acknowledged: repeats stop and the region's channels were told.</p>`)
    audit(who, i.region)
    return reply
  })
}

export default routes

