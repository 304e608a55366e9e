import t from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { needsRehash, passwordProblem } from '../lib/passwords.js'
import { needsReseal, open, parseKeyring, seal, SealError } from '../lib/sealed.js'
import { allows, parseRoleGrant, roleIn } from '../lib/roles.js'
import { openDatabase, type Database } from '../lib/store/db.js'
import { UserError, UserStore } from '../lib/store/users.js'
import { startPostgres } from './helpers/postgres.js'
import { usersCommand } from '../bin/users-command.js'
import { Readable } from 'node:stream'

// Issue 26, 2 (first part): people in the database with Argon2id hashes and roles per region,
// managed by `npm run users` (bin/users.ts) — run here as the command it is, on a real SQLite
// file and a real PostgreSQL database; and (item 4) how held site credentials are sealed.

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const dir = mkdtempSync(path.join(os.tmpdir(), 'fwusers-'))
const pgServer = await startPostgres(t)

/** The command as a process (bin/users.ts: `npm run users -- …` without the build), `stdin` piped in. */
function spawned (env: Record<string, string>, args: string[], stdin = ''): { code: number | null, out: string, err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bin/users.ts'), ...args], {
    cwd: ROOT, input: stdin, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000
  })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

/** The same commands in this process (a Node start each would be ~1.3 CPU-s): stdin a pipe's bytes. */
async function users (env: { HISTORY_DB: string, DATABASE_URL: string, CREDENTIALS_KEY_FILE?: string }, args: string[], stdin = ''): Promise<{ code: number, out: string, err: string }> {
  const out: string[] = []
  const err: string[] = []
  const code = await usersCommand(args, { stdin: Readable.from([Buffer.from(stdin)]), out: l => { out.push(l + '\n') }, err: l => { err.push(l + '\n') }, env: { CREDENTIALS_KEY_FILE: '', ...env } })
  return { code, out: out.join(''), err: err.join('') }
}

t.test('roles: a grant is <region>=<role>; the region\'s own role wins over *; admin ⊃ operator ⊃ viewer', async t => {
  t.same(parseRoleGrant('대구=operator'), ['대구', 'operator'])
  t.same(parseRoleGrant('*=viewer'), ['*', 'viewer'])
  for (const bad of ['대구', '=admin', '대구=root', '대구=', '']) t.equal(parseRoleGrant(bad), undefined, JSON.stringify(bad))
  const roles = new Map([['*', 'viewer'], ['대구', 'admin']] as const)
  t.equal(roleIn(roles, '대구'), 'admin')
  t.equal(roleIn(roles, '부산'), 'viewer')
  t.equal(roleIn(new Map([['대구', 'operator']] as const), '부산'), undefined)
  t.ok(allows('admin', 'operator') && allows('operator', 'operator') && !allows('viewer', 'operator') && !allows(undefined, 'viewer'))
  t.equal(passwordProblem('short'), 'a password needs at least 10 characters')
  t.equal(passwordProblem('x'.repeat(257)), 'a password has at most 256 characters')
  t.equal(passwordProblem('tab\there-ok?'), 'a password cannot hold control characters')
  t.equal(passwordProblem('correct horse'), undefined)
})

t.test('npm run users on SQLite: add, list, passwd, disable, enable; refusals say why; the hash is Argon2id with OWASP\'s parameters', async t => {
  const env = { HISTORY_DB: path.join(dir, 'history.sqlite'), DATABASE_URL: '' }
  // As a process: the password through a pipe, the answer on stdout.
  const add = spawned(env, ['add', 'kim', '--role', '대구=operator', '--role', '*=viewer', '--display', '김민준', '--password-stdin'], 'correct horse battery\n')
  t.match(add, { code: 0, out: 'added kim: *=viewer, 대구=operator\n' })
  t.match(spawned(env, ['list', '--password', 'x']), { code: 2, err: /Unknown option '--password'/ }, 'no password as an argument')
  t.match(await users(env, ['add', 'kim', '--role', '대구=viewer']), { code: 1, err: 'there is a user kim already\n' })
  t.match(await users(env, ['add', 'lee', '--role', '대구=root']), { code: 1, err: /--role 대구=root: give <region>=<viewer\|operator\|admin>/ })
  t.match(await users(env, ['add', 'lee', '--role', '대구=viewer', '--password-stdin'], 'short\n'), { code: 1, err: 'a password needs at least 10 characters\n' })
  t.match(await users(env, ['add', 'lee']), { code: 1, err: 'give at least one --role <region>=<role>\n' })
  t.match(await users(env, ['add', 'park', '--role', '부산=admin']), { code: 0, out: /park: 부산=admin \(no password: single sign-on only\)/ })
  t.match(await users(env, ['list']), { code: 0, out: 'kim\t김민준\t*=viewer,대구=operator\tactive\tpassword\npark\t\t부산=admin\tactive\tsso-only\n' })
  t.match(await users(env, []), { code: 2, err: /^usage: users add/ })
  t.match(await users(env, ['frobnicate', 'x']), { code: 2 })

  const db = await openDatabase({ file: env.HISTORY_DB })
  t.teardown(db.close)
  const store = new UserStore(db)
  const row = await db.db.selectFrom('users').select('password_hash').where('username', '=', 'kim').executeTakeFirstOrThrow()
  t.match(row.password_hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/, 'Argon2id, 19 MiB, 2 passes, 1 lane')
  t.notOk(needsRehash(row.password_hash!), 'today\'s parameters: no rehash')
  t.ok(needsRehash('$argon2id$v=19$m=4096,t=3,p=1$c2FsdHNhbHQ$aGFzaGhhc2g'), 'weaker ones: rehash at the next sign-in')
  t.match(await store.verify('kim', 'correct horse battery'), { username: 'kim', display_name: '김민준', disabled: false })
  t.equal(await store.verify('kim', 'correct horse batterY'), undefined, 'a wrong password')
  t.equal(await store.verify('nobody', 'correct horse battery'), undefined, 'an unknown name')
  t.equal(await store.verify('park', ''), undefined, 'single sign-on only: no password signs in')

  t.match(await users(env, ['passwd', 'kim']), { code: 1, err: /add --password-stdin/ })
  t.match(await users(env, ['passwd', 'kim', '--password-stdin'], 'another good one 2'), { code: 0 })
  t.equal(await store.verify('kim', 'correct horse battery'), undefined, 'the old password no longer')
  t.ok(await store.verify('kim', 'another good one 2'), 'the new one')
  t.match(await users(env, ['disable', 'kim']), { code: 0, out: 'kim disabled\n' })
  t.equal(await store.verify('kim', 'another good one 2'), undefined, 'disabled: the right password does not sign in')
  t.match(await users(env, ['enable', 'kim']), { code: 0 })
  t.ok(await store.verify('kim', 'another good one 2'), 'enabled again')
  t.match(await users(env, ['disable', 'nobody']), { code: 1, err: 'there is no user nobody\n' })
})

t.test('PostgreSQL: the same store — roles replaced, names of any script, refusals as UserError', async t => {
  const db: Database = await openDatabase({ url: await pgServer.newDatabase(), file: '' })
  t.teardown(db.close)
  const store = new UserStore(db)
  await store.add('박지훈', { roles: new Map([['대구', 'viewer']]), password: 'a long enough one' }, 1000)
  await store.setRoles('박지훈', new Map([['부산', 'operator'], ['*', 'viewer']]), 2000)
  t.same([...(await store.get('박지훈'))!.roles], [['*', 'viewer'], ['부산', 'operator']], 'replaced; * first')
  t.ok(await store.verify('박지훈', 'a long enough one'))
  await t.rejects(store.add('x y', { roles: new Map() }, 0), new UserError('a user name is 2-64 letters, digits or . _ @ -'))
  await t.rejects(store.setPassword('박지훈', 'short', 0), new UserError('a password needs at least 10 characters'))
  t.same((await store.list()).map(u => u.username), ['박지훈'])
})

t.test('held credentials: sealed with AES-256-GCM under the key file\'s current key; any change, another context or a lost key does not open; keys rotate', async t => {
  const key = (n: number): string => Buffer.alloc(32, n).toString('base64')
  const ring = parseKeyring(`# fwmaint credentials\nk1 ${key(1)}\n`)
  const sealed = seal(ring, 'fwops-p@ss 비밀', 'ssh:대구')
  t.match(sealed, /^v1:k1:/)
  t.notOk(sealed.includes('fwops'), 'the secret is not in it')
  t.equal(open(ring, sealed, 'ssh:대구'), 'fwops-p@ss 비밀')
  t.not(seal(ring, 'fwops-p@ss 비밀', 'ssh:대구'), sealed, 'a fresh nonce each time')
  t.throws(() => open(ring, sealed, 'ssh:부산'), SealError, 'another region\'s row: does not open')
  fc.assert(fc.property(fc.constantFrom(2, 3, 4), fc.nat(), fc.integer({ min: 1, max: 255 }), (part, at, flip) => {
    const parts = sealed.split(':')
    const bytes = Buffer.from(parts[part], 'base64')
    if (bytes.length === 0) return true
    bytes[at % bytes.length] ^= flip
    parts[part] = bytes.toString('base64')
    try { open(ring, parts.join(':'), 'ssh:대구'); return false } catch (err) { return err instanceof SealError }
  }), { numRuns: 300 })
  t.pass('300 single-byte changes of nonce, body or tag: none opens')

  // Rotation: a new key first; the old one still opens what it sealed, and says it wants resealing.
  const rotated = parseKeyring(`k2 ${key(2)}\nk1 ${key(1)}\n`)
  t.equal(open(rotated, sealed, 'ssh:대구'), 'fwops-p@ss 비밀')
  t.ok(needsReseal(rotated, sealed))
  const again = seal(rotated, open(rotated, sealed, 'ssh:대구'), 'ssh:대구')
  t.match(again, /^v1:k2:/)
  t.notOk(needsReseal(rotated, again))
  t.throws(() => open(parseKeyring(`k2 ${key(2)}`), sealed, 'ssh:대구'), /sealed with key k1, which CREDENTIALS_KEY_FILE no longer holds/)
  t.throws(() => parseKeyring('k1 tooshort'), /line 1: give "<id> <32 random bytes in base64>"/)
  t.throws(() => parseKeyring(`k1 ${key(1)}\nk1 ${key(2)}`), /line 2: key k1 twice/)
  t.throws(() => parseKeyring('# nothing\n'), /no key in it/)
})
