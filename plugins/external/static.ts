import { existsSync } from 'node:fs'
import path from 'node:path'
import fp from 'fastify-plugin'
import fastifyStatic from '@fastify/static'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { AppOptions } from '../../app.js'
import { packageRoot } from '../../lib/paths.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Answers an unknown path with the client's index.html when it is a page load; false otherwise. */
    spaFallback: (request: FastifyRequest, reply: FastifyReply) => boolean
  }
}

export const BUNDLED_CONSOLE = path.join(packageRoot(), 'dist', 'web')

// The sites' networks are closed: the console loads nothing from anywhere but the gateway
// (hls.js needs blob: for its MediaSource and worker).
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' blob:; worker-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

/**
 * Serves the operators' console at `/`: the bundled one (dist/web, built from web/) or the
 * client in STATIC_DIR. Unknown non-API paths that a browser navigates to get index.html, so
 * a reload on /cameras works (history mode).
 */
export default fp<AppOptions>(async (fastify, opts) => {
  const configured = opts.config.env.STATIC_DIR
  const root = configured === '' ? BUNDLED_CONSOLE : path.resolve(configured)
  const hasIndex = existsSync(path.join(root, 'index.html'))
  if (!hasIndex) {
    fastify.log.warn(configured === ''
      ? `the console is not built (${root} has no index.html): run \`npm run build\`; the API works without it`
      : `STATIC_DIR=${configured} has no index.html: nothing is served at /`)
  }
  if (existsSync(root)) {
    await fastify.register(fastifyStatic, {
      root,
      wildcard: true,
      index: ['index.html'],
      // Vite names bundled files by content hash: cache them for good; the page itself never.
      setHeaders (res: FastifyReply, file: string) {
        if (file.endsWith('.html')) {
          void res.header('cache-control', 'no-cache')
          void res.header('content-security-policy', CSP)
        } else if (file.includes(`${path.sep}assets${path.sep}`)) {
          void res.header('cache-control', 'public, max-age=31536000, immutable')
        }
        void res.header('x-content-type-options', 'nosniff')
      },
      cacheControl: false,
      schemaHide: true
    })
  }

  fastify.decorate('spaFallback', (request: FastifyRequest, reply: FastifyReply): boolean => {
    if (!hasIndex || (request.method !== 'GET' && request.method !== 'HEAD')) return false
    const p = request.url.split('?')[0]
    if (p.startsWith('/api/') || p === '/api' || p.startsWith('/hls/')) return false
    // Only page loads: a missing script or image stays a 404.
    if (!(request.headers.accept ?? '').includes('text/html')) return false
    void reply.header('cache-control', 'no-cache').header('content-security-policy', CSP).sendFile('index.html', root)
    return true
  })
}, { name: 'static' })
