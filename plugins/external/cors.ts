import fp from 'fastify-plugin'
import cors from '@fastify/cors'

/**
 * Off unless CORS_ORIGINS lists origins: the console is served from the gateway itself, and
 * a cross-origin page must not be able to drive an operator's SSH session. With a list,
 * those origins (and only those) may call the API with credentials.
 */
export default fp(async (fastify) => {
  const origins = fastify.config.env.CORS_ORIGINS.split(',').map(s => s.trim()).filter(s => s !== '')
  if (origins.length === 0) return
  await fastify.register(cors, { origin: origins, credentials: true, methods: ['GET', 'POST'] })
}, { name: 'cors' })
