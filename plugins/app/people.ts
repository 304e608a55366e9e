import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { RegionConfig } from '../../lib/config/regions.js'
import { AuthRequiredError, CrossSiteError, NoHeldLoginError, OtherRegionError, RegionNotFoundError, RoleRequiredError, SigninFailedError, TooManySigninsError } from '../../lib/errors.js'
import { LoginAttempts, waitInWords } from '../../lib/http/login-attempts.js'
import { allows, roleIn, type Role } from '../../lib/roles.js'
import { UserStore, type User } from '../../lib/store/users.js'
import { CredentialStore, readKeyring } from '../../lib/store/credentials.js'
import { Sso, type SsoPending } from '../../lib/oidc.js'
import { readSecret } from '../../lib/config/secrets.js'

declare module 'fastify' {
  interface Session {
    /** Accounts mode: who signed in, and under which of their epochs (a moved epoch ends the session). */
    person?: { id: number, epoch: number }
    /** A single sign-on under way: what the callback checks. */
    sso?: SsoPending
  }
  interface FastifyInstance {
    /** AUTH_MODE: 'site' (the region's SSH login is the identity) or 'accounts' (people sign in). */
    accounts: boolean
    users: UserStore
    /** Held site logins (CREDENTIALS_KEY_FILE). */
    credentials: CredentialStore
    /** Signs `request`'s session in as the person (a new session id), or throws SIGNIN_FAILED / TOO_MANY_SIGNINS. */
    signIn: (request: FastifyRequest, username: string, password: string) => Promise<User>
    /** The session becomes the person's (a new session id): after a password or single sign-on. */
    startSession: (request: FastifyRequest, user: User) => Promise<void>
    /** Single sign-on (OIDC_ISSUER set, accounts mode); undefined otherwise. */
    sso?: Sso
    /** The region's service identity (its monitor's login): from the regions file, or the region's held login (`held: true`). */
    monitorLogin: (region: RegionConfig) => Promise<{ username: string, password: string }>
    /** Ends the person's sessions on this gateway signed in under another epoch than `epoch`, now (their SSH connections with them); other gateways see the epoch. */
    endLocalSessions: (userId: number, epoch: number, reason: string) => number
  }
  interface FastifyRequest {
    /** Accounts mode: the signed-in person (read afresh for each request); undefined otherwise. */
    person?: User
    /**
     * Accounts mode: the person must have `role` (or above) in `region` — 401 when no one is
     * signed in, 403 ROLE_REQUIRED otherwise. Site mode: nothing to check (the SSH login is the right).
     */
    requireRole: (region: string, role: Role) => void
    /** Accounts mode: the signed-in person's name when they have `role` in `region` (a token is not a person: 401). */
    requirePerson: (region: string, role: Role) => string
    /**
     * The region an action is in and who does it: `region` named (accounts mode: a person with
     * `role` there, no SSH session needed), else the session's region (its SSH session's actor).
     * Site mode: the session's region, and a named region must be that one (403 OTHER_REGION).
     */
    actIn: (region: string | undefined, role: Role) => { region: RegionConfig, who: string }
    /** Who acts, as the record names them: the person in accounts mode; undefined in site mode. */
    personName: () => string | undefined
  }
}

/** Where a page load without a person is sent to sign in first; these paths answer for themselves. */
const OWN_GATE = /^\/(api|hls|ack|signin|metrics|docs)(\/|$|\?)/

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * People (issue 26). In accounts mode every request is someone's: the session names a person by
 * id and epoch, read from the database on each request (so a disabled person, a changed password
 * or an admin's "end sessions" takes effect on the next request, on every gateway); `/api` answers
 * 401 AUTH_REQUIRED without one (the monitor token still reads the monitor); page loads go to the
 * sign-in page; requests that change state must come from this origin.
 */
export default fp(async (fastify) => {
  const { env } = fastify.config
  const accounts = env.AUTH_MODE === 'accounts'
  const database = fastify.history.database
  const users = new UserStore(database)
  fastify.decorate('accounts', accounts)
  fastify.decorate('users', users)
  fastify.decorate('credentials', new CredentialStore(database, env.CREDENTIALS_KEY_FILE === '' ? undefined : readKeyring(env.CREDENTIALS_KEY_FILE)))

  // Failed sign-ins per account and per client: a person behind a shared address is not locked
  // out by one guesser there, and a guesser trying many names from one address is stopped too.
  const perAccount = new LoginAttempts(env.LOGIN_RATE_MAX, env.LOGIN_RATE_WINDOW_SECONDS * 1000)
  const perClient = new LoginAttempts(env.LOGIN_RATE_MAX * 5, env.LOGIN_RATE_WINDOW_SECONDS * 1000)

  fastify.decorate('signIn', async (request: FastifyRequest, username: string, password: string): Promise<User> => {
    const account = username.normalize('NFC').toLowerCase()
    const wait = Math.max(perAccount.retryAfter(account), perClient.retryAfter(request.ip))
    if (wait > 0) throw new TooManySigninsError(waitInWords(wait))
    const user = await users.verify(username, password)
    if (user === undefined) {
      perAccount.failed(account)
      perClient.failed(request.ip)
      throw new SigninFailedError()
    }
    perAccount.succeeded(account)
    await startSession(request, user)
    return user
  })

  async function startSession (request: FastifyRequest, user: User): Promise<void> {
    // A new session id at sign-in: an id planted before (session fixation) signs no one in. Its SSH
    // connection, if any, belonged to the session before and ends with it.
    await request.session.regenerate()
    request.session.person = { id: user.id, epoch: user.session_epoch }
    request.person = user
  }
  fastify.decorate('startSession', startSession)
  if (accounts && env.OIDC_ISSUER !== '') {
    if (env.OIDC_CLIENT_ID === '' || env.OIDC_CLIENT_SECRET_FILE === '') throw new Error('OIDC_ISSUER needs OIDC_CLIENT_ID and OIDC_CLIENT_SECRET_FILE')
    fastify.decorate('sso', new Sso({
      issuer: env.OIDC_ISSUER,
      clientId: env.OIDC_CLIENT_ID,
      clientSecret: readSecret(env.OIDC_CLIENT_SECRET_FILE, undefined, 'OIDC_CLIENT_SECRET'),
      scopes: env.OIDC_SCOPES,
      groupsClaim: env.OIDC_GROUPS_CLAIM,
      timeoutSeconds: 10
    }))
  }

  fastify.decorate('monitorLogin', async (region: RegionConfig): Promise<{ username: string, password: string }> => {
    const m = region.monitor
    if (m === undefined) throw new Error(`region ${region.name} has no monitor`)
    if (!m.held) return { username: m.id, password: m.password }
    // Read at each use: a login an admin changes is the monitor's next sweep's.
    const held = await fastify.credentials.login(region.name)
    if (held === undefined) throw new NoHeldLoginError(region.name)
    return held
  })

  const endLocal = (userId: number, epoch: number, reason: string): number => {
    let n = 0
    for (const [sid, s] of fastify.sessionStore.entries()) {
      if (s.person?.id !== userId || s.person.epoch === epoch) continue
      fastify.log.info({ user: userId, reason }, 'session ended')
      fastify.sessionStore.destroy(sid, () => {})
      n++
    }
    return n
  }
  fastify.decorate('endLocalSessions', endLocal)

  fastify.decorateRequest('person', undefined)
  fastify.decorateRequest('requireRole', function (this: FastifyRequest, region: string, role: Role): void {
    if (!accounts) return
    if (this.person === undefined) {
      // The monitor token keeps today's rights (its requests were checked by monitor-access).
      if (this.headers.authorization !== undefined) { this.monitorViewer(); this.refuseReadOnlyToken(); return }
      throw new AuthRequiredError()
    }
    const has = roleIn(this.person.roles, region)
    if (!allows(has, role)) throw new RoleRequiredError(region, role, has)
  })
  fastify.decorateRequest('requirePerson', function (this: FastifyRequest, region: string, role: Role): string {
    if (this.person === undefined) throw new AuthRequiredError()
    this.requireRole(region, role)
    return this.person.username
  })
  fastify.decorateRequest('actIn', function (this: FastifyRequest, region: string | undefined, role: Role): { region: RegionConfig, who: string } {
    if (accounts && region !== undefined) {
      const r = fastify.config.regions.get(region)
      if (r === undefined) throw new RegionNotFoundError()
      return { region: r, who: this.requirePerson(region, role) }
    }
    const site = this.requireSite(role)
    if (region !== undefined && region !== site.region.name) throw new OtherRegionError(site.region.name)
    return { region: site.region, who: site.actor }
  })
  fastify.decorateRequest('personName', function (this: FastifyRequest): string | undefined {
    return this.person?.username
  })

  if (!accounts) return

  fastify.addHook('onRequest', async (request, reply) => {
    const held = request.session?.person
    if (held !== undefined) {
      const user = await users.byId(held.id)
      if (user === undefined || user.disabled || user.session_epoch !== held.epoch) {
        // Over: disabled, a new password, ended by an admin, or removed. The site session goes too.
        request.session.person = undefined
        const siteId = request.session.siteId
        request.session.siteId = undefined
        if (siteId !== undefined) void fastify.sites.close(siteId, 'the person\'s sessions were ended')
      } else {
        request.person = user
      }
    }
    if (UNSAFE.has(request.method)) refuseCrossSite(request)
    // The route Fastify matched and the raw URL both: an encoded path (/%61pi/…) reaches an API route too.
    const path = request.routeOptions.url ?? ''
    if (path.startsWith('/api/') || request.url.startsWith('/api/')) {
      if (request.person === undefined && request.headers.authorization === undefined && !(request.method === 'POST' && path === '/api/auth/login')) throw new AuthRequiredError()
      return
    }
    if (request.person === undefined) await toSignIn(request, reply)
  })

  /** Beside SameSite=Lax cookies: a browser says where a request comes from; only this origin may change anything. */
  function refuseCrossSite (request: FastifyRequest): void {
    const site = request.headers['sec-fetch-site']
    if (site !== undefined && site !== 'same-origin' && site !== 'none') throw new CrossSiteError()
    const origin = request.headers.origin
    if (origin === undefined) return
    if (origin !== request.publicOrigin() && !allowedOrigins.has(origin)) throw new CrossSiteError()
  }
  const allowedOrigins = new Set(env.CORS_ORIGINS.split(',').map(o => o.trim()).filter(o => o !== ''))

  async function toSignIn (request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if ((request.method !== 'GET' && request.method !== 'HEAD') || OWN_GATE.test(request.url)) return
    // Page loads only: the console's scripts and styles hold no data, and a page is what a person sees.
    if (!(request.headers.accept ?? '').includes('text/html')) return
    await reply.redirect(`/signin?next=${encodeURIComponent(request.url)}`, 303)
  }

  // Sessions of people whose epoch moved elsewhere (another gateway, the users command) end
  // within a minute here even if their browser sends nothing: their SSH connections with them.
  const sweep = setInterval(() => {
    const held = fastify.sessionStore.entries().filter(([, s]) => s.person !== undefined)
    if (held.length === 0) return
    void (async () => {
      for (const [, s] of held) {
        const u = await users.byId(s.person!.id)
        // A removed person: no epoch is theirs (-1).
        if (u === undefined || u.disabled || u.session_epoch !== s.person!.epoch) endLocal(s.person!.id, u === undefined || u.disabled ? -1 : u.session_epoch, 'disabled or ended elsewhere')
      }
    })().catch((err: Error) => { fastify.log.warn({ err: { message: err.message } }, 'session check failed') })
  }, 30_000).unref()
  fastify.addHook('onClose', async () => { clearInterval(sweep) })
}, { name: 'people', dependencies: ['history', 'session', 'public-origin', 'ssh-session'] })
