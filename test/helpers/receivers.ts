import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import type { Test } from 'tap'
import { SMTPServer } from 'smtp-server'
import { simpleParser } from 'mailparser'

/** What a receiver got: one entry per request (or mail). */
export interface Received { path: string, headers: http.IncomingHttpHeaders, raw: string, json: any, at: number }

/**
 * A real HTTP receiver on loopback for webhook, Slack and Teams payloads. `down(true)` makes it
 * answer 503 (a receiver that is up but failing), `down('closed')` refuses connections.
 */
export async function httpReceiver (t: Test): Promise<{ url: (p: string) => string, got: Received[], down: (how: boolean | 'closed') => Promise<void>, failures: number }> {
  const got: Received[] = []
  let failing = false
  const state = { failures: 0 }
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      if (failing) { state.failures++; res.writeHead(503).end('busy'); return }
      const raw = Buffer.concat(chunks).toString('utf8')
      let json: unknown
      try { json = JSON.parse(raw) } catch { json = undefined }
      got.push({ path: req.url ?? '', headers: req.headers, raw, json, at: Date.now() })
      // Slack answers "ok"; Teams workflows 202.
      if ((req.url ?? '').startsWith('/teams')) res.writeHead(202).end()
      else res.writeHead(200, { 'content-type': 'text/plain' }).end('ok')
    })
  }
  let server = http.createServer(handler)
  // An address of its own in 127.0.0.0/8: `down('closed')` gives the port up and the receiver
  // takes it again later, and on 127.0.0.1 a client's connection (which the kernel gives a port
  // from the same ephemeral range, from 127.0.0.1) took it meanwhile once (EADDRINUSE in
  // monitor-restart.test, three files at a time). Connections to 127.a.b.c come from 127.0.0.1.
  const host = loopbackAddress()
  await new Promise<void>(resolve => server.listen(0, host, resolve))
  const port = (server.address() as { port: number }).port
  t.teardown(async () => { await new Promise(resolve => server.close(resolve)) })
  return {
    url: p => `http://${host}:${port}${p}`,
    got,
    get failures () { return state.failures },
    down: async how => {
      if (how === 'closed') { await new Promise(resolve => server.close(resolve)); server.closeAllConnections(); return }
      failing = how
      if (!server.listening) {
        server = http.createServer(handler)
        await new Promise<void>(resolve => server.listen(port, host, resolve))
      }
    }
  }
}

/** A random address in 127.0.0.0/8 other than 127.0.0.1 (loopback: every Linux answers on all of it). */
function loopbackAddress (): string {
  const b = (): number => 1 + Math.floor(Math.random() * 254)
  return `127.${b()}.${b()}.${b()}`
}

let made: { key: string, cert: string } | undefined
/** A self-signed certificate for 127.0.0.1 (it is its own CA): key and cert PEM files. */
export function loopbackCert (): { key: string, cert: string } {
  // One per test process: an RSA key per receiver was 2 of the 27 CPU-seconds of alerts.test.
  if (made !== undefined) return made
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fwtls-'))
  const key = path.join(dir, 'key.pem')
  const cert = path.join(dir, 'cert.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' })
  made = { key, cert }
  return made
}

/** A real SMTP server (smtp-server) on loopback: STARTTLS required, AUTH PLAIN/LOGIN with one user. */
export interface Mail {
  from: string
  to: string[]
  raw: string
  subject: string
  text: string
  /** A multipart mail's HTML part and inline images (parsed by mailparser). */
  html?: string
  inline: Array<{ cid: string, contentType: string, content: Buffer }>
}

export async function smtpReceiver (t: Test, user: string, password: string): Promise<{ port: number, ca: string, mails: Mail[] }> {
  const tls = loopbackCert()
  const mails: Mail[] = []
  const server = new SMTPServer({
    secure: false,
    key: readFileSync(tls.key),
    cert: readFileSync(tls.cert),
    authMethods: ['PLAIN', 'LOGIN'],
    // No AUTH before STARTTLS (the default): a client that does not upgrade cannot log in.
    logger: false,
    onAuth (auth, _session, cb) {
      if (auth.username === user && auth.password === password) cb(null, { user })
      else cb(new Error('Invalid username or password'))
    },
    onData (stream, session, cb) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8')
        const [head, ...rest] = raw.split(/\r?\n\r?\n/)
        const subject = decodeHeader(/^Subject: (.*(?:\r?\n[ \t].*)*)/m.exec(head)?.[1] ?? '')
        const te = /^Content-Transfer-Encoding: (\S+)/mi.exec(head)?.[1]?.toLowerCase()
        const body = rest.join('\n\n')
        const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address
        const to = session.envelope.rcptTo.map(r => r.address)
        if (/^Content-Type: multipart\//mi.test(head)) {
          simpleParser(raw, { keepCidLinks: true }).then(m => {
            mails.push({ from, to, raw, subject, text: m.text ?? '', html: m.html === false ? undefined : m.html,
              inline: m.attachments.filter(a => a.cid !== undefined).map(a => ({ cid: a.cid!, contentType: a.contentType, content: a.content })) })
            cb()
          }, (err: Error) => { cb(err) })
          return
        }
        const text = te === 'base64' ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8') : te === 'quoted-printable' ? decodeQp(body) : body
        mails.push({ from, to, raw, subject, text, inline: [] })
        cb()
      })
    }
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => { await new Promise<void>(resolve => { server.close(() => { resolve() }) }) })
  return { port: (server.server.address() as { port: number }).port, ca: tls.cert, mails }
}

function decodeQp (s: string): string {
  const bytes: number[] = []
  const text = s.replace(/=\r?\n/g, '')
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '=' && /^[0-9A-F]{2}$/i.test(text.slice(i + 1, i + 3))) { bytes.push(parseInt(text.slice(i + 1, i + 3), 16)); i += 2 } else bytes.push(...Buffer.from(text[i], 'utf8'))
  }
  return Buffer.from(bytes).toString('utf8')
}

/** RFC 2047 encoded words (=?UTF-8?B?…?= / =?UTF-8?Q?…?=), as mail clients show a subject. */
function decodeHeader (v: string): string {
  return v.replace(/\r?\n[ \t]/g, ' ').replace(/=\?UTF-8\?([BQ])\?([^?]*)\?=\s*/gi, (_m, enc: string, data: string) =>
    enc.toUpperCase() === 'B' ? Buffer.from(data, 'base64').toString('utf8') : decodeQp(data.replace(/_/g, ' '))).trim()
}
