import t from 'tap'
import { execFileSync } from 'node:child_process'
import { buildCommand, shQuote, stdinFor } from '../lib/remote-command.js'
import { HOSTILE_VALUES } from './helpers/hostile.js'

const HOSTILE = HOSTILE_VALUES()

/** Runs the built line through a real POSIX shell and returns the argv the program received. */
function argvSeenByShell (args: string[]): string[] {
  // printf's format is its first argument; every later one is data, printed NUL-terminated.
  const line = buildCommand({ argv: ['printf', '%s\\0', ...args], timeoutSec: 10 })
  const out = execFileSync('/bin/sh', ['-c', line], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  return out.split('\0').slice(0, -1)
}

t.test('every hostile value reaches the program byte-exact, as one argument, through /bin/sh', async t => {
  // One shell run for the whole corpus, then each value on its own (position and neighbours matter too).
  t.same(argvSeenByShell(HOSTILE), HOSTILE)
  for (const v of HOSTILE.filter(v => v.length < 1000)) t.same(argvSeenByShell([v]), [v], JSON.stringify(v))
})

t.test('nothing in the corpus executes anything', async t => {
  const { existsSync, rmSync } = await import('node:fs')
  rmSync('/tmp/fwmaint-pwned', { force: true })
  argvSeenByShell(HOSTILE)
  t.notOk(existsSync('/tmp/fwmaint-pwned'), 'canary file not created')
})

t.test('a NUL byte is refused (no exec can carry it)', async t => {
  t.throws(() => shQuote('a\0b'), { name: 'UnsafeArgumentError' })
  t.throws(() => buildCommand({ argv: ['grep', '-F', 'x\0'], timeoutSec: 5 }), { name: 'UnsafeArgumentError' })
})

t.test('non-strings are refused', async t => {
  t.throws(() => shQuote(42 as unknown as string), { name: 'UnsafeArgumentError' })
  t.throws(() => buildCommand({ argv: [], timeoutSec: 5 }), { name: 'UnsafeArgumentError' })
})

t.test('the line starts with LC_ALL=C and a remote timeout with a kill grace', async t => {
  t.equal(buildCommand({ argv: ['grep', '-F', '--', 'Reconnect 1', '/x.log'], timeoutSec: 7.2 }),
    "LC_ALL=C timeout -k 2 8 'grep' '-F' '--' 'Reconnect 1' '/x.log'")
  t.match(buildCommand({ argv: ['true'], timeoutSec: 0 }), /^LC_ALL=C timeout -k 2 1 /, 'at least one second')
})

t.test('sudo runs as `sudo -k -S -p \'\' --` and the password goes on stdin, never on the line', async t => {
  const cmd = { argv: ['docker', 'ps'], timeoutSec: 5, sudo: true }
  const line = buildCommand(cmd)
  t.equal(line, "LC_ALL=C timeout -k 2 5 sudo -k -S -p '' -- 'docker' 'ps'")
  t.equal(stdinFor(cmd, 'p@ss\'"$w0rd'), 'p@ss\'"$w0rd\n')
  t.notOk(line.includes('p@ss'))
  t.equal(stdinFor({ argv: ['ls'], timeoutSec: 5 }, 'pw'), undefined, 'no stdin without sudo')
  t.throws(() => stdinFor(cmd, 'two\nlines'), { name: 'UnsafeArgumentError' }, 'a password with a newline cannot be fed to sudo -S')
  t.throws(() => stdinFor(cmd, undefined), { name: 'UnsafeArgumentError' })
})

t.test('the remote timeout really stops a hung command', async t => {
  const line = buildCommand({ argv: ['sleep', '30'], timeoutSec: 1 })
  const started = Date.now()
  let code = 0
  try { execFileSync('/bin/sh', ['-c', line]) } catch (err) { code = (err as { status: number }).status }
  t.equal(code, 124, 'timeout(1) exit status')
  t.ok(Date.now() - started < 10_000, 'did not run for 30 s')
})
