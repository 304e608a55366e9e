/**
 * Turns what MongoDB hands back into plain JSON: BSON wrapper objects of the driver
 * (Int32, Long, Double, Decimal128, ObjectId) and extended-JSON wrappers stored as data
 * ({"$numberInt":"156"}, {"$oid":"…"}, {"$date":…}) become numbers and strings.
 */
export function plain (v: unknown): unknown {
  if (v === null || v === undefined) return v ?? null
  if (typeof v === 'bigint') return Number(v)
  if (typeof v !== 'object') return v
  if (Array.isArray(v)) return v.map(plain)
  if (v instanceof Date) return v.toISOString()
  const o = v as Record<string, unknown> & { _bsontype?: string, toString: () => string }
  switch (o._bsontype) {
    case 'Long': return Number((o as unknown as { toNumber: () => number }).toNumber())
    case 'Int32':
    case 'Double': return Number((o as unknown as { valueOf: () => number }).valueOf())
    case 'Decimal128': return Number(o.toString())
    case 'ObjectId': return o.toString()
    case undefined: break
    default: return o.toString()
  }
  const keys = Object.keys(o)
  if (keys.length === 1 && keys[0].startsWith('$')) {
    const inner = o[keys[0]]
    switch (keys[0]) {
      case '$numberInt':
      case '$numberLong':
      case '$numberDouble':
      case '$numberDecimal': return Number(inner)
      case '$oid': return String(inner)
      case '$date': {
        const d = plain(inner)
        if (typeof d === 'number') return new Date(d).toISOString()
        if (d !== null && typeof d === 'object' && '$numberLong' in (d as object)) return new Date(Number((d as { $numberLong: string }).$numberLong)).toISOString()
        return d
      }
    }
  }
  const out: Record<string, unknown> = {}
  for (const k of keys) out[k] = plain(o[k])
  return out
}
