/** `npm run users` (bin/users.ts): the commands, apart from the process so tests run them in place. */
import { parseArgs } from 'node:util'
import type { Env } from '../lib/env.js'
import { parseRoleGrant, type Role } from '../lib/roles.js'
import { openDatabase } from '../lib/store/db.js'
import { UserError, UserStore } from '../lib/store/users.js'
import { CredentialError, CredentialStore, readKeyring } from '../lib/store/credentials.js'
import { TokenError, TokenStore } from '../lib/store/tokens.js'

/** Where the command reads and writes: the process's own streams, or a test's. */
export interface Io {
  stdin: AsyncIterable<unknown> & { isTTY?: boolean }
  out: (line: string) => void
  err: (line: string) => void
  env: Pick<Env, 'DATABASE_URL' | 'HISTORY_DB' | 'CREDENTIALS_KEY_FILE'>
}

const USAGE = 'usage: users add <name> --role <region>=<viewer|operator|admin> [--role …] [--display <name>] [--password-stdin]\n' +
  '       users passwd <name> --password-stdin | users roles <name> --role … | users disable <name> | users enable <name> | users end-sessions <name> | users list\n' +
  '       users credentials <region> --id <ssh id> --password-stdin | users credentials <region> --remove | users credentials\n' +
  '       users token add <name> --region <region> [--region …] | users token list | users token revoke <name>'

async function readPassword (io: Io): Promise<string> {
  if (io.stdin.isTTY === true) throw new UserError('--password-stdin reads the password from a pipe, e.g. printf %s "$PW" | npm run users -- passwd kim --password-stdin')
  const chunks: Buffer[] = []
  for await (const c of io.stdin) chunks.push(c as Buffer)
  // One trailing line end (echo, a file) is not part of it.
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '')
}

function grants (list: string[] | undefined): Map<string, Role> {
  const roles = new Map<string, Role>()
  for (const g of list ?? []) {
    const parsed = parseRoleGrant(g)
    if (parsed === undefined) throw new UserError(`--role ${g}: give <region>=<viewer|operator|admin>, e.g. 대구=operator or '*=viewer'`)
    roles.set(parsed[0], parsed[1])
  }
  return roles
}

/** Runs one command; resolves with the exit code (0 done, 1 refused, 2 not a command). */
export async function usersCommand (argv: string[], io: Io): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { role: { type: 'string', multiple: true }, display: { type: 'string' }, 'password-stdin': { type: 'boolean' }, id: { type: 'string' }, remove: { type: 'boolean' }, region: { type: 'string', multiple: true } }
    })
  } catch (err) {
    io.err(`${(err as Error).message}\n${USAGE}`)
    return 2
  }
  const { values } = parsed
  if (parsed.positionals[0] === 'token') return await tokenCommand(parsed.positionals.slice(1), values.region ?? [], io)
  const [cmd, name, ...extra] = parsed.positionals
  if (cmd === undefined || extra.length > 0 || (cmd !== 'list' && cmd !== 'credentials' && name === undefined) ||
    !['add', 'passwd', 'roles', 'disable', 'enable', 'end-sessions', 'list', 'credentials'].includes(cmd)) {
    io.err(USAGE)
    return 2
  }
  const env = io.env
  const db = await openDatabase({ url: env.DATABASE_URL, file: env.HISTORY_DB })
  const users = new UserStore(db)
  const now = Date.now()
  try {
    if (cmd === 'credentials') return await credentialsCommand(new CredentialStore(db, io.env.CREDENTIALS_KEY_FILE === '' ? undefined : readKeyring(io.env.CREDENTIALS_KEY_FILE)), name, values, io, now)
    switch (cmd) {
      case 'add': {
        const roles = grants(values.role)
        if (roles.size === 0) throw new UserError('give at least one --role <region>=<role>')
        const u = await users.add(name!, { roles, displayName: values.display, password: values['password-stdin'] === true ? await readPassword(io) : undefined }, now)
        io.out(`added ${u.username}: ${[...u.roles].map(([r, role]) => `${r}=${role}`).join(', ')}${u.has_password ? '' : ' (no password: single sign-on only)'}`)
        break
      }
      case 'passwd':
        if (values['password-stdin'] !== true) throw new UserError('passwd reads the new password from stdin: add --password-stdin')
        await users.setPassword(name!, await readPassword(io), now)
        io.out(`password of ${name!} changed`)
        break
      case 'roles': {
        const roles = grants(values.role)
        await users.setRoles(name!, roles, now)
        io.out(`roles of ${name!}: ${[...roles].map(([r, role]) => `${r}=${role}`).join(', ') || '(none)'}`)
        break
      }
      case 'disable':
      case 'enable':
        await users.setDisabled(name!, cmd === 'disable', now)
        io.out(`${name!} ${cmd}d`)
        break
      case 'end-sessions':
        await users.endSessions(name!, now)
        io.out(`sessions of ${name!} ended (each gateway ends them at their next request, or within a minute)`)
        break
      case 'list':
        for (const u of await users.list()) {
          io.out([u.username, u.display_name ?? '', [...u.roles].map(([r, role]) => `${r}=${role}`).join(','), u.disabled ? 'disabled' : 'active', u.has_password ? 'password' : 'sso-only'].join('\t'))
        }
        break
    }
    return 0
  } catch (err) {
    if (!(err instanceof UserError) && !(err instanceof CredentialError)) throw err
    io.err(err.message)
    return 1
  } finally {
    await db.close()
  }
}


/** `users credentials`: list the held site logins, hold one (the password from stdin), or forget one. */
async function credentialsCommand (store: CredentialStore, region: string | undefined, values: { id?: string, 'password-stdin'?: boolean, remove?: boolean }, io: Io, now: number): Promise<number> {
  if (region === undefined) {
    for (const h of await store.list()) io.out([h.region, h.ssh_id, new Date(h.updated_at).toISOString(), h.updated_by].join('\t'))
    return 0
  }
  if (values.remove === true) {
    io.out(await store.remove(region) ? `the login held for ${region} is forgotten` : `no login was held for ${region}`)
    return 0
  }
  if (values.id === undefined || values['password-stdin'] !== true) throw new CredentialError('give --id <ssh id> and the password on stdin (--password-stdin)')
  // Names are checked by the gateway against the regions file when used; here, only its form.
  if (!/^[^\s=]{1,64}$/u.test(region)) throw new CredentialError(`${region}: not a region name`)
  await store.set(region, values.id, await readPassword(io), 'users command', now)
  io.out(`the ${region} site login (${values.id}) is held, sealed with CREDENTIALS_KEY_FILE's current key`)
  return 0
}

/** `users token`: read-only integration tokens scoped to regions (Prometheus, Grafana); the token is printed once. */
async function tokenCommand (args: string[], regions: string[], io: Io): Promise<number> {
  const [action, name, ...extra] = args
  if (extra.length > 0 || !(action === 'list' ? name === undefined : (action === 'add' || action === 'revoke') && name !== undefined)) {
    io.err(USAGE)
    return 2
  }
  const db = await openDatabase({ url: io.env.DATABASE_URL, file: io.env.HISTORY_DB })
  const tokens = new TokenStore(db)
  try {
    if (action === 'add') {
      const token = await tokens.create(name!, regions, 'users command', Date.now())
      io.out(token)
      io.err(`token ${name!} reads ${regions.join(', ')} (read only): send it as "Authorization: Bearer <token>". It is shown this once.`)
    } else if (action === 'revoke') {
      await tokens.revoke(name!, Date.now())
      io.out(`token ${name!} revoked`)
    } else {
      for (const tk of await tokens.list()) io.out([tk.name, tk.regions.join(','), tk.revoked_at === null ? 'live' : `revoked ${new Date(tk.revoked_at).toISOString()}`, tk.created_by].join('\t'))
    }
    return 0
  } catch (err) {
    if (!(err instanceof TokenError)) throw err
    io.err(err.message)
    return 1
  } finally {
    await db.close()
  }
}
