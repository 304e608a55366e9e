import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import { ApiError } from '../lib/errors.js'
import { escapeHtml, sendPage } from '../lib/html.js'
import { addFormParser } from '../lib/http/form-body.js'
import { rolesOfGroups, SsoError } from '../lib/oidc.js'
import { UserError } from '../lib/store/users.js'

/** Where to go after signing in: a path on this gateway only (never another site, never `//host`). */
export function safeNext (next: string | undefined): string {
  if (next === undefined || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\') || /[\r\n]/.test(next)) return '/'
  return next.length > 2000 ? '/' : next
}

/**
 * The gateway's own sign-in page (AUTH_MODE=accounts, issue 26): a page load without a person is
 * sent here (plugins/app/people.ts), and back where it was going once signed in — the console
 * or the client in STATIC_DIR, whose API calls then carry the same-origin session cookie. A plain
 * form, no script: it works wherever a browser does, and nothing on it can be injected.
 */
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  if (!fastify.accounts) return
  addFormParser(fastify)

  const sso = fastify.sso
  const TITLE = 'FireWatcher 유지보수 로그인'

  function form (next: string, username: string, problem?: string): string {
    const ssoLink = sso === undefined ? '' : `<p><a href="/signin/oidc?next=${encodeURIComponent(next)}" data-test="sso">통합 로그인 (SSO) <span class="en">(single sign-on)</span></a></p>`
    return `${problem === undefined ? '' : `<p role="alert" style="color:#a00">${escapeHtml(problem)}</p>`}${ssoLink}
<form method="post" action="/signin">
<input type="hidden" name="next" value="${escapeHtml(next)}">
<label for="username">사용자 이름 <span class="en">(user name)</span></label>
<input id="username" name="username" autocomplete="username" required maxlength="64" value="${escapeHtml(username)}" autofocus>
<label for="password">비밀번호 <span class="en">(password)</span></label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024">
<p><button type="submit">로그인 <span class="en">(sign in)</span></button></p>
</form>`
  }

  const Next = Type.Optional(Type.String({ maxLength: 2000 }))

  fastify.get('/signin', {
    schema: { hide: true, querystring: Type.Object({ next: Next }) }
  }, async (request, reply) => {
    const next = safeNext(request.query.next)
    if (request.person !== undefined) return await reply.redirect(next, 303)
    return await sendPage(reply, 200, TITLE, form(next, ''))
  })

  fastify.post('/signin', {
    schema: {
      hide: true,
      body: Type.Object({ username: Type.String({ maxLength: 64 }), password: Type.String({ maxLength: 1024 }), next: Next })
    },
    // A bad form is shown as the page, not as the API's JSON.
    attachValidation: true
  }, async (request, reply): Promise<FastifyReply> => {
    const body = (request.body ?? {}) as { username?: unknown, password?: unknown, next?: unknown }
    const username = typeof body.username === 'string' ? body.username.slice(0, 64) : ''
    const next = safeNext(typeof body.next === 'string' ? body.next : undefined)
    if (request.validationError !== undefined || username === '' || typeof body.password !== 'string' || body.password === '') {
      return await sendPage(reply, 400, 'FireWatcher 유지보수 로그인', form(next, username, '사용자 이름과 비밀번호를 입력하세요. (Give a user name and a password.)'))
    }
    try {
      await fastify.signIn(request, username, body.password)
    } catch (err) {
      if (!(err instanceof ApiError)) throw err
      const words = err.statusCode === 429
        ? `로그인 실패가 너무 많습니다. 잠시 후에 다시 시도하세요. (${err.message})`
        : '사용자 이름 또는 비밀번호가 올바르지 않습니다. (Wrong user name or password.)'
      return await sendPage(reply, err.statusCode, 'FireWatcher 유지보수 로그인', form(next, username, words))
    }
    return await reply.redirect(next, 303)
  })

  if (sso === undefined) return

  // Single sign-on: to the identity provider with PKCE, state and nonce kept in this session; back
  // at the callback, checked and exchanged by openid-client; the person's roles from their groups.
  fastify.get('/signin/oidc', { schema: { hide: true, querystring: Type.Object({ next: Next }) } }, async (request, reply) => {
    const next = safeNext(request.query.next)
    try {
      const { url, pending } = await sso.start(`${request.publicOrigin()}/signin/oidc/callback`, next)
      request.session.sso = pending
      return await reply.redirect(url, 303)
    } catch (err) {
      if (!(err instanceof SsoError)) throw err
      request.log.warn({ err: { message: err.message } }, 'single sign-on unavailable')
      return await sendPage(reply, 502, TITLE, form(next, '', `통합 로그인을 지금 쓸 수 없습니다. (${err.message})`))
    }
  })

  fastify.get('/signin/oidc/callback', { schema: { hide: true } }, async (request, reply) => {
    const pending = request.session.sso
    request.session.sso = undefined
    if (pending === undefined) return await sendPage(reply, 400, TITLE, form('/', '', '로그인을 처음부터 다시 하세요. (The sign-in was not started here, or took too long: start again.)'))
    let who
    try {
      who = await sso.finish(new URL(request.url, request.publicOrigin()), pending)
    } catch (err) {
      if (!(err instanceof SsoError)) throw err
      request.log.info({ err: { message: err.message } }, 'single sign-on refused')
      return await sendPage(reply, 401, TITLE, form(pending.next, '', `통합 로그인이 완료되지 않았습니다. (${err.message})`))
    }
    const roles = rolesOfGroups(who.groups, fastify.config.groups ?? new Map())
    const refuse = async (why: string): Promise<FastifyReply> => {
      request.log.info({ subject: who.subject, username: who.username, groups: who.groups, why }, 'single sign-on refused')
      return await sendPage(reply, 403, TITLE, form(pending.next, '', why))
    }
    if (roles.size === 0) return await refuse(`${who.username}: 그룹(${who.groups.join(', ') || '없음'})에 이 게이트웨이의 권한이 없습니다. (Your groups give no role here.)`)
    let user
    try {
      user = await fastify.users.signInSso({ subject: who.subject, username: who.username, displayName: who.displayName, roles }, fastify.clock())
    } catch (err) {
      if (!(err instanceof UserError)) throw err
      return await refuse(err.message)
    }
    if (user === undefined) return await refuse(`${who.username}: 사용이 중지된 계정입니다. (The account is disabled.)`)
    await fastify.startSession(request, user)
    fastify.audit.write({ event: 'api', person: user.username, client: request.ip, route: '/signin/oidc/callback', target: { groups: who.groups.join(',').slice(0, 300) }, outcome: 'ok', status: 303 })
    return await reply.redirect(pending.next, 303)
  })
}

export default routes
