import type { AlertBody, AlertChange } from '../store/history.js'
import type { HealthStatus } from '../status.js'
import { kstMinutes } from '../clock.js'

/*
 * What an alert says, in Korean (the default) or English (`lang: en`). One message per region
 * per sweep: a title that counts, then one line per change. Chat and email list at most
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

/**
 * The lines a person reads: at most LIST_MAX, then how many more and where to see them.
 * `suffix` adds to a change's line (by its index: links to its frames, in the channel's markup).
 */
export function lines (body: AlertBody, lang: Lang, consoleUrl: string | null, suffix?: (i: number) => string): string[] {
  if (body.test === true) return [lang === 'ko' ? '이 채널로 알림이 전달됩니다.' : 'Alerts reach this channel.']
  if (body.started !== undefined) {
    // Counts, not a line per camera: cameras already down when monitoring began are not news.
    const counts = Object.entries(body.started.by_status).map(([s, n]) => `${STATUS_WORDS[s as HealthStatus]?.[lang] ?? s} ${n}`).join(', ')
    const out = [lang === 'ko' ? `상태별: ${counts}` : `by status: ${counts}`, ...body.changes.map(c => line(c, body.at, lang))]
    if (consoleUrl !== null) out.push(consoleUrl)
    return out
  }
  const out = body.changes.slice(0, LIST_MAX).map((c, i) => line(c, body.at, lang) + (suffix?.(i) ?? ''))
  const rest = body.changes.length - LIST_MAX
  if (rest > 0) out.push(lang === 'ko' ? `외 ${rest}건${consoleUrl === null ? '' : ` — ${consoleUrl}`}` : `and ${rest} more${consoleUrl === null ? '' : ` — ${consoleUrl}`}`)
  else if (consoleUrl !== null) out.push(consoleUrl)
  return out
}

/** The words of a frame link: the frame kept with the change, and the reference view(s). */
export function frameWords (lang: Lang): { frame: string, reference: string } {
  return lang === 'ko' ? { frame: '그때 화면', reference: '기준 화면' } : { frame: 'picture then', reference: 'reference view' }
}

/** The console's changes view for this alert (null when PUBLIC_BASE_URL is not set). */
export function changesUrl (publicBase: string, body: AlertBody): string | null {
  if (publicBase === '') return null
  const since = new Date((body.sweep?.started_at ?? body.at) - 60_000).toISOString()
  return `${publicBase.replace(/\/$/, '')}/changes?region=${encodeURIComponent(body.region)}&since=${encodeURIComponent(since)}`
}
