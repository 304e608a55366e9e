import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { BadRequestError, RegionNotFoundError, UserNotFoundError } from '../../lib/errors.js'
import { isRole, type Role } from '../../lib/roles.js'
import { UserError, type User } from '../../lib/store/users.js'
import { CredentialError } from '../../lib/store/credentials.js'
import { MessageReply, RegionName, RoleMap, errors, iso } from './schemas.js'

const Username = Type.String({ minLength: 2, maxLength: 64, description: '2-64 letters, digits or . _ @ -' })
const Person = Type.Object({
  username: Type.String(),
  display_name: Type.Union([Type.String(), Type.Null()]),
  roles: RoleMap,
  disabled: Type.Boolean(),
  has_password: Type.Boolean({ description: 'false: signs in by single sign-on only' }),
  created_at: Type.String(),
  updated_at: Type.String()
})
const HeldLogin = Type.Object({ region: Type.String(), ssh_id: Type.String(), updated_at: Type.String(), updated_by: Type.String() })

const view = (u: User): Record<string, unknown> => ({
  username: u.username,
  display_name: u.display_name,
  roles: Object.fromEntries(u.roles),
  disabled: u.disabled,
  has_password: u.has_password,
  created_at: iso(u.created_at),
  updated_at: iso(u.updated_at)
})

/**
 * People and held site logins, for admins (accounts mode only, issue 26). People are managed by
 * an admin of every region ('*'), a region's held login by an admin of that region. What the
 * store refuses (a weak password, a taken name) is a 400 with its reason.
 */
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  if (!fastify.accounts) return
  const { users, credentials } = fastify
  const { regions } = fastify.config

  const admin = (request: FastifyRequest): string => request.requirePerson('*', 'admin')

  /** The store's refusals as 400s; the rest as they are. */
  async function refused<T> (work: () => Promise<T>): Promise<T> {
    try {
      return await work()
    } catch (err) {
      if (err instanceof UserError) throw /there is no user/.test(err.message) ? new UserNotFoundError() : new BadRequestError(err.message)
      if (err instanceof CredentialError) throw new BadRequestError(err.message)
      throw err
    }
  }

  function roleMap (roles: Record<string, string>): Map<string, Role> {
    const out = new Map<string, Role>()
    for (const [region, role] of Object.entries(roles)) {
      if (region !== '*' && !regions.has(region)) throw new BadRequestError(`roles: there is no region ${region}`)
      if (isRole(role)) out.set(region, role)
    }
    return out
  }

  /** After a change that moved the person's epoch: their sessions here end now (other gateways: at their next request). */
  async function endSessions (username: string, why: string): Promise<void> {
    const u = await users.get(username)
    if (u !== undefined) fastify.endLocalSessions(u.id, u.disabled ? -1 : u.session_epoch, why)
  }

  const ByName = Type.Object({ username: Username })

  fastify.get('/people', {
    schema: { summary: 'Everyone who can sign in, with their roles (admins of every region)', response: { 200: Type.Object({ people: Type.Array(Person) }), ...errors(401, 403) } }
  }, async (request) => {
    admin(request)
    return { people: (await users.list()).map(view) as never }
  })

  fastify.post('/people', {
    schema: {
      summary: 'Add a person: a name, roles per region, and a password (none: single sign-on only)',
      body: Type.Object({
        username: Username,
        display_name: Type.Optional(Type.String({ maxLength: 100 })),
        password: Type.Optional(Type.String({ maxLength: 256 })),
        roles: RoleMap
      }, { additionalProperties: false }),
      response: { 201: Person, ...errors(400, 401, 403) }
    }
  }, async (request, reply) => {
    admin(request)
    const b = request.body
    const displayName = b.display_name?.trim() === '' ? undefined : b.display_name?.trim()
    const u = await refused(async () => await users.add(b.username, { displayName, roles: roleMap(b.roles), password: b.password }, fastify.clock()))
    return await reply.code(201).send(view(u) as never)
  })

  fastify.put('/people/:username/roles', {
    schema: { summary: 'Replace a person\'s roles', params: ByName, body: Type.Object({ roles: RoleMap }, { additionalProperties: false }), response: { 200: Person, ...errors(400, 401, 403, 404) } }
  }, async (request) => {
    admin(request)
    await refused(async () => { await users.setRoles(request.params.username, roleMap(request.body.roles), fastify.clock()) })
    return view((await users.get(request.params.username))!) as never
  })

  fastify.post('/people/:username/password', {
    schema: { summary: 'Set a person\'s password (their sessions end)', params: ByName, body: Type.Object({ password: Type.String({ maxLength: 256 }) }, { additionalProperties: false }), response: { 200: MessageReply, ...errors(400, 401, 403, 404) } }
  }, async (request) => {
    admin(request)
    await refused(async () => { await users.setPassword(request.params.username, request.body.password, fastify.clock()) })
    await endSessions(request.params.username, 'password changed')
    return { message: 'password changed' }
  })

  for (const action of ['disable', 'enable'] as const) {
    fastify.post(`/people/:username/${action}`, {
      schema: { summary: action === 'disable' ? 'Disable a person: they cannot sign in, and their sessions end at once' : 'Let a disabled person sign in again', params: ByName, response: { 200: Person, ...errors(400, 401, 403, 404) } }
    }, async (request) => {
      const me = admin(request)
      if (action === 'disable' && request.params.username === me) throw new BadRequestError('you cannot disable yourself (another admin can)')
      await refused(async () => { await users.setDisabled(request.params.username, action === 'disable', fastify.clock()) })
      await endSessions(request.params.username, 'disabled')
      return view((await users.get(request.params.username))!) as never
    })
  }

  fastify.post('/people/:username/end_sessions', {
    schema: { summary: 'End every session of a person (their SSH connections with them); they may sign in again', params: ByName, response: { 200: MessageReply, ...errors(400, 401, 403, 404) } }
  }, async (request) => {
    admin(request)
    await refused(async () => { await users.endSessions(request.params.username, fastify.clock()) })
    await endSessions(request.params.username, 'ended by an admin')
    return { message: 'sessions ended' }
  })

  fastify.get('/credentials', {
    schema: { summary: 'The site logins the gateway holds, per region (never the password)', response: { 200: Type.Object({ enabled: Type.Boolean(), held: Type.Array(HeldLogin) }), ...errors(401, 403) } }
  }, async (request) => {
    const person = request.person
    if (person === undefined) admin(request)
    const held = (await credentials.list()).filter(h => { try { request.requireRole(h.region, 'admin'); return true } catch { return false } })
    return { enabled: credentials.enabled, held: held.map(h => ({ ...h, updated_at: iso(h.updated_at)! })) }
  })

  fastify.put('/credentials/:region', {
    schema: {
      summary: 'Hold the region\'s operator SSH login (sealed with AES-256-GCM): operators connect without typing it',
      params: Type.Object({ region: RegionName }),
      body: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 1024 }) }, { additionalProperties: false }),
      response: { 200: MessageReply, ...errors(400, 401, 403, 404) }
    }
  }, async (request) => {
    const { region } = request.params
    if (!regions.has(region)) throw new RegionNotFoundError()
    const who = request.requirePerson(region, 'admin')
    await refused(async () => { await credentials.set(region, request.body.id, request.body.password, who, fastify.clock()) })
    return { message: 'site login held' }
  })

  fastify.delete('/credentials/:region', {
    schema: { summary: 'Forget the region\'s held login', params: Type.Object({ region: RegionName }), response: { 200: MessageReply, ...errors(401, 403, 404) } }
  }, async (request) => {
    const { region } = request.params
    if (!regions.has(region)) throw new RegionNotFoundError()
    request.requirePerson(region, 'admin')
    return { message: await credentials.remove(region) ? 'held login removed' : 'no login was held for the region' }
  })
}

export default routes
