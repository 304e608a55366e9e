/**
 * An analysis server's HLS server as its own process (bench/hls.ts): on a site it is another
 * program on another machine, not a function in the load generator's event loop. Prints the
 * port it listens on, serves `dir` for camera 7 until killed.
 */
import { HlsOrigin } from '../sim/hls-origin.js'

const origin = new HlsOrigin(process.argv[2], id => id === 7)
await origin.listen('127.0.0.1')
process.stdout.write(`${origin.port}\n`)
