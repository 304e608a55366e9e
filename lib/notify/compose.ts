import type { AlertBody } from '../store/history.js'
import type { ChangeFrames, FrameLinks } from './frames.js'
import { entries, frameWords, type Lang } from './messages.js'

/*
 * What every chat channel shares when it writes an alert in its own markup: the frame and
 * acknowledge links, and the lines with the text escaped for the markup while the links are not.
 */

/** The pictures of an alert's picture changes, by change index (lib/notify/frames.ts). */
export interface Pictures {
  frames: ReadonlyMap<number, ChangeFrames>
  links: ReadonlyMap<number, FrameLinks>
  /** Acknowledge links by incident id (lib/notify/ack-links.ts). */
  acks?: ReadonlyMap<number, string>
}
export const NO_PICTURES: Pictures = { frames: new Map(), links: new Map() }

/** A link in a channel's markup. */
export type Markup = (url: string, words: string) => string

/** Reference view `j` of `n` in words: numbered only when there are two (day and night). */
export function referenceWords (lang: Lang, j: number, n: number): string {
  const w = frameWords(lang).reference
  return n > 1 ? `${w} ${j + 1}` : w
}

/** A change's frame links as [url, words]: the frame then, and each reference view. */
export function frameLinkList (pics: Pictures, lang: Lang, i: number): Array<[string, string]> {
  const l = pics.links.get(i)
  if (l === undefined) return []
  const w = frameWords(lang)
  const refs = l.references.map((u, j): [string, string] => [u, referenceWords(lang, j, l.references.length)])
  return l.frame === undefined ? refs : [[l.frame, w.frame], ...refs]
}

/** A change's frame links in a channel's markup, after its line: '' when it has none. */
export function linkSuffix (pics: Pictures, lang: Lang, markup: Markup): (i: number) => string {
  return i => {
    const parts = frameLinkList(pics, lang, i).map(([url, words]) => markup(url, words))
    return parts.length === 0 ? '' : ` — ${parts.join(' · ')}`
  }
}

/** A line per open incident with its acknowledge link, in the channel's markup (first: the action comes before the story). */
export function ackLines (pics: Pictures, lang: Lang, markup: Markup): string[] {
  return [...(pics.acks ?? new Map<number, string>())].map(([id, url]) => lang === 'ko'
    ? `☞ 장애 #${id} 확인하기: ${markup(url, '확인(담당)')}`
    : `☞ incident #${id}: ${markup(url, 'acknowledge')}`)
}

/**
 * The message's lines (lib/notify/messages.ts `entries`), each line's words escaped for the
 * channel's markup (a camera's name is data from the site) and a single change's frame links
 * after it, unescaped.
 */
export function markedLines (body: AlertBody, lang: Lang, consoleUrl: string | null, pics: Pictures, escape: (s: string) => string, markup: Markup): string[] {
  const suffix = linkSuffix(pics, lang, markup)
  return entries(body, lang, consoleUrl).map(e => escape(e.text) + (e.changes.length === 1 ? suffix(e.changes[0]) : ''))
}

/** Whole lines, in order, as many as fit in `max` characters joined by newlines; then "…". */
export function fitLines (lines: string[], max: number): string {
  let out = ''
  for (const [k, l] of lines.entries()) {
    const next = out === '' ? l : `${out}\n${l}`
    if (next.length > max) return k === 0 ? l.slice(0, max - 1) + '…' : out.length + 2 <= max ? `${out}\n…` : out
    out = next
  }
  return out
}
