/**
 * The layers (docs/architecture.md), checked by `npm test` (scripts/test.sh): imports point
 * down only. lib/*.ts (errors, mask, audit, env, …) ← lib/config (the configuration) ← lib/ssh ←
 * lib/site ← lib/ops ← routes, plugins; lib/store (the history database) sits on base only;
 * lib/notify (sending alerts) on store, config and base; lib/http is HTTP plumbing. Nothing in lib/ knows the
 * routes, the plugins or the simulator, and production code loads the simulator only through
 * server.ts's dynamic import of the demo.
 */
module.exports = {
  forbidden: [
    { name: 'lib-above-itself', comment: 'lib/ is below routes/, plugins/, the app and the simulator', severity: 'error', from: { path: '^lib/' }, to: { path: '^(routes|plugins|sim|test|bench|web|bin)/|^(app|server)\\.ts$' } },
    { name: 'lib-base-is-a-leaf', comment: 'lib/*.ts (errors, mask, audit, env, paths, plain-json) import no layer', severity: 'error', from: { path: '^lib/[^/]+\\.ts$' }, to: { path: '^lib/[^/]+/' } },
    { name: 'ssh-below-site', comment: 'the SSH transport knows nothing of sites, operations or HTTP', severity: 'error', from: { path: '^lib/ssh/' }, to: { path: '^lib/(site|ops|http)/' } },
    { name: 'site-below-ops', comment: 'the site session knows no remote operation and no HTTP', severity: 'error', from: { path: '^lib/site/' }, to: { path: '^lib/(ops|http)/' } },
    { name: 'ops-below-http', comment: 'remote operations know no HTTP', severity: 'error', from: { path: '^lib/ops/' }, to: { path: '^lib/http/' } },
    { name: 'store-below-ops', comment: 'the history store is data access only: it knows base modules, not SSH, sites, operations or HTTP', severity: 'error', from: { path: '^lib/store/' }, to: { path: '^lib/(ssh|site|ops|http)/' } },
    { name: 'notify-below-ops', comment: 'sending alerts knows the store, the configuration\'s channel types and base modules: no SSH, no site, no remote operation, no HTTP plumbing', severity: 'error', from: { path: '^lib/notify/' }, to: { path: '^lib/(ssh|site|ops|http)/' } },
    { name: 'config-is-a-leaf-layer', comment: 'the configuration (regions file, monitor, alert rules, channels, windows) is read by every layer and knows only base modules', severity: 'error', from: { path: '^lib/config/' }, to: { path: '^lib/(ssh|site|ops|http|store|notify)/' } },
    { name: 'ops-do-not-send', comment: 'the monitor writes alerts into the outbox (the store); the worker in lib/notify sends them', severity: 'error', from: { path: '^lib/(ops|store|site|ssh)/' }, to: { path: '^lib/notify/' } },
    { name: 'no-simulator-in-production', comment: 'the simulator is for tests, benches and the demo (server.ts imports it dynamically)', severity: 'error', from: { path: '^(lib|routes|plugins|bin)/|^app\\.ts$' }, to: { path: '^sim/' } },
    { name: 'demo-only-dynamically', comment: 'server.ts loads the demo site on demand, so a production build can leave sim/ out', severity: 'error', from: { path: '^server\\.ts$' }, to: { path: '^sim/', dependencyTypesNot: ['dynamic-import', 'type-import'] } },
    { name: 'routes-share-only-schemas', comment: 'a route file imports no sibling route; shared schemas live in routes/api/schemas.ts', severity: 'error', from: { path: '^routes/' }, to: { path: '^routes/', pathNot: '^routes/api/schemas\\.ts$' } },
    { name: 'plugins-not-routes', severity: 'error', from: { path: '^plugins/' }, to: { path: '^routes/' } }
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|web)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true
  }
}
