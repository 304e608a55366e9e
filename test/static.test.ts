import t from 'tap'
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { startGateway } from './helpers/app.js'
import { BUNDLED_CONSOLE } from '../plugins/external/static.js'

// Issue 7: the gateway serves the operators' console itself (same origin), or the client in
// STATIC_DIR, with history fallback for page loads of unknown non-API paths.

const HTML = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' }

t.test('the bundled console (built by the test pre-step) is served at / with a strict CSP and no-cache', async t => {
  const gw = await startGateway(t)
  const res = await gw.app.inject({ url: '/', headers: HTML })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /text\/html/)
  t.equal(res.headers['cache-control'], 'no-cache')
  t.match(res.headers['content-security-policy'], /default-src 'self'/)
  t.notMatch(res.body, /https?:\/\//, 'the page loads nothing from another origin (no CDN)')
  const asset = /src="(\/assets\/[^"]+\.js)"/.exec(res.body)?.[1]
  t.ok(asset, 'the page names its hashed script')
  const js = await gw.app.inject({ url: asset! })
  t.equal(js.statusCode, 200)
  t.match(js.headers['content-type'], /javascript/)
  t.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable', 'hashed assets are cached for good')
})

t.test('history fallback: a page load of /cameras or /logs?cctv=1 gets index.html', async t => {
  const gw = await startGateway(t)
  const index = readFileSync(path.join(BUNDLED_CONSOLE, 'index.html'), 'utf8')
  for (const url of ['/cameras', '/logs?cctv=1', '/live', '/some/deep/path']) {
    const res = await gw.app.inject({ url, headers: HTML })
    t.equal(res.statusCode, 200, url)
    t.equal(res.body, index, url)
  }
})

t.test('API and HLS paths, missing assets and non-GET requests keep the JSON 404', async t => {
  const gw = await startGateway(t)
  for (const [method, url, headers] of [
    ['GET', '/api/nope', HTML], ['GET', '/api', HTML], ['GET', '/hls/abc/cctv1/index.m3u8', HTML],
    ['GET', '/assets/missing.js', { accept: '*/*' }], ['POST', '/cameras', HTML], ['GET', '/cameras', { accept: 'application/json' }]
  ] as const) {
    const res = await gw.app.inject({ method, url, headers })
    t.equal(res.statusCode, 404, `${method} ${url}`)
    t.match(res.json(), { message: String }, `${method} ${url}: the envelope`)
  }
})

t.test('the console never writes to the browser console (so never a password either)', async t => {
  const files = readdirSync(path.join(BUNDLED_CONSOLE, 'assets')).filter(f => f.endsWith('.js'))
  t.ok(files.length > 0)
  const src = readdirSync(new URL('../web/src/', import.meta.url), { recursive: true, encoding: 'utf8' })
    .filter(f => /\.(ts|vue)$/.test(f))
    .map(f => readFileSync(new URL(`../web/src/${f}`, import.meta.url), 'utf8')).join('\n')
  t.notMatch(src, /console\.(log|debug|info|warn|error)/, 'the console\'s own code writes nothing to the browser console')
})

t.test('STATIC_DIR serves another built client, with the same fallback', async t => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fwclient-'))
  mkdirSync(path.join(dir, 'assets'))
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>original client</title><script src="/assets/app.js"></script>')
  writeFileSync(path.join(dir, 'assets', 'app.js'), 'console.log(1)')
  const gw = await startGateway(t, { env: { STATIC_DIR: dir } })
  t.match((await gw.app.inject({ url: '/', headers: HTML })).body, /original client/)
  t.match((await gw.app.inject({ url: '/region/대구', headers: HTML })).body, /original client/, 'unknown page path → its index.html')
  t.equal((await gw.app.inject({ url: '/assets/app.js' })).body, 'console.log(1)')
  t.equal((await gw.app.inject({ url: '/api/db_list' })).statusCode, 200, 'the API is unchanged')
})

t.test('STATIC_DIR without index.html: nothing at /, the API still works', async t => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fwempty-'))
  const gw = await startGateway(t, { env: { STATIC_DIR: dir } })
  const res = await gw.app.inject({ url: '/', headers: HTML })
  t.equal(res.statusCode, 404)
  t.equal((await gw.app.inject({ url: '/api/db_list' })).statusCode, 200)
})

t.test('the bundle is reproducible: building web/ again gives byte-identical files', async t => {
  const { build } = await import('vite')
  const out = mkdtempSync(path.join(os.tmpdir(), 'fwweb-'))
  await build({ configFile: new URL('../web/vite.config.ts', import.meta.url).pathname, logLevel: 'silent', build: { outDir: out, emptyOutDir: true } })
  const list = (dir: string): string[] => (readdirSync(dir, { recursive: true, encoding: 'utf8' })).filter(f => f.includes('.')).sort()
  t.same(list(out), list(BUNDLED_CONSOLE), 'same file names (content hashes)')
  for (const f of list(out)) t.ok(readFileSync(path.join(out, f)).equals(readFileSync(path.join(BUNDLED_CONSOLE, f))), f)
})
