import path from 'node:path'
import { packageRoot } from '../lib/paths.js'

export { packageRoot }

/** The simulated site's `sudo`/`docker` stand-ins. */
export function simBinDir (): string {
  return path.join(packageRoot(), 'sim', 'bin')
}
