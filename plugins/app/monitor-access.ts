import fp from 'fastify-plugin'
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { AuthRequiredError, BadMonitorTokenError, MonitorAuthRequiredError, OtherRegionError, RegionNotFoundError, RoleRequiredError } from '../../lib/errors.js'
import { Fleet, type Viewer } from '../../lib/ops/fleet.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The monitor's answers, read from the history store. */
    fleet: Fleet
  }
  interface FastifyRequest {
    /** Who may read the monitor: the token (every region) or a logged-in session (its region); 401 otherwise. */
    monitorViewer: () => Viewer
    /** Same, for one region's cameras: 404 for an unknown region, 403 for another region than the session's. */
    requireRegionView: (region: string) => Viewer
    /** The monitor token alone (for /metrics): 401 without it. */
    requireMonitorToken: () => void
  }
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest()

/**
 * Access to the monitor: `Authorization: Bearer <MONITOR_TOKEN>` sees every region; a
 * browser session logged in to a region sees that region's cameras and the other regions'
 * counts; nothing else sees anything. A wrong token is refused even with a session.
 */
export default fp(async (fastify) => {
  const { env, regions } = fastify.config
  // Compared as digests, in constant time: the token's length leaks nothing either.
  const token = env.MONITOR_TOKEN === '' ? undefined : digest(env.MONITOR_TOKEN)
  fastify.decorate('fleet', new Fleet(fastify.history, regions, fastify.clock))

  function bearer (request: FastifyRequest): 'none' | 'valid' {
    const header = request.headers.authorization
    if (header === undefined) return 'none'
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header)
    if (m === null) throw new BadMonitorTokenError('Authorization must be "Bearer <MONITOR_TOKEN>"')
    if (token === undefined) throw new BadMonitorTokenError('this gateway has no MONITOR_TOKEN: token access is off')
    if (!timingSafeEqual(digest(m[1]), token)) throw new BadMonitorTokenError()
    return 'valid'
  }

  fastify.decorateRequest('monitorViewer', function (this: FastifyRequest): Viewer {
    if (bearer(this) === 'valid') return { all: true }
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
      if (fastify.accounts) throw new RoleRequiredError(region, 'viewer', undefined)
      throw new OtherRegionError(viewer.regions[0])
    }
    return viewer
  })
  fastify.decorateRequest('requireMonitorToken', function (this: FastifyRequest): void {
    if (bearer(this) !== 'valid') throw new BadMonitorTokenError(token === undefined ? 'this gateway has no MONITOR_TOKEN: /metrics is off' : 'send Authorization: Bearer <MONITOR_TOKEN>')
  })
}, { name: 'monitor-access', dependencies: ['history', 'ssh-session', 'people'] })
