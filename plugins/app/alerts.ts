import fp from 'fastify-plugin'
import { maskSecrets } from '../../lib/mask.js'
import { gatewayId } from '../../lib/env.js'
import { AlertStore } from '../../lib/store/alerts.js'
import { Outbox } from '../../lib/notify/outbox.js'
import type { ChannelConfig, RegionConfig } from '../../lib/config/regions.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The alerts' outbox and maintenance windows (the history database). */
    alerts: AlertStore
    /** Sends the outbox's messages. */
    outbox: Outbox
    /** The channels a region's alerts go to. */
    channelsOf: (region: RegionConfig) => ChannelConfig[]
  }
}

/** Alerts (issue 16): the outbox in the history database and the worker that sends it. */
export default fp(async (fastify) => {
  const { env } = fastify.config
  const channels = fastify.config.channels ?? []
  const alerts = new AlertStore(fastify.history.database)
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
    error: err => { fastify.log.error({ err: { message: maskSecrets(err.message) } }, 'alert outbox: the database failed; the next pass tries again') }
  })
  fastify.decorate('alerts', alerts)
  fastify.decorate('outbox', outbox)
  fastify.decorate('channelsOf', (region: RegionConfig) => channels.filter(c => c.regions === undefined || c.regions.includes(region.name)))
  fastify.addHook('onReady', async () => { outbox.start() })
  // Before the history database closes (its onClose), after the monitor's sweeps stopped.
  fastify.addHook('preClose', async () => { await outbox.stop() })
}, { name: 'alerts', dependencies: ['history'] })
