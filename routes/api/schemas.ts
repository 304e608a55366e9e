import { ERROR_CODES, type ErrorCode } from '../../lib/error-codes.js'
import { parseKstTime } from '../../lib/clock.js'
import { BadRequestError } from '../../lib/errors.js'
import { ROLES } from '../../lib/roles.js'
import { Type } from '@fastify/type-provider-typebox'

/** Shapes shared by several routes. Each route file declares its own request schema beside it. */

export const MessageReply = Type.Object({ message: Type.String(), code: Type.Optional(Type.Unsafe<ErrorCode>({ type: 'string', enum: Object.keys(ERROR_CODES), description: 'a stable code for an error (lib/error-codes.ts); the message stays as the contract fixes it' })) }, { description: 'The error/result envelope' })

export const RegionName = Type.String({ minLength: 1, maxLength: 64, description: 'A region name as listed by /api/db_list' })

export const Host = Type.String({ minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9.:_-]+$' })

export const InferenceId = Type.String({ maxLength: 16, description: 'svr<server><gpu>, e.g. svr30' })

export const Port = Type.Integer({ minimum: 1, maximum: 65535 })

/** A camera's cctv_ID in a path or query string: digits only, so it can never be more than a number. */
export const CameraId = Type.String({ pattern: '^[0-9]{1,9}$', description: 'cctv_ID' })

/** A field that may be null in an answer. */
export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()])

/** A 403 says what was missing: the region, and (ROLE_REQUIRED) the role needed and the role held there. */
const ForbiddenReply = Type.Object({
  ...MessageReply.properties,
  region: Type.Optional(Nullable(Type.String())),
  needed: Type.Optional(Type.String()),
  role: Type.Optional(Nullable(Type.String()))
}, { description: 'The error envelope of a refusal' }) as unknown as typeof MessageReply

/** Standard error replies, so OpenAPI shows them and the serializer never strips `message`. */
export const errors = (...codes: number[]): Record<number, typeof MessageReply> =>
  Object.fromEntries(codes.map(c => [c, c === 403 ? ForbiddenReply : MessageReply]))

/** Milliseconds since the epoch as the API writes times (ISO 8601, UTC); null stays null. */
export const iso = (ms: number | null): string | null => ms === null ? null : new Date(ms).toISOString()

/** A time in a query string: ISO 8601, Korean time without an offset. */
export const Time = Type.String({ maxLength: 40, description: 'ISO 8601; without an offset (or a bare date) it is Korean time' })

/** A query string's time (Time) in ms, `fallback` when absent; 400 naming the field when it is not one. */
export function queryTime (field: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback
  const ms = parseKstTime(value)
  if (ms === undefined) throw new BadRequestError(`querystring.${field} is not a time: use ISO 8601, e.g. 2026-11-29T18:00:00+09:00 (no offset: Korean time)`)
  return ms
}

/** A query string's "at most this many": digits (query strings are strings; types are not coerced). */
export const Limit = (fallback: number, max: number): ReturnType<typeof Type.String> =>
  Type.String({ pattern: '^[0-9]{1,5}$', description: `at most this many (1-${max}, default ${fallback})` })

/** The number a Limit names, `fallback` when absent; 400 naming the field when it is out of 1..max. */
export function queryLimit (value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (n < 1 || n > max) throw new BadRequestError(`querystring.limit must be between 1 and ${max}`)
  return n
}

/** Accounts mode: the region an action is in, for a person acting without an SSH session there (else the session's region). */
export const InRegion = Type.Object({ region: Type.Optional(RegionName) })

/** A person's roles: region (or * for every region) → viewer, operator or admin (lib/roles.ts). */
export const RoleMap = Type.Record(Type.String({ minLength: 1, maxLength: 64 }), Type.Union(ROLES.map(r => Type.Literal(r))),
  { description: 'region (or * for every region) → role' })
