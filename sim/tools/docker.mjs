// Simulated-site stand-in for the docker CLI: `ps`, `inspect`, `exec`, with the
// real CLI's output shapes and error texts. State: $SIM_ROOT/state/containers.json and ps-a.jsonl (sim/site.ts).
import { readFileSync } from 'node:fs'
import { spawn } from 'node:child_process'
import path from 'node:path'

const root = process.env.SIM_ROOT
const args = process.argv.slice(2)
const die = (msg, code = 1) => { process.stderr.write(msg + '\n'); process.exit(code) }

if (process.env.SIM_DOCKER_NEEDS_SUDO === '1' && process.env.SUDO_USER === undefined) {
  die('permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get "http://%2Fvar%2Frun%2Fdocker.sock/v1.47/containers/json": dial unix /var/run/docker.sock: connect: permission denied')
}

/** @type {Array<{id:string,name:string,image:string,state:string,ports?:string,status?:string}>} */
const containers = JSON.parse(readFileSync(path.join(root, 'state', 'containers.json'), 'utf8'))
const byName = (n) => containers.find(c => c.name === n || c.id === n || (n.length >= 4 && c.id.startsWith(n)))

/**
 * `docker ps`: the rows sim/site.ts wrote (state/ps-a.jsonl: every container, `--no-trunc`, in
 * `{{json .}}` form — its psRow is the one home of that shape), filtered and formatted here.
 */
function ps (argv) {
  let all = false; let format = null; let trunc = true; const filters = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '-a' || a === '--all') all = true
    else if (a === '--no-trunc') trunc = false
    else if (a === '-q') { /* accepted */ }
    else if (a === '--format') format = argv[++i]
    else if (a.startsWith('--format=')) format = a.slice(9)
    else if (a === '--filter' || a === '-f') filters.push(argv[++i])
    else if (a.startsWith('--filter=')) filters.push(a.slice(9))
    else die(`unknown flag: ${a}\nSee 'docker ps --help'.`, 125)
  }
  const rows = readFileSync(path.join(root, 'state', 'ps-a.jsonl'), 'utf8').split('\n').filter(l => l !== '').map(l => JSON.parse(l))
  let list = rows.filter(r => all || r.State === 'running')
  for (const f of filters) {
    const [k, v] = f.split(/=(.*)/s)
    if (k === 'name') list = list.filter(r => r.Names.includes(v))
    else if (k === 'ancestor') list = list.filter(r => r.Image === v || r.Image.split(':')[0] === v)
    else if (k === 'status') list = list.filter(r => r.State === v)
    else if (k === 'publish') list = list.filter(r => new RegExp(`:${v.split('/')[0]}->`).test(r.Ports))
    else die(`Error response from daemon: invalid filter '${k}'`)
  }
  if (trunc) list = list.map(r => ({ ...r, ID: r.ID.slice(0, 12) }))
  if (format === '{{json .}}') { for (const r of list) process.stdout.write(JSON.stringify(r) + '\n'); return }
  if (format !== null) die('template parsing error: the simulated docker supports only --format \'{{json .}}\'')
  process.stdout.write('CONTAINER ID   IMAGE   COMMAND   CREATED   STATUS   PORTS   NAMES\n')
  for (const r of list) process.stdout.write(`${r.ID}   ${r.Image}   ${r.Command}   ${r.RunningFor}   ${r.Status}   ${r.Ports}   ${r.Names}\n`)
}

function inspect (argv) {
  const names = argv.filter(a => !a.startsWith('-'))
  const found = []; let missing = null
  for (const n of names) {
    const c = byName(n)
    if (c === undefined) { missing = n; continue }
    found.push({ Id: c.id, Name: '/' + c.name, State: { Status: c.state, Running: c.state === 'running' }, Config: { Image: c.image } })
  }
  process.stdout.write(JSON.stringify(found, null, 4) + '\n')
  if (missing !== null) die(`Error: No such object: ${missing}`)
}

function exec (argv) {
  let i = 0
  const env = { ...process.env }
  for (; i < argv.length && argv[i].startsWith('-'); i++) {
    const a = argv[i]
    if (a === '-i' || a === '--interactive' || a === '-t') continue
    if (a === '-e' || a === '--env') { const [k, v] = argv[++i].split(/=(.*)/s); env[k] = v; continue }
    if (a === '-w' || a === '--workdir') { i++; continue }
    die(`unknown flag: ${a}\nSee 'docker exec --help'.`, 125)
  }
  const name = argv[i++]
  if (name === undefined) die('"docker exec" requires at least 2 arguments.', 1)
  const c = byName(name)
  if (c === undefined) die(`Error response from daemon: No such container: ${name}`)
  if (c.state !== 'running') die(`Error response from daemon: container ${c.id} is not running`)
  const cmd = argv.slice(i)
  if (cmd.length === 0) die('"docker exec" requires at least 2 arguments.', 1)
  // The simulated site lives on loopback: a probe of any other host (a URL typed into the demo
  // console, a test value) is refused here instead of leaving the machine.
  for (const a of cmd) {
    const m = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)/i.exec(a)
    if (m !== null && !/^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/i.test(m[1])) {
      die(`${a.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@')}: simulated site: only cameras on 127.0.0.0/8 are dialled (host ${m[1]} refused)`)
    }
  }
  // The container's own tools first (e.g. a site-specific ffprobe), then the host's.
  env.PATH = c.path ?? `${path.join(root, 'containers', c.name, 'bin')}:${env.PATH}`
  // Looked up on the container's PATH, as docker does (not the host's).
  const child = spawn(cmd[0], cmd.slice(1), { stdio: 'inherit', env })
  child.on('error', () => die(`OCI runtime exec failed: exec failed: unable to start container process: exec: "${cmd[0]}": executable file not found in $PATH: unknown`, 126))
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + 9 : 1)))
  for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(s, () => child.kill(s))
}

const [sub, ...rest] = args
if (sub === 'ps') ps(rest)
else if (sub === 'inspect' || (sub === 'container' && rest[0] === 'inspect')) inspect(sub === 'inspect' ? rest : rest.slice(1))
else if (sub === 'exec') exec(rest)
else die(`docker: '${sub ?? ''}' is not a docker command.\nSee 'docker --help'`)
