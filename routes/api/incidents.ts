import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { IncidentNotFoundError, OtherRegionError } from '../../lib/errors.js'
import type { IncidentDetail, IncidentRow } from '../../lib/store/incidents.js'
import { STATUSES, type HealthStatus } from '../../lib/status.js'
import type { RegionConfig } from '../../lib/config/regions.js'
import { CameraId, Limit, MessageReply, Nullable, RegionName, Time, errors, iso, queryLimit, queryTime } from './schemas.js'

const Id = Type.String({ pattern: '^[0-9]{1,12}$', description: 'the incident\'s id' })
const Status = Type.Unsafe<HealthStatus>({ type: 'string', enum: [...STATUSES] })
/** Words a person writes: at least one character that is not a space. */
const Words = (max: number, description: string) => Type.String({ minLength: 1, maxLength: max, pattern: '\\S', description })

const Incident = Type.Object({
  id: Type.String(),
  region: Type.String(),
  cause: Type.Union([Type.Literal('region'), Type.Literal('server'), Type.Literal('district'), Type.Literal('camera')],
    { description: 'region: the site could not be reached; server: most of one analysis server\'s cameras fell in one sweep; district: the same for one L2/L3; camera: one camera' }),
  key: Type.Union([Type.String({ description: 'the server\'s number, the district ("L2/L3") or the camera\'s id' }), Type.Null()]),
  state: Type.Union([Type.Literal('open'), Type.Literal('acknowledged'), Type.Literal('resolved')]),
  opened_at: Type.String(),
  acknowledged_at: Nullable(Type.String()),
  acknowledged_by: Nullable(Type.String()),
  resolved_at: Nullable(Type.String()),
  resolved_by: Nullable(Type.String({ description: 'who closed it by hand; null when its cameras came back' })),
  cameras: Type.Integer({ description: 'cameras in it' }),
  down: Type.Integer({ description: 'of them, still down' }),
  by_status: Type.Record(Type.String(), Type.Integer(), { description: 'cameras still down, per status' }),
  down_ids: Type.Array(Type.String(), { description: 'the cameras still down (cctv_ID)' })
})

const Detail = Type.Object({
  ...Incident.properties,
  camera_list: Type.Array(Type.Object({
    cctv_id: Type.String(),
    name: Nullable(Type.String()),
    status: Status,
    down_at: Type.String(),
    back_at: Nullable(Type.String())
  })),
  events: Type.Array(Type.Object({
    at: Type.String(),
    kind: Type.Union(['opened', 'grew', 'reopened', 'resolved', 'escalated', 'acknowledged', 'note', 'closed'].map(k => Type.Literal(k)),
      { description: 'the monitor\'s: opened, grew, reopened, resolved, escalated (told to the escalation channels, named in text); a person\'s: acknowledged, note, closed (resolved by hand)' }),
    by: Nullable(Type.String({ description: 'the person; null for the monitor' })),
    text: Nullable(Type.String()),
    cctv_ids: Type.Array(Type.String())
  }))
})

/** 409 to an acknowledgement: resolved, or acknowledged already (then by whom, and when). */
const AckConflict = Type.Object({
  ...MessageReply.properties,
  acknowledged_by: Type.Optional(Type.String()),
  acknowledged_at: Type.Optional(Type.String())
})

function view (r: IncidentRow): Record<string, unknown> {
  return {
    ...r,
    id: String(r.id),
    opened_at: iso(r.opened_at),
    acknowledged_at: iso(r.acknowledged_at),
    resolved_at: iso(r.resolved_at)
  }
}

/**
 * Incidents (issue 25): changes that share a cause, as the monitor grouped them
 * (lib/store/incident-rules.ts). Reading: the monitor's access rules (the token every region, a
 * session its own). Acting (acknowledge, note, close): a person, so an operator's session of the
 * incident's region — its SSH user is who. Every POST is audited (plugins/app/audit.ts).
 */
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  const store = fastify.history.incidents

  async function detail (id: number): Promise<Record<string, unknown>> {
    const d: IncidentDetail | undefined = await store.get(id)
    if (d === undefined) throw new IncidentNotFoundError()
    const names = new Map((await fastify.history.cameras(d.region)).map(c => [c.cctv_id, c.name]))
    return {
      ...view(d),
      camera_list: d.camera_list.map(c => ({ ...c, name: names.get(c.cctv_id) ?? null, down_at: iso(c.down_at), back_at: iso(c.back_at) })),
      events: d.events.map(e => ({ ...e, at: iso(e.at) }))
    }
  }

  /** The incident's region, checked against who asks: 404 for none, 403 for another region's session. */
  async function readable (request: FastifyRequest, id: string): Promise<number> {
    const n = Number(id)
    const region = await store.regionOf(n)
    if (region === undefined) throw new IncidentNotFoundError()
    request.requireRegionView(region)
    return n
  }

  /**
   * Who acts on an incident, and its region: in accounts mode a person with the operator role
   * there; in site mode the session of the incident's region (400 without one, 403 for another's).
   */
  async function actor (request: FastifyRequest, id: string): Promise<{ n: number, region: RegionConfig, who: string }> {
    const n = Number(id)
    if (fastify.accounts) {
      const region = await store.regionOf(n)
      if (region === undefined) throw new IncidentNotFoundError()
      return { n, region: fastify.config.regions.get(region)!, who: request.requirePerson(region, 'operator') }
    }
    const site = request.requireSite()
    const region = await store.regionOf(n)
    if (region === undefined) throw new IncidentNotFoundError()
    if (region !== site.region.name) throw new OtherRegionError(site.region.name)
    return { n, region: site.region, who: site.actor }
  }

  fastify.get('/incidents', {
    schema: {
      summary: 'Incidents, newest first: the token sees every region, a session its own',
      querystring: Type.Object({
        region: Type.Optional(RegionName),
        state: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('acknowledged'), Type.Literal('resolved'), Type.Literal('active')],
          { description: 'active: open or acknowledged' })),
        since: Type.Optional(Time),
        limit: Type.Optional(Limit(200, 1000))
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ incidents: Type.Array(Incident) }), ...errors(400, 401, 403, 404) }
    }
  }, async (request) => {
    const q = request.query
    let regions: string[] | undefined
    if (q.region !== undefined) {
      request.requireRegionView(q.region)
      regions = [q.region]
    } else {
      const viewer = request.monitorViewer()
      regions = viewer.all ? undefined : viewer.regions
    }
    const rows = await store.list({ regions, state: q.state, since: q.since === undefined ? undefined : queryTime('since', q.since, 0), limit: queryLimit(q.limit, 200, 1000) })
    return { incidents: rows.map(view) as never }
  })

  fastify.get('/incidents/:id', {
    schema: {
      summary: 'One incident: its cameras (still down first) and its timeline',
      params: Type.Object({ id: Id }),
      response: { 200: Detail, ...errors(400, 401, 403, 404) }
    }
  }, async (request) => await detail(await readable(request, request.params.id)) as never)

  fastify.post('/incidents/:id/ack', {
    schema: {
      summary: 'I am on it: the incident is acknowledged by the session\'s user (repeats stop); 409 when resolved or acknowledged already',
      params: Type.Object({ id: Id }),
      body: Type.Object({ note: Type.Optional(Type.String({ maxLength: 1000 })) }, { additionalProperties: false }),
      response: { 200: Detail, ...errors(400, 403, 404), 409: AckConflict }
    }
  }, async (request) => {
    const { n, region, who } = await actor(request, request.params.id)
    const note = request.body.note?.trim()
    await store.acknowledge(n, who, fastify.clock(), note === undefined || note === '' ? null : note, fastify.channelsOf(region).map(c => c.name))
    fastify.outbox.kick()
    return await detail(n) as never
  })

  fastify.post('/incidents/:id/notes', {
    schema: {
      summary: 'A note in the incident\'s timeline, with who and when',
      params: Type.Object({ id: Id }),
      body: Type.Object({ text: Words(2000, 'the note') }, { additionalProperties: false }),
      response: { 201: Detail, ...errors(400, 403, 404) }
    }
  }, async (request, reply) => {
    const { n, who } = await actor(request, request.params.id)
    await store.note(n, who, fastify.clock(), request.body.text.trim())
    return await reply.code(201).send(await detail(n) as never)
  })

  fastify.post('/incidents/:id/resolve', {
    schema: {
      summary: 'Close the incident by hand, with a note (its cameras still down stay so in the record); 409 when resolved already',
      params: Type.Object({ id: Id }),
      body: Type.Object({ note: Words(1000, 'why it is closed') }, { additionalProperties: false }),
      response: { 200: Detail, ...errors(400, 403, 404, 409) }
    }
  }, async (request) => {
    const { n, region, who } = await actor(request, request.params.id)
    await store.resolve(n, who, fastify.clock(), request.body.note.trim(), fastify.channelsOf(region).map(c => c.name))
    fastify.outbox.kick()
    return await detail(n) as never
  })

  const Note = Type.Object({ id: Type.String(), at: Type.String(), by: Type.String(), text: Type.String() })
  const noteView = (n: { id: number, at: number, by: string, text: string }): Record<string, unknown> => ({ ...n, id: String(n.id), at: iso(n.at) })

  fastify.get('/monitor/:region/cameras/:id/notes', {
    schema: {
      summary: 'Notes on a camera ("렌즈 청소 12-05 예정"), newest first',
      params: Type.Object({ region: RegionName, id: CameraId }),
      response: { 200: Type.Object({ notes: Type.Array(Note) }), ...errors(400, 401, 403, 404) }
    }
  }, async (request) => {
    const { region, id } = request.params
    request.requireRegionView(region)
    return { notes: (await store.cameraNotes(region, String(Number(id)))).map(noteView) as never }
  })

  fastify.post('/monitor/:region/cameras/:id/notes', {
    schema: {
      summary: 'A note on a camera, by the session\'s user (an operator of the region)',
      params: Type.Object({ region: RegionName, id: CameraId }),
      body: Type.Object({ text: Words(1000, 'the note') }, { additionalProperties: false }),
      response: { 201: Note, ...errors(400, 403, 404) }
    }
  }, async (request, reply) => {
    const { region, id } = request.params
    let who: string
    if (fastify.accounts) {
      request.requireRegionView(region)
      who = request.requirePerson(region, 'operator')
    } else {
      who = request.requireSite().actor
      request.requireRegionView(region)
    }
    const note = await store.addCameraNote(region, String(Number(id)), who, fastify.clock(), request.body.text.trim())
    return await reply.code(201).send(noteView(note) as never)
  })
}

export default routes
