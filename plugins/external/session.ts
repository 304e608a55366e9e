import fp from 'fastify-plugin'
import fastifyCookie from '@fastify/cookie'
import fastifySession from '@fastify/session'
import { ExpiringSessionStore, SESSION_COOKIE } from '../../lib/http/session-store.js'

declare module 'fastify' {
  interface Session {
    /** Key of this browser session's SiteSession in the registry; never sent to the client. */
    siteId?: string
  }
  interface FastifyInstance {
    sessionStore: ExpiringSessionStore
  }
}

export default fp(async (fastify) => {
  const { env, sessionSecret } = fastify.config
  const ttlMs = env.SESSION_TTL_SECONDS * 1000
  // The SSH side listens for dropped sessions (plugins/app/ssh-session.ts) to close their connections.
  const store = new ExpiringSessionStore(ttlMs)
  fastify.decorate('sessionStore', store)
  fastify.addHook('onClose', async () => { store.close() })

  await fastify.register(fastifyCookie)
  await fastify.register(fastifySession, {
    secret: sessionSecret,
    cookieName: SESSION_COOKIE,
    saveUninitialized: false,
    // The session lives SESSION_TTL_SECONDS from login, like the SSH connection it owns; not
    // re-saved and re-sent on every response (every HLS segment would carry a Set-Cookie).
    rolling: false,
    store,
    cookie: {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: env.COOKIE_SECURE,
      maxAge: ttlMs
    }
  })
}, { name: 'session' })
