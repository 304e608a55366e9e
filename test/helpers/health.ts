import { behaviourOf, type Behaviour } from '../../sim/inventory.js'

const STATUS: Record<Behaviour, string> = { live: 'online', auth: 'online', wrong_password: 'auth_failed', wrong_path: 'not_found', refused: 'offline', silent: 'timeout' }

/** The health status a simulated camera must get: its behaviour's, "offline" for a dead address. */
export function expectedStatus (id: number): string {
  return STATUS[behaviourOf(id) ?? 'refused']
}
