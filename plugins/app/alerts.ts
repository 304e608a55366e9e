import fp from 'fastify-plugin'
import { maskSecrets } from '../../lib/mask.js'
import { gatewayId } from '../../lib/env.js'
import { AlertStore } from '../../lib/store/alerts.js'
import { Outbox } from '../../lib/notify/outbox.js'
import { alertFrames, frameLinks } from '../../lib/notify/frames.js'
import { frameLinkKey } from '../../lib/notify/frame-links.js'
import { ackLinkKey, ackLinks } from '../../lib/notify/ack-links.js'
import type { ChannelConfig, RegionConfig } from '../../lib/config/regions.js'
import { escalationProblem } from '../../lib/config/incident-rules.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The alerts' outbox and maintenance windows (the history database). */
    alerts: AlertStore
    /** Sends the outbox's messages. */
    outbox: Outbox
    /** The channels a region's alerts go to. */
    channelsOf: (region: RegionConfig) => ChannelConfig[]
    /** Signs and checks the links to an alert's frames (routes/api/frames.ts). */
    frameLinkKey: Buffer
    /** Signs and checks the acknowledge links in alerts (routes/ack.ts). */
    ackLinkKey: Buffer
  }
}

/** Alerts (issue 16): the outbox in the history database and the worker that sends it. */
export default fp(async (fastify) => {
  const { env } = fastify.config
  const channels = fastify.config.channels ?? []
  // The regions file's escalation channels are channels of the file (loadConfigFile says so too; a config built otherwise is checked here).
  const problem = escalationProblem(fastify.config.regions.values(), new Set(channels.map(c => c.name)))
  if (problem !== null) throw new Error(problem)
  const alerts = new AlertStore(fastify.history.database)
  const linkKey = frameLinkKey(fastify.config.sessionSecret)
  const ackKey = ackLinkKey(fastify.config.sessionSecret)
  const refs = fastify.references.store
  const source = {
    thumbnail: async (region: string, id: string, at: number) => await fastify.history.thumbnail(region, id, at),
    references: async (region: string, id: string) => {
      const got = await Promise.all((await refs.list(region, id)).map(async r => ({ id: r.id, jpeg: await refs.jpeg(region, id, r.id) })))
      // One deleted meanwhile is not shown.
      return got.flatMap(r => r.jpeg === undefined ? [] : [{ id: r.id, jpeg: r.jpeg }])
    }
  }
  const outbox = new Outbox({
    alerts,
    leases: fastify.history.leases,
    channels,
    gateway: gatewayId(env),
    publicBase: env.PUBLIC_BASE_URL,
    retryBaseMs: env.NOTIFY_RETRY_BASE_MS,
    retryMaxMs: env.NOTIFY_RETRY_MAX_MS,
    clock: fastify.clock,
    log: e => { fastify.log[e.ok ? 'info' : 'warn'](e, e.ok ? 'alert delivered' : 'alert delivery failed') },
    // A database that cannot give the frames does not hold the alert back: it goes without them, said in the log.
    pictures: async body => {
      const acks = ackLinks(body, env.PUBLIC_BASE_URL, ackKey, fastify.clock())
      try {
        const frames = await alertFrames(body, source)
        return { frames, links: frameLinks(body, frames, env.PUBLIC_BASE_URL, linkKey, fastify.clock()), acks }
      } catch (err) {
        fastify.log.warn({ err: { message: maskSecrets((err as Error).message) }, region: body.region }, 'alert frames could not be read: the alert goes without them')
        return { frames: new Map(), links: new Map(), acks }
      }
    },
    error: err => { fastify.log.error({ err: { message: maskSecrets(err.message) } }, 'alert outbox: the database failed; the next pass tries again') }
  })
  fastify.decorate('alerts', alerts)
  fastify.decorate('outbox', outbox)
  fastify.decorate('frameLinkKey', linkKey)
  fastify.decorate('ackLinkKey', ackKey)
  fastify.decorate('channelsOf', (region: RegionConfig) => channels.filter(c => c.regions === undefined || c.regions.includes(region.name)))
  fastify.addHook('onReady', async () => { outbox.start() })
  // Before the history database closes (its onClose), after the monitor's sweeps stopped.
  fastify.addHook('preClose', async () => { await outbox.stop() })
}, { name: 'alerts', dependencies: ['history'] })
