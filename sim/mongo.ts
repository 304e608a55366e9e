import { freePort } from './net.js'
import type { SimCamera } from './inventory.js'

export interface SimMongo {
  host: string
  port: number
  /** Changes a camera's URL in the inventory (what a site engineer does when a camera moves). */
  setUrl: (cctvId: number, url: string) => Promise<void>
  close: () => Promise<void>
}

/**
 * The site's MongoDB: CongoServer from @push.rocks/smartmongo, an in-memory server that
 * speaks the MongoDB wire protocol to the official driver (no mongod exists in Debian and
 * mongodb-memory-server cannot download one here). A dev dependency: only the tests and
 * the demo need it. IDs are stored as a mix of int32, int64 and double, as real
 * inventories hold them.
 */
export async function startMongo (opts: { host?: string, database: string, collection: string, cameras: SimCamera[] }): Promise<SimMongo> {
  const host = opts.host ?? '127.0.0.1'
  let mod: typeof import('@push.rocks/smartmongo/dist_ts/congodb/index.js')
  try {
    mod = await import('@push.rocks/smartmongo/dist_ts/congodb/index.js')
  } catch (err) {
    throw new Error(`the simulated MongoDB needs the dev dependencies (npm install): ${(err as Error).message}`, { cause: err })
  }
  const { MongoClient, Int32, Long, Double } = await import('mongodb')
  const port = await freePort(host)
  const server = new mod.CongoServer({ host, port })
  await server.start()
  // Polled, not streamed, as the gateway's own client (lib/ops/inventory.ts): CongoServer ends a
  // streaming monitor's exhaust reply early on a busy machine ("Server ended moreToCome
  // unexpectedly"), which clears the pool under the churn's writes.
  const clientOptions = { serverSelectionTimeoutMS: 5000, serverMonitoringMode: 'poll' } as const
  const client = new MongoClient(`mongodb://${host}:${port}/?directConnection=true`, clientOptions)
  try {
    await client.connect()
    const docs = opts.cameras.map(c => ({
      ...c,
      cctv_ID: c.cctv_ID % 3 === 0 ? new Int32(c.cctv_ID) : c.cctv_ID % 3 === 1 ? Long.fromNumber(c.cctv_ID) : new Double(c.cctv_ID),
      created_at: new Date('2025-03-01T00:00:00Z')
    }))
    // Inserted out of order: the gateway must sort.
    docs.reverse()
    if (docs.length > 0) await client.db(opts.database).collection(opts.collection).insertMany(docs)
  } finally {
    await client.close()
  }
  const setUrl = async (cctvId: number, url: string): Promise<void> => {
    const c = new MongoClient(`mongodb://${host}:${port}/?directConnection=true`, clientOptions)
    try {
      await c.connect()
      // IDs are stored as int32, int64 or double: match each spelling.
      const r = await c.db(opts.database).collection(opts.collection).updateOne({ cctv_ID: { $in: [new Int32(cctvId), Long.fromNumber(cctvId), new Double(cctvId),
        cctvId] } }, { $set: { url } })
      if (r.matchedCount !== 1) throw new Error(`simulated inventory: no camera ${cctvId}`)
    } finally {
      await c.close()
    }
  }
  return { host, port, setUrl, close: async () => { await server.stop() } }
}
