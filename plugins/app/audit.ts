import fp from 'fastify-plugin'
import type { FastifyRequest } from 'fastify'
import { AuditLog, auditText, sessionTag } from '../../lib/audit.js'

declare module 'fastify' {
  interface FastifyInstance {
    audit: AuditLog
  }
}

/** What a request is about, from its body: never the password, URLs masked, words clipped. */
function target (request: FastifyRequest): Record<string, string | number> | undefined {
  const b = request.body as Record<string, unknown> | undefined
  if (b === undefined || b === null || typeof b !== 'object') return undefined
  const out: Record<string, string | number> = {}
  for (const k of ['inference_id', 'date', 'find_word', 'url', 'cctv_id', 'region', 'host', 'port', 'channel', 'from', 'to', 'cron', 'duration', 'server', 'reason', 'username', 'display_name', 'role']) {
    const v = b[k]
    if (typeof v === 'string') out[k] = auditText(v, 300)
    else if (typeof v === 'number') out[k] = v
  }
  return Object.keys(out).length === 0 ? undefined : out
}

/** A route's path parameters (e.g. the window a DELETE ends). */
function params (request: FastifyRequest): Record<string, string> {
  const p = request.params as Record<string, unknown> | undefined
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(p ?? {})) if (typeof v === 'string') out[k] = auditText(v, 64)
  return out
}

/** Every API call that acts (all POSTs, PUTs and DELETEs, and the reachability check) is recorded after it answers. */
export default fp(async (fastify) => {
  const audit = new AuditLog(fastify.config.env.AUDIT_LOG)
  fastify.decorate('audit', audit)
  fastify.addHook('onResponse', async (request, reply) => {
    const url = request.routeOptions.url ?? ''
    if (!(url.startsWith('/api/') || url === '/signin') || (request.method !== 'POST' && request.method !== 'PUT' && request.method !== 'DELETE' && url !== '/api/ssh_status_check')) return
    const site = request.site()
    const body = request.body as { id?: unknown, region?: unknown } | undefined
    const status = reply.statusCode
    audit.write({
      event: 'api',
      session: sessionTag(request.session?.sessionId),
      person: request.person?.username,
      // Who: the session's SSH user; the monitor token's bearer (its actions name no person); a login's id.
      user: site?.conn.username ?? (request.headers.authorization !== undefined ? 'monitor-token' : typeof body?.id === 'string' ? auditText(body.id, 64) : undefined),
      client: request.ip,
      region: site?.region.name ?? (typeof body?.region === 'string' ? auditText(body.region, 64) : undefined),
      route: url,
      target: url === '/api/ssh_status_check' ? { ip: auditText(String((request.query as { ip?: string }).ip ?? ''), 64), port: String((request.query as { port?: string }).port ?? '') } : { ...params(request), ...target(request) },
      outcome: status < 400 ? 'ok' : status === 401 || status === 403 || status === 429 ? 'denied' : 'error',
      status,
      ms: Math.round(reply.elapsedTime)
    })
  })
  fastify.addHook('onClose', async () => { await audit.close() })
}, { name: 'audit' })
