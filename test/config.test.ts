import t from 'tap'
import { writeFileSync, mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { loadRegionsFile, parseRegions } from '../lib/config/regions.js'
import { loadEnv } from '../lib/env.js'

const CONTRACT_EXAMPLE = `
regions:
  대구:                                   # the region name shown to operators
    ssh: { host: 119.199.177.108, port: 22233 }   # server 1; what /api/db_list shows
    page_url: http://119.199.177.108:8080/         # the region's FireWatcher page
    docker: { sudo: true }                # docker needs \`sudo -S\` (password on stdin)
    mongo:
      container: { publish: 27017 }       # or { name: mongo }
      database: firewatcher_v2
      collection: cctvinfos
    firewatcher:
      container: { image: "firewatcher:v2.1" }     # or { name: firewatcher }
    servers:                              # the N of inference_id svr<N><gpu>
      1: {}                               # server 1 = the SSH host itself
      2: { host: 192.168.0.12, port: 22 } # reached by SSH through server 1
      3: { host: 192.168.0.13, port: 22, id: ops, password: "..." }   # own credentials
    logs:                                 # placeholders: {server} {gpu} {date}
      gstreamer: /home/workspace/logs/controller/{date}_{gpu}.log
      ffmpeg: /home/workspace/logs/ffmpeg/{date}_{gpu}.log
    hls: { port: 8888, path: "/cctv{cctv_id}/index.m3u8" }   # HLS server on each analysis server
`

function write (text: string, name = 'regions.yaml'): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'fwcfg-')), name)
  writeFileSync(file, text)
  return file
}

t.test('the contract\'s example regions file loads as written', async t => {
  const regions = loadRegionsFile(write(CONTRACT_EXAMPLE))
  const r = regions.get('대구')!
  t.same(r.ssh, { host: '119.199.177.108', port: 22233 })
  t.equal(r.pageUrl, 'http://119.199.177.108:8080/')
  t.same([...r.servers.keys()], [1, 2, 3])
  t.match(r.servers.get(2), { host: '192.168.0.12', port: 22, id: undefined, docker: { sudo: true } })
  t.match(r.servers.get(3), { id: 'ops', password: '...' })
  t.equal(r.servers.get(1)!.port, 22233, 'server 1 is the ssh endpoint itself')
  t.same(r.mongo, { container: { publish: 27017 }, database: 'firewatcher_v2', collection: 'cctvinfos' })
})

t.test('JSON is accepted too; defaults follow the contract\'s site facts', async t => {
  const regions = loadRegionsFile(write(JSON.stringify({ regions: { 창원: { ssh: { host: '10.1.1.1', port: 22 }, page_url: 'http://10.1.1.1/' } } }), 'r.json'))
  const r = regions.get('창원')!
  t.same(r.mongo, { container: { publish: 27017 }, database: 'firewatcher_v2', collection: 'cctvinfos' })
  t.same(r.firewatcher, { container: { image: 'firewatcher:v2.1' } })
  t.same(r.servers.get(1), {
    n: 1, host: undefined, port: 22, id: undefined, password: undefined,
    docker: { sudo: true },
    logs: { gstreamer: '/home/workspace/logs/controller/{date}_{gpu}.log', ffmpeg: '/home/workspace/logs/ffmpeg/{date}_{gpu}.log' },
    hls: { port: 8888, path: '/cctv{cctv_id}/index.m3u8' }
  })
})

t.test('a server entry overrides docker, logs and hls for that server only', async t => {
  const r = parseRegions({
    regions: {
      a: {
        ssh: { host: 'h', port: 22 }, page_url: 'http://h/', logs: { ffmpeg: '/r/{date}_{gpu}.log' },
        servers: { 1: {}, 2: { host: 'h2', docker: { sudo: false }, logs: { ffmpeg: '/s2/{server}/{date}_{gpu}.log' }, hls: { port: 9000 } } }
      }
    }
  }).get('a')!
  t.equal(r.servers.get(1)!.logs.ffmpeg, '/r/{date}_{gpu}.log')
  t.equal(r.servers.get(2)!.logs.ffmpeg, '/s2/{server}/{date}_{gpu}.log')
  t.equal(r.servers.get(2)!.docker.sudo, false)
  t.equal(r.servers.get(1)!.docker.sudo, true)
  t.same(r.servers.get(2)!.hls, { port: 9000, path: '/cctv{cctv_id}/index.m3u8' })
})

t.test('a bad file stops start-up with a message naming the region and the field', async t => {
  const bad: Array<[string, unknown, RegExp]> = [
    ['port type', { regions: { 대구: { ssh: { host: 'h', port: '22' }, page_url: 'http://h/' } } }, /region "대구": field "ssh\.port": Expected integer/],
    ['port range', { regions: { 대구: { ssh: { host: 'h', port: 70000 }, page_url: 'http://h/' } } }, /region "대구": field "ssh\.port"/],
    ['missing page_url', { regions: { 부산: { ssh: { host: 'h', port: 22 } } } }, /region "부산": field "page_url"/],
    ['typo', { regions: { 부산: { ssh: { host: 'h', port: 22 }, page_url: 'http://h/', sever: {} } } }, /region "부산": field "sever": unknown field \(expected one of: ssh, page_url, docker/],
    ['hop without host', { regions: { 울산: { ssh: { host: 'h', port: 22 }, page_url: 'http://h/', servers: { 1: {}, 2: { port: 22 } } } } }, /region "울산": field "servers\.2\.host"/],
    ['no server 1', { regions: { 울산: { ssh: { host: 'h', port: 22 }, page_url: 'http://h/', servers: { 2: { host: 'x' } } } } }, /region "울산": field "servers": server 1/],
    ['server key', { regions: { 울산: { ssh: { host: 'h', port: 22 }, page_url: 'http://h/', servers: { 1: {}, svr2: { host: 'x' } } } } }, /region "울산": field "servers/],
    ['log template', { regions: { 포항: { ssh: { host: 'h', port: 22 }, page_url: 'http://h/', logs: { ffmpeg: '/logs/today.log' } } } }, /region "포항": field "logs\.ffmpeg": the template needs a \{date\}/],
    ['relative log', { regions: { 포항: { ssh: { host: 'h', port: 22 }, page_url: 'http://h/', logs: { ffmpeg: 'logs/{date}.log' } } } }, /region "포항": field "servers\.1\.logs\.ffmpeg": log path templates must be absolute/],
    ['placeholder', { regions: { 포항: { ssh: { host: 'h', port: 22 }, page_url: 'http://h/', logs: { ffmpeg: '/l/{day}{date}.log' } } } }, /unknown placeholder \{day\}/],
    ['id without password', { regions: { 포항: { ssh: { host: 'h', port: 22 }, page_url: 'http://h/', servers: { 1: {}, 3: { host: 'x', id: 'ops' } } } } }, /field "servers\.3\.id"/],
    ['page_url scheme', { regions: { 포항: { ssh: { host: 'h', port: 22 }, page_url: 'javascript:alert(1)' } } }, /region "포항": field "page_url"/],
    ['two selectors', { regions: { 포항: { ssh: { host: 'h', port: 22 }, page_url: 'http://h/', mongo: { container: { name: 'm', publish: 27017 } } } } }, /field "mongo\.container"/],
    ['no regions', { regions: {} }, /no region is defined/],
    ['not a map', { regions: [] }, /field "regions"/]
  ]
  for (const [name, doc, re] of bad) t.throws(() => parseRegions(doc, 'regions.yaml'), { message: re }, name)
})

t.test('an unreadable or unparsable file is reported with its path', async t => {
  t.throws(() => loadRegionsFile('/nonexistent/regions.yaml'), { message: /cannot read regions file \/nonexistent\/regions\.yaml/ })
  const f = write('regions: [unclosed')
  t.throws(() => loadRegionsFile(f), { message: new RegExp(`${f}: not valid YAML/JSON`) })
})

t.test('environment: documented defaults, and a bad value names the variable', async t => {
  const env = loadEnv({}, false)
  t.match(env, { HOST: '127.0.0.1', PORT: 8080, REGIONS_FILE: '', SSH_TTL_SECONDS: 86400, COOKIE_SECURE: false, SSH_MAX_CHANNELS: 8 })
  t.equal(loadEnv({ PORT: '9090', COOKIE_SECURE: 'true' }, false).PORT, 9090)
  t.throws(() => loadEnv({ PORT: 'eighty' }, false), { message: /PORT/ })
  t.throws(() => loadEnv({ LOG_LEVEL: 'loud' }, false), { message: /LOG_LEVEL/ })
})

t.test('.env.example documents every variable the gateway reads', async t => {
  const { readFileSync } = await import('node:fs')
  const { EnvSchema } = await import('../lib/env.js')
  const example = readFileSync(new URL('../.env.example', import.meta.url), 'utf8')
  for (const key of Object.keys(EnvSchema.properties)) t.match(example, new RegExp(`^#?\\s*${key}=`, 'm'), key)
})
