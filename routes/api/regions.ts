import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { RegionNotFoundError } from '../../lib/errors.js'
import { MessageReply, RegionName, errors } from './schemas.js'

const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { regions } = fastify.config

  fastify.get('/db_list', {
    schema: {
      summary: 'The registered regions and their SSH endpoints',
      response: { 200: Type.Record(Type.String(), Type.Object({ ip: Type.String(), port: Type.Integer() })) }
    }
  }, async () => {
    const out: Record<string, { ip: string, port: number }> = {}
    for (const r of regions.values()) out[r.name] = { ip: r.ssh.host, port: r.ssh.port }
    return out
  })

  fastify.post('/page_url', {
    schema: {
      summary: 'The region\'s FireWatcher web page',
      body: Type.Object({ region: RegionName }),
      response: { 200: MessageReply, ...errors(400, 404) }
    }
  }, async (request) => {
    const region = regions.get(request.body.region)
    if (region === undefined) throw new RegionNotFoundError()
    // A path ("/" for the demo) is a page on the gateway itself, wherever it listens.
    return { message: region.pageUrl.startsWith('/') ? request.publicOrigin() + region.pageUrl : region.pageUrl }
  })
}

export default routes
