import type { AlertBody, AlertChange, IncidentSummary } from '../store/history.js'
import type { HealthStatus } from '../status.js'
import { kstMinutes } from '../clock.js'

/*
 * What an alert says, in Korean (the default) or English (`lang: en`). One message per region
 * per sweep: a title that counts, then one line per change — or per incident, for its cameras
 * that changed alike (lib/store/incident-rules.ts). Chat and email list at most
 * `LIST_MAX` lines, then the count of the rest and a link to the console's changes view;
 * a webhook carries every change (lib/notify/channels.ts).
 */

export const LIST_MAX = 20

const STATUS_WORDS: Record<HealthStatus, Record<Lang, string>> = {
  online: { ko: '정상', en: 'online' },
  offline: { ko: '꺼짐', en: 'offline' },
  auth_failed: { ko: '인증 실패', en: 'auth failed' },
  not_found: { ko: '경로 없음', en: 'not found' },
  timeout: { ko: '응답 없음', en: 'timeout' },
  black: { ko: '검은 화면', en: 'black' },
  frozen: { ko: '멈춘 화면', en: 'frozen' },
  moved: { ko: '화면 틀어짐·가림', en: 'view moved' },
  blurred: { ko: '흐린 화면', en: 'blurred' },
  error: { ko: '오류', en: 'error' }
}
export type Lang = 'ko' | 'en'

const kst = kstMinutes

function hours (ms: number, lang: Lang): string {
  const h = Math.floor(ms / 3600_000); const m = Math.floor((ms % 3600_000) / 60_000)
  if (lang === 'ko') return h > 0 ? `${h}시간 ${m}분` : `${m}분`
  return h > 0 ? `${h} h ${m} min` : `${m} min`
}

function camera (c: AlertChange): string {
  return `${c.cctv_id ?? ''}${c.name === null ? '' : ` ${c.name}`}${c.server === null ? '' : ` (svr${c.server})`}`
}

/** One change as a line. */
export function line (c: AlertChange, at: number, lang: Lang): string {
  const ko = lang === 'ko'
  switch (c.kind) {
    case 'down': return ko ? `▼ 다운: ${camera(c)} — ${c.status ?? ''}, ${kst(c.since)}부터` : `▼ down: ${camera(c)} — ${c.status ?? ''} since ${kst(c.since)} KST`
    case 'still_down': return ko ? `▼ 계속 다운: ${camera(c)} — ${c.status ?? ''}, ${hours(at - c.since, lang)}째` : `▼ still down: ${camera(c)} — ${c.status ?? ''} for ${hours(at - c.since, lang)}`
    case 'up': return ko ? `▲ 복구: ${camera(c)}` : `▲ back: ${camera(c)}`
    case 'flapping': return ko ? `〰 불안정(재연결 반복) 시작: ${camera(c)}` : `〰 started flapping: ${camera(c)}`
    case 'steady': return ko ? `― 불안정 해소: ${camera(c)}` : `― stopped flapping: ${camera(c)}`
    case 'region_down': return ko ? `⛔ 권역 점검 실패: ${c.error ?? ''} (${kst(c.since)}부터)` : `⛔ region check failing: ${c.error ?? ''} (since ${kst(c.since)} KST)`
    case 'region_up': return ko ? '✅ 권역 점검 재개' : '✅ region checks back'
  }
}

/** The title: what happened, counted. */
export function title (body: AlertBody, lang: Lang, channel?: string): string {
  const ko = lang === 'ko'
  if (body.test === true) return ko ? `[fwmaint] 테스트 메시지 — ${body.region} (${channel ?? ''})` : `[fwmaint] test message — ${body.region} (${channel ?? ''})`
  if (body.action !== undefined) {
    const a = body.action
    const what = incidentWords(body.incidents?.[0], a.incident, lang)
    if (a.kind === 'acknowledged') return ko ? `[fwmaint] ${body.region}: ${what} 확인 — ${a.by ?? ''}` : `[fwmaint] ${body.region}: ${what} acknowledged by ${a.by ?? ''}`
    if (a.kind === 'escalated') {
      const open = hours(body.at - (a.since ?? body.at), lang)
      return ko ? `[fwmaint] ${body.region}: ${what} — ${open}째 확인한 사람 없음` : `[fwmaint] ${body.region}: ${what} — unacknowledged for ${open}`
    }
    return ko ? `[fwmaint] ${body.region}: ${what} 수동 종료 — ${a.by ?? ''}` : `[fwmaint] ${body.region}: ${what} closed by ${a.by ?? ''}`
  }
  if (body.started !== undefined) {
    const down = body.started.cameras - (body.started.by_status.online ?? 0)
    return ko ? `[fwmaint] ${body.region}: 감시 시작 — 카메라 ${body.started.cameras}대, 다운 ${down}대` : `[fwmaint] ${body.region}: monitoring started — ${body.started.cameras} cameras, ${down} down`
  }
  const n = (k: AlertChange['kind'][]): number => body.changes.filter(c => k.includes(c.kind)).length
  const parts: string[] = []
  if (n(['region_down']) > 0) parts.push(ko ? '권역 점검 실패' : 'region check failing')
  if (n(['region_up']) > 0) parts.push(ko ? '권역 점검 재개' : 'region checks back')
  if (n(['down']) > 0) parts.push(ko ? `카메라 ${n(['down'])}대 다운` : `${n(['down'])} camera${n(['down']) === 1 ? '' : 's'} down`)
  if (n(['still_down']) > 0) parts.push(ko ? `${n(['still_down'])}대 계속 다운` : `${n(['still_down'])} still down`)
  if (n(['up']) > 0) parts.push(ko ? `${n(['up'])}대 복구` : `${n(['up'])} back`)
  if (n(['flapping']) > 0) parts.push(ko ? `${n(['flapping'])}대 불안정` : `${n(['flapping'])} flapping`)
  if (n(['steady']) > 0) parts.push(ko ? `${n(['steady'])}대 안정` : `${n(['steady'])} steady`)
  return `[fwmaint] ${body.region}: ${parts.join(', ')}`
}

/** A line of a message: its words, and the changes (indexes into `body.changes`) it tells. */
export interface Entry { text: string, changes: number[] }

/** Camera lines told per incident when two or more of one incident's cameras share the kind. */
const BY_INCIDENT: ReadonlySet<AlertChange['kind']> = new Set(['down', 'still_down', 'up'])
/** Camera IDs an incident's line lists before "and N more". */
const IDS_MAX = 20

function incidentWords (i: IncidentSummary | undefined, id: number, lang: Lang): string {
  const ko = lang === 'ko'
  const what = i === undefined
    ? ''
    : i.cause === 'server' ? (ko ? ` 서버 ${i.key ?? ''}` : ` server ${i.key ?? ''}`)
      : i.cause === 'district' ? (ko ? ` ${i.key ?? ''} 지역` : ` district ${i.key ?? ''}`)
        : i.cause === 'region' ? (ko ? ' 권역' : ' region') : (ko ? ` 카메라 ${i.key ?? ''}` : ` camera ${i.key ?? ''}`)
  return ko ? `장애 #${id}${what}` : `incident #${id}${what}`
}

/** Several cameras of one incident, one line: how many, their statuses, their IDs. */
function incidentLine (kind: AlertChange['kind'], id: number, cams: AlertChange[], body: AlertBody, lang: Lang): string {
  const ko = lang === 'ko'
  const i = body.incidents?.find(x => x.id === id)
  const head = incidentWords(i, id, lang)
  const n = cams.length
  const counts = new Map<string, number>()
  for (const c of cams) if (c.status !== null) counts.set(c.status, (counts.get(c.status) ?? 0) + 1)
  const statuses = [...counts].map(([s, k]) => `${STATUS_WORDS[s as HealthStatus]?.[lang] ?? s} ${k}`).join(', ')
  const ids = cams.slice(0, IDS_MAX).map(c => c.cctv_id ?? '').join(', ') + (n > IDS_MAX ? (ko ? ` 외 ${n - IDS_MAX}대` : ` and ${n - IDS_MAX} more`) : '')
  switch (kind) {
    case 'down': return ko ? `▼ ${head} — 카메라 ${n}대 다운 (${statuses}): ${ids}` : `▼ ${head} — ${n} cameras down (${statuses}): ${ids}`
    case 'still_down': return ko ? `▼ ${head} — ${n}대 계속 다운 (${statuses}): ${ids}` : `▼ ${head} — ${n} still down (${statuses}): ${ids}`
    default: {
      const resolved = i?.state === 'resolved'
      return ko ? `▲ ${head} — ${n}대 복구${resolved ? ' (해결)' : ''}: ${ids}` : `▲ ${head} — ${n} back${resolved ? ' (resolved)' : ''}: ${ids}`
    }
  }
}

/**
 * What a person reads, line by line: at most LIST_MAX, then how many more and where to see them.
 * Two or more cameras of one incident that went down (stay down, came back) in the sweep are one
 * line; a channel adds a single change's frame links after its line (lib/notify/compose.ts).
 */
export function entries (body: AlertBody, lang: Lang, consoleUrl: string | null): Entry[] {
  if (body.test === true) return [{ text: lang === 'ko' ? '이 채널로 알림이 전달됩니다.' : 'Alerts reach this channel.', changes: [] }]
  if (body.action !== undefined) {
    // Who, their note, and what the incident holds now (repeats of its cameras stop once acknowledged).
    const a = body.action
    const i = body.incidents?.[0]
    const ko = lang === 'ko'
    const by = a.by ?? ''
    const text = a.kind === 'acknowledged'
      ? (ko ? `✔ ${by} 님이 확인했습니다${a.note === null ? '' : `: ${a.note}`}` : `✔ ${by} is on it${a.note === null ? '' : `: ${a.note}`}`)
      : a.kind === 'escalated'
        ? (ko ? `⚠ ${hours(body.at - (a.since ?? body.at), lang)} 동안 아무도 확인하지 않아 이 채널로 올립니다.` : `⚠ Nobody acknowledged it for ${hours(body.at - (a.since ?? body.at), lang)}: escalated to this channel.`)
        : (ko ? `■ ${by} 님이 종료했습니다: ${a.note ?? ''}` : `■ closed by ${by}: ${a.note ?? ''}`)
    const out: Entry[] = [{ text, changes: [] }]
    if (i !== undefined) {
      const ids = i.cctv_ids.slice(0, IDS_MAX).join(', ') + (i.cctv_ids.length > IDS_MAX ? (ko ? ` 외 ${i.cctv_ids.length - IDS_MAX}대` : ` and ${i.cctv_ids.length - IDS_MAX} more`) : '')
      out.push({ text: ko ? `카메라 ${i.cctv_ids.length}대 (다운 ${i.down}대): ${ids}` : `${i.cctv_ids.length} camera${i.cctv_ids.length === 1 ? '' : 's'} (${i.down} down): ${ids}`, changes: [] })
    }
    if (consoleUrl !== null) out.push({ text: consoleUrl, changes: [] })
    return out
  }
  if (body.started !== undefined) {
    // Counts, not a line per camera: cameras already down when monitoring began are not news.
    const counts = Object.entries(body.started.by_status).map(([s, n]) => `${STATUS_WORDS[s as HealthStatus]?.[lang] ?? s} ${n}`).join(', ')
    const out: Entry[] = [{ text: lang === 'ko' ? `상태별: ${counts}` : `by status: ${counts}`, changes: [] }, ...body.changes.map((c, i) => ({ text: line(c, body.at, lang), changes: [i] }))]
    if (consoleUrl !== null) out.push({ text: consoleUrl, changes: [] })
    return out
  }
  const groupOf = (c: AlertChange): string | undefined => c.incident !== undefined && BY_INCIDENT.has(c.kind) ? `${c.kind} ${c.incident}` : undefined
  const groups = new Map<string, number[]>()
  body.changes.forEach((c, i) => { const g = groupOf(c); if (g !== undefined) groups.set(g, [...(groups.get(g) ?? []), i]) })
  const all: Entry[] = []
  const told = new Set<string>()
  body.changes.forEach((c, i) => {
    const g = groupOf(c)
    const members = g === undefined ? undefined : groups.get(g)!
    if (g === undefined || members === undefined || members.length < 2) { all.push({ text: line(c, body.at, lang), changes: [i] }); return }
    if (told.has(g)) return
    told.add(g)
    all.push({ text: incidentLine(c.kind, c.incident!, members.map(k => body.changes[k]), body, lang), changes: members })
  })
  const out = all.slice(0, LIST_MAX)
  const rest = all.length - LIST_MAX
  if (rest > 0) out.push({ text: lang === 'ko' ? `외 ${rest}건${consoleUrl === null ? '' : ` — ${consoleUrl}`}` : `and ${rest} more${consoleUrl === null ? '' : ` — ${consoleUrl}`}`, changes: [] })
  else if (consoleUrl !== null) out.push({ text: consoleUrl, changes: [] })
  return out
}

/** The lines of `entries`, as text. */
export function lines (body: AlertBody, lang: Lang, consoleUrl: string | null): string[] {
  return entries(body, lang, consoleUrl).map(e => e.text)
}

/** The words of a frame link: the frame kept with the change, and the reference view(s). */
export function frameWords (lang: Lang): { frame: string, reference: string } {
  return lang === 'ko' ? { frame: '그때 화면', reference: '기준 화면' } : { frame: 'picture then', reference: 'reference view' }
}

/** How an alert reads at a glance, for a channel's colour: something went down, is still wrong, came back, or news. */
export type Tone = 'down' | 'warn' | 'good' | 'info'

export function tone (body: AlertBody): Tone {
  if (body.test === true || body.started !== undefined) return 'info'
  if (body.action !== undefined) return body.action.kind === 'escalated' ? 'down' : body.action.kind === 'closed' ? 'good' : 'info'
  const kinds = new Set(body.changes.map(c => c.kind))
  if (kinds.has('down') || kinds.has('region_down')) return 'down'
  if (kinds.has('still_down') || kinds.has('flapping')) return 'warn'
  return 'good'
}

/** The console's changes view for this alert (null when PUBLIC_BASE_URL is not set). */
export function changesUrl (publicBase: string, body: AlertBody): string | null {
  if (publicBase === '') return null
  const since = new Date((body.sweep?.started_at ?? body.at) - 60_000).toISOString()
  return `${publicBase.replace(/\/$/, '')}/changes?region=${encodeURIComponent(body.region)}&since=${encodeURIComponent(since)}`
}
