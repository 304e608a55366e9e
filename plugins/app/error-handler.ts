import fp from 'fastify-plugin'
import type { FastifyError } from 'fastify'
import { ApiError, BadInferenceIdError } from '../../lib/errors.js'

/**
 * One place maps every failure to the contract's envelope `{"code": ..., "message": ...}`
 * (codes: lib/error-codes.ts):
 * our ApiErrors keep their status and message; Fastify's own client errors
 * (validation, bad JSON, body too large, wrong content type) keep their 4xx and a
 * readable message; anything else is a logged 500 "Internal server error".
 */
export default fp(async (fastify) => {
  fastify.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof ApiError) {
      if (error.statusCode >= 500) request.log.warn({ err: { message: error.message } }, 'remote operation failed')
      if (error.headers !== undefined) void reply.headers(error.headers)
      return reply.code(error.statusCode).send({ ...error.extra, code: error.code, message: error.message })
    }
    if (error.validation) {
      const where = error.validationContext ?? 'request'
      const first = error.validation[0]
      const missing = (first?.params as { missingProperty?: string } | undefined)?.missingProperty
      // The contract fixes this field's message whatever is wrong with it.
      if (first?.instancePath === '/inference_id' || missing === 'inference_id') {
        const e = new BadInferenceIdError()
        return reply.code(400).send({ code: e.code, message: e.message })
      }
      if (missing !== undefined) return reply.code(400).send({ code: 'INVALID_INPUT', message: `${where}.${missing} is required` })
      const field = first?.instancePath ? where + first.instancePath.replace(/\//g, '.') : where
      return reply.code(400).send({ code: 'INVALID_INPUT', message: `${field} ${first?.message ?? 'is invalid'}` })
    }
    const status = error.statusCode
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return reply.code(status).send({ code: status === 429 ? 'RATE_LIMITED' : error.code?.startsWith('FST_ERR_CTP_') === true ? 'INVALID_BODY' : 'BAD_REQUEST', message: error.message })
    }
    request.log.error({ err: error, reqId: request.id }, 'unexpected error')
    return reply.code(500).send({ code: 'INTERNAL', message: 'Internal server error' })
  })

  fastify.setNotFoundHandler((request, reply) => {
    if (fastify.spaFallback(request, reply)) return reply
    return reply.code(404).send({ code: 'ROUTE_NOT_FOUND', message: `Route ${request.method} ${request.url.split('?')[0]} not found` })
  })
}, { name: 'error-handler', dependencies: ['static'] })
