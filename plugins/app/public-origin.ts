import fp from 'fastify-plugin'
import type { FastifyRequest } from 'fastify'

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The absolute origin the browser reaches the gateway at: PUBLIC_BASE_URL, else the
     * request's own protocol and Host. The existing client needs absolute URLs.
     */
    publicOrigin: () => string
  }
}

export default fp(async (fastify) => {
  const configured = fastify.config.env.PUBLIC_BASE_URL.replace(/\/+$/, '')
  fastify.decorateRequest('publicOrigin', function (this: FastifyRequest) {
    return configured !== '' ? configured : `${this.protocol}://${this.host}`
  })
}, { name: 'public-origin' })
