import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { parseInferenceId } from '../../lib/site/inference-id.js'
import { findContainer } from '../../lib/site/containers.js'
import { checkStreamUrl, probe } from '../../lib/ops/ffprobe.js'
import { STATUSES, classify, type HealthStatus } from '../../lib/ops/health-rows.js'
import { InferenceId, errors } from './schemas.js'

const Summary = Type.Object({
  format: Type.Union([Type.String(), Type.Null()]),
  bitrate: Type.Optional(Type.Number()),
  streams: Type.Array(Type.Object({
    index: Type.Number(),
    type: Type.String(),
    codec: Type.Union([Type.String(), Type.Null()]),
    profile: Type.Optional(Type.String()),
    width: Type.Optional(Type.Number()),
    height: Type.Optional(Type.Number()),
    fps: Type.Optional(Type.Number()),
    pix_fmt: Type.Optional(Type.String()),
    sample_rate: Type.Optional(Type.Number()),
    channels: Type.Optional(Type.Number()),
    bitrate: Type.Optional(Type.Number())
  }))
})

const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { env } = fastify.config

  fastify.post('/run_ffprobe', {
    schema: {
      summary: 'ffprobe a camera URL from the FireWatcher container of its analysis server',
      body: Type.Object({
        inference_id: InferenceId,
        url: Type.String({ minLength: 1, maxLength: 2048 })
      }),
      response: {
        200: Type.Object({
          message: Type.String({ description: 'ffprobe\'s report, or its error text when the camera is down (credentials masked)' }),
          reachable: Type.Boolean(),
          status: Type.Unsafe<HealthStatus>({ type: 'string', enum: STATUSES, description: 'the health sweep\'s status for this outcome (online, offline, auth_failed, not_found, timeout, error)' }),
          summary: Summary,
          transport: Type.String(),
          attempts: Type.Number(),
          timed_out: Type.Boolean({ description: 'the camera did not answer in time' })
        }),
        ...errors(400, 401, 404, 500)
      }
    }
  }, async (request) => {
    const site = request.requireSite()
    const { server } = parseInferenceId(request.body.inference_id, site.region)
    checkStreamUrl(request.body.url)
    return await site.onServer(server, async () => {
      const container = await findContainer(site, server, site.region.firewatcher.container, env.COMMAND_TIMEOUT_SECONDS)
      const p = await probe(site, server, container, request.body.url, { limitSec: env.FFPROBE_TIMEOUT_SECONDS, signal: request.abortSignal() })
      return { ...p, status: classify(p.reachable, p.message, p.timed_out) }
    })
  })
}

export default routes
