import t from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import net from 'node:net'
import { fileURLToPath } from 'node:url'
import { eventually } from './helpers/app.js'
import type { DemoModule } from '../server.js'
import * as simRegion from '../sim/region.js'

// server.ts loads the simulator by a specifier tsc does not follow (so production builds leave
// sim/ out): this line is the type check that the simulator still gives it what it uses.
const demoFits: DemoModule = simRegion
void demoFits

// `npm start` with no configuration: the demo region on a simulated site, and the README's curl session.

const root = fileURLToPath(new URL('..', import.meta.url))

t.test('with no regions file the server starts on the demo region "데모" and says so; SIGTERM closes it cleanly', async t => {
  // Another program holds the demo's SSH port: the demo falls back to a free one and says so.
  const squatter = net.createServer(s => s.destroy())
  await new Promise<void>(resolve => squatter.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { squatter.close() })
  const taken = (squatter.address() as net.AddressInfo).port
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', DEMO_SSH_PORT: String(taken), LOG_LEVEL: 'info', REGIONS_FILE: '' }
  delete env.NODE_OPTIONS // the test runner's loaders are not the server's
  delete env.SESSION_SECRET
  const child = spawn(process.execPath, ['--import', 'tsx', 'server.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { child.kill('SIGKILL') })
  let out = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr.on('data', (d: Buffer) => { out += d.toString() })
  t.ok(await eventually(() => /Server listening at http:\/\/127\.0\.0\.1:\d+/.test(out), 20_000), 'listening')
  t.match(out, /demo region 데모 .*Log in with SSH id: demo password: demo/, 'the demo login is printed at start-up')
  t.match(out, /SESSION_SECRET is not set/, 'loud warning about the generated secret')
  const base = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]

  // The README's curl session, step by step.
  const list = await (await fetch(`${base}/api/db_list`)).json() as Record<string, { ip: string, port: number }>
  const demo = list['데모']
  t.ok(demo, 'db_list shows 데모')
  t.not(demo.port, taken, 'not on the taken port')
  t.match(out, new RegExp(`demo: port ${taken} is taken by another program; the simulated site listens on ${demo.port} instead`), 'and says where it went')
  t.notMatch(out, /live cameras unavailable/, 'a taken port is not blamed on ffmpeg')
  const check = await (await fetch(`${base}/api/ssh_status_check?ip=${demo.ip}&port=${demo.port}`)).json()
  t.same(check, { ip: demo.ip, port: demo.port, status: true })
  const login = await fetch(`${base}/api/ssh_connect`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ host: demo.ip, port: demo.port, id: 'demo', password: 'demo', region: '데모' })
  })
  t.same(await login.json(), { message: 'SSH connect success' })
  const cookie = login.headers.get('set-cookie')!.split(';')[0]
  const status = await (await fetch(`${base}/api/ssh_status`, { headers: { cookie } })).json() as { status: string }
  t.equal(status.status, 'connected')
  const page = await (await fetch(`${base}/api/page_url`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ region: '데모' }) })).json()
  t.same(page, { message: `${base}/` }, 'the demo\'s FireWatcher link is the gateway\'s own origin, whatever PORT is')

  const stopAt = Date.now()
  child.kill('SIGTERM')
  const [code] = await once(child, 'exit')
  t.equal(code, 0, 'exits 0 on SIGTERM')
  t.ok(Date.now() - stopAt < 15_000, `within the unit's TimeoutStopSec (took ${Date.now() - stopAt} ms)`)
  t.match(out, /"reason":"gateway shutting down".*ssh session closed/, 'the open SSH session was closed on the way out')
})
