import fp from 'fastify-plugin'
import { gatewayId } from '../../lib/env.js'
import { Cron } from 'croner'
import { SITE_ZONE } from '../../lib/clock.js'
import { sweepOptions } from '../../lib/ops/health-sweep.js'
import { RegionMonitor, tickSlot } from '../../lib/ops/monitor.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The background monitor of each region that has a `monitor` block. */
    monitors: Map<string, RegionMonitor>
  }
}

/**
 * Schedules each monitored region's sweeps (croner): `every` as an interval, `cron` in
 * Asia/Seoul (the sites' clock, lib/clock.ts). Closing the gateway stops the schedule and cancels
 * running sweeps (their remote processes are killed) before the history database closes.
 */
export default fp(async (fastify) => {
  const { env, regions } = fastify.config
  const monitors = new Map<string, RegionMonitor>()
  const jobs: Cron[] = []
  fastify.decorate('monitors', monitors)
  const gateway = gatewayId(env)
  const timezone = SITE_ZONE
  for (const region of regions.values()) {
    const m = region.monitor
    if (m === undefined) continue
    const monitor = new RegionMonitor(region, {
      // The service identity: the regions file's, or the region's held login (read at each sweep).
      connect: async (r, login, who) => {
        const l = m.held ? await fastify.monitorLogin(r) : login
        return await fastify.sites.connect(r, l, { ...who, user: l.username })
      },
      sweepOptions: () => ({ ...sweepOptions(env, m.picture), references: async () => await fastify.references.ofRegion(region.name) }),
      store: fastify.history,
      gateway,
      clock: fastify.clock,
      leaseMs: env.MONITOR_LEASE_SECONDS * 1000,
      alerting: () => ({ rules: region.alerts, channels: fastify.channelsOf(region).map(c => c.name), windows: region.maintenance }),
      kept: () => { fastify.outbox.kick() },
      log: outcome => { fastify.log[outcome.state === 'failed' || outcome.state === 'lost_lease' ? 'warn' : 'info'](outcome, 'scheduled health sweep') }
    })
    monitors.set(region.name, monitor)
    // croner hands the firing job to its callback: a cron tick names that job's own instant.
    const tick = (job: Cron): void => {
      const schedule = m.everyMs !== undefined ? { everyMs: m.everyMs } : { cron: job }
      monitor.tick(tickSlot(schedule, fastify.clock())).catch((err: Error) => {
        fastify.log.error({ region: region.name, err: { message: err.message } }, 'scheduled health sweep not kept')
      })
    }
    try {
      // `every`: the first sweep at start-up, then one per interval; `cron`: at its times.
      jobs.push(m.everyMs !== undefined
        ? new Cron('* * * * * *', { interval: m.everyMs / 1000, timezone, paused: true }, tick)
        : new Cron(m.cron!, { timezone, paused: true }, tick))
    } catch (err) {
      throw new Error(`region "${region.name}": field "monitor.cron": ${(err as Error).message}`, { cause: err })
    }
  }
  fastify.addHook('onReady', async () => { for (const j of jobs) j.resume() })
  fastify.addHook('preClose', async () => {
    for (const j of jobs) j.stop()
    await Promise.all([...monitors.values()].map(async m => { await m.stop() }))
  })
}, { name: 'monitor', dependencies: ['history', 'ssh-session', 'alerts', 'people'] })
