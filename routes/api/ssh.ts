import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AlreadyConnectedError, AuthFailedError, BadRequestError, NoHeldLoginError, NotConnectedError, NotRegisteredEndpointError, RegionNotFoundError, RemoteError, TooManyLoginsError } from '../../lib/errors.js'
import { LoginAttempts, waitInWords } from '../../lib/http/login-attempts.js'
import { currentTunnel } from '../../lib/ops/live-view.js'
import { CredentialError } from '../../lib/store/credentials.js'
import { sessionTag } from '../../lib/audit.js'
import { Host, MessageReply, Port, RegionName, errors } from './schemas.js'

const StatusReply = Type.Union([
  Type.Object({
    status: Type.Literal('connected'),
    host: Type.String(),
    port: Type.Integer(),
    hls_server: Type.Boolean({ description: 'true while this session has an HLS tunnel open' }),
    region: Type.String(),
    user: Type.String(),
    person: Type.Optional(Type.String({ description: 'accounts mode: the person this session is signed in as' })),
    connected_at: Type.String({ description: 'ISO time the SSH connection was made' }),
    expires_at: Type.String({ description: 'ISO time the SSH connection will be cut (TTL)' }),
    expires_in: Type.Integer({ description: 'seconds left before the SSH connection is cut' })
  }),
  Type.Object({ status: Type.Literal('disconnected') })
])

/** Accounts mode lets `id` and `password` be empty: the region's held login is used. */
const connectBody = (accounts: boolean) => Type.Object({
  host: Host,
  port: Port,
  id: Type.String({ minLength: accounts ? 0 : 1, maxLength: 64 }),
  password: Type.String({ maxLength: 1024 }),
  region: RegionName
})

const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { regions, env } = fastify.config
  // Wrong passwords per client and region (not a request rate: reconnecting is not guessing).
  const attempts = new LoginAttempts(env.LOGIN_RATE_MAX, env.LOGIN_RATE_WINDOW_SECONDS * 1000)

  fastify.get('/ssh_status', {
    schema: { summary: 'Is this browser session connected to a site?', response: { 200: StatusReply } }
  }, async (request) => {
    const s = request.site()
    if (s === undefined) return { status: 'disconnected' as const }
    return {
      status: 'connected' as const,
      host: s.conn.host,
      port: s.conn.port,
      hls_server: currentTunnel(s) !== undefined,
      region: s.region.name,
      user: s.conn.username,
      person: s.person,
      connected_at: new Date(s.connectedAt).toISOString(),
      expires_at: new Date(s.expiresAt).toISOString(),
      expires_in: Math.max(0, Math.floor((s.expiresAt - Date.now()) / 1000))
    }
  })

  fastify.post('/ssh_connect', {
    schema: {
      summary: 'Open this browser session\'s SSH connection to a registered region',
      body: connectBody(fastify.accounts),
      response: { 200: MessageReply, ...errors(400, 401, 403, 404, 429, 500) }
    }
  }, async (request) => {
    const { host, port, id, password, region: regionName } = request.body
    const browserSession = request.session.sessionId
    // Cheap and exact: the existing client answers a 400 here with disconnect + retry.
    if (request.site() !== undefined || fastify.sites.connecting.has(browserSession)) throw new AlreadyConnectedError()
    const region = regions.get(regionName)
    if (region === undefined) throw new RegionNotFoundError()
    if (region.ssh.host !== host || region.ssh.port !== port) throw new NotRegisteredEndpointError()
    // Accounts mode: an operator of the region, as themselves; with no id and password typed, the
    // login the gateway holds for the region (they never see it).
    const person = fastify.accounts ? request.requirePerson(region.name, 'operator') : undefined
    let login = { username: id, password }
    if (person !== undefined && id === '' && password === '') {
      let held
      try {
        held = await fastify.credentials.login(region.name)
      } catch (err) {
        // A key file changed under a held login: the gateway's fault, said plainly (500, as the client expects).
        if (err instanceof CredentialError) throw new RemoteError(`the login held for region ${region.name} does not open: an admin must hold it again`)
        throw err
      }
      if (held === undefined) throw new NoHeldLoginError(region.name)
      login = held
    } else if (id === '') {
      throw new BadRequestError('give the SSH id, or leave id and password both empty for the region\'s held login', 'INVALID_INPUT')
    }
    const client = `${request.ip}|${region.name}`
    const wait = attempts.retryAfter(client)
    if (wait > 0) throw new TooManyLoginsError(waitInWords(wait))

    const started = Date.now()
    try {
      const site = await fastify.sites.open(browserSession, region, login, { session: sessionTag(browserSession), user: login.username, person, client: request.ip })
      attempts.succeeded(client)
      request.session.siteId = site.id
      request.log.info({ region: region.name, host, port, user: login.username, person, ms: Date.now() - started }, 'ssh connected')
      return { message: 'SSH connect success' }
    } catch (err) {
      if (err instanceof AuthFailedError) attempts.failed(client)
      request.log.info({ region: region.name, host, port, user: login.username, person, ms: Date.now() - started, cause: (err as Error).message }, 'ssh connect failed')
      throw err
    }
  })

  fastify.post('/ssh_disconnect', {
    schema: { summary: 'Close this session\'s SSH connection, hops and tunnels', response: { 200: MessageReply, ...errors(400) } }
  }, async (request) => {
    const siteId = request.session.siteId
    const live = request.site() !== undefined
    request.session.siteId = undefined
    if (!live || siteId === undefined) throw new NotConnectedError()
    await fastify.sites.close(siteId, 'ssh_disconnect')
    return { message: 'SSH disconnect success' }
  })
}

export default routes
