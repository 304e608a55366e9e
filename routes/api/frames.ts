import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { FrameLinkError, FrameLinkExpiredError, ReferenceNotFoundError, RegionNotFoundError, ThumbnailNotFoundError } from '../../lib/errors.js'
import { checkFrameLink, parseFrameSegment } from '../../lib/notify/frame-links.js'
import { CameraId, RegionName, errors } from './schemas.js'

/**
 * The frames an alert links (issue 24): opened from a chat message or a webhook receiver without
 * a console session, by a signed link that names one frame and expires (lib/notify/frame-links.ts).
 */
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { regions } = fastify.config
  fastify.get('/frames/:region/:id/:what', {
    schema: {
      summary: 'A frame an alert links: the one kept with a change (`f<at>`) or a reference view (`r<id>`), as JPEG',
      description: 'No session: the link\'s signature and expiry (`exp`, seconds since the epoch) are its access. 403 for a link changed by a character, 410 for an expired one.',
      params: Type.Object({ region: RegionName, id: CameraId, what: Type.String({ pattern: '^[fr][0-9]{1,15}$' }) }),
      querystring: Type.Object({ exp: Type.String({ pattern: '^[0-9]{1,12}$' }), sig: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }) }, { additionalProperties: false }),
      response: { 200: Type.Any({ description: 'image/jpeg' }), ...errors(400, 403, 404, 410) }
    }
  }, async (request, reply) => {
    const { region, id, what } = request.params
    const exp = Number(request.query.exp)
    const verdict = checkFrameLink(fastify.frameLinkKey, region, id, what, exp, request.query.sig, fastify.clock())
    if (verdict === 'bad') throw new FrameLinkError()
    if (verdict === 'expired') throw new FrameLinkExpiredError()
    if (!regions.has(region)) throw new RegionNotFoundError()
    const ref = parseFrameSegment(what)!
    const jpeg = ref.kind === 'frame' ? await fastify.history.thumbnail(region, id, ref.at) : await fastify.references.store.jpeg(region, id, ref.id)
    if (jpeg === undefined) throw ref.kind === 'frame' ? new ThumbnailNotFoundError() : new ReferenceNotFoundError()
    // Until the link expires, and only for this browser.
    const age = Math.max(0, Math.floor(exp - fastify.clock() / 1000))
    return await reply.type('image/jpeg').header('cache-control', `private, max-age=${age}`).send(jpeg)
  })
}

export default routes
