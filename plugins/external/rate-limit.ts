import fp from 'fastify-plugin'
import rateLimit from '@fastify/rate-limit'

/**
 * A ceiling for every client (RATE_LIMIT_MAX requests a minute per address), except the
 * live-view stream whose segment fetches are the player's business. /api/ssh_connect has
 * its own, much lower limit per client *and region* (routes/api/ssh.ts), so one operator
 * guessing passwords is stopped without locking anyone else out.
 */
export default fp(async (fastify) => {
  const { env } = fastify.config
  await fastify.register(rateLimit, {
    global: true,
    max: env.RATE_LIMIT_MAX,
    timeWindow: 60_000,
    allowList: (request) => request.url.startsWith('/hls/'),
    errorResponseBuilder: (_request, context) => ({
      statusCode: context.statusCode,
      code: 'RATE_LIMITED',
      message: `Too many requests; try again in ${context.after}`
    })
  })
}, { name: 'rate-limit', dependencies: [] })
