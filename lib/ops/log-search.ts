import { BadRequestError, LogNotFoundError } from '../errors.js'
import { remoteFailure } from '../site/remote-failure.js'
import type { ServerConfig } from '../config/regions.js'
import type { SiteSession } from '../site/session.js'

export type LogKind = 'gstreamer' | 'ffmpeg'

/** A real calendar date in YYYY-MM-DD (2025-02-30 is not one). */
export function isRealDate (s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s)
  if (m === null) return false
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])]
  const dt = new Date(Date.UTC(y, mo - 1, d))
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === mo - 1 && dt.getUTCDate() === d
}

/**
 * The log file of one pipeline on one day, from the region's template. Only {server},
 * {gpu} (numbers) and {date} (a checked date) are substituted, so no client value can
 * change the directory.
 */
export function logPath (template: string, server: number, gpu: number, date: string): string {
  if (!isRealDate(date)) throw new BadRequestError('date must be a real date in YYYY-MM-DD format')
  return template
    .replaceAll('{server}', String(server))
    .replaceAll('{gpu}', String(gpu))
    .replaceAll('{date}', date)
}

/**
 * Runs on the site, with the word, the path and the line cap as positional arguments
 * (never spliced into the script). The day's rotated `.gz` comes first (it is older),
 * then the live file; `grep -F` keeps the word literal, `-a` keeps binary bytes as text,
 * and `head` stops the search as soon as one line more than the cap has been found.
 */
const SEARCH_SCRIPT = [
  'w=$1; f=$2; n=$3; set --',
  '[ -e "$f.gz" ] && set -- "$@" "$f.gz"',
  '[ -e "$f" ] && set -- "$@" "$f"',
  'if [ $# -eq 0 ]; then printf \'%s: No such file or directory\\n\' "$f" >&2; exit 2; fi',
  // grep's status 2 is an error (1 = no match, 141 = stopped by head): mark it on stderr, since
  // the pipeline's status is head's and stderr also carries login noise of some sites.
  'for p do case $p in *.gz) gzip -dc -- "$p" | grep -F -a -e "$w";; *) grep -F -a -e "$w" -- "$p";; esac',
  '  [ $? -eq 2 ] && printf \'fwmaint-search-error\\n\' >&2; done | head -n "$n"'
].join('\n')

export interface SearchOptions {
  maxLines: number
  maxBytes: number
  timeoutSec: number
  signal?: AbortSignal
}

export interface SearchResult {
  lines: string[]
  truncated: boolean
  path: string
}

const decoder = new TextDecoder('utf-8', { fatal: false })

/** Every line of the file that contains `word` literally, in file order, capped. */
export async function searchLog (site: SiteSession, server: ServerConfig, path: string, word: string, opts: SearchOptions): Promise<SearchResult> {
  // A log line never holds a line break; grep -F would read one as two patterns.
  if (/[\r\n]/.test(word)) throw new BadRequestError('find_word must be a single line')
  const r = await site.run(server, {
    argv: ['sh', '-c', SEARCH_SCRIPT, 'fwmaint-log-search', word, path, String(opts.maxLines + 1)],
    timeoutSec: opts.timeoutSec
  }, { maxStdoutBytes: opts.maxBytes, signal: opts.signal })
  const stderr = r.stderr.toString()
  if (r.code === 2 && r.stdout.length === 0 && stderr.includes(`${path}: No such file or directory`)) throw new LogNotFoundError(path)
  if (r.code === 124 || r.code === 137) throw remoteFailure('log search', '', r.code)
  if (r.code !== 0 || (r.stdout.length === 0 && stderr.includes('fwmaint-search-error'))) {
    // grep's own complaint ("grep: …: Permission denied") is the useful line.
    const why = stderr.split('\n').find(l => /^(grep|gzip|sh):/.test(l)) ?? stderr.split('\n').find(l => l !== '' && !l.includes('fwmaint-search-error')) ?? ''
    throw remoteFailure('log search', why, r.code, r.signal)
  }

  let buf = r.stdout
  let truncated = r.truncated
  if (truncated) {
    // Cut by bytes: drop the partial last line.
    const lastNl = buf.lastIndexOf(0x0a)
    buf = lastNl >= 0 ? buf.subarray(0, lastNl + 1) : Buffer.alloc(0)
  }
  const lines: string[] = []
  let start = 0
  for (let i = buf.indexOf(0x0a); i !== -1; i = buf.indexOf(0x0a, start)) {
    lines.push(decoder.decode(buf.subarray(start, i)))
    start = i + 1
  }
  if (start < buf.length) lines.push(decoder.decode(buf.subarray(start)))
  if (lines.length > opts.maxLines) { lines.length = opts.maxLines; truncated = true }
  return { lines, truncated, path }
}
