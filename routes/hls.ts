import type { FastifyPluginAsync } from 'fastify'
import { currentTunnel } from '../lib/live-view.js'

/** Request headers worth passing to the HLS server, and response headers worth passing back. */
const UP = ['accept', 'range', 'if-none-match', 'if-modified-since', 'if-range']
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
      return await reply.code(404).send({ message: 'HLS tunnel not found' })
    }
    const tunnel = live.tunnel
    const qs = request.url.indexOf('?')
    const path = '/' + request.params['*'] + (qs === -1 ? '' : request.url.slice(qs))
    if (!tunnel.allows(path)) return await reply.code(404).send({ message: 'not part of this camera\'s stream' })

    const headers: Record<string, string> = {}
    for (const h of UP) { const v = request.headers[h]; if (typeof v === 'string') headers[h] = v }
    const res = await tunnel.fetch('GET', path, headers, request.abortSignal())
    const out: Record<string, string | string[]> = { 'x-content-type-options': 'nosniff' }
    for (const h of DOWN) { const v = res.headers[h]; if (v !== undefined) out[h] = v }
    // The body goes straight from the SSH channel to the client socket: no onSend work.
    reply.hijack()
    reply.raw.writeHead(res.statusCode ?? 502, out)
    res.pipe(reply.raw)
    res.once('error', () => { reply.raw.destroy() })
    reply.raw.once('close', () => { if (!res.complete) res.destroy() })
    return reply
  })
}

export default routes
