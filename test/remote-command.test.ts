import t from 'tap'
import { execFileSync } from 'node:child_process'
import { STDIN_URL, buildCommand, shQuote, stdinFor, withUrlFromStdin } from '../lib/ssh/remote-command.js'
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
    "printf 'fwmaint-pid %s\\n' \"$$\" >&2; exec env LC_ALL=C timeout -k 2 8 'grep' '-F' '--' 'Reconnect 1' '/x.log'")
  t.match(buildCommand({ argv: ['true'], timeoutSec: 0 }), / exec env LC_ALL=C timeout -k 2 1 /, 'at least one second')
})

t.test('sudo runs as `sudo -k -S -p \'\' --` and the password goes on stdin, never on the line', async t => {
  const cmd = { argv: ['docker', 'ps'], timeoutSec: 5, sudo: true }
  const line = buildCommand(cmd)
  t.match(line, / exec env LC_ALL=C timeout -k 2 5 sudo -k -S -p '' -- 'docker' 'ps'$/)
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

t.test('every command first reports the PID of its process group on stderr (for stopping it on abort)', async t => {
  const { spawnSync } = await import('node:child_process')
  const r = spawnSync('/bin/sh', ['-c', buildCommand({ argv: ['sh', '-c', 'ps -o pgid= -p $$'], timeoutSec: 5 })], { encoding: 'utf8' })
  const m = /^fwmaint-pid (\d+)\n/.exec(r.stderr)
  t.ok(m, 'first stderr line')
  t.equal(Number(r.stdout.trim()), Number(m![1]), 'that PID leads the command\'s process group')
  const { killCommand } = await import('../lib/ssh/remote-command.js')
  t.equal(killCommand(1234), 'kill -TERM -1234 2>/dev/null; sleep 2; kill -KILL -1234 2>/dev/null; true')
  t.throws(() => killCommand(1), { name: 'UnsafeArgumentError' })
  t.throws(() => killCommand(Number.NaN), { name: 'UnsafeArgumentError' })
})

t.test('the kill line really stops a running command\'s whole group, under dash', async t => {
  const { spawn, execFileSync: run } = await import('node:child_process')
  const { killCommand } = await import('../lib/ssh/remote-command.js')
  const c = spawn('/bin/sh', ['-c', buildCommand({ argv: ['sh', '-c', 'sleep 30 | cat'], timeoutSec: 60 })])
  const pid = await new Promise<number>(resolve => c.stderr.once('data', (d: Buffer) => { resolve(Number(/fwmaint-pid (\d+)/.exec(d.toString())![1])) }))
  const exited = new Promise(resolve => c.once('exit', resolve))
  run('/bin/sh', ['-c', killCommand(pid).replace('sleep 2; ', '')])
  await exited
  const { eventually } = await import('./helpers/app.js')
  t.ok(await eventually(() => run('sh', ['-c', `pgrep -g ${pid} || true`]).toString().trim() === '', 3000), 'no process left in the group')
})

t.test('withUrlFromStdin: the URL comes from stdin, byte-exact, in the placeholder\'s place, and is on no command line', async t => {
  const run = (url: string, args: string[]): string[] => {
    const line = buildCommand({ argv: withUrlFromStdin(['printf', '%s\\0', ...args]), timeoutSec: 10 })
    t.notOk(line.includes(url) && url.length > 3, 'the URL is not on the line')
    return execFileSync('/bin/sh', ['-c', line], { input: url + '\n', encoding: 'utf8' }).split('\0').slice(0, -1)
  }
  const url = "rtsp://admin:mn%2F1418!@#$(touch /tmp/fwmaint-pwned)'`id`@127.0.0.1:554/a b?x=1&y=2"
  t.same(run(url, ['-i', STDIN_URL, '-t', '4']), ['-i', url, '-t', '4'])
  t.same(run(url, ['a', STDIN_URL, 'b', STDIN_URL]), ['a', url, 'b', url], 'every placeholder')
  for (const v of HOSTILE.filter(v => v.length < 200 && !v.includes('\n') && !v.includes('\0'))) t.same(run(v, [STDIN_URL, '--']), [v, '--'], JSON.stringify(v))
  t.throws(() => withUrlFromStdin(['ffmpeg', '-i', 'x']), { name: 'UnsafeArgumentError' }, 'a command without the placeholder is a mistake')
})
