import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { perServerLimit, sweepOptions, toCsv, type HealthSweep } from '../../lib/ops/health-sweep.js'
import { byUrgency, type CameraHealth } from '../../lib/ops/health-rows.js'
import { RecordingSweepHistory, Sweeps, type SweepsOptions } from '../../lib/ops/sweeps.js'
import { NoSweepError } from '../../lib/errors.js'
import type { SiteSession } from '../../lib/site/session.js'
import { errors } from './schemas.js'

/** Down first, then flapping, then the rest; by ID within each. */
function ordered (s: HealthSweep): CameraHealth[] {
  return [...s.results].sort(byUrgency)
}

function report (s: HealthSweep): Record<string, unknown> {
  return {
    state: s.state,
    started_at: s.startedAt.toISOString(),
    finished_at: s.finishedAt?.toISOString() ?? null,
    done: s.done,
    picture: s.picture,
    total: s.total,
    ...(s.failure === null ? {} : { failure: s.failure }),
    summary: s.summary(),
    results: ordered(s)
  }
}

const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { env } = fastify.config
  const limit = perServerLimit(env.HEALTH_CONCURRENCY, env.SSH_MAX_CHANNELS)
  const options: SweepsOptions = {
    sweep: (picture, region) => ({ ...sweepOptions(env, picture), references: async () => await fastify.references.ofRegion(region) }),
    reprobeLimit: limit,
    history: site => new RecordingSweepHistory(site, fastify.history, err => { fastify.log.warn({ err: { message: err.message }, region: site.region.name }, 'health sweep not kept in the history') })
  }
  const sweeps = (site: SiteSession): Sweeps => Sweeps.of(site, options)

  fastify.post('/cctv_health', {
    // The body is optional: no body is the whole region, like {}.
    preValidation: async (request) => { request.body ??= {} },
    schema: {
      summary: 'Start a health sweep of the session\'s region (one per session at a time)',
      body: Type.Object({
        servers: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 99 }), { maxItems: 99 })),
        l2: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
        l3: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
        ids: Type.Optional(Type.Array(Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: '^[0-9]{1,9}$' })]), { minItems: 1, maxItems: 100_000 })),
        picture: Type.Optional(Type.Boolean({ description: 'also watch each online camera for a few seconds (one look instead of the probe): black and frozen pictures, and against the camera\'s reference views moved and blurred ones, are statuses of their own' }))
      }, { additionalProperties: false }),
      response: { 202: Type.Object({ message: Type.String(), state: Type.String() }), ...errors(400, 409) }
    }
  }, async (request, reply) => {
    const site = request.requireSite()
    const log = request.log
    const { picture, ...filter } = request.body
    await sweeps(site).start(filter, sweep => {
      log.info({ region: site.region.name, state: sweep.state, done: sweep.done, total: sweep.total, summary: sweep.summary().by_status }, 'health sweep ended')
    }, picture === true)
    return await reply.code(202).send({ message: 'health sweep started', state: 'running' })
  })

  fastify.get('/cctv_health/events', {
    schema: { summary: 'Server-Sent Events of the session\'s sweep: progress {done,total}, result per camera, end' }
  }, async (request, reply) => {
    const site = request.requireSite()
    const sweep = site.sweeps?.current
    if (sweep === undefined) throw new NoSweepError()
    reply.hijack()
    const out = reply.raw
    out.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no', connection: 'keep-alive' })
    const send = (event: string, data: unknown): void => { out.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`) }
    const progress = (): void => { send('progress', { done: sweep.done, total: sweep.total, state: sweep.state }) }
    const result = (r: unknown): void => { send('result', r) }
    const end = (): void => {
      send('end', { state: sweep.state, done: sweep.done, total: sweep.total, summary: sweep.summary(), ...(sweep.failure === null ? {} : { failure: sweep.failure }) })
      out.end()
    }
    // A late (or reconnecting) listener first gets what is known so far.
    for (const r of sweep.results) result(r)
    progress()
    if (sweep.state !== 'running') { end(); return reply }
    // Comments keep proxies and idle timers from closing a quiet stream.
    const ping = setInterval(() => { out.write(': ping\n\n') }, 15_000)
    sweep.on('result', result)
    sweep.on('progress', progress)
    sweep.once('end', end)
    const leave = sweep.follow(env.HEALTH_ABANDON_SECONDS * 1000)
    out.once('close', () => {
      leave()
      clearInterval(ping)
      sweep.off('result', result)
      sweep.off('progress', progress)
      sweep.off('end', end)
    })
    return reply
  })

  fastify.get('/cctv_health/state', {
    schema: {
      summary: 'The session\'s current sweep at a glance (state none when there is none): what a screen needs before it listens',
      response: { 200: Type.Object({ state: Type.String(), done: Type.Integer(), total: Type.Integer(), started_at: Type.Union([Type.String(), Type.Null()]),
        finished_at: Type.Union([Type.String(), Type.Null()]) }), ...errors(400) }
    }
  }, async (request) => {
    const s = request.requireSite().sweeps?.current
    if (s === undefined) return { state: 'none', done: 0, total: 0, started_at: null, finished_at: null }
    return { state: s.state, done: s.done, total: s.total, started_at: s.startedAt.toISOString(), finished_at: s.finishedAt?.toISOString() ?? null }
  })

  fastify.get('/cctv_health', {
    schema: { summary: 'The latest complete sweep: summary per status and server, every camera (down first)' }
  }, async (request) => report(sweeps(request.requireSite()).latestComplete()))

  fastify.get('/cctv_health.csv', {
    schema: { summary: 'The latest complete sweep as CSV' }
  }, async (request, reply) => {
    const site = request.requireSite()
    const done = sweeps(site).latestComplete()
    const name = `fwmaint-health-${encodeURIComponent(site.region.name)}-${done.startedAt.toISOString().slice(0, 16).replace(/[-:T]/g, '')}.csv`
    return await reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="health.csv"; filename*=UTF-8''${name}`)
      .send(toCsv(ordered(done)))
  })

  fastify.post('/cctv_health/reprobe', {
    schema: {
      summary: 'Probe one camera again now; its row in the latest complete sweep is replaced',
      body: Type.Object({ id: Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: '^[0-9]{1,9}$' })]) }, { additionalProperties: false }),
      response: { 200: Type.Object({ message: Type.String(), result: Type.Any({ description: 'the camera\'s row, as in GET /api/cctv_health' }) }), ...errors(400, 404, 409) }
    }
  }, async (request, reply) => {
    const site = request.requireSite()
    // A client that leaves before the answer takes the probe with it, like a stop.
    const left = new AbortController()
    const gone = (): void => { if (!reply.raw.writableEnded) left.abort() }
    reply.raw.once('close', gone)
    let item: CameraHealth
    try {
      item = await sweeps(site).reprobe(request.body.id, left.signal)
    } finally {
      reply.raw.off('close', gone)
    }
    return { message: 'camera probed', result: item }
  })

  fastify.post('/cctv_health/stop', {
    schema: { summary: 'Cancel the session\'s running sweep (its remote processes are killed)', response: { 200: Type.Object({ message: Type.String(), stopped: Type.Boolean() }) } }
  }, async (request) => {
    const stopped = request.site()?.sweeps?.stop() ?? false
    return { message: 'health sweep stopped', stopped }
  })
}

export default routes
