import type { FastifyInstance } from 'fastify'

/** An HTML form's body (the gateway's own pages: acknowledge, sign in), for the plugin that serves them only: the API takes JSON. */
export function addFormParser (fastify: FastifyInstance): void {
  fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)))
  })
}
