import { createHash, randomBytes } from 'node:crypto'
import type { Database } from './db.js'

/*
 * Read-only integration tokens scoped to regions (issue 26, 7): Prometheus or Grafana reads the
 * monitor of the regions named, nothing else, and changes nothing. Beside MONITOR_TOKEN (every
 * region, as before). Only the SHA-256 of a token is kept: it is shown once, when made.
 */

export interface ApiToken { name: string, regions: string[], created_at: number, created_by: string, revoked_at: number | null }

export class TokenError extends Error {
  override name = 'TokenError'
}

/** Every token starts so: a log scanner can find one that leaked, and it is never taken for MONITOR_TOKEN. */
export const TOKEN_PREFIX = 'fwt_'

const digest = (token: string): string => createHash('sha256').update(token).digest('hex')

export class TokenStore {
  constructor (private readonly database: Database) {}

  private get db (): Database['db'] { return this.database.db }

  /** A new token for `regions` ('*': all); its text is returned once and never kept. */
  async create (name: string, regions: string[], by: string, at: number): Promise<string> {
    if (!/^[\p{L}\p{N}._@-]{2,64}$/u.test(name)) throw new TokenError('a token\'s name is 2-64 letters, digits or . _ @ -')
    if (regions.length === 0) throw new TokenError('give the regions it reads (--region <name>, or --region \'*\' for all)')
    if (await this.db.selectFrom('api_tokens').select('id').where('name', '=', name).executeTakeFirst() !== undefined) throw new TokenError(`there is a token ${name} already`)
    const token = TOKEN_PREFIX + randomBytes(32).toString('base64url')
    await this.db.insertInto('api_tokens').values({ name, digest: digest(token), regions: JSON.stringify([...new Set(regions)].sort()), created_at: at, created_by: by, revoked_at: null }).execute()
    return token
  }

  async revoke (name: string, at: number): Promise<void> {
    const r = await this.db.updateTable('api_tokens').set({ revoked_at: at }).where('name', '=', name).where('revoked_at', 'is', null).executeTakeFirst()
    if (Number(r.numUpdatedRows) === 0) throw new TokenError(`there is no live token ${name}`)
  }

  async list (): Promise<ApiToken[]> {
    const rows = await this.db.selectFrom('api_tokens').select(['name', 'regions', 'created_at', 'created_by', 'revoked_at']).orderBy('name').execute()
    return rows.map(r => ({ ...r, regions: JSON.parse(r.regions) as string[], created_at: Number(r.created_at), revoked_at: r.revoked_at === null ? null : Number(r.revoked_at) }))
  }

  /** The live token this text is, or undefined. */
  async find (token: string): Promise<{ name: string, regions: string[] } | undefined> {
    if (!token.startsWith(TOKEN_PREFIX) || token.length > 100) return undefined
    const r = await this.db.selectFrom('api_tokens').select(['name', 'regions']).where('digest', '=', digest(token)).where('revoked_at', 'is', null).executeTakeFirst()
    return r === undefined ? undefined : { name: r.name, regions: JSON.parse(r.regions) as string[] }
  }
}
