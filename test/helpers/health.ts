import { behaviourOf, pictureBehaviourOf, type Behaviour } from '../../sim/inventory.js'

const STATUS: Record<Behaviour, string> = { live: 'online', auth: 'online', wrong_password: 'auth_failed', wrong_path: 'not_found', refused: 'offline', silent: 'timeout' }

/**
 * The health status a simulated camera must get: its behaviour's, "offline" for a dead address.
 * In a region made with `picture: true`, cameras 7-9 stream: online, or black/frozen when the
 * sweep checked pictures (`checked`).
 */
export function expectedStatus (id: number, picture?: { region: true, checked?: boolean }): string {
  const p = picture === undefined ? undefined : pictureBehaviourOf(id)
  if (p !== undefined) return picture?.checked === true ? (p === 'black' ? 'black' : 'frozen') : 'online'
  return STATUS[behaviourOf(id) ?? 'refused']
}
