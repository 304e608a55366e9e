import { Double, Int32, Long, MongoClient } from 'mongodb'
import { RemoteError } from '../errors.js'
import { findContainer, published } from '../site/containers.js'
import { plain } from '../plain-json.js'
import { SshTunnel } from '../ssh/tunnel.js'
import type { SiteSession } from '../site/session.js'

export interface Camera {
  cctv_ID: number | string | null
  cctv_address: { L1: string | null, L2: string | null, L3: string | null }
  cctv_name: string | null
  inference_id: string | null
  url: string | null
}

/**
 * A MongoDB client and the SSH forward under it. `busy` counts the operations using it: a
 * handle found broken is retired (no new operation takes it) and closed only when the last
 * one using it has finished, so one failed query never closes the client under the others.
 */
interface MongoHandle { tunnel: SshTunnel, client: MongoClient, target: string, busy: number, retired: boolean }

declare module '../site/session.js' {
  interface SiteSession {
    /** The session's MongoDB client and the SSH forward under it (made on first use, reused). */
    mongo?: MongoHandle
    /** A handle being made: concurrent first uses wait for the same one. */
    mongoOpening?: Promise<MongoHandle>
  }
}

function str (v: unknown): string | null {
  return v === null || v === undefined ? null : typeof v === 'string' ? v : String(v)
}

/** One camera document → the contract's fields, plain JSON only. */
export function toCamera (doc: Record<string, unknown>): Camera {
  const d = plain(doc) as Record<string, unknown>
  const addr = (d.cctv_address ?? {}) as Record<string, unknown>
  let id = d.cctv_ID as number | string | null | undefined
  if (typeof id === 'string' && /^-?\d+$/.test(id)) id = Number(id)
  return {
    cctv_ID: typeof id === 'number' || typeof id === 'string' ? id : null,
    cctv_address: { L1: str(addr.L1), L2: str(addr.L2), L3: str(addr.L3) },
    cctv_name: str(d.cctv_name),
    inference_id: str(d.inference_id),
    url: str(d.url)
  }
}

function byId (a: Camera, b: Camera): number {
  const x = a.cctv_ID; const y = b.cctv_ID
  if (typeof x === 'number' && typeof y === 'number') return x - y
  if (typeof x === 'number') return -1
  if (typeof y === 'number') return 1
  return String(x ?? '').localeCompare(String(y ?? ''))
}

/**
 * A MongoDB client for the session's site, through an SSH forward to the port the Mongo
 * container publishes on server 1. Made on first use (once, however many ask at the same
 * time), reused, closed with the session.
 */
async function mongoFor (site: SiteSession, opts: { commandTimeoutSec: number, timeoutMs: number }): Promise<MongoHandle> {
  const server1 = site.region.servers.get(1)!
  const container = await findContainer(site, server1, site.region.mongo.container, opts.commandTimeoutSec)
  // Where docker publishes it: a site may publish on one interface only ("192.168.1.5:27017->…").
  const { publish } = site.region.mongo.container
  const entry = published(container).find(p => publish !== undefined ? p.port === publish : p.containerPort === 27017)
  if (entry === undefined) throw new RemoteError(`the Mongo container publishes no port for ${publish ?? 27017}`)
  const host = site.region.mongo.host ?? entry.host
  const port = entry.port
  const target = `${host}:${port}`
  for (;;) {
    const existing = site.mongo
    if (existing !== undefined && existing.target === target && !existing.retired) return existing
    if (existing !== undefined) retire(site, existing)
    if (site.mongoOpening === undefined) break
    await site.mongoOpening.catch(() => {})
  }
  const opening = (async () => {
    const tunnel = await SshTunnel.open(site.conn, host, port)
    const client = new MongoClient(`mongodb://127.0.0.1:${tunnel.port}/?directConnection=true`, {
      appName: 'fwmaint',
      serverSelectionTimeoutMS: opts.timeoutMs,
      connectTimeoutMS: opts.timeoutMs,
      socketTimeoutMS: opts.timeoutMs,
      maxPoolSize: 2,
      minPoolSize: 0,
      retryReads: false,
      // Poll the server's state instead of streaming it (an exhaust `hello` with moreToCome):
      // through an SSH forward the streaming monitor's replies failed ("Server ended
      // moreToCome unexpectedly") and cleared the pool under the session's queries.
      serverMonitoringMode: 'poll'
    })
    const handle: MongoHandle = { tunnel, client, target, busy: 0, retired: false }
    site.mongo = handle
    site.onClose(async () => { await closeHandle(handle) })
    return handle
  })()
  site.mongoOpening = opening
  try {
    return await opening
  } finally {
    if (site.mongoOpening === opening) site.mongoOpening = undefined
  }
}

/** No new operation takes `h`; it closes when the last one using it is done. */
function retire (site: SiteSession, h: MongoHandle): void {
  if (site.mongo === h) site.mongo = undefined
  h.retired = true
  if (h.busy === 0) void closeHandle(h)
}

async function closeHandle (h: MongoHandle): Promise<void> {
  await h.client.close(true).catch(() => {})
  await h.tunnel.close()
}

async function query (site: SiteSession, filter: Record<string, unknown>, limit: number, opts: { commandTimeoutSec: number, timeoutMs: number }): Promise<Camera[]> {
  const { database, collection } = site.region.mongo
  // One more try on a fresh client when the first one broke under this query (another
  // query's failure may have retired it meanwhile): a timeout is not tried again.
  for (let attempt = 1; ; attempt++) {
    const h = await mongoFor(site, opts)
    h.busy++
    try {
      const docs: Array<Record<string, unknown>> = await h.client.db(database).collection(collection)
        .find(filter, { projection: { _id: 0, cctv_ID: 1, cctv_address: 1, cctv_name: 1, inference_id: 1, url: 1 }, maxTimeMS: opts.timeoutMs })
        .limit(limit)
        .toArray()
      return docs.map(toCamera).sort(byId)
    } catch (err) {
      const msg = (err as Error).message
      const timedOut = /timed out|Server selection/i.test(msg)
      // A broken client is not reused: the next request builds a new one.
      retire(site, h)
      if (!timedOut && attempt < 2) continue
      throw timedOut ? new RemoteError('MongoDB: Timeout', { code: 'REMOTE_TIMEOUT' }) : new RemoteError(`MongoDB: ${msg}`)
    } finally {
      h.busy--
      if (h.retired && h.busy === 0) void closeHandle(h)
    }
  }
}

/** The site's camera inventory, sorted by cctv_ID, as plain JSON. */
export async function readInventory (site: SiteSession, opts: { commandTimeoutSec: number, timeoutMs: number, maxCameras: number }): Promise<Camera[]> {
  return await query(site, {}, opts.maxCameras, opts)
}

/** Every spelling an inventory stores an ID in: int32, int64, double (and some as text). */
function idValues (id: number): unknown[] {
  return [new Int32(id), Long.fromNumber(id), new Double(id), String(id)]
}

type Waiter = { resolve: (c: Camera | undefined) => void, reject: (e: unknown) => void }

/**
 * One session's camera look-ups, batched: at most one query in flight, and the look-ups that
 * arrive meanwhile are answered together by the next one (`$in` of their IDs). The camera
 * grid asks for ~25 frames at once; this makes that one or two Mongo queries, never 25
 * concurrent ones, and each answer comes from a query that started after it was asked (no
 * stale cache).
 */
class CameraLookups {
  private running = false
  private queue = new Map<number, Waiter[]>()

  constructor (private readonly site: SiteSession, private readonly opts: { commandTimeoutSec: number, timeoutMs: number }) {}

  async get (id: number): Promise<Camera | undefined> {
    return await new Promise((resolve, reject) => {
      this.queue.set(id, [...(this.queue.get(id) ?? []), { resolve, reject }])
      this.pump()
    })
  }

  private pump (): void {
    if (this.running || this.queue.size === 0) return
    const batch = this.queue
    this.queue = new Map()
    this.running = true
    const ids = [...batch.keys()]
    query(this.site, { cctv_ID: { $in: ids.flatMap(idValues) } }, ids.length * 4, this.opts).then(cameras => {
      for (const [id, waiters] of batch) {
        const camera = cameras.find(c => c.cctv_ID !== null && Number(c.cctv_ID) === id)
        for (const w of waiters) w.resolve(camera)
      }
    }, (err: unknown) => {
      for (const waiters of batch.values()) for (const w of waiters) w.reject(err)
    }).finally(() => {
      this.running = false
      this.pump()
    })
  }
}

declare module '../site/session.js' {
  interface SiteSession {
    /** Batched camera look-ups by ID (made on first use). */
    cameraLookups?: CameraLookups
  }
}

/** One camera by its ID (stored as a number or as a string), or undefined. */
export async function findCamera (site: SiteSession, id: number, opts: { commandTimeoutSec: number, timeoutMs: number }): Promise<Camera | undefined> {
  site.cameraLookups ??= new CameraLookups(site, opts)
  return await site.cameraLookups.get(id)
}
