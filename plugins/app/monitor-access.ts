import fp from 'fastify-plugin'
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { AuthRequiredError, BadMonitorTokenError, MonitorAuthRequiredError, OtherRegionError, RegionNotFoundError, RoleRequiredError, TokenReadOnlyError, TokenScopeError } from '../../lib/errors.js'
import { Fleet, type Viewer } from '../../lib/ops/fleet.js'
import { TOKEN_PREFIX, TokenStore } from '../../lib/store/tokens.js'

/** Who a bearer token is: MONITOR_TOKEN (every region, as ever) or an integration token (its regions, read only). */
type Bearer = { kind: 'monitor' } | { kind: 'scoped', name: string, regions: string[] }

declare module 'fastify' {
  interface FastifyInstance {
    /** The monitor's answers, read from the history store. */
    fleet: Fleet
    /** Read-only integration tokens scoped to regions (`npm run users -- token …`). */
    tokens: TokenStore
  }
  interface FastifyRequest {
    /** Who may read the monitor: the token (every region) or a logged-in session (its region); 401 otherwise. */
    monitorViewer: () => Viewer
    /** Same, for one region's cameras: 404 for an unknown region, 403 for another region than the session's. */
    requireRegionView: (region: string) => Viewer
    /** A token (for /metrics): every region ('*', MONITOR_TOKEN or a token of all regions) or the regions a token reads; 401 without one. */
    requireMetricsReader: () => '*' | string[]
    /** A read-only integration token changes nothing: 403 TOKEN_READ_ONLY. */
    refuseReadOnlyToken: () => void
  }
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest()

/**
 * Access to the monitor: `Authorization: Bearer <MONITOR_TOKEN>` sees every region, an integration
 * token (`fwt_…`) the regions it was made for, read only; a
 * browser session logged in to a region sees that region's cameras and the other regions'
 * counts; nothing else sees anything. A wrong token is refused even with a session.
 */
export default fp(async (fastify) => {
  const { env, regions } = fastify.config
  // Compared as digests, in constant time: the token's length leaks nothing either.
  const token = env.MONITOR_TOKEN === '' ? undefined : digest(env.MONITOR_TOKEN)
  fastify.decorate('fleet', new Fleet(fastify.history, regions, fastify.clock))

  const tokens = new TokenStore(fastify.history.database)
  fastify.decorate('tokens', tokens)

  // An integration token is looked up once per request (the database is asynchronous, the checks
  // below are not); what it is, or why it is refused, waits for a route that asks.
  const seen = new WeakMap<FastifyRequest, Bearer | Error>()
  fastify.addHook('onRequest', async (request) => {
    const header = request.headers.authorization
    if (header === undefined) return
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header)
    if (m === null) { seen.set(request, new BadMonitorTokenError('Authorization must be "Bearer <MONITOR_TOKEN>"')); return }
    if (m[1].startsWith(TOKEN_PREFIX)) {
      const found = await tokens.find(m[1])
      seen.set(request, found === undefined ? new BadMonitorTokenError() : { kind: 'scoped', ...found })
      return
    }
    if (token === undefined) { seen.set(request, new BadMonitorTokenError('this gateway has no MONITOR_TOKEN: token access is off')); return }
    seen.set(request, timingSafeEqual(digest(m[1]), token) ? { kind: 'monitor' } : new BadMonitorTokenError())
  })

  function bearer (request: FastifyRequest): Bearer | undefined {
    const b = seen.get(request)
    if (b instanceof Error) throw b
    return b
  }

  fastify.decorateRequest('refuseReadOnlyToken', function (this: FastifyRequest): void {
    if (bearer(this)?.kind === 'scoped') throw new TokenReadOnlyError()
  })

  fastify.decorateRequest('monitorViewer', function (this: FastifyRequest): Viewer {
    const b = bearer(this)
    if (b?.kind === 'monitor') return { all: true }
    if (b?.kind === 'scoped') return b.regions.includes('*') ? { all: true } : { all: false, regions: b.regions }
    if (fastify.accounts) {
      // A person sees the regions they have a role in ('*': all of them).
      const person = this.person
      if (person === undefined) throw new AuthRequiredError()
      if (person.roles.has('*')) return { all: true }
      return { all: false, regions: [...person.roles.keys()] }
    }
    const site = this.site()
    if (site === undefined) throw new MonitorAuthRequiredError()
    return { all: false, regions: [site.region.name] }
  })
  fastify.decorateRequest('requireRegionView', function (this: FastifyRequest, region: string): Viewer {
    const viewer = this.monitorViewer()
    if (!regions.has(region)) throw new RegionNotFoundError()
    if (!viewer.all && !viewer.regions.includes(region)) {
      if (bearer(this)?.kind === 'scoped') throw new TokenScopeError(region)
      if (fastify.accounts) throw new RoleRequiredError(region, 'viewer', undefined)
      throw new OtherRegionError(viewer.regions[0])
    }
    return viewer
  })
  fastify.decorateRequest('requireMetricsReader', function (this: FastifyRequest): '*' | string[] {
    const b = bearer(this)
    if (b?.kind === 'monitor') return '*'
    if (b?.kind === 'scoped') return b.regions.includes('*') ? '*' : b.regions
    throw new BadMonitorTokenError(token === undefined ? 'this gateway has no MONITOR_TOKEN: /metrics is off' : 'send Authorization: Bearer <MONITOR_TOKEN>')
  })
}, { name: 'monitor-access', dependencies: ['history', 'ssh-session', 'people'] })
