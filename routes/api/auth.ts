import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { User } from '../../lib/store/users.js'
import { SESSION_COOKIE } from '../../lib/http/session-store.js'
import { MessageReply, RoleMap, errors } from './schemas.js'

export const Me = Type.Union([
  Type.Object({
    mode: Type.Literal('accounts'),
    username: Type.String(),
    display_name: Type.Union([Type.String(), Type.Null()]),
    roles: RoleMap
  }),
  Type.Object({ mode: Type.Literal('site') }, { description: 'AUTH_MODE=site: the region\'s SSH login is the identity (POST /api/ssh_connect)' })
])

export const meView = (u: User): { mode: 'accounts', username: string, display_name: string | null, roles: Record<string, string> } =>
  ({ mode: 'accounts', username: u.username, display_name: u.display_name, roles: Object.fromEntries(u.roles) })

/**
 * Signing in as a person (AUTH_MODE=accounts, issue 26). /api/auth/me answers in both modes so a
 * client can tell which it talks to; sign-in and sign-out exist in accounts mode only.
 */
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/auth/me', {
    schema: { summary: 'Who is signed in: the person and their roles per region (accounts mode), or { mode: "site" }', response: { 200: Me, ...errors(401) } }
  }, async (request) => {
    if (!fastify.accounts) return { mode: 'site' as const }
    return meView(request.person!) as never
  })

  if (!fastify.accounts) return

  fastify.post('/auth/login', {
    schema: {
      summary: 'Sign in as a person: a new session (id rotated), its cookie set',
      body: Type.Object({
        username: Type.String({ minLength: 1, maxLength: 64 }),
        password: Type.String({ minLength: 1, maxLength: 1024 })
      }, { additionalProperties: false }),
      response: { 200: Me, ...errors(400, 401, 403, 429) }
    }
  }, async (request) => meView(await fastify.signIn(request, request.body.username, request.body.password)) as never)

  fastify.post('/auth/logout', {
    schema: { summary: 'Sign out: the session ends, its SSH connection with it', response: { 200: MessageReply, ...errors(401, 403) } }
  }, async (request, reply) => {
    await request.session.destroy()
    void reply.clearCookie(SESSION_COOKIE, { path: '/' })
    return { message: 'signed out' }
  })
}

export default routes
