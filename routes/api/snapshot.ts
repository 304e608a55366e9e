import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { CameraNotFoundError } from '../../lib/errors.js'
import { perServerLimit } from '../../lib/ops/health-sweep.js'
import { findCamera } from '../../lib/ops/inventory.js'
import { pictureSlot, snapshot } from '../../lib/ops/picture.js'
import { findContainer } from '../../lib/site/containers.js'
import { parseInferenceId } from '../../lib/site/inference-id.js'
import { errors } from './schemas.js'

const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { env } = fastify.config

  fastify.get('/cctv_snapshot', {
    schema: {
      summary: 'One current frame of a camera of the session\'s region, as JPEG (ffmpeg in its analysis server\'s FireWatcher container)',
      description: 'The URL comes from the inventory, never from the client. At most SNAPSHOT_MAX_WIDTH wide; a camera that gives no frame answers 502 with the reason.',
      querystring: Type.Object({ cctv_id: Type.String({ pattern: '^[0-9]{1,9}$', description: 'the camera\'s cctv_ID' }) }, { additionalProperties: false }),
      response: { 200: Type.Any({ description: 'image/jpeg' }), ...errors(400, 404, 500, 502) }
    }
  }, async (request, reply) => {
    const site = request.requireSite()
    const camera = await findCamera(site, Number(request.query.cctv_id), { commandTimeoutSec: env.COMMAND_TIMEOUT_SECONDS, timeoutMs: env.MONGO_TIMEOUT_MS })
    if (camera === undefined || camera.url === null || camera.inference_id === null) throw new CameraNotFoundError()
    const { server } = parseInferenceId(camera.inference_id, site.region)
    const slot = pictureSlot(site, server, perServerLimit(env.HEALTH_CONCURRENCY, env.SSH_MAX_CHANNELS, 'exec'))
    const jpeg = await site.onServer(server, async () => await slot(async () => {
      const container = await findContainer(site, server, site.region.firewatcher.container, env.COMMAND_TIMEOUT_SECONDS)
      return await snapshot(site, server, container, camera.url!, { limitSec: env.SNAPSHOT_TIMEOUT_SECONDS, maxWidth: env.SNAPSHOT_MAX_WIDTH,
        maxBytes: env.SNAPSHOT_MAX_BYTES, signal: request.abortSignal() })
    }))
    return await reply.type('image/jpeg').header('cache-control', 'no-store').send(jpeg)
  })
}

export default routes
