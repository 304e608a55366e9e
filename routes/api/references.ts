import { Type, type FastifyPluginAsyncTypebox, type Static } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { BadRequestError, ReferenceJobRunningError, ReferenceNotFoundError } from '../../lib/errors.js'
import { perServerLimit, pictureThresholds } from '../../lib/ops/health-sweep.js'
import { ReferenceJob, type TakeOptions } from '../../lib/ops/references.js'
import type { SiteSession } from '../../lib/site/session.js'
import { CameraId, RegionName, errors, iso } from './schemas.js'

const RefId = Type.String({ pattern: '^[0-9]{1,15}$', description: 'the reference\'s id' })

const Reference = Type.Object({
  id: Type.String(),
  taken_at: Type.String(),
  taken_by: Type.String({ description: 'the SSH user of the operator\'s session, or "monitor" (the monitor token\'s action, on the region\'s service identity)' }),
  url: Type.String({ description: 'the frame, image/jpeg' })
})

const Job = Type.Object({
  state: Type.Union([Type.Literal('running'), Type.Literal('done'), Type.Literal('cancelled'), Type.Literal('failed')]),
  missing_only: Type.Boolean(),
  started_by: Type.String(),
  started_at: Type.String(),
  finished_at: Type.Union([Type.String(), Type.Null()]),
  total: Type.Integer({ description: 'cameras to look at (the monitor\'s online ones when the region is monitored)' }),
  done: Type.Integer(),
  taken: Type.Integer(),
  skipped: Type.Integer({ description: 'cameras that had a reference (missing_only) or their two already' }),
  failed: Type.Array(Type.Object({ cctv_id: Type.String(), reason: Type.String() })),
  failure: Type.Union([Type.String(), Type.Null()])
})

/**
 * The views cameras must keep (issue 24): up to two reference frames per camera (day and
 * night), with the monitor's access rules. Taking one needs the site: an operator's session of
 * the region uses its own SSH session; the monitor token the region's service identity, on a
 * connection of its own for the action. Every POST and DELETE is audited (plugins/app/audit.ts).
 */
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { env, regions } = fastify.config
  const jobs = new Map<string, ReferenceJob>()
  const base = (region: string, id: string): string => `/api/monitor/${encodeURIComponent(region)}/cameras/${id}/references`
  const view = (region: string) => (r: { id: number, cctv_id: string, taken_at: number, taken_by: string }) =>
    ({ id: String(r.id), taken_at: iso(r.taken_at)!, taken_by: r.taken_by, url: `${base(region, r.cctv_id)}/${r.id}` })
  const takeOptions = (signal?: AbortSignal): TakeOptions => ({
    thresholds: pictureThresholds(env),
    probeTimeoutSec: env.HEALTH_PROBE_TIMEOUT_SECONDS,
    commandTimeoutSec: env.COMMAND_TIMEOUT_SECONDS,
    mongoTimeoutMs: env.MONGO_TIMEOUT_MS,
    perServer: perServerLimit(env.HEALTH_CONCURRENCY, env.SSH_MAX_CHANNELS, 'exec'),
    signal
  })

  /**
   * The site to take frames with, and who takes them: the session's own when it is of the
   * region, else (the token) the region's monitor identity on a new connection, closed by `done`.
   */
  async function siteFor (request: FastifyRequest, region: string): Promise<{ site: SiteSession, who: string, done: () => Promise<void> }> {
    request.requireRegionView(region)
    request.refuseReadOnlyToken()
    request.requireRole(region, 'operator')
    const own = request.site()
    if (own !== undefined && own.region.name === region) return { site: own, who: own.actor, done: async () => {} }
    const r = regions.get(region)!
    if (r.monitor === undefined) throw new BadRequestError(`region ${region} has no monitor identity: take references from a session logged in to it`)
    // The token's action, or (accounts mode) a person's: on the monitor's identity, named as the person.
    const person = request.personName()
    const login = await fastify.monitorLogin(r)
    const site = await fastify.sites.connect(r, login, { user: login.username, person, client: person === undefined ? 'monitor' : request.ip })
    return { site, who: person ?? 'monitor', done: async () => { await site.close() } }
  }

  fastify.post('/monitor/:region/cameras/:id/references', {
    schema: {
      summary: 'Take the camera\'s current frame as a reference view (at most two: day and night)',
      description: 'One look with ffmpeg (as a picture sweep\'s): a camera whose picture is black, frozen or gone answers 502 with its reason; a third reference 409.',
      params: Type.Object({ region: RegionName, id: CameraId }),
      response: { 201: Type.Object({ id: Type.String(), taken_at: Type.String(), taken_by: Type.String(), url: Type.String() }), ...errors(400, 401, 403, 404, 409, 500, 502) }
    }
  }, async (request, reply) => {
    const { region, id } = request.params
    const { site, who, done } = await siteFor(request, region)
    try {
      const row = await fastify.references.take(site, Number(id), who, fastify.clock(), takeOptions(request.abortSignal()))
      return await reply.code(201).send(view(region)(row))
    } finally {
      await done()
    }
  })

  fastify.get('/monitor/:region/cameras/:id/references', {
    schema: {
      summary: 'A camera\'s reference views, oldest first',
      params: Type.Object({ region: RegionName, id: CameraId }),
      response: { 200: Type.Object({ references: Type.Array(Reference) }), ...errors(400, 401, 403, 404) }
    }
  }, async (request) => {
    const { region, id } = request.params
    request.requireRegionView(region)
    return { references: (await fastify.references.store.list(region, String(Number(id)))).map(view(region)) }
  })

  fastify.get('/monitor/:region/cameras/:id/references/:rid', {
    schema: {
      summary: 'One reference view, as JPEG',
      params: Type.Object({ region: RegionName, id: CameraId, rid: RefId }),
      response: { 200: Type.Any({ description: 'image/jpeg' }), ...errors(400, 401, 403, 404) }
    }
  }, async (request, reply) => {
    const { region, id, rid } = request.params
    request.requireRegionView(region)
    const jpeg = await fastify.references.store.jpeg(region, String(Number(id)), Number(rid))
    if (jpeg === undefined) throw new ReferenceNotFoundError()
    // A reference never changes (a new one has a new id): a browser may keep it.
    return await reply.type('image/jpeg').header('cache-control', 'private, max-age=86400, immutable').send(jpeg)
  })

  fastify.delete('/monitor/:region/cameras/:id/references/:rid', {
    schema: {
      summary: 'Delete one reference view',
      params: Type.Object({ region: RegionName, id: CameraId, rid: RefId }),
      response: { 204: Type.Null(), ...errors(400, 401, 403, 404) }
    }
  }, async (request, reply) => {
    const { region, id, rid } = request.params
    request.requireRegionView(region)
    request.refuseReadOnlyToken()
    request.requireRole(region, 'operator')
    if (!await fastify.references.remove(region, String(Number(id)), Number(rid))) throw new ReferenceNotFoundError()
    return await reply.code(204).send(null)
  })

  fastify.post('/monitor/:region/references', {
    schema: {
      summary: 'Make reference views region-wide: every online camera without one gets one (missing_only), or one more up to two',
      description: 'Runs in the background at the picture checks\' per-server limit; GET …/references/job shows its progress. One at a time per region (409).',
      params: Type.Object({ region: RegionName }),
      body: Type.Object({ missing_only: Type.Boolean({ default: true }) }, { additionalProperties: false }),
      response: { 202: Job, ...errors(400, 401, 403, 404, 409, 500, 502) }
    }
  }, async (request, reply) => {
    const { region } = request.params
    const running = jobs.get(region)
    request.requireRegionView(region)
    request.requireRole(region, 'operator')
    if (running?.progress.state === 'running') throw new ReferenceJobRunningError(running.progress.done, running.progress.total)
    const { site, who, done } = await siteFor(request, region)
    let job: ReferenceJob
    try {
      // The monitor's online cameras, when it watches the region: the others would only time out.
      const states = regions.get(region)?.monitor === undefined ? [] : await fastify.history.cameras(region)
      job = new ReferenceJob(fastify.references, site, {
        ...takeOptions(),
        missingOnly: request.body.missing_only,
        takenBy: who,
        clock: fastify.clock,
        maxCameras: env.CCTV_MAX_CAMERAS,
        online: states.length === 0 ? undefined : new Set(states.filter(s => s.status === 'online').map(s => s.cctv_id))
      })
    } catch (err) {
      await done()
      throw err
    }
    jobs.set(region, job)
    void job.run().finally(done)
    return await reply.code(202).send(jobView(job))
  })

  fastify.get('/monitor/:region/references/job', {
    schema: {
      summary: 'The region\'s latest "make references" action: its progress, or how it ended',
      params: Type.Object({ region: RegionName }),
      response: { 200: Job, ...errors(400, 401, 403, 404) }
    }
  }, async (request) => {
    const { region } = request.params
    request.requireRegionView(region)
    const job = jobs.get(region)
    if (job === undefined) throw new ReferenceNotFoundError()
    return jobView(job)
  })

  fastify.addHook('onClose', async () => { for (const j of jobs.values()) j.cancel() })
}

function jobView (job: ReferenceJob): Static<typeof Job> {
  const p = job.progress
  return { ...p, started_at: iso(p.started_at)!, finished_at: iso(p.finished_at), failed: p.failed.slice(0, 500) }
}

export default routes
