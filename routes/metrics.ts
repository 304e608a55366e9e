import type { FastifyPluginAsync } from 'fastify'
import { monitorMetrics } from '../lib/ops/metrics.js'

/** `GET /metrics`: the monitor for Prometheus; the monitor token only (no session). */
const routes: FastifyPluginAsync = async (fastify) => {
  const registry = monitorMetrics(fastify.history, fastify.config.regions, region => fastify.monitors.get(region)?.busy === true)
  fastify.get('/metrics', {
    schema: { summary: 'Prometheus text format: cameras per status, camera_up per camera, sweep age, duration and counts (Bearer MONITOR_TOKEN)', hide: true }
  }, async (request, reply) => {
    request.requireMonitorToken()
    const body = await registry.metrics()
    return await reply.header('content-type', registry.contentType).header('cache-control', 'no-store').send(body)
  })
}

export default routes
