import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { BadRequestError, NotRegisteredEndpointError } from '../../lib/errors.js'
import { probeSsh } from '../../lib/ssh/reachability.js'
import { Host, errors } from './schemas.js'

/** GET /api/ssh_status_check: does an SSH server answer at a region's endpoint (and nowhere else)? */
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { regions, env } = fastify.config
  const endpoints = new Set([...regions.values()].map(r => `${r.ssh.host}|${r.ssh.port}`))
  // Single flight: many consoles polling the same region share one probe.
  const inFlight = new Map<string, Promise<boolean>>()

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
}

export default routes
