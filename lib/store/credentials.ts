import { ConfigProblem } from '../config/problem.js'
import { readSecret } from '../config/secrets.js'
import { needsReseal, open, parseKeyring, seal, SealError, type Keyring } from '../sealed.js'
import type { Database } from './db.js'

/*
 * A region's operator SSH login held by the gateway (issue 26, 4): an admin stores it once, an
 * operator connects without knowing it. The password is sealed (AES-256-GCM, lib/sealed.ts) under
 * CREDENTIALS_KEY_FILE's current key, bound to its region; the id is not secret (the audit names it).
 */

export class CredentialError extends Error {
  override name = 'CredentialError'
}

/** CREDENTIALS_KEY_FILE's keys: read as every secret file is (refused when others may read it, like ssh with a private key). */
export function readKeyring (file: string): Keyring {
  let text: string
  try {
    text = readSecret(file, undefined, 'CREDENTIALS_KEY')
  } catch (err) {
    if (!(err instanceof ConfigProblem)) throw err
    throw new CredentialError(`CREDENTIALS_KEY_FILE: ${err.message}`)
  }
  try {
    return parseKeyring(text)
  } catch (err) {
    throw new CredentialError(`CREDENTIALS_KEY_FILE ${file}: ${(err as Error).message}`)
  }
}

export interface HeldLogin { region: string, ssh_id: string, updated_at: number, updated_by: string }

const context = (region: string): string => `ssh:${region}`

export class CredentialStore {
  /** `ring` undefined: no key file configured — nothing can be stored or opened, listing still works. */
  constructor (private readonly database: Database, private readonly ring: Keyring | undefined) {}

  private get db (): Database['db'] { return this.database.db }

  get enabled (): boolean { return this.ring !== undefined }

  private need (): Keyring {
    if (this.ring === undefined) throw new CredentialError('no CREDENTIALS_KEY_FILE: this gateway holds no site logins (create one: printf "k1 %s\\n" "$(openssl rand -base64 32)" > key; chmod 600 key)')
    return this.ring
  }

  async set (region: string, sshId: string, password: string, by: string, at: number): Promise<void> {
    if (!/^[\x21-\x7e]{1,64}$/.test(sshId)) throw new CredentialError('the SSH id is 1-64 printable characters without spaces')
    if (password === '' || password.length > 1024) throw new CredentialError('the SSH password is 1-1024 characters')
    const row = { ssh_id: sshId, sealed: seal(this.need(), password, context(region)), updated_at: at, updated_by: by }
    await this.db.insertInto('site_credentials').values({ region, ...row }).onConflict(oc => oc.column('region').doUpdateSet(row)).execute()
  }

  async remove (region: string): Promise<boolean> {
    const r = await this.db.deleteFrom('site_credentials').where('region', '=', region).executeTakeFirst()
    return Number(r.numDeletedRows) > 0
  }

  async list (): Promise<HeldLogin[]> {
    const rows = await this.db.selectFrom('site_credentials').select(['region', 'ssh_id', 'updated_at', 'updated_by']).orderBy('region').execute()
    return rows.map(r => ({ ...r, updated_at: Number(r.updated_at) }))
  }

  async has (region: string): Promise<boolean> {
    return await this.db.selectFrom('site_credentials').select('region').where('region', '=', region).executeTakeFirst() !== undefined
  }

  /** The region's held login, opened; undefined when none is held. Sealed again under the current key after a rotation. */
  async login (region: string): Promise<{ username: string, password: string } | undefined> {
    const r = await this.db.selectFrom('site_credentials').selectAll().where('region', '=', region).executeTakeFirst()
    if (r === undefined) return undefined
    const ring = this.need()
    let password: string
    try {
      password = open(ring, r.sealed, context(region))
    } catch (err) {
      if (!(err instanceof SealError)) throw err
      throw new CredentialError(`the login held for region ${region} does not open (${err.message}): an admin must hold it again`)
    }
    if (needsReseal(ring, r.sealed)) {
      await this.db.updateTable('site_credentials').set({ sealed: seal(ring, password, context(region)) }).where('region', '=', region).where('sealed', '=', r.sealed).execute()
    }
    return { username: r.ssh_id, password }
  }
}
