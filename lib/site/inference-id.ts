import { BadInferenceIdError } from '../errors.js'
import type { RegionConfig, ServerConfig } from '../config/regions.js'

export interface InferenceTarget {
  server: ServerConfig
  gpu: number
}

const PATTERN = /^svr([1-9][0-9]{0,2})([0-9])$/

/**
 * `svr<N><gpu>`: N a server number the region lists under `servers`, then one GPU digit
 * (`svr31` = server 3, GPU 1; `svr101` = server 10, GPU 1). Anything else is the 400
 * "inference_id is not in the expected format."
 */
export function parseInferenceId (id: unknown, region: RegionConfig): InferenceTarget {
  if (typeof id !== 'string') throw new BadInferenceIdError()
  const m = PATTERN.exec(id)
  if (m === null) throw new BadInferenceIdError()
  const server = region.servers.get(Number(m[1]))
  if (server === undefined) throw new BadInferenceIdError()
  return { server, gpu: Number(m[2]) }
}
