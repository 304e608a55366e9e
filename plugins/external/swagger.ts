import fp from 'fastify-plugin'
import fastifySwagger from '@fastify/swagger'

/** Publishes the routes' TypeBox schemas as OpenAPI 3 (served at /api/openapi.json). */
export default fp(async (fastify) => {
  await fastify.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'fwmaint',
        description: 'FireWatcher maintenance gateway API (see docs/api-contract.md)',
        version: '0.1.0'
      }
    }
  })
}, { name: 'swagger' })
