import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ConfigProblem } from '../../lib/config/problem.js'
import { checkWindow, MaintenanceSchema, type WindowConfig } from '../../lib/config/windows.js'
import { BadRequestError, ChannelNotFoundError, OtherRegionError, WindowNotFoundError } from '../../lib/errors.js'
import { title } from '../../lib/notify/messages.js'
import type { MaintenanceRow } from '../../lib/store/alerts.js'
import type { AlertBody } from '../../lib/store/history.js'
import { InRegion, Nullable, errors, iso } from './schemas.js'



const Window = Type.Object({
  id: Type.String({ description: 'cfg-<n> for windows of the regions file' }),
  source: Type.String({ description: 'regions-file | api' }),
  region: Type.String(),
  server: Nullable(Type.Integer()),
  cctv_ids: Nullable(Type.Array(Type.String())),
  from: Nullable(Type.String()),
  to: Nullable(Type.String()),
  cron: Nullable(Type.String()),
  duration_ms: Nullable(Type.Integer()),
  reason: Nullable(Type.String()),
  created_by: Nullable(Type.String()),
  created_at: Nullable(Type.String())
})

/**
 * Alerts and maintenance windows (issue 16). Alerts: the monitor's access rules (the token sees
 * every region, a session its own). Maintenance: a logged-in operator of the region (audited).
 */
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  const channels = fastify.config.channels ?? []

  fastify.get('/alerts', {
    schema: {
      summary: 'Recent alerts with their deliveries (per region, as the monitor\'s access rules say), and the channels (no secrets)',
      querystring: Type.Object({ limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$' })) }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          alerts: Type.Array(Type.Object({
            id: Type.Integer(),
            region: Type.String(),
            at: Type.String(),
            kind: Type.String(),
            title: Type.String(),
            changes: Type.Array(Type.Object({ kind: Type.String(), cctv_id: Nullable(Type.String()), name: Nullable(Type.String()), server: Nullable(Type.Integer()),
              status: Nullable(Type.String()), since: Type.String(), error: Nullable(Type.String()) })),
            deliveries: Type.Array(Type.Object({ channel: Type.String(), state: Type.String(), attempts: Type.Integer(), last_error: Nullable(Type.String()),
              next_at: Nullable(Type.String()), sent_at: Nullable(Type.String()), log: Type.Array(Type.Object({ at: Type.String(), ok: Type.Boolean(),
              detail: Nullable(Type.String()) })) }))
          })),
          channels: Type.Array(Type.Object({ name: Type.String(), type: Type.String(), regions: Nullable(Type.Array(Type.String())), lang: Type.String() }))
        }),
        ...errors(400, 401)
      }
    }
  }, async (request) => {
    const viewer = request.monitorViewer()
    const limit = Math.min(500, Math.max(1, Number(request.query.limit ?? 50)))
    const list = await fastify.alerts.recent(viewer.all ? 'all' : viewer.regions, limit)
    const visible = channels.filter(c => viewer.all || c.regions === undefined || c.regions.some(r => viewer.regions.includes(r)))
    return {
      alerts: list.map(a => ({
        id: a.id,
        region: a.region,
        at: iso(a.at)!,
        kind: a.kind,
        title: title(a.body, 'ko', a.deliveries[0]?.channel),
        changes: a.body.changes.map(c => ({ ...c, since: iso(c.since)! })),
        deliveries: a.deliveries.map(d => ({ channel: d.channel, state: d.state, attempts: d.attempts, last_error: d.last_error, next_at: d.state === 'pending' ? iso(d.next_at) : null, sent_at: iso(d.sent_at), log: d.attempts_log.map(x => ({ at: iso(x.at)!, ok: x.ok, detail: x.detail })) }))
      })),
      channels: visible.map(c => ({ name: c.name, type: c.type, regions: c.regions ?? null, lang: c.lang }))
    }
  })

  fastify.post('/alerts/test', {
    schema: {
      summary: 'Send a test message to one channel of the session\'s region (through the outbox, like any alert)',
      querystring: InRegion,
      body: Type.Object({ channel: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
      response: { 202: Type.Object({ message: Type.String(), alert_id: Type.Integer() }), ...errors(400, 403, 404) }
    }
  }, async (request, reply) => {
    const { region } = request.actIn(request.query.region, 'admin')
    const channel = channels.find(c => c.name === request.body.channel)
    if (channel === undefined) throw new ChannelNotFoundError()
    if (channel.regions !== undefined && !channel.regions.includes(region.name)) throw new OtherRegionError(region.name)
    const now = fastify.clock()
    const body: AlertBody = { region: region.name, sweep: null, at: now, changes: [], test: true }
    const id = await fastify.history.enqueueTest(region.name, channel.name, body)
    fastify.outbox.kick()
    return await reply.code(202).send({ message: 'test message queued', alert_id: id })
  })

  const view = (region: string) => (w: MaintenanceRow): Record<string, unknown> => ({
    id: String(w.id), source: 'api', region, server: w.server, cctv_ids: w.cctv_ids, from: iso(w.from_at), to: iso(w.to_at), cron: w.cron, duration_ms: w.duration_ms, reason: w.reason, created_by: w.created_by, created_at: iso(w.created_at)
  })

  fastify.get('/maintenance', {
    schema: {
      summary: 'The maintenance windows of the session\'s region (regions file and API), current and coming',
      querystring: InRegion,
      response: { 200: Type.Object({ region: Type.String(), windows: Type.Array(Window) }), ...errors(400) }
    }
  }, async (request) => {
    const { region } = request.actIn(request.query.region, 'viewer')
    const now = fastify.clock()
    const fromFile = region.maintenance.filter(w => w.to === undefined || w.to > now).map((w, i) => ({
      id: `cfg-${i + 1}`, source: 'regions-file', region: region.name, server: w.server ?? null, cctv_ids: w.cctvIds ?? null, from: iso(w.from ?? null), to: iso(w.to ?? null), cron: w.cron ?? null, duration_ms: w.durationMs ?? null, reason: w.reason ?? null, created_by: null, created_at: null
    }))
    const fromApi = (await fastify.alerts.windows(region.name, now)).map(view(region.name))
    return { region: region.name, windows: [...fromFile, ...fromApi] as never }
  })

  fastify.post('/maintenance', {
    schema: {
      summary: 'Create a maintenance window in the session\'s region: one-off (from, to) or recurring (cron, duration); the region, one server or some cameras',
      // The regions file's window schema; one validator (lib/config/windows.ts) for both.
      querystring: InRegion,
      body: MaintenanceSchema,
      response: { 201: Window, ...errors(400) }
    }
  }, async (request, reply) => {
    const { region, who } = request.actIn(request.query.region, 'admin')
    let c: WindowConfig
    try {
      c = checkWindow(request.body, { servers: new Set(region.servers.keys()), now: fastify.clock() })
    } catch (err) {
      if (err instanceof ConfigProblem) throw new BadRequestError(err.sentence('body'))
      throw err
    }
    const w = {
      region: region.name,
      server: c.server ?? null,
      cctv_ids: c.cctvIds ?? null,
      from_at: c.from ?? null,
      to_at: c.to ?? null,
      cron: c.cron ?? null,
      duration_ms: c.durationMs ?? null,
      reason: c.reason ?? null,
      created_by: who,
      created_at: fastify.clock()
    }
    const id = await fastify.alerts.addWindow(w)
    return await reply.code(201).send(view(region.name)({ ...w, id, ended_at: null }) as never)
  })

  fastify.delete('/maintenance/:id', {
    schema: {
      summary: 'End a maintenance window of the session\'s region now (windows of the regions file are ended by editing it)',
      params: Type.Object({ id: Type.String({ maxLength: 20 }) }),
      querystring: InRegion,
      response: { 200: Type.Object({ message: Type.String() }), ...errors(400, 403, 404) }
    }
  }, async (request) => {
    const { region } = request.actIn(request.query.region, 'admin')
    if (request.params.id.startsWith('cfg-')) throw new BadRequestError('this window is defined in the regions file: edit the file to end it')
    if (!/^[0-9]{1,12}$/.test(request.params.id)) throw new WindowNotFoundError()
    if (!await fastify.alerts.endWindow(region.name, Number(request.params.id), fastify.clock())) throw new WindowNotFoundError()
    return { message: 'maintenance window ended' }
  })
}

export default routes
