import { createHmac } from 'node:crypto'
import type { AlertBody } from '../store/history.js'
import { checkSigned, signParts } from './frame-links.js'

/*
 * "I am on it" from a message (issue 25): each open incident an alert tells carries a link that
 * opens a confirmation page (routes/ack.ts) — never acknowledges by itself, so a link preview or
 * a mail scanner that fetches it changes nothing. The link names the incident and its expiry,
 * signed with a key of its own derived from the session secret.
 */

/** How long a message's acknowledge link works. */
export const ACK_LINK_HOURS = 24

export function ackLinkKey (sessionSecret: string): Buffer {
  return createHmac('sha256', sessionSecret).update('fwmaint incident ack links v1').digest()
}

export function ackLink (publicBase: string, key: Buffer, incident: number, exp: number): string {
  return `${publicBase.replace(/\/$/, '')}/ack/${incident}?exp=${exp}&sig=${signParts(key, ['ack', String(incident)], exp)}`
}

export function checkAckLink (key: Buffer, incident: number, exp: number, sig: string, nowMs: number): 'ok' | 'bad' | 'expired' {
  return checkSigned(key, ['ack', String(incident)], exp, sig, nowMs)
}

/** The links of an alert's incidents that are still open (none without a public base, none on a person's own action). */
export function ackLinks (body: AlertBody, publicBase: string, key: Buffer, nowMs: number): Map<number, string> {
  const out = new Map<number, string>()
  if (publicBase === '' || body.action?.kind === 'acknowledged' || body.action?.kind === 'closed') return out
  const exp = Math.floor(nowMs / 1000) + ACK_LINK_HOURS * 3600
  for (const i of body.incidents ?? []) if (i.state === 'open') out.set(i.id, ackLink(publicBase, key, i.id, exp))
  return out
}
