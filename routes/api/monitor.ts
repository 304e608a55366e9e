import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { lastEvening } from '../../lib/clock.js'
import { CHANGE_KINDS, STATUSES, type ChangeKind, type HealthStatus, type SweepState, type SweepTrigger } from '../../lib/status.js'
import { BadRequestError, CameraNotFoundError, ThumbnailNotFoundError } from '../../lib/errors.js'
import { CameraId, Limit, Nullable, RegionName, Time, errors, queryLimit, queryTime as time } from './schemas.js'



const Camera = Type.Object({
  cctv_id: Type.String(),
  name: Nullable(Type.String()),
  inference_id: Nullable(Type.String()),
  server: Nullable(Type.Integer()),
  status: Type.Unsafe<HealthStatus>({ type: 'string', enum: STATUSES }),
  flapping: Type.Boolean(),
  since: Type.String({ description: 'time of its last status change' }),
  last_seen: Type.String(),
  error: Nullable(Type.String()),
  reconnects_today: Type.Integer()
})

const Sweep = Type.Object({
  id: Type.Integer(),
  trigger: Type.Unsafe<SweepTrigger>({ type: 'string', enum: ['scheduled', 'manual'] }),
  started_by: Nullable(Type.String()),
  state: Type.Unsafe<SweepState>({ type: 'string', enum: ['done', 'cancelled', 'failed', 'skipped', 'lost_lease'], description: 'lost_lease: it ran while another gateway held the region; it moved nothing' }),
  picture: Type.Boolean({ description: 'it looked at pictures (black/frozen, and moved/blurred against references) instead of probing' }),
  started_at: Type.String(),
  finished_at: Nullable(Type.String()),
  duration_ms: Nullable(Type.Integer()),
  total: Type.Integer(),
  done: Type.Integer(),
  online: Type.Integer(),
  down: Type.Integer(),
  failure: Nullable(Type.String()),
  gateway: Nullable(Type.String({ description: 'the gateway that ran it (GATEWAY_ID)' }))
})

const Change = Type.Object({
  cctv_id: Type.String(),
  name: Type.Optional(Nullable(Type.String())),
  at: Type.String(),
  kind: Type.Unsafe<ChangeKind>({ type: 'string', enum: CHANGE_KINDS, description: 'first_seen (the monitor\'s first word on it: never news of an outage) | down | up | status (another down status) | flapping | steady (online cameras only)' }),
  from_status: Nullable(Type.String()),
  to_status: Type.String(),
  trigger: Type.Unsafe<SweepTrigger>({ type: 'string', enum: ['scheduled', 'manual'], description: 'the sweep that saw it: the monitor\'s, or an operator\'s with at least the monitor\'s checks' }),
  started_by: Nullable(Type.String({ description: 'the operator, for a manual change' })),
  thumbnail_url: Type.Optional(Type.String({ description: 'the frame the monitor kept when the camera changed to black, frozen, moved or blurred' }))
})

const Day = Type.Object({ day: Type.String(), up: Type.Integer(), total: Type.Integer(), uptime: Nullable(Type.Number()), reconnects: Type.Optional(Type.Integer()) })

const Uptime = Nullable(Type.Number({ minimum: 0, maximum: 1, description: 'share of the monitor\'s complete sweeps outside maintenance that found it online; null: none was judged' }))
const Judged = Type.Integer({ minimum: 0, description: 'how many of the monitor\'s sweeps judged it (outside maintenance)' })

const DAY_MS = 86_400_000

/**
 * The fleet monitor (issue 15): what the background and the operators' sweeps kept. Access:
 * the monitor token sees every region, an operator's session its own region's cameras and the
 * other regions' counts (plugins/app/monitor-access.ts).
 */
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { fleet } = fastify

  fastify.get('/monitor', {
    schema: {
      summary: 'Every monitored region: last sweep, counts per status, cameras down now (own region only), changes in 24 h, 30 days of uptime',
      response: {
        200: Type.Object({
          generated_at: Type.String(),
          regions: Type.Array(Type.Object({
            region: Type.String(),
            monitored: Type.Boolean(),
            schedule: Nullable(Type.String()),
            as_of: Nullable(Type.String()),
            age_seconds: Nullable(Type.Integer()),
            stale: Type.Boolean(),
            last_sweep: Nullable(Sweep),
            cameras: Type.Integer(),
            by_status: Type.Record(Type.String(), Type.Integer()),
            down: Type.Integer(),
            flapping: Type.Integer(),
            down_now: Nullable(Type.Array(Camera)),
            changes_24h: Type.Record(Type.String(), Type.Integer()),
            uptime_days: Type.Array(Day)
          }))
        }),
        ...errors(401)
      }
    }
  }, async (request) => await fleet.overview(request.monitorViewer()))

  fastify.get('/monitor/:region/cameras', {
    schema: {
      summary: 'Every camera of a region: status, since, uptime over 24 h / 7 d / 30 d, reconnects today, last error',
      params: Type.Object({ region: RegionName }),
      response: {
        200: Type.Object({
          region: Type.String(),
          as_of: Nullable(Type.String()),
          cameras: Type.Array(Type.Intersect([Camera, Type.Object({
            uptime_24h: Uptime,
            uptime_7d: Uptime,
            uptime_30d: Uptime,
            judged_24h: Judged,
            judged_7d: Judged,
            judged_30d: Judged
          })]))
        }),
        ...errors(401, 403, 404)
      }
    }
  }, async (request) => {
    request.requireRegionView(request.params.region)
    return await fleet.cameras(request.params.region)
  })

  fastify.get('/monitor/:region/cameras/:id', {
    schema: {
      summary: 'One camera\'s changes and daily uptime between from (default: 30 days ago) and to (default: now)',
      params: Type.Object({ region: RegionName, id: CameraId }),
      querystring: Type.Object({ from: Type.Optional(Time), to: Type.Optional(Time) }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          region: Type.String(),
          cctv_id: Type.String(),
          from: Type.String(),
          to: Type.String(),
          camera: Nullable(Camera),
          changes: Type.Array(Change),
          daily: Type.Array(Day)
        }),
        ...errors(400, 401, 403, 404)
      }
    }
  }, async (request) => {
    const { region, id } = request.params
    request.requireRegionView(region)
    const now = fastify.clock()
    const to = time('to', request.query.to, now)
    const from = time('from', request.query.from, to - 30 * DAY_MS)
    if (from > to) throw new BadRequestError('querystring.from is after querystring.to')
    if (to - from > 400 * DAY_MS) throw new BadRequestError('querystring.from and querystring.to are more than 400 days apart')
    const story = await fleet.camera(region, String(Number(id)), from, to, now)
    if (story === undefined) throw new CameraNotFoundError()
    return story
  })

  fastify.get('/monitor/:region/cameras/:id/thumbnail', {
    schema: {
      summary: 'The frame the monitor kept when the camera changed to black, frozen, moved or blurred at `at` (ms since the epoch), as JPEG',
      params: Type.Object({ region: RegionName, id: CameraId }),
      querystring: Type.Object({ at: Type.String({ pattern: '^[0-9]{1,15}$' }) }, { additionalProperties: false }),
      response: { 200: Type.Any({ description: 'image/jpeg' }), ...errors(400, 401, 403, 404) }
    }
  }, async (request, reply) => {
    const { region, id } = request.params
    request.requireRegionView(region)
    const jpeg = await fastify.history.thumbnail(region, String(Number(id)), Number(request.query.at))
    if (jpeg === undefined) throw new ThumbnailNotFoundError()
    // Kept frames never change: a browser may keep them (private: they are the operator's region's).
    return await reply.type('image/jpeg').header('cache-control', 'private, max-age=86400').send(jpeg)
  })

  fastify.get('/monitor/:region/sweeps', {
    schema: {
      summary: 'The region\'s kept sweeps, newest first: the monitor\'s and the operators\', whatever their outcome (skipped, cancelled, lost_lease included)',
      params: Type.Object({ region: RegionName }),
      querystring: Type.Object({
        since: Type.Optional(Time),
        limit: Type.Optional(Limit(100, 1000))
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ region: Type.String(), sweeps: Type.Array(Sweep) }), ...errors(400, 401, 403, 404) }
    }
  }, async (request) => {
    const { region } = request.params
    request.requireRegionView(region)
    const limit = queryLimit(request.query.limit, 100, 1000)
    return { region, sweeps: await fleet.sweeps(region, time('since', request.query.since, 0), limit) }
  })

  fastify.get('/monitor/:region/changes', {
    schema: {
      summary: 'What went down, came back or started flapping since a time (default: 18:00 yesterday, Korean time), newest first',
      params: Type.Object({ region: RegionName }),
      querystring: Type.Object({ since: Type.Optional(Time) }, { additionalProperties: false }),
      response: {
        200: Type.Object({ region: Type.String(), since: Type.String(), truncated: Type.Boolean(), changes: Type.Array(Change) }),
        ...errors(400, 401, 403, 404)
      }
    }
  }, async (request) => {
    request.requireRegionView(request.params.region)
    return await fleet.changes(request.params.region, time('since', request.query.since, lastEvening(fastify.clock())))
  })
}

export default routes
