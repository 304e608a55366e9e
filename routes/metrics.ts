import type { FastifyPluginAsync } from 'fastify'
import { metricsOfRegions, monitorMetrics } from '../lib/ops/metrics.js'

/** `GET /metrics`: the monitor for Prometheus; by token only (no session): MONITOR_TOKEN, or an integration token's regions. */
const routes: FastifyPluginAsync = async (fastify) => {
  const registry = monitorMetrics(fastify.history, fastify.config.regions, region => fastify.monitors.get(region)?.busy === true)
  fastify.get('/metrics', {
    schema: { summary: 'Prometheus text format: cameras per status, camera_up per camera, sweep age, duration and counts (Bearer MONITOR_TOKEN)', hide: true }
  }, async (request, reply) => {
    const reads = request.requireMetricsReader()
    const all = await registry.metrics()
    const body = reads === '*' ? all : metricsOfRegions(all, reads)
    return await reply.header('content-type', registry.contentType).header('cache-control', 'no-store').send(body)
  })
}

export default routes
