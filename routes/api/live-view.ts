import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { parseInferenceId } from '../../lib/site/inference-id.js'
import { openLiveView, stopLiveView } from '../../lib/ops/live-view.js'
import { BadRequestError } from '../../lib/errors.js'
import { InferenceId, MessageReply, errors } from './schemas.js'

const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { env } = fastify.config
  const [from, to] = env.HLS_PORT_RANGE.split('-').map(Number)

  fastify.post('/hls_tunnel', {
    schema: {
      summary: 'Open this session\'s live view of a camera; answers the absolute playlist URL',
      body: Type.Object({
        inference_id: InferenceId,
        cctv_id: Type.Union([Type.Integer({ minimum: 0, maximum: 999_999_999 }), Type.String({ pattern: '^[0-9]{1,9}$' })], { description: 'number or string of digits' })
      }),
      response: { 200: MessageReply, ...errors(400, 500) }
    }
  }, async (request) => {
    const site = request.requireSite()
    const { server } = parseInferenceId(request.body.inference_id, site.region)
    const cctvId = String(Number(request.body.cctv_id))
    if (!/^[0-9]+$/.test(cctvId)) throw new BadRequestError('cctv_id must be a number')
    const live = await openLiveView(site, server, cctvId, {
      mode: env.HLS_MODE,
      idleMs: env.HLS_IDLE_SECONDS * 1000,
      maxSockets: env.HLS_MAX_SOCKETS,
      responseTimeoutMs: env.HLS_RESPONSE_TIMEOUT_MS,
      bindHost: env.HOST,
      portRange: [from, to],
      commandTimeoutSec: env.COMMAND_TIMEOUT_SECONDS
    })
    request.log.info({ region: site.region.name, server: server.n, cctv_id: cctvId, mode: live.kind }, 'hls tunnel opened')
    if (live.kind === 'gateway') {
      return { message: `${request.publicOrigin()}/hls/${live.tunnel.token}${live.tunnel.playlistPath}` }
    }
    const host = env.HLS_PUBLIC_HOST !== '' ? env.HLS_PUBLIC_HOST : request.hostname
    return { message: `http://${host}:${live.tunnel.port}${live.playlistPath}` }
  })

  fastify.post('/hls_tunnel_stop', {
    schema: {
      summary: 'Close this session\'s live view (one opened in the last HLS_STOP_GRACE_MS survives, unless named by ?token=)',
      querystring: Type.Object({
        token: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{32}$', description: 'the token in the URL /hls_tunnel answered: closes exactly that tunnel, whatever its age' }))
      }),
      response: { 200: Type.Object({ message: Type.String(), closed: Type.Boolean() }) }
    }
  }, async (request) => {
    const arrivedAt = Date.now()
    const site = request.site()
    const closed = site === undefined ? false : stopLiveView(site, arrivedAt, env.HLS_STOP_GRACE_MS, request.query.token)
    return { message: 'HLS tunnel stopped', closed }
  })
}

export default routes
