import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyPluginAsync } from 'fastify'
import { currentTunnel } from '../lib/ops/live-view.js'

/** Request headers worth passing to the HLS server, and response headers worth passing back. */
const UP = ['accept', 'range', 'if-none-match', 'if-modified-since', 'if-range']
/** Bytes of a response that may wait for a slow client before the SSH channel is paused. */
const BACKLOG = 1024 * 1024
const DOWN = ['content-type', 'content-length', 'cache-control', 'etag', 'last-modified', 'expires', 'content-range', 'accept-ranges', 'age', 'vary']

/**
 * GET /hls/<token>/<path>: the session's live view, carried over SSH to the HLS server and
 * streamed back (never buffered whole) with the origin's status and caching headers. Only
 * the session that opened the tunnel can use its token; anyone else gets 404.
 */
const routes: FastifyPluginAsync = async (fastify) => {
  fastify.get<{ Params: { token: string, '*': string } }>('/hls/:token/*', {
    schema: { hide: true },
    // A viewer fetches a segment every second or two: two log lines each is noise, and a
    // measured share of the per-segment cost (bench/hls.ts). Errors still log (warn and up).
    logLevel: fastify.config.env.HLS_REQUEST_LOG === 'true' ? fastify.config.env.LOG_LEVEL : 'warn'
  }, async (request, reply) => {
    const site = request.site()
    const live = site === undefined ? undefined : currentTunnel(site)
    if (live?.kind !== 'gateway' || live.tunnel.closed || live.tunnel.token !== request.params.token) {
      return await reply.code(404).send({ code: 'TUNNEL_NOT_FOUND', message: 'HLS tunnel not found' })
    }
    const tunnel = live.tunnel
    // The path as the client sent it (still percent-encoded), not the router's decoded copy:
    // it goes upstream on a request line, which takes printable ASCII only.
    const prefix = `/hls/${tunnel.token}`
    const path = request.url.startsWith(prefix + '/') ? request.url.slice(prefix.length) : ''
    if (!/^[\x21-\x7e]+$/.test(path) || !tunnel.allows(path)) return await reply.code(404).send({ code: 'NOT_IN_STREAM', message: 'not part of this camera\'s stream' })

    const headers: Record<string, string> = {}
    for (const h of UP) { const v = request.headers[h]; if (typeof v === 'string') headers[h] = v }
    const res = await tunnel.fetch('GET', path, headers, request.abortSignal())
    const out: Record<string, string | string[]> = { 'x-content-type-options': 'nosniff' }
    for (const h of DOWN) { const v = res.headers[h]; if (v !== undefined) out[h] = v }
    // The body goes straight from the SSH channel to the client socket: no onSend work.
    reply.hijack()
    const client = reply.raw
    client.writeHead(res.statusCode ?? 502, out)
    relay(res, client)
    return reply
  })
}

/**
 * Copies the origin's body to the client. Not `res.pipe()`: pipe pauses the SSH channel as
 * soon as 16 KiB wait for the client socket, i.e. a pause/resume per SSH packet of every
 * segment; here up to BACKLOG may wait before the channel is paused, and the packets decoded
 * from one read are written with one writev (cork until the next tick).
 */
function relay (res: IncomingMessage, client: ServerResponse): void {
  let corked = false
  const uncork = (): void => { corked = false; client.uncork() }
  res.on('data', (chunk: Buffer) => {
    if (!corked) { corked = true; client.cork(); process.nextTick(uncork) }
    client.write(chunk)
    if (client.writableLength > BACKLOG) { res.pause(); client.once('drain', () => res.resume()) }
  })
  res.once('end', () => { client.end() })
  res.once('error', () => { client.destroy() })
  client.once('close', () => { if (!res.complete) res.destroy() })
}

export default routes
