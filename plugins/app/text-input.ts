import fp from 'fastify-plugin'
import { BadRequestError } from '../../lib/errors.js'

/**
 * Every string a client sends (body and query, keys included) must be text a remote program
 * can receive: no NUL (no exec can carry it; the command builder would refuse it later, as a
 * 500) and no lone UTF-16 surrogate (JSON's "\ud800" is not text: it cannot be encoded as
 * UTF-8 for the site). Checked once, before validation, for every route: a 400 naming the field.
 */
export function badText (value: unknown, where: string, depth = 0): string | undefined {
  if (typeof value === 'string') {
    if (value.includes('\0')) return `${where} contains a NUL character, which cannot be passed to a remote program`
    if (!value.isWellFormed()) return `${where} is not valid text (a lone UTF-16 surrogate)`
    return undefined
  }
  if (value === null || typeof value !== 'object' || depth > 32) return undefined
  for (const [k, v] of Object.entries(value)) {
    const key = badText(k, `${where} field name`, depth + 1)
    if (key !== undefined) return key
    const inner = badText(v, `${where}.${k.length > 64 ? k.slice(0, 64) + '…' : k}`, depth + 1)
    if (inner !== undefined) return inner
  }
  return undefined
}

export default fp(async (fastify) => {
  fastify.addHook('preValidation', async (request) => {
    const bad = badText(request.body, 'body') ?? badText(request.query, 'querystring')
    if (bad !== undefined) throw new BadRequestError(bad)
  })
}, { name: 'text-input' })
