/**
 * Lists or forgets the host identities fwmaint has recorded (KNOWN_HOSTS_FILE).
 *   npm run known-hosts -- list
 *   npm run known-hosts -- forget '119.199.177.108:22233'
 *   npm run known-hosts -- forget '대구/svr2 192.168.0.12:22'
 * Forget a host only after confirming its key changed on purpose (reinstall, new server);
 * the next connection then records the new key. Restart fwmaint afterwards: a running
 * gateway keeps the identities it loaded.
 */
import { loadEnv } from '../lib/env.js'
import { KnownHosts } from '../lib/ssh/known-hosts.js'

const env = loadEnv()
const store = new KnownHosts(env.KNOWN_HOSTS_FILE)
const [cmd, id] = process.argv.slice(2)
if (cmd === 'list' || cmd === undefined) {
  const hosts = store.list()
  if (Object.keys(hosts).length === 0) console.log(`(no hosts recorded in ${store.file})`)
  for (const [h, e] of Object.entries(hosts)) console.log(`${h}\t${e.fingerprint}\tfirst seen ${e.firstSeen}`)
} else if (cmd === 'forget' && id !== undefined) {
  if (store.forget(id)) console.log(`forgot ${id}; its next connection records the key it offers. Restart fwmaint to apply.`)
  else { console.error(`${id} is not in ${store.file}`); process.exitCode = 1 }
} else {
  console.error('usage: known-hosts list | known-hosts forget <host id as listed>')
  process.exitCode = 2
}
