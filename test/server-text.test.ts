import t from 'tap'
import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as errors from '../lib/errors.js'
import { failureText } from '../lib/ops/ffprobe.js'
import { waitInWords } from '../lib/http/login-attempts.js'
import { errorKo, serverLinesKo, serverTextKo } from '../web/src/server-text.js'
import { isErrorCode } from '../lib/error-codes.js'
import { ConfigProblem } from '../lib/config/problem.js'

// Issue 17, 5: the console shows every gateway message in the UI's language. The gateway answers
// in English (the contract); web/src/server-text.ts has each sentence's Korean form. This test
// collects the messages the gateway's source can produce and checks each has one, so a new
// message without a Korean form fails here.

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')
const hangul = /[\uac00-\ud7a3]/

function sources (): Array<{ file: string, text: string }> {
  const out: Array<{ file: string, text: string }> = []
  for (const dir of ['lib', 'routes', 'plugins']) {
    for (const f of readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })) {
      if (f.endsWith('.ts')) out.push({ file: `${dir}/${f}`, text: readFileSync(path.join(root, dir, f), 'utf8') })
    }
  }
  return out
}

/** A string or template literal's text with each `${…}` as a sample value. */
function sample (literal: string): string {
  const body = literal.slice(1, -1)
  if (literal.startsWith("'")) return body.replace(/\\'/g, "'")
  let out = ''
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '$' && body[i + 1] === '{') {
      let depth = 1; let j = i + 2
      for (; j < body.length && depth > 0; j++) { if (body[j] === '{') depth++; else if (body[j] === '}') depth-- }
      out += '2'
      i = j - 1
    } else out += body[i]
  }
  return out
}

function produced (): Array<{ where: string, message: string }> {
  const found: Array<{ where: string, message: string }> = []
  for (const { file, text } of sources()) {
    for (const m of text.matchAll(/new (RemoteError|BadRequestError|BadMonitorTokenError|SnapshotFailedError)\((`[^`]*`|'(?:[^'\\]|\\.)*')/g)) found.push({ where: `${file}: new ${m[1]}`, message: sample(m[2]) })
    for (const m of text.matchAll(/remoteFailure\('([^']+)'/g)) {
      for (const tail of ['sudo refused the session password', 'Timeout', 'grep: /x: Permission denied']) found.push({ where: `${file}: remoteFailure`, message: `${m[1]}: ${tail}` })
    }
    for (const m of text.matchAll(/\bskip\((`[^`]*`|'[^']*')\)/g)) found.push({ where: `${file}: skip`, message: sample(m[1]) })
    for (const m of text.matchAll(/status: 'error', error: ('[^']*')/g)) found.push({ where: `${file}: a camera's reason`, message: sample(m[1]) })
    for (const m of text.matchAll(/\\n(\(fwmaint: [^`]*\))`/g)) found.push({ where: `${file}: a probe's note`, message: sample('`' + m[1] + '`') })
    for (const m of text.matchAll(/code\([45]\d\d\)\.send\(\{ (?:code: '[A-Z_]+', )?message: (`[^`]*`|'(?:[^'\\]|\\.)*')/g)) found.push({ where: `${file}: reply`, message: sample(m[1]) })
    // A window's problem as POST /api/maintenance words it (lib/config/windows.ts, ConfigProblem.sentence).
    if (file.endsWith('windows.ts')) {
      for (const m of text.matchAll(/new ConfigProblem\((?:'(\w+)'|[\w.]+ === undefined \? '(\w+)' : '\w+'|(field)), ('(?:[^'\\]|\\.)*'|`[^`]*`|DURATION_HINT|problem)(?:, '(predicate|colon|whole)')?\)/g)) {
        const message = m[4] === 'DURATION_HINT' ? 'must be like 30m, 2h or 1d' : m[4] === 'problem' ? 'Invalid cron' : sample(m[4])
        found.push({ where: `${file}: ConfigProblem`, message: new ConfigProblem(m[1] ?? m[2] ?? 'from', message, (m[5] ?? 'colon') as 'colon').sentence('body') })
      }
    }
  }
  // A frame around a remote's words (remote-failure.ts, the error handler's `${where}.${field}`) is
  // all placeholders here; its call sites and Ajv's forms are checked instead.
  return found.filter(f => !/^[\d\s.:]*( is required)?$/.test(f.message) && !/^2: /.test(f.message))
}

t.test('every message the gateway\'s source throws or sends has a Korean form', async t => {
  const found = produced()
  t.ok(found.length >= 60, `${found.length} messages found in lib/, routes/ and plugins/`)
  t.ok(found.filter(f => f.where.endsWith('ConfigProblem')).length >= 10, 'every maintenance-window problem among them')
  for (const { where, message } of found) {
    const ko = serverLinesKo(message)
    t.ok(hangul.test(ko) && ko !== message, `${where}: ${JSON.stringify(message)} → ${JSON.stringify(ko)}`)
  }
})

t.test('every named API error (lib/errors.ts) has a Korean form', async t => {
  const args: Record<string, unknown[]> = {
    LogNotFoundError: ['/home/fw/logs/2026-11-30.log'],
    SweepRunningError: [3, 10],
    TooManyLoginsError: [waitInWords(90_000)],
    OtherRegionError: ['대구'],
    RemoteError: ['Timeout'],
    BadRequestError: ['give server or cctv_ids, not both'],
    IncidentAcknowledgedError: ['kim', Date.parse('2026-12-04T03:00:00Z')],
    TooManySigninsError: [waitInWords(45_000)],
    RoleRequiredError: ['대구', 'operator', 'viewer'],
    NoHeldLoginError: ['대구'],
    TokenScopeError: ['대구']
  }
  let n = 0
  for (const [name, Cls] of Object.entries(errors)) {
    if (typeof Cls !== 'function' || name === 'ApiError' || !(Cls.prototype instanceof errors.ApiError)) continue
    const err = new (Cls as new (...a: unknown[]) => Error)(...(args[name] ?? []))
    const ko = serverTextKo(err.message)
    t.ok(hangul.test(ko), `${name}: ${JSON.stringify(err.message)} → ${JSON.stringify(ko)}`)
    // Issue 22: the console translates by code; a code's fixed sentence says what its message says.
    const code = (err as errors.ApiError).code
    t.ok(isErrorCode(code), `${name} carries a known code (${code})`)
    t.equal(errorKo(code, err.message), ko, `${name}: by code (${code}) as by its words`)
    n++
  }
  t.ok(n >= 15, `${n} error classes`)
  t.equal(serverTextKo(new errors.TooManyLoginsError(waitInWords(5_000)).message), '이 지역에 로그인 시도가 너무 많습니다. 5초 후에 다시 시도하세요.')
})

t.test('a sweep kept as lost_lease says why in Korean', async t => {
  for (const why of ['the lease was taken over by another gateway', 'the lease could not be renewed: connection terminated', 'another gateway held the region\'s lease when the sweep was recorded']) {
    t.ok(hangul.test(serverTextKo(why)), `${why} → ${serverTextKo(why)}`)
  }
})

t.test('the gateway\'s frame is translated, a remote tool\'s own words are kept as they are', async t => {
  t.equal(serverTextKo('server 2: Connection refused'), '서버 2: 연결이 거부되었습니다.')
  t.equal(serverTextKo('ffprobe: Timeout'), 'ffprobe 실패: 시간 초과: 응답이 없습니다.')
  t.equal(serverTextKo('log search: grep: /var/log/x: Permission denied'), '로그 검색 실패: grep: /var/log/x: Permission denied', 'grep\'s own words stay')
  t.equal(serverTextKo('MongoDB: Timeout'), 'MongoDB 실패: 시간 초과: 응답이 없습니다.')
  t.equal(serverTextKo('rtsp://127.0.0.1:8554/x: Connection refused'), 'rtsp://127.0.0.1:8554/x: Connection refused', 'ffprobe\'s line is its own')
  t.equal(serverLinesKo('rtsp://h/x: Invalid data found when processing input\n(fwmaint: the camera did not answer within 8 s)'),
    'rtsp://h/x: Invalid data found when processing input\n(카메라가 8초 안에 응답하지 않았습니다)', 'the note under ffprobe\'s line: the issue\'s example')
  t.equal(serverTextKo(failureText('', 124, 12)), '카메라가 12초 안에 응답하지 않았습니다 (시간 초과).')
  t.equal(serverTextKo('black for 100% of 4.0 s'), '검은 화면: 4.0초 동안 지켜본 시간의 100%', 'a picture check\'s reason')
})

t.test('schema validation messages (Ajv\'s forms, as the error handler words them) are in Korean', async t => {
  for (const [en, ko] of [
    ['body.url must NOT have more than 2048 characters', 'url: 2048자를 넘을 수 없습니다'],
    ['body.url must NOT have fewer than 1 characters', 'url: 1자 이상이어야 합니다'],
    ['querystring.limit must be integer', 'limit: 정수여야 합니다'],
    ['querystring.limit must be <= 5000', 'limit: 5000 이하여야 합니다'],
    ['body must be object', '입력값: 객체여야 합니다'],
    ['body.region is required', 'region 값이 필요합니다.'],
    ['body.channel must be equal to one of the allowed values', 'channel: 허용된 값 중 하나여야 합니다']
  ]) t.equal(serverTextKo(en), ko, en)
})
