import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { BadRequestError, NotRegisteredEndpointError, RegionNotFoundError } from '../../lib/errors.js'
import { probeSsh } from '../../lib/ssh-probe.js'
import { Host, MessageReply, RegionName, errors } from './schemas.js'

const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { regions, env } = fastify.config
  const endpoints = new Set([...regions.values()].map(r => `${r.ssh.host}|${r.ssh.port}`))
  // Single flight: many consoles polling the same region share one probe.
  const inFlight = new Map<string, Promise<boolean>>()

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

  fastify.get('/ssh_status_check', {
    schema: {
      summary: 'Does an SSH server answer at a registered region endpoint?',
      querystring: Type.Object({
        ip: Host,
        port: Type.String({ pattern: '^[0-9]{1,5}$', description: 'TCP port (1-65535)' })
      }),
      response: { 200: Type.Object({ ip: Type.String(), port: Type.Integer(), status: Type.Boolean() }), ...errors(400, 403) }
    }
  }, async (request) => {
    const { ip } = request.query
    const port = Number(request.query.port)
    if (port < 1 || port > 65535) throw new BadRequestError('querystring.port must be between 1 and 65535')
    const key = `${ip}|${port}`
    // Not a port scanner: only endpoints from the regions file are ever dialled.
    if (!endpoints.has(key)) throw new NotRegisteredEndpointError()
    let probe = inFlight.get(key)
    if (probe === undefined) {
      probe = probeSsh(ip, port, env.SSH_CHECK_TIMEOUT_MS).finally(() => inFlight.delete(key))
      inFlight.set(key, probe)
    }
    return { ip, port, status: await probe }
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
