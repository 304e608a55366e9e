import fp from 'fastify-plugin'
import type { FastifyRequest } from 'fastify'
import { SiteSession, SiteSessionRegistry } from '../../lib/site/session.js'
import { AuthRequiredError, NotConnectedError, RoleRequiredError } from '../../lib/errors.js'
import { allows, type Role } from '../../lib/roles.js'
import { KnownHosts } from '../../lib/ssh/known-hosts.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Every browser session's SSH side. */
    sites: SiteSessionRegistry
    /** Host identities seen (trust on first use), on disk. */
    knownHosts: KnownHosts
  }
  interface FastifyRequest {
    /** This browser session's live site session, or undefined. */
    site: () => SiteSession | undefined
    /**
     * Same, but answers 400 "not connected" when there is none. Accounts mode: only a person with
     * `role` (default operator) in the session's region (401 / 403 ROLE_REQUIRED otherwise).
     */
    requireSite: (role?: Role) => SiteSession
    /** Aborted when the client goes away before its answer is sent (stops remote work). */
    abortSignal: () => AbortSignal
  }
}

export default fp(async (fastify) => {
  const { env } = fastify.config
  const knownHosts = new KnownHosts(env.KNOWN_HOSTS_FILE)
  fastify.decorate('knownHosts', knownHosts)
  const sites = new SiteSessionRegistry({
    ttlMs: env.SSH_TTL_SECONDS * 1000,
    log: fastify.log,
    ssh: {
      readyTimeoutMs: env.SSH_READY_TIMEOUT_MS,
      keepaliveIntervalMs: env.SSH_KEEPALIVE_INTERVAL_MS,
      keepaliveCountMax: env.SSH_KEEPALIVE_COUNT_MAX,
      maxChannels: env.SSH_MAX_CHANNELS
    },
    knownHosts,
    audit: rec => { fastify.audit.write(rec) }
  })
  fastify.decorate('sites', sites)

  fastify.decorateRequest('site', function (this: FastifyRequest) {
    return sites.get(this.session.siteId)
  })
  fastify.decorateRequest('requireSite', function (this: FastifyRequest, role: Role = 'operator') {
    const s = sites.get(this.session.siteId)
    if (fastify.accounts) {
      const person = this.person
      if (person === undefined) throw new AuthRequiredError()
      // A viewer asking for an SSH operation is told it is their role, not that they forgot to connect.
      if (s === undefined && ![...person.roles.values()].some(r => allows(r, role))) throw new RoleRequiredError(undefined, role, undefined)
      if (s !== undefined) this.requireRole(s.region.name, role)
    }
    if (s === undefined) throw new NotConnectedError()
    return s
  })

  // A client that goes away mid-request (socket closed before the answer) aborts the
  // remote work it started; detached once the answer is sent.
  const detach = new WeakMap<FastifyRequest, () => void>()
  fastify.decorateRequest('abortSignal', function (this: FastifyRequest) {
    const ac = new AbortController()
    const sock = this.raw.socket as { once?: unknown, off?: unknown } | null
    if (sock !== null && typeof sock.once === 'function' && typeof sock.off === 'function') {
      const s = this.raw.socket
      const onClose = (): void => { ac.abort() }
      s.once('close', onClose)
      detach.set(this, () => { s.off('close', onClose) })
    }
    return ac.signal
  })
  fastify.addHook('onResponse', async (request) => { detach.get(request)?.() })

  // A browser session that expires or is destroyed takes its SSH connection with it.
  fastify.sessionStore.on('drop', (session: { siteId?: string }) => {
    if (session.siteId !== undefined) void sites.close(session.siteId, 'browser session ended')
  })

  fastify.addHook('onClose', async () => { await sites.closeAll('gateway shutting down') })
}, { name: 'ssh-session', dependencies: ['session', 'audit'] })
