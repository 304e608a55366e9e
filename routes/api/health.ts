import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import pLimit, { type LimitFunction } from 'p-limit'
import { HealthSweep, perServerLimit, toCsv } from '../../lib/ops/health-sweep.js'
import { byUrgency, type CameraHealth, type SweepFilter } from '../../lib/ops/health-rows.js'
import { BadRequestError, CameraNotFoundError, NoSweepError, RemoteError, SweepRunningError } from '../../lib/errors.js'
import type { SiteSession } from '../../lib/site/session.js'
import { kstDay } from '../../lib/site/clock.js'
import { errors } from './schemas.js'

interface Sweeps {
  current?: HealthSweep
  complete?: HealthSweep
  /** Re-probes of single cameras, queued so that many clicks cannot flood a server either. */
  reprobes?: LimitFunction
}
const KEY = 'health'

/** The session's sweeps: the running (or last) one and the last complete one. */
function sweeps (site: SiteSession): Sweeps {
  let s = site.resources.get(KEY) as Sweeps | undefined
  if (s === undefined) {
    const created: Sweeps = {}
    site.resources.set(KEY, created)
    // Logout, the SSH TTL or shutdown: the sweep's remote processes go with the session.
    site.onClose(() => { created.current?.cancel() })
    s = created
  }
  return s
}

/** The session's last complete sweep, or the 404 that says there is none yet. */
function latestComplete (site: SiteSession): HealthSweep {
  const done = sweeps(site).complete
  if (done === undefined) throw new NoSweepError()
  return done
}

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
    total: s.total,
    ...(s.failure === null ? {} : { failure: s.failure }),
    summary: s.summary(),
    results: ordered(s)
  }
}

const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { env } = fastify.config
  const limit = perServerLimit(env.HEALTH_CONCURRENCY, env.SSH_MAX_CHANNELS)
  const newSweep = (site: SiteSession, filter: SweepFilter): HealthSweep => new HealthSweep(site, filter, {
    concurrency: limit,
    probeTimeoutSec: env.HEALTH_PROBE_TIMEOUT_SECONDS,
    commandTimeoutSec: env.COMMAND_TIMEOUT_SECONDS,
    logTimeoutSec: env.LOG_SEARCH_TIMEOUT_SECONDS,
    mongoTimeoutMs: env.MONGO_TIMEOUT_MS,
    maxCameras: env.CCTV_MAX_CAMERAS,
    flapMin: env.HEALTH_FLAP_MIN,
    today: kstDay()
  })

  fastify.post('/cctv_health', {
    // The body is optional: no body is the whole region, like {}.
    preValidation: async (request) => { request.body ??= {} },
    schema: {
      summary: 'Start a health sweep of the session\'s region (one per session at a time)',
      body: Type.Object({
        servers: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 99 }), { maxItems: 99 })),
        l2: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
        l3: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
        ids: Type.Optional(Type.Array(Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: '^[0-9]{1,9}$' })]), { minItems: 1, maxItems: 100_000 }))
      }, { additionalProperties: false }),
      response: { 202: Type.Object({ message: Type.String(), state: Type.String() }), ...errors(400, 409) }
    }
  }, async (request, reply) => {
    const site = request.requireSite()
    const s = sweeps(site)
    if (s.current?.state === 'running') throw new SweepRunningError(s.current.done, s.current.total)
    const sweep = newSweep(site, request.body)
    const previous = s.current
    s.current = sweep
    try {
      // The inventory is read before answering: a filter that matches nothing keeps the last result.
      if (await sweep.prepare() === 0) throw new BadRequestError('no camera matches the filter (servers, l2, l3, ids)')
    } catch (err) {
      sweep.cancel()
      if (s.current === sweep) s.current = previous
      throw err
    }
    const log = request.log
    sweep.once('end', () => {
      if (sweep.state === 'done') s.complete = sweep
      site.audit({ event: 'health_sweep', region: site.region.name, outcome: sweep.state === 'failed' ? 'error' : 'ok', ms: Date.now() - sweep.startedAt.getTime(), detail: `${sweep.state} ${sweep.done}/${sweep.total}` })
      log.info({ region: site.region.name, state: sweep.state, done: sweep.done, total: sweep.total, summary: sweep.summary().by_status }, 'health sweep ended')
    })
    void sweep.run()
    return await reply.code(202).send({ message: 'health sweep started', state: 'running' })
  })

  fastify.get('/cctv_health/events', {
    schema: { summary: 'Server-Sent Events of the session\'s sweep: progress {done,total}, result per camera, end' }
  }, async (request, reply) => {
    const site = request.requireSite()
    const sweep = sweeps(site).current
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

  fastify.get('/cctv_health', {
    schema: { summary: 'The latest complete sweep: summary per status and server, every camera (down first)' }
  }, async (request) => report(latestComplete(request.requireSite())))

  fastify.get('/cctv_health.csv', {
    schema: { summary: 'The latest complete sweep as CSV' }
  }, async (request, reply) => {
    const site = request.requireSite()
    const done = latestComplete(site)
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
    const s = sweeps(site)
    // Its probe would come on top of the running sweep's per-server limit.
    if (s.current?.state === 'running') throw new SweepRunningError(s.current.done, s.current.total)
    const one = newSweep(site, { ids: [request.body.id] })
    // A client that leaves before the answer takes the probe with it, like a stop.
    const gone = (): void => { if (!reply.raw.writableEnded) one.cancel() }
    reply.raw.once('close', gone)
    s.reprobes ??= pLimit(limit)
    try {
      await s.reprobes(async () => { if (one.state === 'running') await one.run() })
    } finally {
      reply.raw.off('close', gone)
    }
    if (one.state === 'failed') throw new RemoteError(one.failure ?? 'health probe failed')
    const item = one.results[0]
    if (item === undefined) throw new CameraNotFoundError()
    s.complete?.replace(item)
    return { message: 'camera probed', result: item }
  })

  fastify.post('/cctv_health/stop', {
    schema: { summary: 'Cancel the session\'s running sweep (its remote processes are killed)', response: { 200: Type.Object({ message: Type.String(), stopped: Type.Boolean() }) } }
  }, async (request) => {
    const site = request.site()
    const current = site === undefined ? undefined : sweeps(site).current
    const stopped = current?.state === 'running'
    current?.cancel()
    return { message: 'health sweep stopped', stopped }
  })
}

export default routes
