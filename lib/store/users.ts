import { hashPassword, passwordProblem, verifyPassword } from '../passwords.js'
import { isRole, type Role } from '../roles.js'
import type { Database } from './db.js'

/*
 * People (issue 26): accounts in the history database (SQLite or PostgreSQL), each with an
 * Argon2id hash and a role per region. Managed by `npm run users` (bin/users.ts) and, later,
 * by admins in the console; read at every sign-in.
 */

export interface User {
  id: number
  username: string
  display_name: string | null
  disabled: boolean
  /** Region (or '*') → role. */
  roles: Map<string, Role>
  /** False: signs in by single sign-on only. */
  has_password: boolean
  /** A session signed in under another epoch is over. */
  session_epoch: number
  created_at: number
  updated_at: number
}

type Row = { id: number, username: string, display_name: string | null, password_hash: string | null, disabled: number, session_epoch: number, oidc_subject: string | null,
  created_at: number, updated_at: number }

/** A request the store refuses (an unknown or taken name, a weak password): its message says why. */
export class UserError extends Error {}

/** A name to sign in with: letters (any script), digits and . _ @ -, 2 to 64 of them. */
const USERNAME = /^[\p{L}\p{N}._@-]{2,64}$/u

export function usernameProblem (name: string): string | undefined {
  return USERNAME.test(name) ? undefined : 'a user name is 2-64 letters, digits or . _ @ -'
}

/** Hashed once: an unknown name is checked against it, so its answer takes as long as a known one's. */
let decoy: Promise<string> | undefined

export class UserStore {
  constructor (private readonly database: Database) {}

  private get db (): Database['db'] { return this.database.db }

  async add (username: string, opts: { displayName?: string, roles: ReadonlyMap<string, Role>, password?: string }, at: number): Promise<User> {
    const bad = usernameProblem(username) ?? (opts.password === undefined ? undefined : passwordProblem(opts.password))
    if (bad !== undefined) throw new UserError(bad)
    if (await this.row(username) !== undefined) throw new UserError(`there is a user ${username} already`)
    const hash = opts.password === undefined ? null : await hashPassword(opts.password)
    await this.db.transaction().execute(async tx => {
      const { id } = await tx.insertInto('users').values({ username, display_name: opts.displayName ?? null, password_hash: hash, created_at: at, updated_at: at })
        .returning('id').executeTakeFirstOrThrow()
      if (opts.roles.size > 0) await tx.insertInto('user_roles').values([...opts.roles].map(([region, role]) => ({ user_id: Number(id), region, role }))).execute()
    })
    return (await this.get(username))!
  }

  async setPassword (username: string, password: string, at: number): Promise<void> {
    const bad = passwordProblem(password)
    if (bad !== undefined) throw new UserError(bad)
    await this.need(username)
    const hash = await hashPassword(password)
    // A new password ends the sessions signed in with the old one.
    await this.db.updateTable('users').set(eb => ({ password_hash: hash, session_epoch: eb('session_epoch', '+', 1), updated_at: at })).where('username', '=', username).execute()
  }

  async setDisabled (username: string, disabled: boolean, at: number): Promise<void> {
    await this.need(username)
    await this.db.updateTable('users').set(eb => ({ disabled: disabled ? 1 : 0, session_epoch: eb('session_epoch', '+', 1), updated_at: at })).where('username', '=', username).execute()
  }

  /** Ends every session of the person, on every gateway sharing the database (their next request is a 401). */
  async endSessions (username: string, at: number): Promise<void> {
    await this.need(username)
    await this.db.updateTable('users').set(eb => ({ session_epoch: eb('session_epoch', '+', 1), updated_at: at })).where('username', '=', username).execute()
  }

  /**
   * A person signed in by single sign-on: found by the IdP's subject (their name and roles brought up
   * to date: the IdP's groups are the truth), or added without a password. A local account of the
   * same name is never taken over: refused. Undefined when the person is disabled.
   */
  async signInSso (who: { subject: string, username: string, displayName?: string, roles: ReadonlyMap<string, Role> }, at: number): Promise<User | undefined> {
    const r = await this.db.selectFrom('users').selectAll().where('oidc_subject', '=', who.subject).executeTakeFirst()
    if (r === undefined) {
      const name = who.username.normalize('NFC')
      const bad = usernameProblem(name)
      if (bad !== undefined) throw new UserError(`the identity provider's name ${JSON.stringify(name)} cannot be used here: ${bad}`)
      if (await this.row(name) !== undefined) throw new UserError(`the name ${name} belongs to an account of this gateway: an admin must rename one of them`)
      await this.add(name, { displayName: who.displayName, roles: who.roles }, at)
      await this.db.updateTable('users').set({ oidc_subject: who.subject }).where('username', '=', name).execute()
      return await this.get(name)
    }
    if (Number(r.disabled) === 1) return undefined
    await this.setRoles(r.username, who.roles, at)
    if (who.displayName !== undefined && who.displayName !== r.display_name) await this.db.updateTable('users').set({ display_name: who.displayName }).where('id', '=', r.id).execute()
    return await this.get(r.username)
  }

  /** The person behind a session: by id (a name may be freed and taken again). */
  async byId (id: number): Promise<User | undefined> {
    const r = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst()
    if (r === undefined) return undefined
    return this.user(r, await this.db.selectFrom('user_roles').selectAll().where('user_id', '=', Number(r.id)).execute())
  }

  /** Replaces the person's roles. */
  async setRoles (username: string, roles: ReadonlyMap<string, Role>, at: number): Promise<void> {
    const u = await this.need(username)
    await this.db.transaction().execute(async tx => {
      await tx.deleteFrom('user_roles').where('user_id', '=', u.id).execute()
      if (roles.size > 0) await tx.insertInto('user_roles').values([...roles].map(([region, role]) => ({ user_id: u.id, region, role }))).execute()
      await tx.updateTable('users').set({ updated_at: at }).where('id', '=', u.id).execute()
    })
  }

  async list (): Promise<User[]> {
    const rows = await this.db.selectFrom('users').selectAll().orderBy('username').execute()
    const roles = await this.db.selectFrom('user_roles').selectAll().execute()
    return rows.map(r => this.user(r, roles.filter(g => Number(g.user_id) === Number(r.id))))
  }

  async get (username: string): Promise<User | undefined> {
    const r = await this.row(username)
    if (r === undefined) return undefined
    return this.user(r, await this.db.selectFrom('user_roles').selectAll().where('user_id', '=', Number(r.id)).execute())
  }

  /** The person a name and password sign in as: undefined for an unknown name, a wrong password or a disabled account. */
  async verify (username: string, password: string): Promise<User | undefined> {
    const r = usernameProblem(username) === undefined ? await this.row(username) : undefined
    if (r?.password_hash == null) {
      await verifyPassword(await (decoy ??= hashPassword('fwmaint decoy password')), password)
      return undefined
    }
    if (!await verifyPassword(r.password_hash, password) || Number(r.disabled) === 1) return undefined
    return await this.get(username)
  }

  private async row (username: string): Promise<Row | undefined> {
    return await this.db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst()
  }

  private async need (username: string): Promise<User> {
    const u = await this.get(username)
    if (u === undefined) throw new UserError(`there is no user ${username}`)
    return u
  }

  private user (r: Row,
    roles: Array<{ region: string, role: string }>): User {
    return {
      id: Number(r.id),
      username: r.username,
      display_name: r.display_name,
      disabled: Number(r.disabled) === 1,
      // '*' first, then the regions by name: the same order every time it is shown.
      roles: new Map(roles.filter(g => isRole(g.role)).sort((a, b) => (a.region === '*' ? -1 : b.region === '*' ? 1 : a.region.localeCompare(b.region)))
        .map(g => [g.region, g.role as Role])),
      has_password: r.password_hash !== null,
      session_epoch: Number(r.session_epoch),
      created_at: Number(r.created_at),
      updated_at: Number(r.updated_at)
    }
  }
}
