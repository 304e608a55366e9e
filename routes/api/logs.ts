import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { parseInferenceId } from '../../lib/site/inference-id.js'
import { logPath, searchLog, type LogKind } from '../../lib/ops/log-search.js'
import { InferenceId, errors } from './schemas.js'


const LogSearchBody = Type.Object({
  inference_id: InferenceId,
  date: Type.String({ maxLength: 10, description: 'YYYY-MM-DD, a real calendar date' }),
  find_word: Type.String({ minLength: 1, maxLength: 4096, description: 'searched for literally (not a regex)' })
})

const LogSearchReply = Type.Object({
  message: Type.Array(Type.String()),
  truncated: Type.Optional(Type.Boolean())
})

const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { env } = fastify.config

  for (const kind of ['ffmpeg', 'gstreamer'] as LogKind[]) {
    fastify.post(`/${kind}_log`, {
      schema: {
        summary: `Every line of the day's ${kind} log of one pipeline that contains find_word`,
        body: LogSearchBody,
        response: { 200: LogSearchReply, ...errors(400, 401, 404, 500) }
      }
    }, async (request) => {
      const site = request.requireSite()
      const { server, gpu } = parseInferenceId(request.body.inference_id, site.region)
      const path = logPath(server.logs[kind], server.n, gpu, request.body.date)
      const r = await site.onServer(server, async () => await searchLog(site, server, path, request.body.find_word, {
        maxLines: env.LOG_MAX_LINES,
        maxBytes: env.LOG_MAX_BYTES,
        timeoutSec: env.LOG_SEARCH_TIMEOUT_SECONDS,
        signal: request.abortSignal()
      }))
      return r.truncated ? { message: r.lines, truncated: true } : { message: r.lines }
    })
  }
}

export default routes
