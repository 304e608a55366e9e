import { Type, type Static } from '@sinclair/typebox'
import { DurationSchema, parseDuration } from './duration.js'
import { ConfigProblem } from './problem.js'
import { readSecret } from './secrets.js'

export const MonitorSchema = Type.Object({
  every: Type.Optional(DurationSchema('interval, e.g. 15m, 30s, 1h', false)),
  cron: Type.Optional(Type.String({ minLength: 9, maxLength: 120, description: 'cron expression (seconds optional), Asia/Seoul, the sites\' clock' })),
  id: Type.Optional(Type.String({ minLength: 1 })),
  /** The region's site login held by the gateway (`npm run users -- credentials`), instead of id and a password here. */
  held: Type.Optional(Type.Boolean()),
  password_file: Type.Optional(Type.String({ minLength: 1 })),
  password_env: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' })),
  picture: Type.Optional(Type.Boolean({ description: 'look at each camera instead of probing it (black, frozen, moved, blurred): PICTURE_WATCH_SECONDS per camera instead of a 2-s probe' }))
}, { additionalProperties: false })

/** The region's background sweeps: when, and the service identity they log in as. */
export interface MonitorConfig {
  /** Milliseconds between sweeps (`every`), or a cron expression (`cron`). */
  everyMs?: number
  cron?: string
  /** Empty when `held`. */
  id: string
  /** Read from password_file or password_env at start-up; never logged or answered. Empty when `held`. */
  password: string
  /** The service identity is the region's held site login, read (and opened) at each sweep. */
  held: boolean
  /** Picture checks in every scheduled sweep (black, frozen). */
  picture: boolean
}

/** A monitor block (schema-checked), its password read; ConfigProblem names a wrong field. */
export function monitorConfig (m: Static<typeof MonitorSchema>): MonitorConfig {
  if ((m.every === undefined) === (m.cron === undefined)) throw new ConfigProblem('', 'give exactly one of every, cron')
  const base = { everyMs: m.every === undefined ? undefined : parseDuration(m.every), cron: m.cron, picture: m.picture === true }
  if (m.held === true) {
    if (m.id !== undefined || m.password_file !== undefined || m.password_env !== undefined) throw new ConfigProblem('', 'held: true takes the region\'s held login: give no id, password_file or password_env')
    return { ...base, id: '', password: '', held: true }
  }
  if (m.id === undefined) throw new ConfigProblem('id', 'give the service identity\'s id (or held: true)')
  if ((m.password_file === undefined) === (m.password_env === undefined)) throw new ConfigProblem('', 'give exactly one of password_file, password_env')
  return { ...base, id: m.id, password: readSecret(m.password_file, m.password_env, 'password'), held: false }
}
