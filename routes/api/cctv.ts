import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { readInventory } from '../../lib/ops/inventory.js'
import { errors } from './schemas.js'

const Camera = Type.Object({
  cctv_ID: Type.Union([Type.Number(), Type.String(), Type.Null()]),
  cctv_address: Type.Object({ L1: Type.Union([Type.String(), Type.Null()]), L2: Type.Union([Type.String(), Type.Null()]), L3: Type.Union([Type.String(), Type.Null()]) }),
  cctv_name: Type.Union([Type.String(), Type.Null()]),
  inference_id: Type.Union([Type.String(), Type.Null()]),
  url: Type.Union([Type.String(), Type.Null()])
})

const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { env } = fastify.config

  fastify.post('/cctv_data', {
    schema: {
      summary: 'The camera inventory from the site\'s MongoDB, sorted by cctv_ID',
      response: { 200: Type.Object({ message: Type.Array(Camera) }), ...errors(400, 404, 500) }
    }
  }, async (request) => {
    const site = request.requireSite()
    const cameras = await readInventory(site, {
      commandTimeoutSec: env.COMMAND_TIMEOUT_SECONDS,
      timeoutMs: env.MONGO_TIMEOUT_MS,
      maxCameras: env.CCTV_MAX_CAMERAS
    })
    return { message: cameras }
  })
}

export default routes
