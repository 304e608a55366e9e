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

interface MongoHandle { tunnel: SshTunnel, client: MongoClient, target: string }

declare module '../site/session.js' {
  interface SiteSession {
    /** The session's MongoDB client and the SSH forward under it (made on first use, reused). */
    mongo?: MongoHandle
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
 * container publishes on server 1. Made on first use, reused, closed with the session.
 */
async function mongoFor (site: SiteSession, opts: { commandTimeoutSec: number, timeoutMs: number }): Promise<MongoClient> {
  const server1 = site.region.servers.get(1)!
  const container = await findContainer(site, server1, site.region.mongo.container, opts.commandTimeoutSec)
  // Where docker publishes it: a site may publish on one interface only ("192.168.1.5:27017->…").
  const { publish } = site.region.mongo.container
  const entry = published(container).find(p => publish !== undefined ? p.port === publish : p.containerPort === 27017)
  if (entry === undefined) throw new RemoteError(`the Mongo container publishes no port for ${publish ?? 27017}`)
  const host = site.region.mongo.host ?? entry.host
  const port = entry.port
  const target = `${host}:${port}`
  const existing = site.mongo
  if (existing !== undefined && existing.target === target) return existing.client
  if (existing !== undefined) { site.mongo = undefined; await closeHandle(existing) }

  const tunnel = await SshTunnel.open(site.conn, host, port)
  const client = new MongoClient(`mongodb://127.0.0.1:${tunnel.port}/?directConnection=true`, {
    appName: 'fwmaint',
    serverSelectionTimeoutMS: opts.timeoutMs,
    connectTimeoutMS: opts.timeoutMs,
    socketTimeoutMS: opts.timeoutMs,
    maxPoolSize: 2,
    minPoolSize: 0,
    retryReads: false
  })
  const handle: MongoHandle = { tunnel, client, target }
  site.mongo = handle
  site.onClose(async () => { await closeHandle(handle) })
  return client
}

async function closeHandle (h: MongoHandle): Promise<void> {
  await h.client.close(true).catch(() => {})
  await h.tunnel.close()
}

async function query (site: SiteSession, filter: Record<string, unknown>, limit: number, opts: { commandTimeoutSec: number, timeoutMs: number }): Promise<Camera[]> {
  const { database, collection } = site.region.mongo
  const client = await mongoFor(site, opts)
  let docs: Array<Record<string, unknown>>
  try {
    docs = await client.db(database).collection(collection)
      .find(filter, { projection: { _id: 0, cctv_ID: 1, cctv_address: 1, cctv_name: 1, inference_id: 1, url: 1 }, maxTimeMS: opts.timeoutMs })
      .limit(limit)
      .toArray()
  } catch (err) {
    // A broken client is not reused: the next request builds a new one.
    const h = site.mongo
    if (h !== undefined) { site.mongo = undefined; void closeHandle(h) }
    const msg = (err as Error).message
    throw new RemoteError(/timed out|Server selection/i.test(msg) ? 'MongoDB: Timeout' : `MongoDB: ${msg}`)
  }
  return docs.map(toCamera).sort(byId)
}

/** The site's camera inventory, sorted by cctv_ID, as plain JSON. */
export async function readInventory (site: SiteSession, opts: { commandTimeoutSec: number, timeoutMs: number, maxCameras: number }): Promise<Camera[]> {
  return await query(site, {}, opts.maxCameras, opts)
}

/** One camera by its ID (stored as a number or as a string), or undefined. */
export async function findCamera (site: SiteSession, id: number, opts: { commandTimeoutSec: number, timeoutMs: number }): Promise<Camera | undefined> {
  // Every numeric BSON type: inventories hold IDs as int32, int64 and double (and some as text).
  return (await query(site, { cctv_ID: { $in: [new Int32(id), Long.fromNumber(id), new Double(id), String(id)] } }, 1, opts))[0]
}
