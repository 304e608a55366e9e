import fp from 'fastify-plugin'
import { BadRequestError } from '../../lib/errors.js'

/**
 * Only JSON bodies, and only valid UTF-8 JSON: Fastify's own parser would turn invalid
 * bytes into U+FFFD and carry on (a find_word would then silently not be what was sent).
 * Any other content type with a body is 415 (text/plain is removed: a CSRF-friendly type).
 */
export default fp(async (fastify) => {
  const utf8 = new TextDecoder('utf-8', { fatal: true })
  fastify.removeAllContentTypeParsers()
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body: Buffer, done) => {
    let text: string
    try {
      text = utf8.decode(body)
    } catch {
      done(new BadRequestError('request body is not valid UTF-8'), undefined)
      return
    }
    if (text.trim() === '') { done(null, undefined); return }
    try {
      done(null, JSON.parse(text))
    } catch {
      done(new BadRequestError('request body is not valid JSON'), undefined)
    }
  })
}, { name: 'content-types' })
