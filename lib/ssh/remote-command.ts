/**
 * The one place that turns an argv into a command line for a site's shell.
 *
 * A remote SSH exec is always interpreted by the login shell on the far side, so
 * every argument is single-quoted for POSIX sh: inside '…' nothing is special
 * except the quote itself, written as '\''. Nothing a client sends is ever placed
 * on the line any other way. Secrets never go on the line either: the sudo
 * password travels on stdin (see `stdinFor`).
 */

import { BadRequestError } from '../errors.js'

/** A value no remote command can carry (NUL, a password with a line break): the client's 400, never a 500. */
export class UnsafeArgumentError extends BadRequestError {}

/** Quotes one argument for POSIX sh. NUL cannot be carried by any exec, so it is refused. */
export function shQuote (arg: string): string {
  if (typeof arg !== 'string') throw new UnsafeArgumentError('argument is not a string')
  if (arg.includes('\0')) throw new UnsafeArgumentError('argument contains a NUL byte')
  return `'${arg.replace(/'/g, `'\\''`)}'`
}

export interface RemoteCommand {
  /** Program and arguments; argv[0] is looked up on the remote PATH. */
  argv: readonly string[]
  /** Remote wall-clock limit (coreutils `timeout`, then SIGKILL 2 s later). */
  timeoutSec: number
  /** Run through `sudo -S` (the session password is written to stdin by the caller). */
  sudo?: boolean
}

/** First line on stderr of every command: the PID of its process group (see buildCommand). */
export const PID_MARK = 'fwmaint-pid '

/**
 * `printf 'fwmaint-pid %s\n' $$ >&2; exec env LC_ALL=C timeout -k 2 <n> [sudo -k -S -p '' --] argv…`
 *
 * - the PID line: `exec` keeps the shell's PID through env and timeout, and timeout leads its
 *   own process group, so `kill -- -PID` stops the whole command when the client goes away.
 * - LC_ALL=C: byte semantics for grep and stable, untranslated error texts.
 * - timeout: ending an SSH channel does not stop a non-pty remote process; this does.
 * - sudo -k: ignore cached credentials so the password line on stdin is always consumed
 *   by sudo and never left for the command itself to read. -p '' keeps the prompt out of stderr.
 */
export function buildCommand (cmd: RemoteCommand): string {
  if (cmd.argv.length === 0) throw new UnsafeArgumentError('empty command')
  const secs = Math.max(1, Math.ceil(cmd.timeoutSec))
  const parts = [`printf '${PID_MARK}%s\\n' "$$" >&2;`, 'exec', 'env', 'LC_ALL=C', 'timeout', '-k', '2', String(secs)]
  if (cmd.sudo === true) parts.push('sudo', '-k', '-S', '-p', "''", '--')
  for (const a of cmd.argv) parts.push(shQuote(a))
  return parts.join(' ')
}

/** The line that stops a command started by buildCommand, given the PID it reported. */
export function killCommand (pid: number): string {
  if (!Number.isInteger(pid) || pid <= 1) throw new UnsafeArgumentError('not a process id')
  // No `--`: dash's kill builtin (Debian's /bin/sh) rejects it ("Illegal number: -").
  return `kill -TERM -${pid} 2>/dev/null; sleep 2; kill -KILL -${pid} 2>/dev/null; true`
}

/** What the caller writes on the channel's stdin for `cmd`. */
export function stdinFor (cmd: RemoteCommand, password: string | undefined): string | undefined {
  if (cmd.sudo !== true) return undefined
  if (password === undefined) throw new UnsafeArgumentError('sudo needs the session password')
  if (/[\r\n]/.test(password)) throw new UnsafeArgumentError('a password with a line break cannot be given to sudo -S')
  return password + '\n'
}

/** The placeholder in an argv that `withUrlFromStdin` replaces with the first line of stdin. */
export const STDIN_URL = '{stdin-url}'

/**
 * `sh -c <script> fwmaint-url argv…`: reads one line (a camera URL) from stdin and runs argv
 * with that line in place of STDIN_URL. A camera URL carries credentials: this way it is on
 * no command line (ps, the audit log, sudo's log), as with the batched probe runner.
 */
export function withUrlFromStdin (argv: readonly string[]): string[] {
  if (!argv.includes(STDIN_URL)) throw new UnsafeArgumentError('no URL placeholder in the command')
  // The rotate idiom: the for list is expanded once, then each argument is put back (or the URL for the placeholder).
  const script = `IFS= read -r u || exit 2; for a do shift; if [ "$a" = '${STDIN_URL}' ]; then set -- "$@" "$u"; else set -- "$@" "$a"; fi; done; exec "$@"`
  return ['sh', '-c', script, 'fwmaint-url', ...argv]
}
