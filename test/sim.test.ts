import t from 'tap'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { SimSite } from '../sim/site.js'
import { simBinDir } from '../sim/paths.js'

// The simulated site's stand-ins must answer like the real CLIs for what the gateway uses.

const run = promisify(execFile)

async function sh (site: SimSite, command: string, stdin?: string): Promise<{ code: number, stdout: string, stderr: string }> {
  const env = { PATH: `${simBinDir()}:/usr/bin:/bin`, SIM_ROOT: site.root, SIM_PASSWORD: 'pw', USER: 'demo', SIM_DOCKER_NEEDS_SUDO: '1' }
  const p = run('/bin/sh', ['-c', command], { env })
  if (stdin !== undefined) { p.child.stdin!.end(stdin) } else p.child.stdin!.end()
  try {
    const r = await p
    return { code: 0, stdout: r.stdout, stderr: r.stderr }
  } catch (err) {
    const e = err as { code: number, stdout: string, stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

t.test('sudo -S: right password runs the command as root, wrong one is refused with sudo\'s texts', async t => {
  const site = await SimSite.start({ users: [], containers: [] })
  t.teardown(() => site.close())
  t.same(await sh(site, "sudo -k -S -p '' -- sh -c 'echo $USER'", 'pw\n'), { code: 0, stdout: 'root\n', stderr: '' })
  const wrong = await sh(site, "sudo -k -S -p '' -- id", 'nope\n')
  t.equal(wrong.code, 1)
  t.equal(wrong.stderr, 'Sorry, try again.\nsudo: 1 incorrect password attempt\n')
  t.match((await sh(site, "sudo -k -S -p '' -- id", '')).stderr, /no password was provided/)
  t.match((await sh(site, 'sudo id')).stderr, /a terminal is required/)
})

t.test('docker ps/inspect/exec: real output shapes and error texts', async t => {
  const site = await SimSite.start({
    users: [],
    containers: [
      { name: 'mongo', image: 'mongo:6.0', state: 'running', ports: '0.0.0.0:27017->27017/tcp' },
      { name: 'fw', image: 'firewatcher:v2.1', state: 'exited' }
    ]
  })
  t.teardown(() => site.close())
  const S = "sudo -k -S -p '' -- "
  const ps = await sh(site, S + "docker ps --format '{{json .}}'", 'pw\n')
  t.equal(ps.code, 0)
  t.same(ps.stdout.trim().split('\n').map(l => JSON.parse(l).Names), ['mongo'], 'only running containers without -a')
  t.equal(JSON.parse(ps.stdout).ID.length, 12, 'a short ID without --no-trunc')
  const all = await sh(site, S + "docker ps -a --no-trunc --format '{{json .}}'", 'pw\n')
  t.same(all.stdout.trim().split('\n').map(l => JSON.parse(l).State), ['running', 'exited'])
  t.same(all.stdout.trim().split('\n').map(l => JSON.parse(l).ID.length), [64, 64], 'the whole ID with --no-trunc')
  const pub = await sh(site, S + "docker ps --filter publish=27017 --format '{{json .}}'", 'pw\n')
  t.match(JSON.parse(pub.stdout).Ports, '27017->27017')
  const missing = await sh(site, S + 'docker exec nope ls', 'pw\n')
  t.same([missing.code, missing.stderr], [1, 'Error response from daemon: No such container: nope\n'])
  const stopped = await sh(site, S + 'docker exec fw ls', 'pw\n')
  t.match(stopped.stderr, /^Error response from daemon: container [0-9a-f]{64} is not running\n$/)
  const ok = await sh(site, S + "docker exec mongo sh -c 'echo in-container; exit 3'", 'pw\n')
  t.same([ok.code, ok.stdout], [3, 'in-container\n'], 'exit status passes through')
  const insp = await sh(site, S + 'docker inspect nope', 'pw\n')
  t.same([insp.code, insp.stdout.trim(), insp.stderr], [1, '[]', 'Error: No such object: nope\n'])
  site.setContainerState('fw', 'running')
  t.equal((await sh(site, S + 'docker exec fw true', 'pw\n')).code, 0, 'state changes are seen')
  t.match((await sh(site, 'docker ps')).stderr, /permission denied while trying to connect to the Docker daemon socket/)
})

t.test('the FireWatcher image ships its own ffprobe (a static build); other containers and the host keep Debian\'s', async t => {
  const site = await SimSite.start({
    users: [],
    containers: [
      { name: 'mongo', image: 'mongo:6.0', state: 'running' },
      { name: 'fw', image: 'firewatcher:v2.1', state: 'running' }
    ]
  })
  t.teardown(() => site.close())
  const S = "sudo -k -S -p '' -- "
  const inImage = await sh(site, S + "docker exec fw sh -c 'command -v ffprobe; ffprobe -version'", 'pw\n')
  t.equal(inImage.stdout.split('\n')[0], `${site.root}/containers/fw/bin/ffprobe`, 'first on the container\'s PATH')
  t.match(inImage.stdout, /ffprobe version \S+-static /, 'a static FFmpeg build')
  const elsewhere = await sh(site, S + "docker exec mongo sh -c 'command -v ffprobe; ffprobe -version'", 'pw\n')
  t.equal(elsewhere.stdout.split('\n')[0], '/usr/bin/ffprobe')
  t.match(elsewhere.stdout, /ffprobe version 5\.1/, 'Debian\'s ffprobe 5.1')
})

t.test('the simulator listens on loopback only', async t => {
  await t.rejects(SimSite.start({ host: '0.0.0.0', users: [] }), { message: /loopback/ })
})

t.test('generated host keys always parse (ssh2 sometimes makes a malformed ed25519 key)', async t => {
  const { generateHostKey } = await import('../sim/site.js')
  const ssh2 = (await import('ssh2')).default
  let bad = 0
  for (let i = 0; i < 2000; i++) if (ssh2.utils.parseKey(generateHostKey()) instanceof Error) bad++
  t.equal(bad, 0)
})

t.test('the simulated container never lets a probe leave loopback', async t => {
  const site = await SimSite.start({ users: [], containers: [{ name: 'fw', image: 'firewatcher:v2.1', state: 'running' }] })
  t.teardown(() => site.close())
  const S = "sudo -k -S -p '' -- docker exec fw "
  for (const url of ['rtsp://admin:pw@192.168.20.152:554/x', 'http://10.0.0.1/x.m3u8', 'rtsp://example.com/x', 'udp://[2001:db8::1]:1234']) {
    const r = await sh(site, S + `ffprobe -v error -i '${url}'`, 'pw\n')
    t.equal(r.code, 1, url)
    t.match(r.stderr, /simulated site: only cameras on 127\.0\.0\.0\/8 are dialled/)
    t.notMatch(r.stderr, /:pw@/, 'masked')
  }
  const ok = await sh(site, S + "echo rtsp://127.0.0.1:1/x rtsp://localhost/x", 'pw\n')
  t.equal(ok.code, 0, 'loopback passes')
})

t.test('a site that changes over time: streaming cameras go down (refused URL in the inventory) and come back; stop restores them', async t => {
  const { startSimRegion } = await import('../sim/region.js')
  const { MongoClient } = await import('mongodb')
  const region = await startSimRegion({ name: '대구', cameras: 12, churn: { everyMs: 150, downMs: [400, 700], maxDown: 2, seed: 3 } })
  t.teardown(region.close)
  // Polled, as the gateway's and the simulator's own clients (sim/mongo.ts says why).
  const client = new MongoClient(`mongodb://${region.mongo!.host}:${region.mongo!.port}/?directConnection=true`, { serverMonitoringMode: 'poll' })
  t.teardown(async () => { await client.close() })
  const urls = async (): Promise<Map<number, string>> => new Map((await client.db('firewatcher_v2').collection('cctvinfos').find().toArray()).map(d => [Number(d.cctv_ID), String(d.url)]))
  const { eventually } = await import('./helpers/app.js')
  const churn = region.churn!
  t.ok(await eventually(() => churn.events.some(e => e.kind === 'down'), 5000), 'a camera went down')
  const first = churn.events.find(e => e.kind === 'down')!
  t.ok([1, 2].includes(first.id) || first.id % 5 === 0, `camera ${first.id} streams (live or with credentials)`)
  t.ok(churn.down().length <= 2, 'at most maxDown at once')
  t.ok(await eventually(() => churn.events.some(e => e.kind === 'up'), 5000), 'and one came back')
  // Churn goes on while the inventory is read: a camera counts as down (or back) only when its
  // state was settled before and after the read — in churn.down() and its last event 'down' (or
  // neither) both times. A takeDown lists the camera before it writes and tells after; a
  // bringBack unlists it before it writes and tells after, so a camera mid-change is left out.
  const settled = (): Map<number, 'down' | 'up'> => {
    const listed = new Set(churn.down())
    const out = new Map<number, 'down' | 'up'>()
    for (const id of new Set(churn.events.map(e => e.id))) {
      const last = churn.events.filter(e => e.id === id).at(-1)!.kind
      if (last !== 'down' && last !== 'up') continue
      if (listed.has(id) === (last === 'down')) out.set(id, last)
    }
    return out
  }
  const settledBefore = settled()
  const now = await urls()
  const settledAfter = settled()
  const steady = (want: 'down' | 'up'): number[] => [...settledBefore].filter(([id, st]) => st === want && settledAfter.get(id) === want).map(([id]) => id)
  const down = steady('down')
  const back = steady('up')
  for (const id of down) t.match(now.get(id), /^rtsp:\/\/127\.0\.0\.1:\d+\/down\d+$/, `camera ${id} points at a refused port while down`)
  for (const id of back) t.equal(now.get(id), region.inventory.find(c => c.cctv_ID === id)!.url, `camera ${id} is back at its URL`)
  await churn.stop()
  const after = await urls()
  t.ok(region.inventory.every(c => after.get(c.cctv_ID) === c.url), 'stopped: every camera at its own URL again')
})

t.test('with view cameras, the churn also turns, covers or blurs a view for a while (real RTSP view cameras), and stop restores them', async t => {
  const { startSimRegion } = await import('../sim/region.js')
  const { VIEW_CHANGES } = await import('../sim/churn.js')
  const { eventually } = await import('./helpers/app.js')
  const region = await startSimRegion({ name: '대구', cameras: 14, rtsp: true, views: 2, churn: { everyMs: 100, downMs: [300, 500], maxDown: 3, seed: 5 } })
  t.teardown(region.close)
  t.same(region.inventory.filter(c => /\/view\/\d+$/.test(c.url)).map(c => [c.cctv_ID, c.url.replace(/^.*\/view\//, 'view ')]), [[11, 'view 1'], [12, 'view 2']],
    'cameras 11 and 12 watch view cameras 1 and 2')
  const churn = region.churn!
  t.ok(await eventually(() => churn.events.some(e => e.kind === 'view') && churn.events.some(e => e.kind === 'view_back'), 10_000), 'a view changed, and one came back')
  const views = churn.events.filter(e => e.kind === 'view')
  t.ok(views.every(e => [11, 12].includes(e.id) && VIEW_CHANGES.some(c => JSON.stringify(c) === JSON.stringify(e.change))), 'only view cameras, with one of the changes')
  t.ok(churn.events.some(e => e.kind === 'down'), 'cameras still go down too')
  await churn.stop()
  t.same(churn.changed(), [], 'stopped: no view left changed')
  for (const id of [11, 12]) {
    const last = churn.events.filter(e => e.id === id && (e.kind === 'view' || e.kind === 'view_back')).at(-1)
    t.ok(last === undefined || last.kind === 'view_back', `camera ${id}: its view restored last`)
  }
})
