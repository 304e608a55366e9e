import { Type, type Static } from '@sinclair/typebox'
import { ConfigProblem, RegionsFileError } from './problem.js'
import { readSecret } from './secrets.js'

/*
 * Where alerts go: the regions file's `notify` list. Secrets (webhook keys, SMTP passwords)
 * come from private files or the environment and never reach a log or an API answer.
 */

const NonEmpty = Type.String({ minLength: 1 })
const Port = Type.Integer({ minimum: 1, maximum: 65535 })
const SecretSource = {
  secret_file: Type.Optional(NonEmpty),
  secret_env: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }))
}
const ChannelCommon = {
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' })),
  regions: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { description: 'the regions whose alerts it hears (none: every region; []: none — a channel for escalations only)' })),
  lang: Type.Optional(Type.Union([Type.Literal('ko'), Type.Literal('en')]))
}
const HttpUrl = Type.String({ pattern: '^https?://[^\\s]+$', maxLength: 2000 })
/** Where a bot API is (its documented address by default; a test's receiver, or a proxy). */
const ApiBase = Type.String({ pattern: '^https?://[^\\s?#]+$', maxLength: 500, description: 'the service\'s API address, without a path to a method' })

export const ChannelSchema = Type.Union([
  Type.Object({ type: Type.Literal('webhook'), url: HttpUrl, ...SecretSource, ...ChannelCommon }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('slack'), url: HttpUrl, ...ChannelCommon }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('teams'), url: HttpUrl, ...ChannelCommon }, { additionalProperties: false }),
  // Korean teams' messengers (issue 25). Jandi and Discord: the webhook URL is the secret, as for Slack.
  Type.Object({ type: Type.Literal('jandi'), url: HttpUrl, ...ChannelCommon }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('discord'), url: HttpUrl, username: Type.Optional(Type.String({ minLength: 1, maxLength: 80 })), ...ChannelCommon }, { additionalProperties: false }),
  Type.Object({
    type: Type.Literal('telegram'),
    chat_id: Type.Union([Type.Integer(), Type.String({ pattern: '^(-?[0-9]{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31})$' })], { description: 'a chat\'s id (a group: negative) or @channelname' }),
    token_file: Type.Optional(NonEmpty),
    token_env: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' })),
    api_base: Type.Optional(ApiBase),
    ...ChannelCommon
  }, { additionalProperties: false }),
  Type.Object({
    type: Type.Literal('kakaowork'),
    conversation_id: Type.Union([Type.Integer({ minimum: 1 }), Type.String({ pattern: '^[0-9]{1,20}$' })], { description: 'the chat room the bot is in' }),
    app_key_file: Type.Optional(NonEmpty),
    app_key_env: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' })),
    api_base: Type.Optional(ApiBase),
    ...ChannelCommon
  }, { additionalProperties: false }),
  Type.Object({
    type: Type.Literal('email'),
    host: NonEmpty,
    port: Type.Optional(Port),
    starttls: Type.Optional(Type.Boolean({ description: 'require STARTTLS (true unless secure)' })),
    secure: Type.Optional(Type.Boolean({ description: 'TLS from the first byte (port 465)' })),
    ca_file: Type.Optional(Type.String({ minLength: 1, description: 'PEM file of the CA that signed the SMTP server\'s certificate (a private CA)' })),
    user: Type.Optional(NonEmpty),
    password_file: Type.Optional(NonEmpty),
    password_env: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' })),
    from: NonEmpty,
    to: Type.Array(NonEmpty, { minItems: 1, maxItems: 100 }),
    ...ChannelCommon
  }, { additionalProperties: false })
])

interface ChannelBase { name: string, regions?: string[], lang: 'ko' | 'en' }
export type ChannelConfig =
  | ChannelBase & { type: 'webhook', url: string, secret: string }
  | ChannelBase & { type: 'slack' | 'teams', url: string }
  | ChannelBase & { type: 'jandi', url: string }
  | ChannelBase & { type: 'discord', url: string, username?: string }
  | ChannelBase & { type: 'telegram', chatId: string, token: string, apiBase: string }
  | ChannelBase & { type: 'kakaowork', conversationId: string, appKey: string, apiBase: string }
  | ChannelBase & { type: 'email', host: string, port: number, secure: boolean, starttls: boolean, user?: string, password?: string, from: string, to: string[], caFile?: string }

/** The notification channels of a validated regions document (`notify`), secrets read. */
export function parseChannels (doc: { regions: Record<string, unknown>, notify?: Array<Static<typeof ChannelSchema>> }, source = 'regions file'): ChannelConfig[] {
  const names = new Set<string>()
  return (doc.notify ?? []).map((c, i) => {
    try {
      return channel(c, i, names, doc.regions)
    } catch (err) {
      if (err instanceof ConfigProblem) throw new RegionsFileError(`${source}: field "notify.${i}.${err.field}": ${err.message}`)
      throw err
    }
  })
}

function channel (c: Static<typeof ChannelSchema>, i: number, names: Set<string>, regions: Record<string, unknown>): ChannelConfig {
  const name = c.name ?? `${c.type}-${i + 1}`
  if (names.has(name)) throw new ConfigProblem('name', `another channel is named ${name}`)
  names.add(name)
  for (const r of c.regions ?? []) if (!(r in regions)) throw new ConfigProblem('regions', `no region ${r} in this file`)
  const base = { name, regions: c.regions, lang: c.lang ?? 'ko' as const }
  switch (c.type) {
    case 'webhook':
      if ((c.secret_file === undefined) === (c.secret_env === undefined)) throw new ConfigProblem('secret_file', 'give exactly one of secret_file, secret_env (the HMAC key)')
      return { ...base, type: 'webhook', url: c.url, secret: readSecret(c.secret_file, c.secret_env, 'secret') }
    case 'slack':
    case 'teams':
      return { ...base, type: c.type, url: c.url }
    case 'jandi':
      return { ...base, type: 'jandi', url: c.url }
    case 'discord':
      return { ...base, type: 'discord', url: c.url, username: c.username }
    case 'telegram':
      if ((c.token_file === undefined) === (c.token_env === undefined)) throw new ConfigProblem('token_file', 'give exactly one of token_file, token_env (the bot\'s token from @BotFather)')
      return { ...base, type: 'telegram', chatId: String(c.chat_id), token: readSecret(c.token_file, c.token_env, 'token'), apiBase: (c.api_base ?? 'https://api.telegram.org').replace(/\/+$/, '') }
    case 'kakaowork':
      if ((c.app_key_file === undefined) === (c.app_key_env === undefined)) throw new ConfigProblem('app_key_file', 'give exactly one of app_key_file, app_key_env (the bot\'s app key)')
      return { ...base, type: 'kakaowork', conversationId: String(c.conversation_id), appKey: readSecret(c.app_key_file, c.app_key_env, 'app_key'), apiBase: (c.api_base ?? 'https://api.kakaowork.com').replace(/\/+$/, '') }
    case 'email': {
      if (c.password_file !== undefined && c.password_env !== undefined) throw new ConfigProblem('password_file', 'give at most one of password_file, password_env')
      const password = c.password_file !== undefined || c.password_env !== undefined ? readSecret(c.password_file, c.password_env, 'password') : undefined
      if (password !== undefined && c.user === undefined) throw new ConfigProblem('user', 'a password needs a user')
      const secure = c.secure ?? false
      return { ...base, type: 'email', host: c.host, port: c.port ?? (secure ? 465 : 587), secure, starttls: c.starttls ?? !secure, user: c.user, password, from: c.from, to: c.to, caFile: c.ca_file }
    }
  }
}
