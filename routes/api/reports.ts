import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { kstMonthOf } from '../../lib/clock.js'
import { toCsv } from '../../lib/csv.js'
import { BadRequestError } from '../../lib/errors.js'
import { reportTable, type ReportTable } from '../../lib/store/monthly-report.js'
import { Nullable, RegionName, errors, iso } from './schemas.js'

const Percent = Nullable(Type.Number({ description: 'up of judged, in percent with two decimals; null when nothing was judged' }))
const Camera = Type.Object({ cctv_id: Type.String(), name: Nullable(Type.String()), server: Nullable(Type.Integer()), up: Type.Integer(), judged: Type.Integer() })
const Spread = Type.Object({ count: Type.Integer(), median_minutes: Nullable(Type.Number()), p90_minutes: Nullable(Type.Number()) },
  { description: 'durations in minutes: how many, the median and the 90th percentile (nearest rank)' })

const Report = Type.Object({
  region: Type.String(),
  month: Type.String(),
  from: Type.String(),
  to: Type.String(),
  uptime: Type.Object({ percent: Percent, up: Type.Integer(), judged: Type.Integer() }),
  cameras: Type.Array(Type.Intersect([Camera, Type.Object({ percent: Percent, incidents: Type.Integer() })])),
  worst: Type.Array(Type.Intersect([Camera, Type.Object({ percent: Type.Number() })])),
  daily: Type.Array(Type.Object({ day: Type.String(), percent: Percent, up: Type.Integer(), judged: Type.Integer() })),
  incidents: Type.Object({
    total: Type.Integer(),
    by_cause: Type.Object({ region: Type.Integer(), server: Type.Integer(), district: Type.Integer(), camera: Type.Integer() }),
    still_open: Type.Integer(),
    time_to_acknowledge: Spread,
    time_to_resolve: Spread,
    list: Type.Array(Type.Object({
      id: Type.Integer(),
      cause: Type.String(),
      key: Nullable(Type.String()),
      state: Type.String(),
      opened_at: Type.String(),
      first_ack_at: Nullable(Type.String()),
      first_ack_by: Nullable(Type.String()),
      resolved_at: Nullable(Type.String()),
      resolved_by: Nullable(Type.String()),
      cameras: Type.Integer(),
      minutes_to_acknowledge: Nullable(Type.Number()),
      minutes_to_resolve: Nullable(Type.Number())
    }))
  })
})

/**
 * A region's monthly report (issue 25, lib/store/monthly-report.ts): JSON, or one of its tables
 * as CSV that Excel opens with its Korean intact. The monitor's access rules (the token every
 * region, a session its own): a team lead prints it for the client.
 */
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/reports/:region', {
    schema: {
      summary: 'A Korean month of a region: uptime per camera and per day (scheduled sweeps, maintenance excluded), the 10 worst cameras, incidents, time to acknowledge and to resolve',
      params: Type.Object({ region: RegionName }),
      querystring: Type.Object({
        month: Type.Optional(Type.String({ pattern: '^[0-9]{4}-[0-9]{2}$', description: 'YYYY-MM, Korean time (default: this month)' })),
        format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')], { default: 'json' })),
        table: Type.Optional(Type.Union([Type.Literal('cameras'), Type.Literal('daily'), Type.Literal('incidents')], { default: 'cameras', description: 'which table the CSV holds' })),
        lang: Type.Optional(Type.Union([Type.Literal('ko'), Type.Literal('en')], { default: 'ko', description: 'the CSV\'s column names' }))
      }, { additionalProperties: false }),
      response: { 200: Type.Union([Report, Type.String({ description: 'format=csv: the table as text/csv, UTF-8 with a byte-order mark' })]), ...errors(400, 401, 403, 404) }
    }
  }, async (request, reply) => {
    const { region } = request.params
    request.requireRegionView(region)
    const thisMonth = kstMonthOf(fastify.clock())
    const month = request.query.month ?? thisMonth
    const r = await fastify.history.reports.monthly(region, month)
    if (r === undefined) throw new BadRequestError(`querystring.month ${month} is not a month: use YYYY-MM, e.g. ${thisMonth}`)
    if (request.query.format === 'csv') {
      const table = (request.query.table ?? 'cameras') as ReportTable
      const name = `fwmaint-${encodeURIComponent(region)}-${month}-${table}.csv`
      return await reply.type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="fwmaint-${month}-${table}.csv"; filename*=UTF-8''${name}`)
        .send(toCsv(reportTable(r, table, request.query.lang ?? 'ko')))
    }
    return {
      ...r,
      incidents: {
        ...r.incidents,
        list: r.incidents.list.map(i => ({ ...i, opened_at: iso(i.opened_at)!, first_ack_at: iso(i.first_ack_at), resolved_at: iso(i.resolved_at) }))
      }
    }
  })
}

export default routes
